"""humanizer: give quantized, flat-velocity MIDI parts the dynamics of a human player."""

from pathlib import Path

__version__ = "0.1.0"

# Installed, `humanizer.export` and `humanizer.daemon` live inside this package (pyproject
# maps the repository's top-level export/ and daemon/ folders there). Run from a source
# checkout - `python -m humanizer.cli` in the repository, where the current folder comes
# first on sys.path - this folder is imported instead, so it lets Python find those two
# packages beside it, in the checkout.
_checkout = Path(__file__).resolve().parent.parent
if not (Path(__file__).parent / "daemon").is_dir() and (_checkout / "daemon").is_dir():
    __path__.append(str(_checkout))  # noqa: F821 - a package's own __path__
