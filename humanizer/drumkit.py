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

Percussion the kit never had (congas, cowbell, tambourine, shaker...) is heard as the
kit's nearest piece (NEAREST_PIECE): a shaker's or a tambourine's sixteenths are played
like a hi-hat's, a cowbell or a triangle like the ride's bell, congas, bongos, claves and
wood blocks like a side stick - a groove's voices at the snare's level, where the toms the
drummers played (in fills, 23-35 above the kit) would put a conga part on 127 - not
passed through flat (issue 34: a cabasa part of 1,056 notes came out untouched). Only a
note no piece is near (an effect) keeps the user's velocity.
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
# General MIDI percussion the kit never had -> the kit piece a player plays it like
NEAREST_PIECE = {
    54: 42, 69: 42, 70: 42, 73: 42, 74: 42, 82: 42, 83: 42,  # tambourine, cabasa, maracas,
    # guiro, shaker, jingle bell: steady subdivisions, like a closed hi-hat
    56: 53, 67: 53, 68: 53, 80: 53, 81: 53, 34: 53,  # cowbell, agogo, triangle, metronome
    # bell: like the ride's bell
    60: 37, 61: 37, 62: 37, 63: 37, 64: 37, 65: 37, 66: 37, 78: 37, 79: 37,  # bongos,
    # congas, timbales, cuica - a groove's hand drums, not a fill's toms - like the side
    # stick, as are claves, wood blocks and sticks
    75: 37, 76: 37, 77: 37, 31: 37, 33: 37,
}
_CLASS_OF = {note: name for name, notes in CLASSES.items() for note in notes}


def heard_as(pitch: int, drum_map: str = "classes") -> int | None:
    """The note a style with this drum map hears for a GM drum note, or None for a piece
    the kit never played."""
    pitch = NEAREST_PIECE.get(pitch, pitch)
    if drum_map == "classes":
        name = _CLASS_OF.get(pitch)
        return None if name is None else CLASSES[name][0]
    pitch = SAME_PIECE.get(pitch, pitch)
    return pitch if pitch in KIT_NOTES else None


def class_of(pitch: int) -> str:
    """The kit class of a GM drum note: its own piece's, or for percussion the kit never
    had, the piece it is played like ('other' for an effect no piece is near)."""
    return _CLASS_OF.get(NEAREST_PIECE.get(pitch, pitch), "other")
