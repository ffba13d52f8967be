"""`humanizer quality`: regenerate docs/quality.md from the installed styles.

Each row is `humanizer eval` on a test split at one lookahead (humanizer.training.quality
builds the table).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from humanizer import values
from humanizer.commands import checked
from humanizer.commands.evaluate import lookahead
from humanizer.errors import HumanizerError

LOOKAHEADS = "0ms,125ms,250ms,500ms,1000ms,full"


def lookaheads(text: str) -> list[float | None]:
    """A comma-separated list of lookaheads (durations or `full`)."""
    return [lookahead(part) for part in text.split(",")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("../shared/data"),
                        help="the folder holding asap/, groove/ and pop909/ "
                             "(default ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("docs/quality.md"),
                        help="the page to write (default docs/quality.md)")
    parser.add_argument("--lookaheads", type=checked(lookaheads), default=LOOKAHEADS,
                        help=f"the lookaheads of each row, comma-separated (default {LOOKAHEADS})")
    parser.add_argument("--files", type=checked(lambda t: values.integer("--files", t, 1, 10**6)),
                        metavar="N", help="at most N test files per data set, evenly spread "
                                          "(a lookahead sweep is slow: one model run per onset)")
    parser.add_argument("--workers", type=checked(values.workers),
                        metavar="N", help="evaluate N files at once, each in its own process "
                                          "(default: one per core)")
    parser.add_argument("--arrangements-only", action="store_true",
                        help="only the sections of arrangements, part by part (generated "
                             "bands; and POP909's test songs, where --data has them): replace "
                             "them in the page, leave the rest")
    parser.add_argument("--feel-only", action="store_true",
                        help="only the feel section (timing and note lengths per role beside "
                             "the players): replace it in the page, leave the rest")


def run(args: argparse.Namespace) -> int:
    from humanizer.training.quality import document

    if not args.data.is_dir() and not args.arrangements_only:  # (generated files only)
        raise HumanizerError(f"{args.data}: no such data folder")
    if args.arrangements_only:
        from humanizer.training.feel_quality import replace_section
        from humanizer.training.quality import arrangement_section

        if not args.out.is_file():
            raise HumanizerError(f"{args.out}: no page to put the arrangements in")
        page = replace_section(args.out.read_text(), arrangement_section())
        if (args.data / "pop909").is_dir():
            from humanizer.training.held_out import section as held_out

            page = replace_section(page, held_out(args.data, args.files))
    elif args.feel_only:
        from humanizer.training.feel_quality import replace_section, section

        if not args.out.is_file():
            raise HumanizerError(f"{args.out}: no page to put the feel section in")
        page = replace_section(args.out.read_text(), section(args.data, args.files))
    else:
        page = document(args.data, args.lookaheads, args.files, args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page)
    print(f"wrote {args.out}")
    return 0
