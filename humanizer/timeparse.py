"""Durations as musicians type them: `500ms`, `0.5s`, `250 ms`."""

from __future__ import annotations

import re

from humanizer.errors import HumanizerError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)\s*$", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds from a duration with its unit; a bare number is refused (ms or s?)."""
    match = _DURATION.match(str(text))
    if not match:
        raise HumanizerError(f"invalid duration '{text}': give a non-negative number "
                             "with a unit, e.g. 500ms or 0.5s")
    value = float(match.group(1))
    return value / 1000.0 if match.group(2).lower() == "ms" else value
