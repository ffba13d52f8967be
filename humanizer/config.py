"""The daemon's settings file: the same settings as `serve`'s flags and `ctl set`, in TOML.

    # ~/.config/humanizer/config.toml  (or --config FILE, or $HUMANIZER_CONFIG)
    latency = "250ms"
    strength = 0.8
    timing = 1
    feel = "-5ms"
    articulation = 0.5
    velocity_min = 10
    velocity_max = 120
    style = "pop"
    skip_channels = [4]
    kits_anywhere = true   # a drum kit heard on a channel other than 10 plays drums
    [channels]             # a style for a channel
    10 = "drums"
    [roles]                # a part's role in the band for a channel (its role's style plays it)
    2 = "bass"
    [channel_strength]     # a channel humanized more or less than the rest
    2 = 0.5

A flag given to `serve` wins over the file, the file over the defaults; `ctl status` says
where each setting came from. `humanize` reads the same file for what plays offline
(strength and each channel's, variation, seed, timing, feel, articulation, the velocity
range, the styles and roles, the skipped channels); the latency and the transport are the
daemon's. Every value is checked by humanizer.values, with the same message as on the command line.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from humanizer import values
from humanizer.errors import HumanizerError

CHECKS = values.SETTINGS
OTHER_KEYS = ("style", "channels", "roles", "kits_anywhere")


def default_path() -> Path:
    """$HUMANIZER_CONFIG, else config.toml in the user's config folder."""
    if os.environ.get("HUMANIZER_CONFIG"):
        return Path(os.environ["HUMANIZER_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "humanizer" / "config.toml"


def load(path: Path | None) -> tuple[dict, Path | None]:
    """The checked settings of a config file, and the file they came from. Without a path,
    the default file if there is one (else nothing); a path given must exist."""
    given = path is not None
    path = path or default_path()
    if not path.is_file():
        if given:
            raise HumanizerError(f"{path}: no such config file")
        return {}, None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise HumanizerError(f"{path}: not a valid TOML file ({error})") from None
    except RecursionError:
        raise HumanizerError(f"{path}: not a settings file (nested too deeply)") from None
    unknown = set(raw) - set(CHECKS) - set(OTHER_KEYS)
    if unknown:
        known = ", ".join([*CHECKS, *OTHER_KEYS])
        raise HumanizerError(f"{path}: unknown setting {', '.join(sorted(unknown))} "
                             f"(settings: {known})")
    try:
        checked = {key: check(raw[key]) for key, check in CHECKS.items() if key in raw}
        if "style" in raw:
            if not isinstance(raw["style"], str) or not raw["style"]:
                raise HumanizerError("style must be a style name")
            checked["style"] = raw["style"]
        if "channels" in raw:
            if not isinstance(raw["channels"], dict):
                raise HumanizerError("[channels] maps a channel to a style: 10 = \"drums\"")
            checked["channels"] = {values.channel(str(ch)): str(style)
                                   for ch, style in raw["channels"].items()}
        if "roles" in raw:
            if not isinstance(raw["roles"], dict):
                raise HumanizerError("[roles] maps a channel to a role: 2 = \"bass\"")
            checked["roles"] = dict(values.channel_role(f"{ch}={role}")
                                    for ch, role in raw["roles"].items())
        if "kits_anywhere" in raw:
            if not isinstance(raw["kits_anywhere"], bool):
                raise HumanizerError("kits_anywhere is true or false")
            checked["kits_anywhere"] = raw["kits_anywhere"]
    except HumanizerError as error:
        raise HumanizerError(f"{path}: {error}") from None
    return checked, path


def effective(flags: Mapping[str, object], configured: Mapping[str, object],
              defaults: Mapping[str, object], keys: Iterable[str]
              ) -> tuple[dict, dict[str, str]]:
    """Each setting from its flag (None: not given), else the config file, else the
    default - and where it came from (flag, config or default)."""
    chosen, sources = {}, {}
    for key in keys:
        if flags.get(key) is not None:
            chosen[key], sources[key] = flags[key], "flag"
        elif key in configured:
            chosen[key], sources[key] = configured[key], "config"
        else:
            chosen[key], sources[key] = defaults[key], "default"
    return chosen, sources


def channel_strengths(flags: list[tuple[int, float]] | None,
                      configured: Mapping[str, object]) -> tuple[tuple[int, float], ...]:
    """Each channel's own strength: the config file's, and a flag's for a channel wins."""
    return values.channel_strengths([*configured.get("channel_strength", ()), *(flags or [])])
