"""`humanizer eval PATH...`: how close a style comes to what people played.

The command parses and prints; humanizer.evaluation measures (DESIGN section 6).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from humanizer import cases, evaluation, feel_report, models, values
from humanizer.commands import checked
from humanizer.datasets.splits import SPLITS

INPUTS = cases.INPUT_KINDS


def lookahead(text: str) -> float | None:
    """What the model may hear after each note: a duration, or None for `full` (the
    whole file)."""
    if isinstance(text, str) and text.strip().lower() == "full":
        return None
    return values.duration(text, "lookahead")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="performance MIDI files or folders (a data set folder such as "
                             "ASAP or the Groove MIDI Dataset is read by its index)")
    parser.add_argument("--style", default=models.DEFAULT_STYLE,
                        help="the style to measure: an installed style's name or an .onnx "
                             f"file (default {models.DEFAULT_STYLE})")
    parser.add_argument("--split", choices=SPLITS,
                        help="only this split of each data set folder (default: all files)")
    parser.add_argument("--lookahead", type=checked(lookahead), default="500ms",
                        help="what the model may hear after each note: a time such as 500ms, "
                             "or 'full' for the whole file (default 500ms)")
    parser.add_argument("--input", choices=INPUTS, default="performance",
                        help="what the model is given: the performance with its velocities "
                             "flattened (default); 'match', the exact DAW case from ASAP's "
                             "match files (the score at one tempo with its meter); 'marked', "
                             "that case with the notation's dynamics (p, f, hairpins) drawn in; "
                             "'score', "
                             "ASAP's score warped to the performance's beats, or for other "
                             "files the performance snapped to the grid of its tempo")
    parser.add_argument("--input-dynamics", type=checked(
        lambda t: values.amount("input dynamics", t)), default=0.0, metavar="AMOUNT",
                        help="0..1: give the style the played dynamics pulled toward their "
                             "level by 1 - AMOUNT (0, the default: a flat part; 1: as played) "
                             "and report the input itself as a baseline")
    parser.add_argument("--input-phrase", action="store_true",
                        help="with --input-dynamics: draw in only the phrase of the played "
                             "dynamics (where a passage is loud or soft, a drawn contour), "
                             "not the accents and voicing on it")
    parser.add_argument("--no-meter", dest="meter", action="store_false",
                        help="do not give the style the meter the data knows: measure it as "
                             "a part without one plays (humanize --no-meter, or the daemon "
                             "without MIDI clock)")
    parser.add_argument("--variation", type=checked(lambda t: values.amount("variation", t)),
                        default=0.0, metavar="AMOUNT",
                        help="0..1: measure takes varied this much (see humanize --variation)")
    parser.add_argument("--seed", type=checked(lambda t: values.integer(
        "seed", t, 0, values.MAX_SEED)), default=0, metavar="N",
                        help="the take --variation draws (default 0)")
    parser.add_argument("--strength", type=checked(lambda t: values.amount("strength", t)),
                        default=values.DEFAULT_STRENGTH,
                        help="how much of the style's dynamics to apply, 0 to 1 (default "
                             f"{values.DEFAULT_STRENGTH:g})")
    parser.add_argument("--timing", type=checked(lambda t: values.amount("timing", t)),
                        nargs="?", const=1.0, default=0.0, metavar="AMOUNT",
                        help="0..1, as humanize --timing: move notes by this much of the "
                             "timing head's offsets and report their onset-offset MAE (ms) "
                             "against no offset (needs --input score; AMOUNT 1 if not given)")
    parser.add_argument("--realism", action="store_true",
                        help="also train a classifier to tell the players' velocities from "
                             "the style's on half the files and report how often it does on "
                             "the others (50%%: it cannot tell; the flat input: near 100%%; "
                             "needs scikit-learn, the train extra)")
    parser.add_argument("--feel", action="store_true",
                        help="measure timing and note lengths instead of velocities: each "
                             "note played with --timing 1 --articulation 1 beside the players' "
                             "onsets (against the local beat) and lengths, chord spread and "
                             "melody lead (ASAP, the Weimar Jazz Database, the Groove MIDI "
                             "Dataset)")
    parser.add_argument("--workers", type=checked(values.workers),
                        metavar="N", help="evaluate N files at once, each in its own process "
                                          "(default: one per core)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of a table")
    parser.add_argument("--plot", type=Path, metavar="FOLDER",
                        help="also draw, per file, the velocities played and the model's "
                             "(FOLDER/NAME.png; needs the plot extra)")


def run(args: argparse.Namespace) -> int:
    engine = models.load(args.style, threads=2)
    if args.feel:
        return print_feel(args, feel_report.evaluate_feel(
            engine, cases.files_of(args.paths, args.split), args.lookahead, args.meter))
    if args.plot is not None:
        from humanizer import plot

        plot.pyplot()  # the extra is missing: say so before any work
    report = evaluation.evaluate(engine, cases.files_of(args.paths, args.split),
                                 args.lookahead, args.strength, input_kind=args.input,
                                 timing=args.timing, pictures=args.plot,
                                 input_dynamics=args.input_dynamics,
                                 input_phrase=args.input_phrase, meter=args.meter,
                                 variation=(args.variation, args.seed),
                                 realism=args.realism, workers=args.workers)
    label = evaluation.lookahead_label(args.lookahead)
    report.update(style=args.style, lookahead=label)
    if args.json:
        print(json.dumps(report))
        return 0
    files = f"{report['files']} file{'' if report['files'] == 1 else 's'}"
    given = args.input + (" input" if args.meter else " input, no meter")
    print(f"{report['notes']} note onsets in {files} ({given}), "
          f"style {args.style}, lookahead {label}")
    print(f"{'':12} {'MAE':>7} {'r (median)':>11} {'spread':>7}")
    rows = {"model": report["model"], **report["baselines"]}
    for name, metrics in rows.items():
        print(f"{name:12} {metrics['mae']:7.2f} {metrics['pearson_median'] + 0.0:11.3f} "
              f"{metrics['spread_ratio']:7.3f}")
    if "timing" in report:
        timing = report["timing"]
        print(f"timing: onset-offset MAE {timing['mae_ms']:.1f} ms (no offset "
              f"{timing['zero_mae_ms']:.1f} ms), r (median) {timing['pearson_median'] + 0.0:.3f}")
    if "realism" in report:
        realism = report["realism"]
        print(f"passes for a player? a classifier tells the model from the players "
              f"{realism['model']:.1f}% of the time (the flat input {realism['flat']:.1f}%; "
              "50% = it cannot tell)")
    limits = report["at_limits"]
    print(f"at the limits: model {limits['model_low']:.2f}% at 1, {limits['model_high']:.2f}% "
          f"at 127 (played {limits['played_low']:.2f}% and {limits['played_high']:.2f}%)")
    if report["top_notes"]["chords"]:
        top = report["top_notes"]
        print(f"top notes: in {top['model_agrees']:.1f}% of {top['chords']} chords the model "
              "puts the top note above (or below) the rest as the player did")
    if report["accent_profile"]:
        places = report["accent_profile"]
        print("accent per place in the bar, above the mean (played / model): " + ", ".join(
            f"{place} {row['played']:+.1f}/{row['model']:+.1f}" for place, row in places.items()))
    if report.get("consensus"):
        ceiling = report["consensus"]
        metrics = ceiling["consensus"]
        print(f"consensus of the other players ({ceiling['performances']} performances of "
              f"pieces played more than once): MAE {metrics['mae']:.2f}, r (median) "
              f"{metrics['pearson_median'] + 0.0:.3f}, spread {metrics['spread_ratio']:.3f} "
              f"(flat on those notes {ceiling['flat']['mae']:.2f})")
    if "drum_classes" in report:
        print("per drum class, mean velocity above the part's level (played / model):")
        for name, row in report["drum_classes"].items():
            print(f"  {name:11} {row['notes']:7} notes {row['played']:+7.1f} {row['model']:+7.1f}")
    return 0


def print_feel(args: argparse.Namespace, report: dict) -> int:
    """The feel report as a table (or JSON)."""
    label = evaluation.lookahead_label(args.lookahead)
    report.update(style=args.style, lookahead=label)
    if args.json:
        print(json.dumps(report))
        return 0
    onsets = report["onsets"]
    print(f"{report['notes']} notes with the players' timing in {report['files']} files, "
          f"style {args.style}, lookahead {label}, --timing 1 --articulation 1")
    print(f"onsets: error {onsets['mae_ms']:.1f} ms (no offset {onsets['zero_mae_ms']:.1f} ms), "
          f"r (median) {onsets['pearson_median'] + 0.0:.3f}; pushed and pulled "
          f"{onsets['model_sd_ms']:.1f} ms (sd; players {onsets['played_sd_ms']:.1f} ms)")
    played, model = report["chords"]["played"], report["chords"]["model"]
    if played["chords"]:
        print(f"chords ({played['chords']}): spread {model['spread_ms']:.1f} ms (players "
              f"{played['spread_ms']:.1f}), top note ahead by {model['lead_ms']:+.1f} ms "
              f"(players {played['lead_ms']:+.1f})")
    if "lengths" in report:
        lengths = report["lengths"]
        print(f"lengths ({lengths['notes']} notes): error {lengths['mae']:.3f} (log2; as "
              f"written {lengths['written_mae']:.3f}), median played/written "
              f"{lengths['model_median']:.2f} (players {lengths['played_median']:.2f})")
    return 0
