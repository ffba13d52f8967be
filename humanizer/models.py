"""Style models: the ones shipped in the package and the user's own.

A style is an ONNX file with a contract (humanizer.contract). Styles are looked up by name
in the user's model folder first (so a user can replace a shipped style), then in the
package; a path to an .onnx file works wherever a style name does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from humanizer.contract import Contract
from humanizer.errors import HumanizerError

PACKAGED = Path(__file__).parent / "styles"
# the style of a part whose role is not known (a live channel nobody set): pop piano,
# commercially usable; the classical `piano` style (non-commercial) is chosen by name only
DEFAULT_STYLE = "pop"
DRUM_CHANNEL = 9  # MIDI channel 10 counted from 0: General MIDI drums
# the style each band role (humanizer.roles) plays by default: all commercially usable
ROLE_STYLES = {"drums": "drums", "bass": "bass", "lead": "lead", "comping": "comping",
               "pad": "pad", "keys": "pop"}


def user_folder() -> Path:
    """Where `humanizer export` installs models: $HUMANIZER_MODELS, else the XDG data dir."""
    if os.environ.get("HUMANIZER_MODELS"):
        return Path(os.environ["HUMANIZER_MODELS"])
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "humanizer" / "models"


@dataclass
class Style:
    name: str
    path: Path
    packaged: bool


def styles() -> dict[str, Style]:
    """Every installed style by name; a user's style hides a packaged one of the same name."""
    found: dict[str, Style] = {}
    for folder, packaged in ((PACKAGED, True), (user_folder(), False)):
        if folder.is_dir():
            for path in sorted(folder.glob("*.onnx")):
                found[path.stem] = Style(path.stem, path, packaged)
    return found


def role_style(role: str) -> str:
    """The style a role plays by default: its own where it is installed, else the default
    (a user who removed a role's style still gets a commercially usable one)."""
    style = ROLE_STYLES[role]
    return style if style in styles() else DEFAULT_STYLE


def default_channel_styles(style_chosen: bool,
                           channel_roles: dict[int, str] | None = None) -> dict[int, str]:
    """Channel (0-15) -> style when the user chose no style for every channel: drums on
    channel 10, if a drums style is installed, and each channel whose role the user set
    (`channel_roles`, 0-15 -> role) that role's style; other channels play DEFAULT_STYLE
    live, and their role's style offline, where the role is heard from the part."""
    if style_chosen:
        return {}
    chosen = {DRUM_CHANNEL: "drums"} if "drums" in styles() else {}
    return {**chosen, **{channel: role_style(role)
                         for channel, role in (channel_roles or {}).items()}}


def non_commercial(contract: Contract) -> bool:
    """Whether a style's licence allows no commercial use of what it makes."""
    licence = contract.licence.lower()
    return "non-commercial" in licence or "-nc" in licence


def find(style: str) -> Path:
    """The model file for a style name or a path to an .onnx file."""
    if style.endswith(".onnx") or os.sep in style:
        path = Path(style)
        if not path.is_file():
            raise HumanizerError(f"{style}: no such model file")
        return path
    known = styles()
    if style not in known:
        names = ", ".join(sorted(known)) or "none installed"
        raise HumanizerError(f"unknown style '{style}' (available: {names})")
    return known[style].path


def load(style: str, threads: int = 1):
    """An Engine for a style name or model path (validated against the contract)."""
    from humanizer.engine import Engine

    return Engine(find(style), threads=threads)


def describe(style: str) -> Contract:
    """The contract (metadata) of a style, validated."""
    return load(style).contract
