"""Roles: what a part plays in a band - drums, bass, lead, comping, pad or keys.

A band's parts are not piano parts: a bass line, a strum on the beat, a held pad and a
melody each get their dynamics from a different kind of player (DESIGN section 9). A
part's role is read, most telling first, from
- its channel (10 is the General MIDI kit) and its track name ("Bass", "Lead Vox", ...);
- its General MIDI program (the instrument family), where the track sets one;
- what its notes do: a kit's short hits on the kit's keys, how often notes sound together,
  the register, and how long notes are held.
The program and the notes refine each other: an acoustic piano playing one low note at a
time is a bass, a guitar family part playing single notes a lead.

Each answer says why, so a summary can tell a musician what was heard and how to change it.
Pure functions of the notes: the same part gets the same role offline and live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from humanizer import drumkit
from humanizer.notes import Note

ROLES = ("drums", "bass", "lead", "comping", "pad", "keys")
FAMILIES = ("piano", "chromatic percussion", "organ", "guitar", "bass", "strings", "ensemble",
            "brass", "reed", "pipe", "synth lead", "synth pad", "synth effects", "ethnic",
            "percussive", "sound effects")  # the General MIDI program families, 8 each
DRUM_CHANNEL = 9  # MIDI channel 10
CHORD_SECONDS = 0.035  # onsets this close are one chord (as notefeatures hears chords)
# the kit's core pieces (kick, snare, hats, toms, crash, ride) and the percussion played
# with them (shaker, tambourine, congas...): most of any kit part's notes
KIT_CORE = {35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55,
            57, 59}
KIT_KEYS = KIT_CORE | set(drumkit.NEAREST_PIECE)
# the kit's pieces, as a drummer plays them together: a part on them is a kit, not a line
PIECES = ((35, 36), (37, 38, 39, 40), (42, 44, 46), (49, 51, 52, 55, 57, 59))
# words in a track name, checked in this order ("bass drum" is a kit's)
NAMES = (
    ("drums", ("drum", "kit", "perc", "beat", "snare", "kick", "hat", "cymbal", "tom")),
    ("bass", ("bass",)),
    ("pad", ("pad", "string", "choir", "atmos", "ambient", "swell")),
    ("lead", ("lead", "melody", "vocal", "vox", "solo", "sax", "trumpet", "flute", "horn",
              "bridge", "violin", "clarinet", "whistle", "voice")),
    ("comping", ("guitar", "gtr", "chord", "comp", "rhythm", "strum", "organ", "clav",
                 "accomp")),
    ("keys", ("piano", "keys", "rhodes", "wurli", "keyboard", "epiano")),
)


@dataclass(frozen=True)
class Role:
    """A part's role and why it was given (for the summary)."""

    name: str
    why: str


def program_role(program: int) -> str:
    """The role a General MIDI program (0-127) usually plays."""
    family = program // 8
    if family in (0, 1):  # pianos, chromatic percussion
        return "keys"
    if family in (2, 3):  # organs, guitars
        return "comping"
    if family == 4:  # basses
        return "bass"
    if family == 5:  # solo strings lead; tremolo, pizzicato, harp, timpani accompany
        return "lead" if program < 44 else "comping"
    if family in (6, 11, 12, 15):  # ensembles and choirs, synth pads, synth effects, effects
        return "pad"
    return "lead"  # brass, reeds, pipes, synth leads, ethnic, percussive


def name_role(name: str) -> str | None:
    """The role a track name says, or None."""
    lowered = name.lower()
    for role, words in NAMES:
        if any(word in lowered for word in words):
            return role
    return None


@dataclass(frozen=True)
class Playing:
    """What a part's notes do: how many there are, the share of its onsets in a chord,
    the median pitch, how long notes are held (median, seconds), how many sound at once
    on average over the part's span, the share of its notes that are short hits on the kit's
    keys, and how many of the kit's pieces (kick, snare, hats, cymbals) it plays."""

    notes: int
    chordal: float
    pitch: float
    held: float
    sounding: float
    kit_like: float
    pieces: int = 0

    @property
    def line(self) -> bool:
        """One note at a time: few onsets in chords, and about one note sounding."""
        return self.chordal < 0.2 and self.sounding < 1.3

    @property
    def kit(self) -> bool:
        """A drum kit: short hits on the kit's keys, two pieces or more, often together
        (a staccato bass line on the same keys plays one note at a time)."""
        return (self.notes >= 8 and self.kit_like >= 0.8 and self.pieces >= 2
                and self.chordal >= 0.15)

    @staticmethod
    def of(notes: Sequence[Note]) -> Playing:
        if not notes:
            return Playing(0, 0.0, 60.0, 0.0, 0.0, 0.0)
        starts = np.sort(np.array([note.start for note in notes]))
        lengths = np.array([note.end - note.start for note in notes])
        pitches = np.array([note.pitch for note in notes])
        gaps = np.diff(starts)
        together = np.concatenate([[False], gaps < CHORD_SECONDS]) \
            | np.concatenate([gaps < CHORD_SECONDS, [False]])
        span = max(float(starts[-1] + lengths.max() - starts[0]), 1e-9)
        kit = np.isin(pitches, list(KIT_KEYS)) & (lengths < 0.25)
        pieces = sum(np.isin(pitches, piece).mean() >= 0.05 for piece in PIECES)
        return Playing(len(notes), float(together.mean()), float(np.median(pitches)),
                       float(np.median(lengths)), float(lengths.sum() / span),
                       float(kit.mean()), int(pieces))


def heard_role(playing: Playing) -> str:
    """The role the notes alone suggest: a kit, else what refines an accompanying part."""
    return "drums" if playing.kit else refined("comping", playing)


def refined(role: str, playing: Playing) -> str:
    """A program's usual role, corrected by what the notes do: single low notes are a
    bass, single notes above it a lead, long held chords a pad, chords a comping part."""
    if role in ("keys", "comping"):
        if playing.line:
            return "bass" if playing.pitch < 48 else "lead"
        if playing.held >= 1.5 and playing.sounding >= 2.0:
            return "pad"
    if role == "lead" and playing.chordal >= 0.5:
        return "comping"
    return role


def role_of(notes: Sequence[Note], channel: int, program: int | None = None,
            name: str = "") -> Role:
    """The role of one part: its notes, its channel (0-15), the General MIDI program the
    track sets (None: none) and the track's name."""
    playing = Playing.of(notes)
    if channel == DRUM_CHANNEL:
        return Role("drums", "channel 10")
    named = name_role(name) if name else None
    if named is not None:
        return Role(named, f'track name "{name}"')
    if playing.kit:
        return Role("drums", f"a drum kit's notes on channel {channel + 1}")
    if program is not None:
        usual = program_role(program)
        role = refined(usual, playing)
        why = f"GM {program + 1}, {FAMILIES[program // 8]}" + (
            "" if role == usual else f", played as a {role} part")
        return Role(role, why)
    return Role(heard_role(playing), "its notes")
