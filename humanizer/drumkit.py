"""The General MIDI drum kit as the drums style knows it: the pieces of the Groove MIDI
Dataset's kit (a Roland TD-11 mapped to General MIDI notes), grouped in its classes.

A drum note the kit never played (congas, cowbell, tambourine...) has no dynamics the
style could have learned: it keeps the user's velocity rather than get a guess. A few GM
notes that are the same piece under another number are heard as that piece.
"""

from __future__ import annotations

CLASSES: dict[str, tuple[int, ...]] = {
    "kick": (36,),
    "snare": (38, 37, 40),
    "closed hat": (42, 22, 44),
    "open hat": (46, 26),
    "low tom": (43, 58),
    "mid tom": (47, 45),
    "high tom": (50, 48),
    "crash": (49, 55, 57, 52),
    "ride": (51, 59, 53),
}
SAME_PIECE = {35: 36, 39: 38, 41: 43}  # acoustic kick, hand clap, low floor tom
_CLASS_OF = {note: name for name, notes in CLASSES.items() for note in notes}


def heard_as(pitch: int) -> int | None:
    """The kit note the style hears for a GM drum note, or None for a piece it never
    played."""
    pitch = SAME_PIECE.get(pitch, pitch)
    return pitch if pitch in _CLASS_OF else None


def known(pitch: int) -> bool:
    return heard_as(pitch) is not None


def class_of(pitch: int) -> str:
    """The kit class of a GM drum note ('other' for pieces the kit never played)."""
    played = heard_as(pitch)
    return "other" if played is None else _CLASS_OF[played]
