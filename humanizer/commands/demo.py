"""`humanizer demo`: humanize the bundled example parts with the default styles and
settings (each part its role's style, a take at variation 1) and show the change -
dynamics everywhere, and the feel of the parts whose styles have it: timing (drums, bass,
lead, comping, pop) and note lengths (lead, comping, pop). With the plot extra it also
draws the band as a page to open in a browser, and with FluidSynth renders it before and
after to listen to."""

from __future__ import annotations

import argparse
from pathlib import Path

from humanizer import values
from humanizer.errors import HumanizerError
from humanizer.offline import HumanizedFile, Humanizer
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
        result = humanizer.file(FOLDER / name, target)
        summary(result, target)
        if name == "band.mid":
            draw(result, target.with_suffix(".html"))
            listen(result, target)
    return 0


def draw(result: HumanizedFile, page: Path) -> None:
    """The band as a page, where the plot extra is there to draw it."""
    from humanizer import plot

    try:
        plot.check_extra(page)
    except HumanizerError:
        print("(pip install 'midi-humanizer[plot]', or '.[plot]' in a clone, and the demo also "
              "draws the band as a page)")
        return
    plot.humanized(result, page, "band.mid, humanized")
    print(f"drew {page}: open it in a browser to see every part before and after")


def listen(result: HumanizedFile, written: Path) -> None:
    """The band before and after as sound, where FluidSynth and a soundfont are there."""
    from humanizer import audio

    try:
        synth = audio.find()
    except HumanizerError:
        print(f"({audio.INSTALL} and the demo also renders the band before and after as WAV)")
        return
    sound = written.with_suffix(".wav")
    print(audio.report(sound, audio.hear(result, written, sound, synth)))
