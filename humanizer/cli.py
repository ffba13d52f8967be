"""The `humanizer` command: serve | humanize | ctl | models | train | export | eval | bench.

Each subcommand's code is imported only when it runs, so the runtime commands never load
TensorFlow. Every HumanizerError becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from humanizer.errors import HumanizerError


def _offline() -> tuple[Callable, Callable]:
    from humanizer import offline

    return offline.add_arguments, offline.run


def _demo() -> tuple[Callable, Callable]:
    from humanizer import offline

    return offline.add_demo_arguments, offline.demo


def _models() -> tuple[Callable, Callable]:
    from humanizer import listing

    return listing.add_arguments, listing.run


def _evaluate() -> tuple[Callable, Callable]:
    from humanizer import evaluation

    return evaluation.add_arguments, evaluation.run


def _train() -> tuple[Callable, Callable]:
    from humanizer.training import cli

    return cli.add_arguments, cli.run


def _export() -> tuple[Callable, Callable]:
    from humanizer.export import cli

    return cli.add_arguments, cli.run


def _serve() -> tuple[Callable, Callable]:
    from humanizer.daemon import cli

    return cli.add_serve_arguments, cli.serve


def _ctl() -> tuple[Callable, Callable]:
    from humanizer.daemon import cli

    return cli.add_ctl_arguments, cli.ctl


def _bench() -> tuple[Callable, Callable]:
    from humanizer import bench

    return bench.add_arguments, bench.run


TRAIN_EXTRA = {"tensorflow", "keras", "tf2onnx", "onnx"}

COMMANDS: dict[str, tuple[str, Callable[[], tuple[Callable, Callable]]]] = {
    "serve": ("run the real-time humanizer between MIDI ports", _serve),
    "humanize": ("humanize a MIDI file or a folder of them", _offline),
    "ctl": ("control a running daemon", _ctl),
    "demo": ("humanize the bundled example parts with the default styles", _demo),
    "models": ("list the installed styles, or show one", _models),
    "train": ("train a style model (needs the train extra)", _train),
    "export": ("export a trained Keras model to an ONNX style (needs the train extra)", _export),
    "eval": ("measure a style on performance MIDI files against baselines", _evaluate),
    "bench": ("measure speed and memory on this machine", _bench),
}


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line like every other error."""

    def error(self, message: str):
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def parse(argv: Sequence[str] | None) -> tuple[argparse.Namespace, Callable]:
    parser = Parser(prog="humanizer", description=__doc__.splitlines()[0])
    from humanizer import __version__

    parser.add_argument("--version", action="version", version=f"humanizer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    runner: Callable = lambda args: 0  # noqa: E731 - replaced for the chosen command
    for name, (help_text, loader) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            try:
                add_arguments, runner = loader()
            except ModuleNotFoundError as missing:
                if missing.name and missing.name.split(".")[0] in TRAIN_EXTRA:
                    raise HumanizerError(f"'{name}' needs the train extra: "
                                         "pip install 'humanizer[train]'") from None
                raise
            add_arguments(sub)
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
