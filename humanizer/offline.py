"""The Humanizer: a style per part, by its role in the band, applied to MIDI files.

A part is the notes of one track on one channel: a melody at 100 and a pad at 30 keep
their own levels, as the user balanced them; a bass line gets the bass style, a strum the
comping style (humanizer.roles, models.ROLE_STYLES). The parts a style plays are heard
together (the model hears the whole texture, as a pianist does), each shaped around its
own level by the one output step (humanizer.output), with whole-file context by default,
or with a latency exactly as the live daemon predicts it (engine.heard_ahead).
Only note_on velocities (and, with timing, note times) change; every other byte of
meaning in the file stays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np

from humanizer import meter as meters
from humanizer import models, output
from humanizer.engine import Engine, heard_ahead, without_timing
from humanizer.errors import HumanizerError
from humanizer.meter import Meter
from humanizer.moves import with_timing
from humanizer.notes import (
    Note,
    NoteFile,
    instrument_of,
    notes_of,
    read,
    with_velocities,
    write_atomic,
)
from humanizer.perform import perform
from humanizer.roles import Role, role_of
from humanizer.variation import Takes


def humanize_part(engine: Engine, notes: Sequence[Note], settings: output.OutputSettings,
                  lookahead: float | None = None, owners: Sequence[int] | None = None,
                  meter: Meter | None = None, takes: Takes | None = None,
                  streams: Sequence[int] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Velocities, onset shifts (seconds) and length ratios played (log2; output.
    length_change moves each end by it) for notes one style plays, in their order:
    heard together, each part (`owners`, default all one) around its own level, where
    they fall in the bar (`meter`, default unknown), each part varied by its stream of
    `takes` (with the settings' variation; `streams`: each note's stream, default its
    part). Notes the style has no input for (off the 88
    keys, or drums its kit never played) keep their velocity and place."""
    velocities = np.array([note.velocity for note in notes], dtype=np.int64)
    shifts, stretches = np.zeros(len(notes)), np.zeros(len(notes))
    heard = [engine.hears(note) for note in notes]
    shaped = np.array([note is not None for note in heard], dtype=bool)
    if shaped.any():
        playable = [note for note in heard if note is not None]
        kept = np.zeros(len(playable), dtype=np.int64) if owners is None \
            else np.asarray(owners)[shaped]
        prediction = engine.predict(playable, lookahead, kept,
                                    None if meter is None else meter[shaped])
        performed = perform(prediction, velocities[shaped],
                            np.array([note.start for note in playable]), kept, settings,
                            takes, engine.contract.timing,
                            None if streams is None else np.asarray(streams)[shaped],
                            engine.contract.variation_own_share, engine.contract.lengths)
        if performed.rejected:
            raise HumanizerError(f"style '{engine.contract.name}' predicted invalid numbers "
                                 f"for {performed.rejected} notes: the model is broken")
        velocities[shaped], shifts[shaped] = performed.velocities, performed.shifts
        stretches[shaped] = performed.stretches
    return velocities, shifts, stretches


@dataclass
class Part:
    """One track's notes on one channel (a kit: every track's notes on channel 10, one
    part as live), its role in the band and the style that plays it (None: left as drawn)."""

    track: int
    channel: int
    style: str | None
    indices: list[int] = field(default_factory=list)  # into the file's notes
    role: Role | None = None  # what it plays in the band (humanizer.roles)


@dataclass
class HumanizedFile:
    """A humanized file: the notes as read, their new velocities, shifts and length
    changes (seconds each end moved, beyond its shift), its parts."""

    before: NoteFile
    velocities: list[int]
    shifts: list[float]
    parts: list[Part]
    length_changes: list[float] = field(default_factory=list)


# (track, channel) -> the track's General MIDI program for the channel and its name
Instruments = Mapping[tuple[int, int], tuple[int | None, str]]


