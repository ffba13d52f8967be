"""Human dynamics and feel for quantized MIDI parts, live beside your DAW or on files.

The live daemon sits between a DAW and its instruments; offline it humanizes MIDI files.

The `humanizer` command is a table of subcommands, each a module of humanizer.commands.

A command's module is imported only when it runs, so the runtime commands never load
TensorFlow. Every HumanizerError becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable, Sequence

from humanizer.errors import HumanizerError

TRAIN_EXTRA = {"tensorflow", "keras", "tf2onnx", "onnx"}

# name -> (help, module with add_arguments(parser) and run(args))
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("run the real-time humanizer between MIDI ports", "humanizer.commands.serve"),
    "humanize": ("humanize a MIDI file or a folder of them", "humanizer.commands.humanize"),
    "ctl": ("control a running daemon", "humanizer.commands.ctl"),
    "play": ("play a MIDI file into the daemon's input (or any MIDI port), as a DAW would",
             "humanizer.commands.play"),
    "demo": ("humanize the bundled example parts with the default styles",
             "humanizer.commands.demo"),
    "models": ("list the installed styles, or show one", "humanizer.commands.models"),
    "eval": ("measure a style on performance MIDI files against baselines",
             "humanizer.commands.evaluate"),
    "bench": ("measure speed and memory on this machine", "humanizer.commands.bench"),
    "doctor": ("check whether serve can start here: MIDI systems, ports, styles",
               "humanizer.commands.doctor"),
    "train": ("train a style model (needs the train extra)", "humanizer.commands.train"),
    "export": ("export a trained Keras model to an ONNX style (needs the train extra)",
               "humanizer.commands.export"),
    "ship": ("calibrate, measure and package a trained style (needs the train extra)",
             "humanizer.commands.ship"),
    "quality": ("regenerate docs/quality.md from the installed styles",
                "humanizer.commands.quality"),
}


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line like every other error."""

    def error(self, message: str):
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def load(name: str):
    """The module of command `name`; a missing train extra is said as such."""
    try:
        return importlib.import_module(COMMANDS[name][1])
    except ModuleNotFoundError as missing:
        if missing.name and missing.name.split(".")[0] in TRAIN_EXTRA:
            raise HumanizerError(f"'{name}' needs the train extra: "
                                 "pip install 'midi-humanizer[train]'") from None
        raise


def negative_values(argv: list[str]) -> list[str]:
    """`--latency -1s` and `ctl set feel -8ms` as argparse can read them: it takes a word
    that starts with a minus for an option ("expected one argument"). After an option the
    value is joined to it (`--feel=-8ms`); a positional one goes last, after `--`."""
    fixed: list[str] = []
    positional: list[str] = []
    for word in argv:
        if re.match(r"^-[0-9.]", word) and fixed and "--" not in fixed:
            if fixed[-1].startswith("--") and "=" not in fixed[-1]:
                fixed[-1] = f"{fixed[-1]}={word}"
            else:
                positional.append(word)
            continue
        fixed.append(word)
    return fixed + (["--", *positional] if positional else [])


def parse(argv: Sequence[str] | None) -> tuple[argparse.Namespace, Callable]:
    parser = Parser(prog="humanizer", description=__doc__.splitlines()[0])
    from humanizer import __version__

    parser.add_argument("--version", action="version", version=f"humanizer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    argv = negative_values(list(sys.argv[1:] if argv is None else argv))
    chosen = next((a for a in argv if not a.startswith("-")), None)
    runner: Callable = lambda args: 0  # noqa: E731 - replaced for the chosen command
    for name, (help_text, _) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = load(name)
            module.add_arguments(sub)
            runner = module.run
    return parser.parse_args(argv), runner


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args, runner = parse(argv)
        return int(runner(args) or 0)
    except HumanizerError as error:
        print(f"humanizer: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("humanizer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
