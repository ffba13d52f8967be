"""`humanizer humanize IN -o OUT`: humanize a MIDI file, or a folder of them, offline.

Output is deterministic and written atomically: on any error no output file (or partial
file) is left. A damaged file in a folder is skipped with a message; the rest go on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from humanizer import config, output, values
from humanizer.commands import checked
from humanizer.errors import HumanizerError
from humanizer.folder_run import Report, run_files, workers_for
from humanizer.offline import Humanizer
from humanizer.progress import progress
from humanizer.summary import Printing, plural, tell


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN", help="a MIDI file or a folder of MIDI files")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file (or folder, when IN is a folder)")
    add_style_arguments(parser)
    parser.add_argument("--latency", type=checked(values.latency), metavar="TIME",
                        help="emulate the live daemon at this latency, e.g. 500ms "
                             "(default: the model hears the whole file)")
    parser.add_argument("--no-meter", dest="meter", action="store_false",
                        help="do not give score-aware styles the file's meter (its time "
                             "signatures and tempo map): play as the daemon does without "
                             "MIDI clock")
    parser.add_argument("--plot", type=Path, metavar="PICTURE",
                        help="also draw each part's velocities before and after, and the "
                             "timing shifts: a .png, or an .html page (needs the plot extra)")
    parser.add_argument("--audio", type=Path, metavar="SOUND",
                        help="also render the file with FluidSynth and a General MIDI "
                             "soundfont: humanized to SOUND (a .wav), as drawn to the same "
                             "name ending .before.wav; the summary says how much louder or "
                             "softer each part came out (needs: apt-get install fluidsynth "
                             "fluid-soundfont-gm)")
    parser.add_argument("--soundfont", type=Path, metavar="FILE",
                        help="with --audio: the soundfont (.sf2) to play (default: "
                             "$HUMANIZER_SOUNDFONT, else Debian's FluidR3_GM.sf2)")
    parser.add_argument("--kits-anywhere", action="store_true", default=None,
                        help="give a drum kit heard on a channel other than 10 the drums "
                             "style (default: left as drawn, and the summary says so)")
    parser.add_argument("--quiet", action="store_true",
                        help="for a folder: only the total, not each file's parts")
    parser.add_argument("--force", action="store_true", help="overwrite existing output")
    parser.add_argument("--workers", type=checked(values.workers),
                        metavar="N", help="for a folder: humanize N files at once, each in "
                                          "its own process (default: one per core)")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="for a folder: humanize its files on the Dask cluster whose "
                             "scheduler is at ADDRESS, e.g. tcp://10.0.0.5:8786 (needs the "
                             "cluster extra here and on the workers); outputs are written "
                             "here")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="for a folder: write the files done, skipped and failed (and "
                             "why) as JSON")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="settings file (TOML, as serve reads it; default: "
                             "$HUMANIZER_CONFIG or ~/.config/humanizer/config.toml if there "
                             "is one): its strength, variation, seed, timing, feel, velocity "
                             "range and styles; a flag given here wins over it")
    # a flag not given stays None, so the config file and then the default can fill it
    parser.set_defaults(**dict.fromkeys(SETTINGS))


SETTINGS = ("strength", "variation", "seed", "timing", "feel", "articulation", "velocity_min",
            "velocity_max")
DEFAULTS = {"strength": values.DEFAULT_STRENGTH, "variation": values.DEFAULT_VARIATION,
            "seed": values.DEFAULT_SEED, "timing": values.DEFAULT_TIMING, "feel": 0.0,
            "articulation": values.DEFAULT_ARTICULATION,
            "velocity_min": values.VELOCITY_RANGE[0], "velocity_max": values.VELOCITY_RANGE[1]}


def add_style_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `humanize` and `serve` share: styles per channel and how they play."""
    parser.add_argument("--style", help="one style for every channel without its own "
                                        "(default: each part its role's style - drums, "
                                        "bass, lead, comping, pad, or pop for keys)")
    parser.add_argument("--channel-style", action="append", default=[], metavar="N=STYLE",
                        type=checked(values.channel_style),
                        help="style for MIDI channel N (1-16), e.g. 10=drums; repeatable")
    parser.add_argument("--channel-role", action="append", default=[], metavar="N=ROLE",
                        type=checked(values.channel_role),
                        help="the role of MIDI channel N's part (drums, bass, lead, comping, "
                             "pad or keys), e.g. 2=bass: its role's style plays it; "
                             "repeatable")
    parser.add_argument("--skip-channel", action="append", default=[], metavar="N",
                        type=checked(values.channel),
                        help="leave channel N (1-16) exactly as it is; repeatable")
    parser.add_argument("--strength", type=checked(lambda t: values.amount("strength", t)),
                        default=values.DEFAULT_STRENGTH, metavar="AMOUNT",
                        help="0 keeps your velocities, 1 is the full model (default 1)")
    parser.add_argument("--channel-strength", action="append", metavar="N=AMOUNT",
                        type=checked(values.channel_strength),
                        help="strength for MIDI channel N (1-16), e.g. 2=0.5: a part "
                             "humanized more or less than the rest; repeatable")
    parser.add_argument("--variation", type=checked(lambda t: values.amount("variation", t)),
                        default=values.DEFAULT_VARIATION, metavar="AMOUNT",
                        help="0..1: how much each take varies, as much as a player varies "
                             "each note at 1 (the default; the same seed gives the same "
                             "take); 0 plays the style's mean, the same for every repeat")
    parser.add_argument("--seed", type=checked(lambda t: values.integer(
        "seed", t, 0, values.MAX_SEED)), default=values.DEFAULT_SEED, metavar="N",
                        help="which take --variation draws: the same seed, the same take "
                             "(default 0)")
    parser.add_argument("--timing", type=checked(lambda t: values.amount("timing", t)),
                        nargs="?", const=1.0, default=values.DEFAULT_TIMING, metavar="AMOUNT",
                        help="0..1: move each note by this much of the onset offset a style "
                             "with a timing head (drums) predicts, at most 50 ms (default 0; "
                             "1 if given without AMOUNT)")
    parser.add_argument("--feel", type=checked(values.feel), default=0.0, metavar="TIME",
                        help="with --timing, put the timing-humanized parts this far behind "
                             "the grid (e.g. 8ms) or ahead of it (-8ms); default 0")
    parser.add_argument("--articulation", type=checked(lambda t: values.amount(
        "articulation", t)), nargs="?", const=1.0, default=values.DEFAULT_ARTICULATION,
                        metavar="AMOUNT",
                        help="0..1: play each note this much of the length a style with a "
                             "length head predicts (lead, piano): shorter or longer than "
                             "drawn, its end moved at most 250 ms (default 0; 1 if given "
                             "without AMOUNT)")
    parser.add_argument("--velocity-min", type=checked(lambda t: values.velocity(
        "velocity_min", t)), default=values.VELOCITY_RANGE[0], metavar="V",
                        help="the quietest output velocity (default 1): the dynamics are "
                             "scaled into the range, not clipped")
    parser.add_argument("--velocity-max", type=checked(lambda t: values.velocity(
        "velocity_max", t)), default=values.VELOCITY_RANGE[1], metavar="V",
                        help="the loudest output velocity (default 127)")


