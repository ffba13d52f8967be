"""The DAW's transport as MIDI clock tells it: song position and tempo, live.

A DAW sends MIDI clock (24 per quarter note), Start, Continue, Stop and Song Position
Pointer (SPP, in sixteenths). This module turns them, with their arrival times, into the
song position (in quarter notes) at any time. It holds state only - no threads, no clock,
no ports - so it is tested exactly; the scheduler drives it under its lock.

- A *run* is one stretch of playing, from Start (position 0) or Continue (where it stopped,
  or where SPP put it) to Stop. The first clock of a run is at its position, each next one
  a 24th of a quarter later. SPP while playing (a loop jump) starts a new run at the next
  clock.
- A run's clocks, their tempo and the clocks lost on the way: humanizer.daemon.clockrun.
- The DAW sends its track early by the latency L, but the clock on time: a note arriving at
  t belongs to the position the clock shows at t + L, its *song time*. So notes can come
  before the Start they belong after: the model runs on a note shortly before it is due,
  which for the first notes of a take is before the Start arrives. So once the transport
  has stopped or been located, the first note heard is taken to fall where it stopped or
  was located (the cue), and the notes up to `latency` + CUE_SECONDS after it (what the
  first notes' windows hear) at the last tempo from it; later ones wait for the clock
  (keyboard playing while stopped gets no meter). A daemon that never heard a transport
  message has no cue: the first take's first notes have no meter.
- Without clock, `bpm` gives a free-running grid from the first note heard (and from the
  first after IDLE_SECONDS of silence). With neither, positions are unknown (NaN).
- A run whose clock has been silent for LOST_SECONDS is lost: unknown past its last clock.

Invariants: runs are in arrival order and never overlap; positions are NaN exactly where
nothing says where the song is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from humanizer.daemon.clockrun import TICKS_PER_QUARTER, Run
from humanizer.meter import Signatures, bar_and_beat, signature_at, signatures_text

CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
TRANSPORT_MESSAGES = frozenset({CLOCK, START, CONTINUE, STOP, SONG_POSITION})
GRACE = 0.05  # a song time this much before a Start still belongs to its run
LOST_SECONDS = 0.5  # no clock for this long while playing: the clock is lost
IDLE_SECONDS = 4.0  # a note after this long without one anchors a grid anew
DEFAULT_BPM = 120.0  # the tempo of a cue before any clock was measured
HISTORY_SECONDS = 60.0  # runs that stopped this long ago are forgotten
CUE_SECONDS = 0.2  # past the latency: how long after its first note the cue places notes
MAX_RUNS = 64  # runs kept: loop jumps start one each
TEMPO_STEP = 1.0  # bpm: a tempo event once the tempo moved this far (looked at each beat)


def is_transport(message: list[int]) -> bool:
    """Clock, Start, Continue, Stop (one byte each) or Song Position Pointer (three)."""
    if not message or message[0] not in TRANSPORT_MESSAGES:
        return False
    return len(message) == (3 if message[0] == SONG_POSITION else 1)


@dataclass
class Grid:
    """Positions from one note on, at a steady tempo: `position` at song time `anchor`."""

    position: float
    rate: float  # quarters per second
    anchor: float | None = None  # song time of the note it starts from
    reach: float = np.inf  # seconds after the anchor it places notes

    def positions(self, times: np.ndarray) -> np.ndarray:
        if self.anchor is None:
            return np.full(len(times), np.nan)
        placed = self.position + (times - self.anchor) * self.rate
        return np.where(times <= self.anchor + self.reach, placed, np.nan)


@dataclass
class Transport:
    """The song position from clock, Start/Continue/Stop and SPP (see the module)."""

    bpm: float = 0.0  # the free-running grid's tempo when there is no clock (0: none)
    latency: float = 0.0  # the daemon's: how far ahead of the song the track comes
    runs: list[Run] = field(default_factory=list)
    cue: Grid | None = None  # while stopped: where the DAW will start
    free: Grid | None = None  # the --bpm grid
    stopped_at: float = 0.0  # quarters: where Continue starts from
    _jump: float | None = None  # SPP while playing: the next clock's position
    _last_note: float = float("-inf")  # song time of the last note heard
    _reported_bpm: float | None = None

    # -- messages ----------------------------------------------------------------------------
    def receive(self, message: list[int], t: float) -> str | None:
        """Take one transport message heard at t; returns the event it makes (start,
        continue, stop, position, tempo), or None for a clock that changes nothing and for
        a malformed message."""
        if not is_transport(message):
            return None
        kind, run = message[0], self.playing()
        if kind == CLOCK:
            return self._clock(run, t)
        if kind in (START, CONTINUE):
            position = 0.0 if kind == START else (
                self._jump if self._jump is not None else self.stopped_at)
            if run is not None:
                self._stop(run, t)
            self.runs.append(Run(t, position))
            self.cue, self._jump = None, None
            self._forget(t)
            return "start" if kind == START else "continue"
        if kind == STOP:  # even when no Start was heard (a daemon started mid-song)
            if run is not None:
                self._stop(run, t)
            return "stop"
        quarters = (message[1] | message[2] << 7) / 4  # SONG_POSITION, in sixteenths
        if run is None:
            self.stopped_at = quarters
            self.cue = Grid(quarters, self._rate_guess() / TICKS_PER_QUARTER,
                            reach=self.latency + CUE_SECONDS)
        else:
            self._jump = quarters
        return "position"

    def _clock(self, run: Run | None, t: float) -> str | None:
        if run is None:
            return None
        if self._jump is not None:  # a loop jump: a new run from this clock
            run.stopped = t
            run = Run(t, self._jump)
            self.runs.append(run)
            self._jump = None
            self._forget(t)
        run.add(t)
        rate = run.rate()
        if rate is None or run.count() % TICKS_PER_QUARTER:
            return None
        bpm = rate * 60 / TICKS_PER_QUARTER
        if self._reported_bpm is None or abs(bpm - self._reported_bpm) >= TEMPO_STEP:
            self._reported_bpm = bpm
            return "tempo"
        return None

    def _stop(self, run: Run, t: float) -> None:
        run.stopped = t
        self.stopped_at = run.position + run.count() / TICKS_PER_QUARTER  # the next clock's
        self.cue = Grid(self.stopped_at, self._rate_guess() / TICKS_PER_QUARTER,
                        reach=self.latency + CUE_SECONDS)
        self._jump = None
        self._forget(t)

    def _forget(self, now: float) -> None:
        self.runs = [r for r in self.runs
                     if r.stopped is None or r.stopped > now - HISTORY_SECONDS][-MAX_RUNS:]

    def note_heard(self, song_time: float) -> None:
        """A note-on whose song time (arrival + latency) is `song_time`: it anchors the
        cue while stopped, and the free grid after silence."""
        if self.cue is not None and self.cue.anchor is None:
            self.cue.anchor = song_time
        idle = song_time - self._last_note > IDLE_SECONDS
        if self.bpm and (self.free is None or idle):
            self.free = Grid(0.0, self.bpm / 60, song_time)
        if self.cue is not None and idle:
            self.cue.anchor = song_time
        self._last_note = max(self._last_note, song_time)

    def set_bpm(self, bpm: float) -> None:
        self.bpm, self.free = bpm, None

    # -- positions ---------------------------------------------------------------------------
    def playing(self) -> Run | None:
        """The run playing now, if any."""
        return self.runs[-1] if self.runs and self.runs[-1].stopped is None else None

    def _rate_guess(self) -> float:
        """Clocks per second to assume where a run has not measured its own: the last
        measured, else the free grid's tempo, else DEFAULT_BPM."""
        for run in reversed(self.runs):
            rate = run.rate()
            if rate:
                return rate
        return (self.bpm or DEFAULT_BPM) * TICKS_PER_QUARTER / 60

    def positions(self, song_times: np.ndarray, now: float) -> np.ndarray:
        """Song positions in quarters at `song_times`, as known at `now`; NaN where
        unknown."""
        times = np.asarray(song_times, dtype=np.float64)
        result = np.full(len(times), np.nan)
        starts = np.array([run.started - GRACE for run in self.runs])
        which = np.searchsorted(starts, times, side="right") - 1
        guess = self._rate_guess()
        for index, run in enumerate(self.runs):
            mine = which == index
            if run.stopped is not None:
                mine &= times < run.stopped
            elif now - run.last() > LOST_SECONDS:
                mine &= times <= run.last()
            if mine.any():
                result[mine] = run.positions(times[mine], guess)
        undecided = np.isnan(result)
        if self.playing() is None and self.cue is not None:
            after = times >= (self.runs[-1].stopped if self.runs else -np.inf)
            result[undecided & after] = self.cue.positions(times[undecided & after])
        elif self.free is not None and not self.runs:
            result[undecided] = self.free.positions(times[undecided])
        return result

    def source(self, now: float) -> str:
        """What positions come from now: clock, cue (stopped), grid (--bpm) or none."""
        run = self.playing()
        if run is not None and now - run.last() <= LOST_SECONDS:
            return "clock"
        if self.runs and self.cue is not None:
            return "stopped"
        if self.bpm and not self.runs:
            return "bpm"
        return "none"

    def state(self, now: float, signatures: Signatures,
              recent: list[tuple[int, int, float]]) -> dict:
        """For status and events: the source, the tempo, the song's time signatures and the
        one in force now, the bar and beat now, and of the `recent` notes placed as
        (channel, pitch, position) - counted from 1, as a DAW shows them."""
        tempo = self.tempo()
        source = self.source(now)
        here = float(self.positions(np.array([now]), now)[0])
        return {"source": source, "locked": source == "clock",
                "meter": signatures_text(signatures),
                "signature": signature_at(here, signatures),
                "bpm": None if tempo is None else round(tempo, 2),
                "position": bar_and_beat(here, signatures),
                "missed_clocks": sum(run.missed for run in self.runs),
                "recent": [{"channel": channel + 1, "pitch": pitch,
                            "position": bar_and_beat(place, signatures)}
                           for channel, pitch, place in recent]}

    def tempo(self) -> float | None:
        """The smoothed tempo in bpm: measured from clock, else the free grid's."""
        for run in reversed(self.runs):
            rate = run.rate()
            if rate:
                return rate * 60 / TICKS_PER_QUARTER
        return self.bpm or None