class Humanizer:
    """Styles per part, loaded once, applied to one file at a time.

    Each part gets the style of its role in the band (models.ROLE_STYLES; roles read from
    the part by humanizer.roles, or set per channel in `channel_roles`, 0-15 -> role),
    unless the user chose one: `channel_styles` (0-15 -> style) for a channel, `style`
    for every other channel. A kit heard on a channel other than 10 is left as drawn
    unless `kits_anywhere` (the user asked for it) gives it the drums style. Channels in
    `skip` pass through untouched. With `meter`, styles that hear the meter get it from
    each file's tempo map and time signatures; without, they play as the daemon does
    without MIDI clock. With the settings' variation, each file is a take drawn for
    `seed` (the same seed, the same take).
    """

    def __init__(self, style: str | None, settings: output.OutputSettings,
                 latency: float | None = None, channel_styles: Mapping[int, str] | None = None,
                 skip: Sequence[int] = (), meter: bool = True, seed: int = 0,
                 channel_roles: Mapping[int, str] | None = None, kits_anywhere: bool = False,
                 threads: int = 2):
        self.settings = settings
        self.meter = meter
        self.seed = seed
        self.lookahead = None if latency is None else heard_ahead(latency, settings.timing > 0)
        self.chosen = style
        self.channel_roles = dict(channel_roles or {})
        self.styles = {**models.default_channel_styles(style is not None, self.channel_roles),
                       **(channel_styles or {})}
        self.kits_anywhere = kits_anywhere
        self.skip = set(skip)
        # each role's style, fixed now: a style installed while this runs changes nothing
        self.role_styles = {role: models.role_style(role) for role in models.ROLE_STYLES}
        wanted = {*self.styles.values(), style or models.DEFAULT_STYLE}
        if style is None:
            wanted |= set(self.role_styles.values())
        self.engines = {name: models.load(name, threads=threads) for name in wanted}
        refusal = without_timing(self.engines.values(), "--timing", "see humanizer models")
        if settings.timing and refusal:
            raise HumanizerError(refusal)
        refusal = without_timing(self.engines.values(), "--articulation",
                                 "see humanizer models", lengths=True)
        if settings.articulation and refusal:
            raise HumanizerError(refusal)
        self.reach = output.length_reach(latency)

    def style_of(self, channel: int, role: Role | None = None) -> str | None:
        """The style that plays a part on `channel` with `role`: the user's choice for the
        channel or for every channel, else the role's (None: a kit off channel 10, left as
        drawn unless kits_anywhere)."""
        if channel in self.styles:
            return self.styles[channel]
        if self.chosen is not None or role is None:
            return self.chosen or models.DEFAULT_STYLE
        if role.name == "drums" and channel != models.DRUM_CHANNEL and not self.kits_anywhere:
            return None
        return self.role_styles[role.name]

    def role_of(self, notes: Sequence[Note], channel: int, program: int | None,
                name: str) -> Role:
        """A part's role: the user's for its channel, else what its notes and track say."""
        if channel in self.channel_roles:
            return Role(self.channel_roles[channel], "set by you")
        return role_of(notes, channel, program, name)

    def parts(self, notes: Sequence[Note], instruments: Instruments | None = None
              ) -> list[Part]:
        """The file's parts with their roles and styles, in order of their first note;
        skipped channels are none. Channel 10 is one part over all its tracks (a kit split
        into a kick track and a snare track is still one drummer), as live."""
        found: dict[tuple[int, int], Part] = {}
        for i, note in enumerate(notes):
            if note.channel in self.skip:
                continue
            key = (-1 if note.channel == models.DRUM_CHANNEL else note.track), note.channel
            if key not in found:
                found[key] = Part(note.track, note.channel, None)
            found[key].indices.append(i)
        for part in found.values():
            program, name = (instruments or {}).get((part.track, part.channel), (None, ""))
            part.role = self.role_of([notes[i] for i in part.indices], part.channel,
                                     program, name)
            part.style = self.style_of(part.channel, part.role)
        return list(found.values())

    def changes(self, notes: Sequence[Note], meter: Meter | None = None,
                takes: Takes | None = None, instruments: Instruments | None = None
                ) -> tuple[list[int], list[float], list[Part], list[float]]:
        """New velocities, onset shifts and length changes (seconds) for every note, and
        the parts (`meter`: each note's place in the bar, or unknown). A style hears all
        the parts it plays together (a pianist's two hands, a band's keys), as the daemon
        hears its channels; each part keeps its own level and centre."""
        velocities = [note.velocity for note in notes]
        shifts, stretches = [0.0] * len(notes), [0.0] * len(notes)
        parts = self.parts(notes, instruments)
        takes = Takes(self.seed) if takes is None else takes
        for style in sorted({part.style for part in parts if part.style is not None}):
            indices, owners, streams = [], [], []
            for number, part in enumerate(parts):
                if part.style == style:
                    indices += part.indices
                    owners += [number] * len(part.indices)
                    streams += [part.channel] * len(part.indices)  # as live: by channel
            new, moved, stretched = humanize_part(
                self.engines[style], [notes[i] for i in indices], self.settings,
                self.lookahead, owners, None if meter is None else meter[np.array(indices)],
                takes, streams)
            for i, velocity, shift, stretch in zip(indices, new.tolist(), moved.tolist(),
                                                   stretched.tolist()):
                velocities[i], shifts[i], stretches[i] = velocity, shift, stretch
        return velocities, shifts, parts, length_changes(notes, stretches, self.reach)

    def file(self, source: Path, target: Path) -> HumanizedFile:
        """Humanize one file into target (written atomically: no partial file)."""
        note_file = read(source)
        meter = meters.of_file(note_file.midi, note_file.notes) if self.meter else None
        instruments = {key: instrument_of(note_file.midi, *key)
                       for key in {(note.track, note.channel) for note in note_file.notes}}
        velocities, shifts, parts, lengths = self.changes(note_file.notes, meter, None,
                                                          instruments)
        midi = with_velocities(note_file, velocities)
        if any(shifts) or any(lengths):
            midi = with_timing(midi, note_file, shifts, lengths)
            shifts, lengths = written_shifts(note_file.notes, midi)
        try:
            write_atomic(midi, target)
        except OSError as error:  # an output folder that is a file, read-only, full disk
            where = f": {error.filename}" if error.filename else ""
            raise HumanizerError(f"{target}: cannot write ({error.strerror or error}{where})"
                                 ) from None
        return HumanizedFile(note_file, velocities, shifts, parts, lengths)


