"""Every value a musician types, parsed and checked in one place, with one default each.

argparse (`type=`), the daemon's `Settings` and `ctl set` all call these, so the same typo
gets the same one-line message wherever it is made. Each function takes what a user gave -
text from a command line, or a JSON value from a control request - and returns the value or
raises HumanizerError naming it.
"""

from __future__ import annotations

import math
import re

from humanizer.errors import HumanizerError

DEFAULT_LATENCY = 0.5  # seconds: the lookahead of `serve` and `humanize --latency`
MAX_LATENCY = 5.0  # seconds; more is surely a typo, and costs memory offline
DEFAULT_STRENGTH = 1.0
DEFAULT_TIMING = 0.0
DEFAULT_ARTICULATION = 0.0
# each take its own dynamics, drawn for the seed (0 by default: the same file every time):
# the deterministic mean has a third to three quarters of the players' spread and sounds
# copied bar to bar (DESIGN section 9: a classifier told it from the pianists 89 % of the
# time, a take at variation 1 60 %); issue 34 asks each role for 0.8-1.2 of its players'
DEFAULT_VARIATION = 1.0
DEFAULT_SEED = 0
MAX_SEED = 2**31 - 1
VELOCITY_RANGE = (1, 127)
DEFAULT_METER = ((1, 4, 4),)  # 4/4 from bar 1
METER_UNITS = (1, 2, 4, 8, 16, 32)
BPM_RANGE = (20.0, 400.0)
DEFAULT_TIMEOUT = 2.0  # seconds `ctl` waits for the daemon

# ASCII digits only: `re`'s \d would take full-width digits a musician never meant.
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(ms|s)\s*$", re.IGNORECASE)


def duration(text: object, name: str = "duration") -> float:
    """Seconds from a duration with its unit (`500ms`, `0.5s`, `250 ms`); a bare number is
    refused - ms or s?"""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise HumanizerError(f"invalid {name} '{text}': give a non-negative number with a "
                             "unit, e.g. 500ms or 0.5s")
    value = float(match.group(1))
    return value / 1000.0 if match.group(2).lower() == "ms" else value


def latency(text: object) -> float:
    """A lookahead latency in seconds, 0 to MAX_LATENCY."""
    seconds = duration(text, "latency")
    if not seconds <= MAX_LATENCY:
        raise HumanizerError(f"latency must be between 0ms and {MAX_LATENCY:g}s, not {text}")
    return seconds


def number(name: str, value: object, low: float, high: float) -> float:
    """A finite number within [low, high]; text is read as a number first."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise HumanizerError(f"{name} must be a number, not '{value}'") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HumanizerError(f"{name} must be a number, not {value!r}")
    if isinstance(value, int) and abs(value) > 10**9:
        raise HumanizerError(f"{name} must be between {low:g} and {high:g}")
    if not math.isfinite(value) or not low <= value <= high:
        raise HumanizerError(f"{name} must be between {low:g} and {high:g}, not {value:g}")
    return float(value)


def workers(value: object) -> int:
    """How many worker processes `--workers` asks for (1-1024)."""
    return integer("--workers", value, 1, 1024)


def integer(name: str, value: object, low: int, high: int) -> int:
    """A whole number within [low, high]; `64`, 64 and 64.0 are the same."""
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", text):
            raise HumanizerError(f"{name} must be a whole number, not '{value}'")
        value = int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise HumanizerError(f"{name} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise HumanizerError(f"{name} must be between {low} and {high}")
    return value


def amount(name: str, value: object) -> float:
    """An amount from 0 to 1 (strength, timing)."""
    return number(name, value, 0.0, 1.0)


def velocity(name: str, value: object) -> int:
    """A MIDI velocity for an output limit: 1 to 127."""
    return integer(name, value, *VELOCITY_RANGE)


def velocity_range(low: int, high: int) -> tuple[int, int]:
    """An output range whose bottom is not above its top."""
    if low > high:
        raise HumanizerError(f"velocity_min ({low}) must not be above velocity_max ({high})")
    return low, high


def channel(value: object) -> int:
    """A musician's channel number (1-16) as the wire's 0-15."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 16:
        raise HumanizerError(f"channel {value!r} does not exist: channels are 1 to 16")
    return value - 1


