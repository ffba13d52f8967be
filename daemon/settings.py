"""The daemon's live settings and the rules for changing them (`humanizer ctl set`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from humanizer.errors import HumanizerError
from humanizer.timeparse import parse_duration

MAX_LATENCY = 5.0  # seconds; more is surely a typo


def check_latency(seconds: float) -> float:
    if not 0.0 <= seconds <= MAX_LATENCY:
        raise HumanizerError(f"latency must be between 0ms and {MAX_LATENCY:g}s")
    return seconds


def _number(key: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HumanizerError(f"{key} must be a number")
    if not low <= value <= high:
        raise HumanizerError(f"{key} must be between {low:g} and {high:g}")
    return value


def _integer(key: str, value: object, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise HumanizerError(f"{key} must be a whole number")
    return int(_number(key, value, low, high))


@dataclass
class Settings:
    """strength 0 = the input velocities, 1 = the model's; timing 0 = notes on the input's
    time, 1 = moved by the whole offset the model predicts; the output velocity range;
    bypass passes velocities through (the delay stays, so the DAW's compensation holds);
    the seed is stored and reported so a session can be reproduced."""

    latency: float = 0.5
    strength: float = 1.0
    timing: float = 0.0  # 0..1 of the onset offsets a style with a timing head predicts
    bypass: bool = False
    velocity_min: int = 1
    velocity_max: int = 127
    seed: int = 0

    def changed(self, key: str, value: object) -> Settings:
        """A copy with one setting changed; a bad key or value is a HumanizerError."""
        values = asdict(self)
        if key == "latency":
            if not isinstance(value, str):
                raise HumanizerError("latency needs a unit, e.g. \"250ms\" or \"0.5s\"")
            values[key] = check_latency(parse_duration(value))
        elif key in ("strength", "timing"):
            values[key] = float(_number(key, value, 0.0, 1.0))
        elif key == "bypass":
            if not isinstance(value, bool):
                raise HumanizerError("bypass must be true or false")
            values[key] = value
        elif key in ("velocity_min", "velocity_max"):
            values[key] = _integer(key, value, 1, 127)
        elif key == "seed":
            values[key] = _integer(key, value, 0, 2**63 - 1)
        else:
            names = ", ".join(k for k in values)
            raise HumanizerError(f"unknown setting '{key}' (settings: {names})")
        new = Settings(**values)
        if new.velocity_min > new.velocity_max:
            raise HumanizerError("velocity_min must not be above velocity_max")
        return new

    def as_dict(self) -> dict:
        values = asdict(self)
        values["latency_ms"] = round(values.pop("latency") * 1000, 3)
        return values