def output_settings(chosen: dict) -> output.OutputSettings:
    low, high = values.velocity_range(chosen["velocity_min"], chosen["velocity_max"])
    if chosen["feel"] and chosen["timing"] <= 0:  # else it would be taken and do nothing
        raise HumanizerError("feel moves only the notes that timing moves: add --timing "
                             "(or timing = 1 in the config)")
    return output.OutputSettings(strength=chosen["strength"], variation=chosen["variation"],
                                 timing=chosen["timing"], feel=chosen["feel"],
                                 articulation=chosen["articulation"], velocity_min=low,
                                 velocity_max=high,
                                 channel_strengths=chosen.get("channel_strength", ()))


def pairs(source: Path, target: Path) -> list[tuple[Path, Path]]:
    """(input, output) files: one pair, or every MIDI file of a folder mirrored."""
    if not source.is_dir():
        return [(source, target)]
    if target.exists() and not target.is_dir():
        raise HumanizerError(f"{target}: is a file; give a folder for a folder of input")
    if not target.exists() and not target.parent.is_dir():
        raise HumanizerError(f"{target.parent}: no such folder (create it first)")
    files = midi_files(source)
    if not files:
        raise HumanizerError(f"{source}: no MIDI files in this folder")
    return [(p, target / p.relative_to(source)) for p in files]


def midi_files(source: Path) -> list[Path]:
    """Every MIDI file under a folder, sorted; a subfolder that cannot be read is said in
    one line and the rest go on (it was skipped without a word)."""
    def unreadable(error: OSError) -> None:
        print(f"humanizer: skipped {error.filename}: cannot read this folder "
              f"({error.strerror or error})", file=sys.stderr)

    found = []
    for folder, _, names in os.walk(source, onerror=unreadable):
        found += [Path(folder) / name for name in names
                  if Path(name).suffix.lower() in (".mid", ".midi")]
    return sorted(found)


def check_outputs(work: list[tuple[Path, Path]], force: bool, folder: bool
                  ) -> list[tuple[Path, Path]]:
    """Refuse, before any work, outputs that would overwrite what they must not, or land
    where the user did not mean: a folder, or a folder that does not exist. Returns the
    work left to do: a folder run given the folder it wrote before goes on where it
    stopped - a file written there is whole (outputs are written atomically), so it is
    not humanized again without --force."""
    inputs = {i.resolve() for i, _ in work}
    left = []
    for input_file, output_file in work:
        if output_file.is_dir():
            raise HumanizerError(f"{output_file}: is a folder; give the output file's name")
        if not folder and not output_file.parent.exists():
            raise HumanizerError(f"{output_file.parent}: no such folder (create it first)")
        if output_file.resolve() in inputs:
            raise HumanizerError(f"{output_file}: would overwrite an input file")
        if output_file.exists() and not force:
            if not folder:
                raise HumanizerError(f"{output_file}: already exists (use --force to "
                                     "overwrite)")
            continue
        left.append((input_file, output_file))
    return left