def channels(value: object) -> frozenset[int]:
    """Channels 1-16 as a set of 0-15: a list, or text such as `4,5` (none, off or an
    empty list: no channel)."""
    if isinstance(value, str):
        text = value.strip().lower()
        value = [] if text in ("", "none", "off") else text.replace(",", " ").split()
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        raise HumanizerError(f"give channels as a list such as 4,5, not {value!r}")
    return frozenset(channel(item) for item in value)


def switch(name: str, value: object) -> bool:
    """on/off, true/false, 1/0."""
    if isinstance(value, bool):
        return value
    words = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}
    if isinstance(value, str | int) and str(value).strip().lower() in words:
        return words[str(value).strip().lower()]
    raise HumanizerError(f"{name} must be on or off, not {value!r}")


def channel_pair(pair: str) -> tuple[int | None, str]:
    """`N=VALUE` as (channel 0-15, or None where N is no channel; the value stripped)."""
    number_, _, value = pair.partition("=")
    try:
        return channel(number_.strip()), value.strip()
    except HumanizerError:
        return None, value.strip()


def channel_style(pair: str) -> tuple[int, str]:
    """`N=STYLE` as (channel 0-15, style)."""
    index, style = channel_pair(pair)
    if index is None or not style:
        raise HumanizerError(f"'{pair}': write CHANNEL=STYLE with a channel "
                             "from 1 to 16, e.g. 10=drums")
    return index, style


def channel_role(pair: str) -> tuple[int, str]:
    """`N=ROLE` as (channel 0-15, role): a part's role in the band (humanizer.roles)."""
    from humanizer.roles import ROLES

    index, role = channel_pair(pair)
    role = role.lower()
    if index is None or role not in ROLES:
        raise HumanizerError(f"'{pair}': write CHANNEL=ROLE with a channel from 1 to 16 "
                             f"and a role of {', '.join(ROLES)}, e.g. 2=bass")
    return index, role


def channel_strength(pair: str) -> tuple[int, float]:
    """`N=AMOUNT` as (channel 0-15, strength 0..1): how much one channel is humanized."""
    index, amount_text = channel_pair(pair)
    if index is None or not amount_text:
        raise HumanizerError(f"'{pair}': write CHANNEL=STRENGTH with a channel from 1 to 16 "
                             "and a strength from 0 to 1, e.g. 2=0.5")
    return index, amount("strength", amount_text)


def channel_strengths(value: object) -> tuple[tuple[int, float], ...]:
    """Strengths per channel, sorted by channel: a mapping (the config's
    [channel_strength] table, `2 = 0.5`), pairs, or text such as `2=0.5,3=0.8` (none or
    off: no channel of its own)."""
    if isinstance(value, str):
        text = value.strip().lower()
        value = [] if text in ("", "none", "off") else text.replace(",", " ").split()
    if isinstance(value, dict):
        value = [f"{key}={amount_}" for key, amount_ in value.items()]
    if not isinstance(value, list | tuple):
        raise HumanizerError(f"give channel strengths as 2=0.5,3=0.8, not {value!r}")
    found = dict(pair if isinstance(pair, tuple) else channel_strength(str(pair))
                 for pair in value)
    return tuple(sorted(found.items()))


def feel(text: object) -> float:
    """A signed shift of a whole part in seconds (`8ms` behind, `-8ms` ahead), within the
    50 ms a note may move."""
    negative = isinstance(text, str) and text.strip().startswith("-")
    body = text.strip()[1:] if negative else text
    seconds = duration(body, "feel") * (-1 if negative else 1)
    if abs(seconds) > 0.05:
        raise HumanizerError(f"feel must be between -50ms and 50ms, not {text}")
    return seconds


