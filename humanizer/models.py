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
DEFAULT_STYLE = "piano"
DRUM_CHANNEL = 9  # MIDI channel 10 counted from 0: General MIDI drums


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


def default_channel_styles(style_chosen: bool) -> dict[int, str]:
    """Channel (0-15) -> style when the user chose none: drums on channel 10, if a drums
    style is installed; every other channel plays DEFAULT_STYLE. Offline and live alike."""
    if not style_chosen and "drums" in styles():
        return {DRUM_CHANNEL: "drums"}
    return {}


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