def run(args: argparse.Namespace) -> int:
    source, target = Path(args.input), Path(args.output)
    if not source.exists():
        raise HumanizerError(f"{source}: no such file or folder")
    everything, single = pairs(source, target), not source.is_dir()
    work = check_outputs(everything, args.force, not single)
    done_before = len(everything) - len(work)
    if done_before:
        print(f"{plural(done_before, 'file')} of {len(everything)} humanized into {target} "
              "before: skipped (--force humanizes them again)")
    if (args.report is not None or args.workers is not None or args.cluster) and single:
        raise HumanizerError("--workers, --cluster and --report are for a folder: give a "
                             "folder")
    if args.cluster and args.workers is not None:
        raise HumanizerError("--workers is for this machine; a cluster's workers are its own "
                             "(dask worker --nworkers N)")
    if args.report is not None and not args.report.parent.is_dir():
        raise HumanizerError(f"{args.report.parent}: no such folder for the report")
    if args.plot is not None:
        from humanizer import plot

        plot.check_target(args.plot, args.force)
        if source.is_dir():
            raise HumanizerError("--plot draws one file: give a file, not a folder")
        plot.check_extra(args.plot)  # the extra is missing: say so before any work
    synth = None
    if args.audio is not None:
        from humanizer import audio

        if source.is_dir():
            raise HumanizerError("--audio renders one file: give a file, not a folder")
        audio.check_target(args.audio, [source, target], args.force)
        synth = audio.find(args.soundfont)  # no FluidSynth or soundfont: said before any work
    elif args.soundfont is not None:
        raise HumanizerError("--soundfont is for --audio: add --audio OUT.wav")
    configured, source = config.load(args.config)
    chosen, given = config.effective(vars(args), configured, DEFAULTS, SETTINGS)
    chosen["channel_strength"] = config.channel_strengths(args.channel_strength, configured)
    if source is not None:
        print(f"settings from {source} (a flag wins over it)")
    if given["seed"] != "default" and not chosen["variation"]:
        print("humanizer: --seed changes nothing without --variation (every take is the same)",
              file=sys.stderr)
    options = {"style": args.style or configured.get("style"),
               "settings": output_settings(chosen), "latency": args.latency,
               "channel_styles": {**configured.get("channels", {}), **dict(args.channel_style)},
               "skip": args.skip_channel or configured.get("skip_channels", []),
               "meter": args.meter, "seed": chosen["seed"],
               "channel_roles": {**configured.get("roles", {}), **dict(args.channel_role)},
               "kits_anywhere": bool(args.kits_anywhere or configured.get("kits_anywhere"))}
    humanizer = Humanizer(**options)  # (a folder's workers build their own: checked here)
    printing = Printing(args.quiet and not single, chosen["strength"], chosen["timing"],
                        chosen["articulation"])
    if single:
        result = humanizer.file(work[0][0], work[0][1])
        tell(result, humanizer, work[0][1], printing)
        if args.plot is not None:
            plot.humanized(result, args.plot, f"{work[0][0].name}, humanized")
            print(f"drew {args.plot}" + (": open it in a browser" if args.plot.suffix.lower()
                                         == ".html" else ""))
        if synth is not None:
            print(audio.report(args.audio, audio.hear(result, work[0][1], args.audio, synth)))
        return 0
    return run_folder(args, humanizer, options, work, printing, target, done_before)


def run_folder(args: argparse.Namespace, humanizer: Humanizer, options: dict,
               work: list[tuple[Path, Path]], printing: Printing, target: Path,
               done_before: int) -> int:
    """The files of a folder on `--workers` processes (or a `--cluster`), each file's
    summary as it is done, then the total (and the `--report`)."""
    began = time.monotonic()
    report = Report(skipped=done_before)
    with contextlib.ExitStack() as stack:
        if args.cluster:
            from humanizer import cluster

            client = stack.enter_context(cluster.connect(args.cluster))
            outcomes = cluster.run_files(client, options, work, printing)
            where = (f"on the Dask cluster at {args.cluster} "
                     f"({plural(cluster.threads_of(client), 'worker thread')})")
        else:
            workers = workers_for(args.workers, len(work))
            outcomes = run_files(humanizer, options, work, workers, printing)
            where = f"on {plural(workers, 'process').replace('processs', 'processes')}"
        for outcome in progress(outcomes, len(work), "humanizing"):
            print(outcome.printed, end="")
            if outcome.error is None:
                report.done += 1
            else:
                print(f"humanizer: skipped {outcome.error}", file=sys.stderr)
                report.failed.append({"file": str(outcome.source), "error": outcome.error})
    report.seconds = round(time.monotonic() - began, 3)
    print(f"humanized {report.done} of {plural(len(work), 'file')} into {target}"
          + (f" ({done_before} done before)" if done_before else "") + f" {where}")
    if args.report is not None:
        report.write(args.report)
    return 1 if report.failed else 0
