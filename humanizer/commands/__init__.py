"""The `humanizer` subcommands: one module each, with `add_arguments(parser)` and
`run(args)`. Commands are thin: they parse, call the library, and print.

Nothing here is imported until its command runs (see humanizer.cli), so the runtime
commands never load TensorFlow.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from humanizer.errors import HumanizerError


def checked(check: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse `type=` from a check in humanizer.values: its message becomes argparse's
    one-line usage error."""

    def parse(text: str) -> object:
        try:
            return check(text)
        except HumanizerError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = getattr(check, "__name__", "value")
    return parse