def length_changes(notes: Sequence[Note], stretches: Sequence[float], reach: float
                   ) -> list[float]:
    """Seconds each note's end moves for its length ratio played (output.length_change):
    never past the written start of the next note on its key (its track, channel and
    pitch), as the daemon holds a note-off back from the next note-on of its key."""
    changes = [0.0] * len(notes)
    following: dict[tuple[int, int, int], float] = {}
    for i in sorted(range(len(notes)), key=lambda i: (-notes[i].start, -notes[i].index)):
        note = notes[i]
        key = (note.track, note.channel, note.pitch)
        if stretches[i]:
            changes[i] = output.length_change(note.start, note.end, following.get(key),
                                              stretches[i], reach)
        following[key] = note.start
    return changes


def written_shifts(before: Sequence[Note], midi: mido.MidiFile
                   ) -> tuple[list[float], list[float]]:
    """How far each note really moved in `midi`, and its end beyond that: its shift and
    length change rounded to the file's ticks, and held back where the notes around it on
    its key stop it (moves.with_timing). Notes keep their order on a key, so the k-th note
    of a key before is the k-th after."""
    def by_key(notes: Sequence[Note]) -> dict[tuple[int, int, int], list[int]]:
        keys: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        for i in sorted(range(len(notes)), key=lambda i: (notes[i].start, notes[i].index)):
            keys[notes[i].track, notes[i].channel, notes[i].pitch].append(i)
        return keys

    after = notes_of(midi)[0]
    moved = by_key(after)
    shifts, lengths = [0.0] * len(before), [0.0] * len(before)
    for key, indices in by_key(before).items():
        for i, j in zip(indices, moved.get(key, [])):
            shifts[i] = after[j].start - before[i].start
            lengths[i] = (after[j].end - after[j].start) - (before[i].end - before[i].start)
    return shifts, lengths


def by_part(result: HumanizedFile) -> dict[tuple[int, int], list[int]]:
    """(track, channel) -> indices of the result's notes, skipped channels included."""
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, note in enumerate(result.before.notes):
        found[note.track, note.channel].append(i)
    return dict(found)
