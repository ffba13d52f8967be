"""The General MIDI drum kit as the drums style hears it.

The Groove MIDI Dataset was recorded on a Roland TD-11, whose note numbers name
articulations, not only pieces: 49 is the crash's bow, 55 its edge; 46 the open hat's
bow, 26 its edge. Drummers play those very differently (in the training data the crash
bow sits 27 steps below the part's level, the edge 19 above), while a DAW user's 49 means
"the crash" and is drawn to be heard. A style trained on the recorded `notes` (the
shipped drums) hears the TD-11 numbers, and a user's General MIDI note is given to it as
the stroke it means (SAME_PIECE). A style trained on `classes` hears every drum note as
its piece - the data set's nine classes (its paper's mapping) - and learns the dynamics
of the piece, but not those of the stroke (measured: docs/experiments.md, section 7).

A drum note of a piece the kit never had (congas, cowbell, tambourine...) has no dynamics
a style could have learned: it keeps the user's velocity rather than get a guess.
"""

from __future__ import annotations

DRUM_MAPS = ("notes", "classes")
# each class: the note a `classes` style hears it as, then every note that is that piece
# (the TD-11's articulations and General MIDI's names alike)
CLASSES: dict[str, tuple[int, ...]] = {
    "kick": (36, 35),
    "snare": (38, 37, 40, 39),
    "closed hat": (42, 22, 44),
    "open hat": (46, 26),
    "low tom": (43, 58, 41),
    "mid tom": (47, 45),
    "high tom": (50, 48),
    "crash": (49, 55, 57, 52),
    "ride": (51, 59, 53),
}
KIT_NOTES = {36, 38, 37, 40, 42, 22, 44, 46, 26, 43, 58, 47, 45, 50, 48, 49, 55, 57, 52, 51, 59,
             53}  # what the TD-11 recorded
# A DAW user's General MIDI note as the TD-11 note that plays it the way it is meant: the
# acoustic kick, hand clap and low floor tom as the kit's kick, snare and floor tom; the
# crash and the open hi-hat - drawn to be heard - as the edge strokes the kit records for
# them (49 and 46 on the TD-11 are the bow, played 27 and 26 steps below the part).
SAME_PIECE = {35: 36, 39: 38, 41: 43, 49: 55, 46: 26}
_CLASS_OF = {note: name for name, notes in CLASSES.items() for note in notes}


def heard_as(pitch: int, drum_map: str = "classes") -> int | None:
    """The note a style with this drum map hears for a GM drum note, or None for a piece
    the kit never played."""
    if drum_map == "classes":
        name = _CLASS_OF.get(pitch)
        return None if name is None else CLASSES[name][0]
    pitch = SAME_PIECE.get(pitch, pitch)
    return pitch if pitch in KIT_NOTES else None


def class_of(pitch: int) -> str:
    """The kit class of a GM drum note ('other' for pieces the kit never played)."""
    return _CLASS_OF.get(pitch, "other")
