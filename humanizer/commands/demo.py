"""`humanizer demo`: humanize the bundled example parts with the default styles and
settings (each part its role's style, a take at variation 1) and show the change -
dynamics everywhere, and the feel of the parts whose styles have it: timing (drums, bass,
lead, comping, pop) and note lengths (lead, comping, pop)."""

from __future__ import annotations

import argparse
from pathlib import Path

from humanizer import values
from humanizer.offline import Humanizer
from humanizer.output import OutputSettings
from humanizer.summary import summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", default="humanizer-demo", metavar="FOLDER",
                        help="where to write the humanized examples (default ./humanizer-demo)")


def run(args: argparse.Namespace) -> int:
    from humanizer.examples.make import EXAMPLES, FOLDER

    humanizer = Humanizer(None, OutputSettings(timing=1.0, articulation=1.0,
                                               variation=values.DEFAULT_VARIATION))
    for name in EXAMPLES:
        target = Path(args.output) / name
        summary(humanizer.file(FOLDER / name, target), target)
    return 0
