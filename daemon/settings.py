"""The daemon's live settings and the rules for changing them (`humanizer ctl set`).

Every value is checked by humanizer.values, as the same option is on the command line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from humanizer import values
from humanizer.errors import HumanizerError
from humanizer.meter import Signatures, signatures_text
from humanizer.output import OutputSettings


@dataclass(frozen=True)
class Settings:
    """strength 0 = the input velocities, 1 = the model's; variation 0 = the same every
    time, 1 = each take varies as a player does, drawn for `seed`; timing 0 = notes on the input's
    time, 1 = moved by the whole offset the model predicts; feel moves the timing-humanized
    parts on purpose; articulation 0 = lengths as written, 1 = the whole length ratio the
    model predicts; the output velocity range; bypass passes velocities through (the
    delay stays, so the DAW's compensation holds). The transport (humanizer.daemon.
    transport): the time signatures of the bars MIDI clock counts, the tempo of a grid
    from the first note where there is no clock (0: no grid, the meter is unknown),
    and whether clock, Start, Stop and SPP pass on to the output. Skipped channels pass
    untouched (their notes are not the model's); a channel may have a strength of its own."""

    latency: float = values.DEFAULT_LATENCY
    strength: float = values.DEFAULT_STRENGTH
    variation: float = values.DEFAULT_VARIATION
    seed: int = values.DEFAULT_SEED
    timing: float = values.DEFAULT_TIMING
    feel: float = 0.0
    articulation: float = values.DEFAULT_ARTICULATION
    bypass: bool = False
    velocity_min: int = values.VELOCITY_RANGE[0]
    velocity_max: int = values.VELOCITY_RANGE[1]
    meter: Signatures = values.DEFAULT_METER
    bpm: float = 0.0
    clock_thru: bool = True
    skip_channels: frozenset[int] = frozenset()  # 0-15: pass exactly as they came
    channel_strength: tuple[tuple[int, float], ...] = ()  # (0-15, strength) of their own

    def changed(self, key: str, value: object) -> Settings:
        """A copy with one setting changed; a bad key or value is a HumanizerError."""
        checks = values.SETTINGS
        if key not in checks:
            raise HumanizerError(f"unknown setting '{key}' (settings: {', '.join(checks)})")
        if key in ("latency", "feel") and not isinstance(value, str):
            raise HumanizerError(f"{key} needs a unit, e.g. \"250ms\" or \"0.5s\"")
        new = Settings(**{**asdict(self), key: checks[key](value)})
        values.velocity_range(new.velocity_min, new.velocity_max)
        return new

    def output(self) -> OutputSettings:
        """How predictions are played (the one output step's settings)."""
        return OutputSettings(strength=self.strength, variation=self.variation,
                              timing=self.timing, feel=self.feel,
                              articulation=self.articulation,
                              velocity_min=self.velocity_min, velocity_max=self.velocity_max,
                              channel_strengths=self.channel_strength)

    def with_channel_strength(self, channel: int, value: object) -> Settings:
        """A copy where one channel (0-15) has its own strength - or, given none or off,
        plays at the strength of the rest again."""
        own = dict(self.channel_strength)
        if isinstance(value, str) and value.strip().lower() in ("none", "off"):
            own.pop(channel, None)
        else:
            own[channel] = values.amount("strength", value)
        return Settings(**{**asdict(self), "channel_strength": tuple(sorted(own.items()))})

    def as_dict(self) -> dict:
        result = asdict(self)
        result["latency_ms"] = round(result.pop("latency") * 1000, 3)
        result["feel_ms"] = round(result.pop("feel") * 1000, 3)
        result["meter"] = signatures_text(self.meter)
        result["skip_channels"] = sorted(channel + 1 for channel in self.skip_channels)
        result["channel_strength"] = {str(channel + 1): strength
                                      for channel, strength in self.channel_strength}
        return result