def address(text: object, name: str = "address") -> str:
    """A ZeroMQ address: tcp://HOST:PORT (port 1-65535) or ipc://PATH."""
    if not isinstance(text, str) or not text.strip():
        raise HumanizerError(f"{name} must be an address such as tcp://127.0.0.1:5555")
    text = text.strip()
    if text.startswith("ipc://") and len(text) > len("ipc://"):
        return text
    if not text.startswith("tcp://"):
        raise HumanizerError(f"'{text}' is not an address: did you mean tcp://{text}?")
    match = re.fullmatch(r"tcp://(.+):([0-9]{1,5})", text)
    if not match or not 1 <= int(match.group(2)) <= 65535:
        raise HumanizerError(f"'{text}': give tcp://HOST:PORT with a port from 1 to 65535")
    return text


def meter(text: object) -> tuple[tuple[int, int, int], ...]:
    """The song's time signatures: one such as 4/4, 3/4, 6/8 or 7/8, or where it changes,
    each change with the bar it starts at - "4/4 3/4@17" plays bars 1-16 in 4/4, then 3/4
    (humanizer.meter.Signatures)."""
    example = "a time signature such as 4/4, 3/4 or 6/8 (where it changes: 4/4 3/4@17)"
    tidy = re.sub(r"\s*([/@])\s*", r"\1", text.strip()) if isinstance(text, str) else ""
    signatures: list[tuple[int, int, int]] = []
    for part in (part for part in re.split(r"[\s,]+", tidy) if part):
        match = re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})(?:@([0-9]{1,6}))?", part)
        if not match or not 1 <= int(match.group(1)) <= 32 \
                or int(match.group(2)) not in METER_UNITS:
            raise HumanizerError(f"meter must be {example}, not {text!r}")
        if match.group(3) is None and signatures:
            raise HumanizerError(f"meter {text!r}: give each change with the bar it starts "
                                 f"at, such as {part}@17")
        bar = int(match.group(3) or 1)
        if not signatures and bar != 1:
            raise HumanizerError(f"meter {text!r}: the first time signature starts at bar 1")
        if signatures and bar <= signatures[-1][0]:
            raise HumanizerError(f"meter {text!r}: each change comes after the one before "
                                 f"(bar {bar} after bar {signatures[-1][0]})")
        signatures.append((bar, int(match.group(1)), int(match.group(2))))
    if not signatures:
        raise HumanizerError(f"meter must be {example}, not {text!r}")
    return tuple(signatures)


def bpm(value: object) -> float:
    """A tempo in beats (quarter notes) per minute for the free-running grid, or off (0)."""
    if value == 0 or (isinstance(value, str) and value.strip().lower() in ("off", "none", "0")):
        return 0.0
    return number("bpm", value, *BPM_RANGE)


# the daemon's live settings - `serve` flags, `ctl set` keys, config file keys - and the
# check of each: one table for all three
SETTINGS = {
    "latency": latency, "feel": feel,
    "strength": lambda value: amount("strength", value),
    "timing": lambda value: amount("timing", value),
    "articulation": lambda value: amount("articulation", value),
    "variation": lambda value: amount("variation", value),
    "seed": lambda value: integer("seed", value, 0, MAX_SEED),
    "velocity_min": lambda value: velocity("velocity_min", value),
    "velocity_max": lambda value: velocity("velocity_max", value),
    "bypass": lambda value: switch("bypass", value),
    "meter": meter, "bpm": bpm, "skip_channels": channels,
    "channel_strength": channel_strengths,
    "clock_thru": lambda value: switch("clock_thru", value),
}


def devices(text: str) -> str:
    """`train --devices`: auto, cpu, or GPU numbers such as 1,0 (given back as "0,1");
    humanizer.training.devices chooses the strategy for it."""
    text = text.strip().lower()
    if text in ("auto", "cpu"):
        return text
    numbers = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in numbers):
        raise HumanizerError(f"--devices must be auto, cpu or GPU numbers such as 0,1, "
                             f"not {text!r}")
    return ",".join(str(n) for n in sorted({int(part) for part in numbers}))
