"""The lookahead buffer: what was heard, what is waiting to leave, and what is sounding.

Every incoming event waits in one first-in, first-out queue until `t_in + latency`. Due
times never decrease, so the queue order is the arrival order: nothing is reordered, and a
note-off can never overtake its note-on. A shorter latency is reached by a glide
(LATENCY_GLIDE seconds less per second), so the events heard meanwhile keep at least half
their spacing instead of all leaving at once. Note-ons on the 88 keys wait for the velocity
the model predicts; if it is not there in time they leave with their own velocity and count
as late.

With timing on, a style with a timing head also moves each note by a shift of at most
MAX_SHIFT (never before it arrived): its note-on and its note-off together, so its length
is kept, and never across the notes before it on the same key. With articulation on, a
style with a length head moves the note-off further, by the note's length change
(output.length_change: within the reach the latency allows, never past the start of the
next note on its key). Only such notes leave out of arrival order; every other event
keeps its place.

This module holds state only - no threads, no clock, no MIDI ports - so its behaviour can
be tested exactly. The scheduler drives it from its threads under one lock. The events and
notes it holds are humanizer.daemon.events.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

from humanizer.daemon.centres import CentreRecord
from humanizer.daemon.events import Event, HeardNote
from humanizer.daemon.level_record import LevelRecord
from humanizer.daemon.midi import (
    ALL_SOUND_OFF,
    CHANNELS,
    CONTROL_CHANGE,
    SUSTAIN,
    channel_of,
    is_channel_message,
    is_note_off,
    is_note_on,
    note_off,
    silence,
    sustain,
)
from humanizer.daemon.stats import Counts
from humanizer.notes import Note
from humanizer.output import LENGTH_REACH, MAX_SHIFT, length_reach

HISTORY_SECONDS = 5.0  # notes ended this long before a window's reach are forgotten
LATENCY_GLIDE = 0.5  # seconds per second a shorter latency comes down by
MAX_HELD = 4096  # notes held at the input at once; the oldest is let go beyond
# a note held at the input this long, and STALE_FACTOR times longer than any note its
# channel has ended, lost its note-off (JACK drops MIDI while the daemon is stopped)
STALE_FLOOR = 60.0
STALE_FACTOR = 8.0


def _drops_at_stop(message: list[int]) -> bool:
    """A channel message that would move something on after a Stop; channel mode messages
    (CC 120-127) and the sustain pedal going up reset, and stay."""
    if not is_channel_message(message):
        return False
    if message[0] & 0xF0 == CONTROL_CHANGE and len(message) == 3:
        return not (message[1] >= ALL_SOUND_OFF or (message[1] == SUSTAIN and message[2] < 64))
    return True


def _start(note: HeardNote) -> float:
    return note.start


def _position(notes: list[HeardNote], note: HeardNote) -> int:
    """Where `note` is in `notes` (sorted by start): found by its start, then by identity."""
    index = bisect_left(notes, note.start, key=_start)
    while notes[index] is not note:
        index += 1
    return index


@dataclass
class LookaheadBuffer:
    """Events in arrival order, the notes heard per channel, the notes sounding at the output.

    `origin` is the clock reading the daemon started at: note times are seconds since then.
    """

    latency: float
    origin: float = 0.0
    skipped: frozenset[int] = frozenset()  # channels whose notes pass as they came
    queue: deque[Event] = field(default_factory=deque)
    unclaimed: deque[Event] = field(default_factory=deque)  # note-ons awaiting inference
    heard: dict[int, list[HeardNote]] = field(default_factory=lambda: defaultdict(list))
    levels: LevelRecord = field(default_factory=LevelRecord)  # what input levels weigh
    centres: CentreRecord = field(default_factory=CentreRecord)  # what due notes centre on
    counts: Counts = field(default_factory=Counts)
    _open: dict[tuple[int, int], deque[HeardNote]] = field(
        default_factory=lambda: defaultdict(deque))
    _sounding: Counter = field(default_factory=Counter)
    _last_on: dict[tuple[int, int], HeardNote] = field(default_factory=dict)
    _channels_out: set[int] = field(default_factory=set)  # channels that have played
    _held: deque[HeardNote] = field(default_factory=deque)  # held at the input, oldest first
    _held_count: int = 0  # notes held at the input now
    _longest: dict[int, float] = field(default_factory=dict)  # per channel: longest ended
    _pedal_down: set[int] = field(default_factory=set)  # channels held by the input's pedal
    _last_in: float = float("-inf")
    _last_due: float = float("-inf")
    moving: bool = False  # a queued note has a timing shift: the queue is not plain FIFO
    _glide: tuple[float, float] | None = None  # (latency, when) a shorter one glides from

    def set_latency(self, latency: float, now: float) -> None:
        """Play events arriving from `now` on at `latency`: at once if it is longer, by a
        glide if it is shorter."""
        current = self.latency_at(now)
        self.latency = latency
        self._glide = (current, now) if latency < current else None

    def latency_at(self, t_in: float) -> float:
        """The latency of an event arriving at t_in."""
        if self._glide is None:
            return self.latency
        start, since = self._glide
        return max(self.latency, start - LATENCY_GLIDE * (t_in - since))

    def receive(self, message: list[int], t_in: float) -> Event:
        """Queue a message heard at t_in; remember its note for the model."""
        t_in = max(t_in, self._last_in)  # arrival times never go backwards
        self._last_in = t_in
        self._last_due = max(t_in + self.latency_at(t_in), self._last_due)
        event = Event(t_in, self._last_due, list(message))
        channel = channel_of(message)
        if is_note_on(message):
            self.counts.notes_in += 1
            note = HeardNote(message[1], message[2], t_in - self.origin, channel,
                             song_time=t_in + self.latency)
            self._open[channel, note.pitch].append(note)
            self._held_count += 1
            if note.as_note().on_keyboard and channel not in self.skipped:
                self.heard[channel].append(note)
                self.levels.add(channel, note.start, note.pitch, note.velocity)
                event.note = note
                self.unclaimed.append(event)
                note.previous = self._last_on.get((channel, note.pitch))
                if note.previous is not None:
                    note.previous.next_start = note.start
                self._last_on[channel, note.pitch] = note
        elif is_note_off(message):
            started = self._open.get((channel, message[1]))
            if started:
                ended = started.popleft()
                self._held_count -= 1
                ended.end, ended.off_due = t_in - self.origin, event.due
                self._longest[channel] = max(self._longest.get(channel, 0.0),
                                             ended.end - ended.start)
                event.ends = ended
        elif (pedal := sustain(message)) is not None:
            (self._pedal_down.add if pedal else self._pedal_down.discard)(channel)
        self.counts.events_in += 1
        self.queue.append(event)
        if is_note_on(message):
            self._held.append(self._open[channel, message[1]][-1])
            self._let_go_beyond(MAX_HELD, t_in)
        return event

    def _let_go_beyond(self, most: int, t_in: float) -> None:
        """Note-offs for the oldest notes held at the input while more than `most` are:
        a flood of note-ons without note-offs (a stuck controller, a broken sequencer)
        must not make every window hold thousands of notes."""
        while self._held_count > most:
            oldest = self._held.popleft()
            if oldest.off_due is None:  # still held (those ended meanwhile are skipped)
                self.counts.released += 1
                self.receive(note_off(oldest.channel, oldest.pitch), t_in)
        if len(self._held) > 4 * most:  # forget the ended notes behind a long-held one
            self._held = deque(note for note in self._held if note.off_due is None)

    def let_go_of_stale(self, t_in: float) -> int:
        """Note-offs, received at t_in, for the notes held at the input past STALE_FLOOR
        and STALE_FACTOR times the longest note their channel has ended: their note-offs
        were lost (JACK drops a stopped client's MIDI; SIGSTOP and SIGCONT left notes
        sounding until exit). A channel of long pads keeps its long notes. Returns how
        many notes were let go (counted as released)."""
        while self._held and self._held[0].off_due is not None:
            self._held.popleft()  # ended: nothing to let go
        now, released = t_in - self.origin, 0
        for note in list(self._held):
            if now - note.start < STALE_FLOOR:
                break  # held oldest first: the rest are younger
            limit = max(STALE_FLOOR, STALE_FACTOR * self._longest.get(note.channel, 0.0))
            if note.off_due is None and now - note.start > limit:
                longest = self._longest.get(note.channel, 0.0)
                self.counts.released += 1
                self.receive(note_off(note.channel, note.pitch), t_in)
                self._longest[note.channel] = longest  # a lost note is no measure
                released += 1
        return released

    def place(self, event: Event, velocity: int, shift: float = 0.0,
              stretch: float = 0.0) -> bool:
        """Give a note-on its predicted velocity, timing shift (seconds) and length ratio
        (log2: `stretch`, which moves its note-off once its length is known). The shift is
        kept within MAX_SHIFT, never before the note arrived, and never before the end of
        the previous note on its key (a synth would cut this one short). False, changing
        nothing, for a note that has left already: it left late, with its own velocity,
        and was counted so - it is not counted as predicted too."""
        note = event.note
        if note.sent_shift is not None:
            return False
        shift = shift if math.isfinite(shift) else 0.0
        shift = min(max(shift, -MAX_SHIFT, event.t_in - event.due), MAX_SHIFT)
        previous, note.previous = note.previous, None  # no chain of notes kept alive
        if previous is not None:
            if previous.off_due is None or previous.off_due > event.due:
                shift = 0.0  # it overlaps the previous note of its key as played: stays put
            else:  # starts once the previous one ends, wherever its shift and length put it
                previous_shift = previous.shift if previous.sent_shift is None \
                    else previous.sent_shift
                moved = previous.end_change() if previous.stretch else 0.0
                shift = max(shift, previous.off_due + previous_shift + moved - event.due)
        event.velocity, note.shift = velocity, shift
        if stretch and math.isfinite(stretch):
            note.stretch, note.reach = stretch, length_reach(self.latency)
        self.moving = self.moving or shift != 0.0 or note.stretch != 0.0
        return True

    def next_due(self, bypass: bool = False) -> float | None:
        if not self.moving:
            return self.queue[0].due if self.queue else None
        return min((event.leaves(bypass) for event in self._moving_window()), default=None)

    def _moving_window(self) -> list[Event]:
        """The queued events that may leave before the first one may: those due within
        2 * (MAX_SHIFT + LENGTH_REACH) of it (a note-on moves at most MAX_SHIFT, a
        note-off LENGTH_REACH more)."""
        if not self.queue:
            return []
        horizon = self.queue[0].due + 2 * (MAX_SHIFT + LENGTH_REACH)
        window = []
        for event in self.queue:
            if event.due > horizon:
                break
            window.append(event)
        return window

    def pop_due(self, now: float, bypass: bool = False) -> list[list[int]]:
        """Messages due by `now`, in order, note-ons with their final velocity."""
        sent = []
        if not self.moving:
            while self.queue and self.queue[0].due <= now:
                sent.append(self._leave(self.queue.popleft(), bypass))
            return sent
        window = self._moving_window()
        leaving_at = [(event.leaves(bypass), position, event)
                      for position, event in enumerate(window)]
        ready = sorted(entry for entry in leaving_at if entry[0] <= now)
        if ready:
            leaving = {id(event) for _, _, event in ready}
            for _ in window:
                self.queue.popleft()
            self.queue.extendleft(reversed([e for e in window if id(e) not in leaving]))
            sent = [self._leave(event, bypass) for _, _, event in ready]
        self.moving = bool(self.queue)
        return sent

    def _leave(self, event: Event, bypass: bool) -> list[int]:
        message = event.message
        if event.note is not None:
            event.note.sent_shift = 0.0 if bypass else event.note.shift
            if bypass:
                event.note.stretch = 0.0
            event.note.previous = None  # (if never placed: late) no chain of notes kept
        if event.note is not None and not bypass:
            if event.velocity is None:
                self.counts.late += 1
            else:
                message = [message[0], message[1], event.velocity]
        channel = channel_of(message)
        if message and message[0] < 0xF0:
            self._channels_out.add(channel)
        if is_note_on(message):
            self._sounding[channel, message[1]] += 1
            self.counts.notes_out += 1
        elif is_note_off(message) and self._sounding[channel, message[1]] > 0:
            self._sounding[channel, message[1]] -= 1
        self.counts.events_out += 1
        return message

    def next_prediction_due(self) -> float | None:
        """When the earliest note still needing a velocity is due."""
        return self.unclaimed[0].due if self.unclaimed else None

    def skip_past(self, now: float) -> int:
        """Give up on notes already due: they leave (or left) with their own velocity and
        count as late. Predicting them would be wasted work that makes the next notes late
        too - under overload the backlog would grow without end."""
        skipped = 0
        while self.unclaimed and self.unclaimed[0].due <= now:
            self.unclaimed.popleft().note.previous = None
            skipped += 1
        return skipped

    def claim(self, until: float) -> list[Event]:
        """Take the notes due by `until` for one inference, earliest first."""
        batch = []
        while self.unclaimed and self.unclaimed[0].due <= until:
            batch.append(self.unclaimed.popleft())
        return batch

    def window(self, channels: list[int], events: list[Event], reach: float,
               most: int | None = None) -> tuple[list[Note], list[int], list[float]]:
        """The notes heard on `channels` (one part: the channels playing one style) that a
        prediction for `events` needs, sorted by start, each event's note's index, and
        each note's song time (for the transport).

        `reach` is how many seconds before the earliest onset the model looks (its
        context and the level's window); notes still sounding then count too. With
        `most` (a note-level style, which hears at most that many notes before a window's
        own), only the latest `most` begun before the earliest onset count, and none
        begun before `reach`: a dense part's window, or sixteen channels', stays small.
        """
        earliest = min(event.note.start for event in events)
        since = earliest - reach
        chosen = []
        for channel in channels:
            notes = self._forget(channel, since - HISTORY_SECONDS)
            first = bisect_left(notes, since, key=_start)  # notes arrive in start order
            if most is None:
                chosen += [n for n in notes[:first] if n.end >= since]  # begun, sounding
            else:
                first = max(first, bisect_left(notes, earliest, key=_start) - most)
            chosen += notes[first:]
        chosen.sort(key=_start)  # stable: arrival order within a start
        if most is not None:  # and of them all, the latest `most`
            chosen = chosen[max(0, bisect_left(chosen, earliest, key=_start) - most):]
        return ([n.as_note() for n in chosen], [_position(chosen, e.note) for e in events],
                [n.song_time for n in chosen])

    def _forget(self, channel: int, before: float) -> list[HeardNote]:
        """Drop the notes that ended before `before`; the channel's notes that are left."""
        notes = self.heard[channel]
        first = bisect_left(notes, before, key=_start)
        if first:
            notes = self.heard[channel] = [n for n in notes[:first] if n.end >= before] \
                + notes[first:]
        return notes

    def stop(self) -> int:
        """The DAW stopped: everything waiting belongs to song positions after the stop.
        Drop its notes and every channel message but those that reset (pedal up, channel
        mode messages such as All Sound Off and All Notes Off), and forget the notes heard:
        the next Start is a new take. The notes sounding now are `release`d by the caller.
        Returns how many note-ons were dropped."""
        kept, dropped = deque(), 0
        for event in self.queue:
            if event.note is not None:
                event.note.previous = None
            if is_note_on(event.message):
                dropped += 1
            elif not (is_note_off(event.message) or _drops_at_stop(event.message)):
                kept.append(event)
        self.queue, self.unclaimed = kept, deque()
        self.heard.clear()
        self.levels.clear()
        self.centres.clear()
        self._last_on.clear()
        self.moving = False
        self.counts.stopped += dropped
        return dropped

    def held(self) -> list[list[int]]:
        """What a player who let go of everything would send: note-offs for every note
        heard whose own note-off has not come yet (one per note-on, in channel and pitch
        order), then the sustain pedal up on every channel the input holds it down on -
        else the released notes ring on under the pedal."""
        offs = [note_off(channel, pitch)
                for (channel, pitch), notes in sorted(self._open.items()) for _ in notes]
        return offs + [[CONTROL_CHANGE | channel, SUSTAIN, 0]
                       for channel in sorted(self._pedal_down)]

    def sounding(self) -> int:
        return sum(self._sounding.values())

    def release(self, channels: range | None = None, cut: bool = True) -> list[list[int]]:
        """Note-offs for every note sounding at the output (one per note-on sent), then
        the sustain pedal up, All Sound Off (unless not `cut`: a Stop lets the sound
        ring out) and All Notes Off on every channel that played (or on `channels`)."""
        offs = []
        for (channel, pitch), count in sorted(self._sounding.items()):
            offs.extend([note_off(channel, pitch)] * count)
        self._sounding.clear()
        for channel in sorted(self._channels_out if channels is None else channels):
            offs.extend(m for m in silence(channel) if cut or m[1] != ALL_SOUND_OFF)
        return offs

    def panic(self) -> list[list[int]]:
        """Silence now: drop what is waiting, release every sounding note, and silence all
        16 channels."""
        for event in self.queue:
            if event.note is not None:
                event.note.previous = None
        self.queue.clear()
        self.unclaimed.clear()
        return self.release(range(CHANNELS))
