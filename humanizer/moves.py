"""Moving notes in a MIDI file: each note's onset shifted and its end moved, every other
event where it was.

The output step (humanizer.output) says how far each note should move and how much longer
or shorter it should be; this module writes that into the file's own tracks, in ticks of
its tempo map, under the rules that keep a part playable: notes of one key keep their
order and never overlap where they did not, nothing moves before the start, and a note
never ends before it starts.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from itertools import accumulate

import mido

from humanizer.notes import NoteFile, tempo_maps


def with_timing(midi: mido.MidiFile, note_file: NoteFile, shifts: Sequence[float],
                length_changes: Sequence[float] | None = None) -> mido.MidiFile:
    """`midi` (the file of `note_file`, or a copy with other velocities) with each note moved
    by its shift in seconds: its note_on and its note_off by the same ticks, so durations
    are kept - but for its length change (seconds its end moves beyond that, if given). A
    note never moves before the start, before the end of the previous note of its key, or
    past the start of the next one (a synth would cut it or hang it), never ends before it
    starts, and is never lengthened past the next note of its key; the end of its track
    moves with it if need be. Everything else stays where it was."""
    changes = length_changes if length_changes is not None else [0.0] * len(shifts)
    if len(shifts) != len(note_file.notes) or len(changes) != len(shifts):
        raise ValueError("one shift per note is needed")
    maps = tempo_maps(midi)
    # track -> note_on index -> (ticks it moves, ticks its end moves beyond that)
    moves: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for note, shift, change in zip(note_file.notes, shifts, changes):
        if (shift or change) and note.index >= 0:
            tempo = maps[note.track]
            moves[note.track][note.index] = (
                tempo.tick(note.start + shift) - tempo.tick(note.start),
                tempo.tick(note.end + change) - tempo.tick(note.end))
    tracks = [_moved(track, moves[number]) if moves.get(number) else track
              for number, track in enumerate(midi.tracks)]
    return mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat,
                         charset=midi.charset, clip=midi.clip,
                         tracks=[mido.MidiTrack(track) for track in tracks])


def _notes_by_key(track: mido.MidiTrack) -> dict[tuple[int, int], list[tuple[int, int | None]]]:
    """Per (channel, pitch), in order: (note_on index, note_off index or None) of each note,
    paired first-in, first-out as `notes_of` reads them."""
    keys: dict[tuple[int, int], list[tuple[int, int | None]]] = defaultdict(list)
    sounding: dict[tuple[int, int], deque[int]] = defaultdict(deque)
    for index, message in enumerate(track):
        if message.type not in ("note_on", "note_off"):
            continue
        key = (message.channel, message.note)
        if message.type == "note_on" and message.velocity > 0:
            sounding[key].append(len(keys[key]))
            keys[key].append((index, None))
        elif sounding.get(key):
            position = sounding[key].popleft()
            keys[key][position] = (keys[key][position][0], index)
    return keys


def bounded_shift(wanted: int, earliest: float, latest: float) -> int:
    """How far (ticks) a note moves when it wants to move `wanted` and may move from
    `earliest` to `latest` (from the end of the previous note on its key, and the file's
    start, to where the next note on its key begins): toward `wanted` and never past it,
    never the other way, and not at all where it may not stay where it is - notes of one
    key that overlap in the file keep their order and lengths (a shift to end a note
    before its overlapping neighbour moved one by 1.45 s)."""
    low, high = max(min(0, wanted), earliest), min(max(0, wanted), latest)
    if low > high:
        return 0
    return int(min(max(wanted, low), high))


def bounded_change(wanted: int, length: int, room: int | None) -> int:
    """How far (ticks) a note's end moves when it wants to move `wanted`: a note `length`
    ticks long keeps at least one tick (a zero-length one is never shortened), and is
    lengthened no further than the `room` before the next note on its key begins (None:
    none follows; none where it already overlaps it)."""
    if wanted < 0:
        return max(wanted, min(0, 1 - length))
    return wanted if room is None else min(wanted, max(0, room))


def _moved(track: mido.MidiTrack, wanted: dict[int, tuple[int, int]]) -> mido.MidiTrack:
    """The track with the notes whose note_on index is in `wanted` moved by (shift, end
    change) ticks."""
    ticks = list(accumulate(message.time for message in track))
    keys = _notes_by_key(track)
    new_tick = dict(enumerate(ticks))
    group = dict.fromkeys(range(len(track)), 1)  # at one tick: offs 0, others 1, ons 2
    for key_notes in keys.values():
        previous_end = 0
        for number, (on, off) in enumerate(key_notes):
            following = key_notes[number + 1][0] if number + 1 < len(key_notes) else None
            move, change = wanted.get(on, (0, 0))
            change = 0 if off is None else bounded_change(
                change, ticks[off] - ticks[on],
                None if following is None else ticks[following] - ticks[off])
            end = (ticks[off] + change) if off is not None else ticks[on]
            latest = float("inf") if following is None else ticks[following] - end
            shift = bounded_shift(move, previous_end - ticks[on], latest)
            new_tick[on] = ticks[on] + shift
            if shift:
                group[on] = 2
            if off is not None:
                new_tick[off] = end + shift
                if shift or change:
                    group[off] = 3 if new_tick[off] == new_tick[on] else 0
            previous_end = new_tick[off] if off is not None else new_tick[on]
    last = max(new_tick.values(), default=0)
    order = sorted(range(len(track)), key=lambda i: (
        last if track[i].type == "end_of_track" else new_tick[i],
        9 if track[i].type == "end_of_track" else group[i], i))
    moved, now = [], 0
    for index in order:
        at = last if track[index].type == "end_of_track" else new_tick[index]
        moved.append(track[index].copy(time=at - now))
        now = at
    return mido.MidiTrack(moved)
