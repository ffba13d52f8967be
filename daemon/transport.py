"""The DAW's transport as MIDI clock tells it: song position and tempo, live.

A DAW sends MIDI clock (24 per quarter note), Start, Continue, Stop and Song Position
Pointer (SPP, in sixteenths). This module turns them, with their arrival times, into the
song position (in quarter notes) at any time. It holds state only - no threads, no clock,
no ports - so it is tested exactly; the scheduler drives it under its lock.

- A *run* is one stretch of playing, from Start (position 0) or Continue (where it stopped,
  or where SPP put it) to Stop. The first clock of a run is at its position, each next one
  a 24th of a quarter later. SPP while playing (a loop jump) starts a new run at the next
  clock.
- Jitter of a few ms must not make the tempo wobble: inside a run, positions come from the
  clocks' times averaged over SMOOTHING clocks (one beat) around them; past the last clocks
  they follow the least-squares line of the last SMOOTHING, so a tempo change is followed
  within a beat.
- The tempo (shown; the cue's after a Stop) is the line through the last TEMPO_CLOCKS: one
  beat reads a steady 120 bpm as 117-125 at JACK's 1024-frame periods. Where the last
  beat's median slope is TEMPO_CHANGE away, the tempo changed: it is taken instead.
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
  A single clock lost on the way is counted (Run.add), or every later position would lag.

Invariants: runs are in arrival order and never overlap; a run's clock times never go
backwards; positions are NaN exactly where nothing says where the song is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from humanizer.meter import bar_and_beat

CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
TRANSPORT_MESSAGES = frozenset({CLOCK, START, CONTINUE, STOP, SONG_POSITION})
TICKS_PER_QUARTER = 24
SMOOTHING = 24  # clocks averaged: one beat
TEMPO_CLOCKS = 4 * 24  # clocks a steady tempo is measured over: four beats
TEMPO_CHANGE = 0.04  # the last beat's tempo this far from four beats': the tempo changed
MIN_FIT = 6  # fewer clocks than this in a run: its tempo is the last one measured
GRACE = 0.05  # a song time this much before a Start still belongs to its run
LOST_SECONDS = 0.5  # no clock for this long while playing: the clock is lost
IDLE_SECONDS = 4.0  # a note after this long without one anchors a grid anew
DEFAULT_BPM = 120.0  # the tempo of a cue before any clock was measured
HISTORY_SECONDS = 60.0  # runs that stopped this long ago are forgotten
LOST_TOLERANCE = 0.3  # clock periods: how near a gap must be to a whole number of them
LOST_GRAIN = 0.5  # clock periods: clocks arriving in steps this coarse cannot tell a lost one
GRAIN_JITTER = 0.002  # seconds: how near a gap must be to a whole number of steps (grain)
GRAIN_OUTLIERS = 0.01  # the share of gaps that may be off the steps (late callbacks)
GRAIN_EVIDENCE = 5  # gaps a finer step must explain that the middle gap's steps do not
CUE_SECONDS = 0.2  # past the latency: how long after its first note the cue places notes
MAX_RUNS = 64  # runs kept: loop jumps start one each
MAX_TICKS = 24 * 200  # clocks a run keeps: 100 s at 120 bpm, more than any window reaches
TEMPO_STEP = 1.0  # bpm: a tempo event once the tempo moved this far (looked at each beat)


def is_transport(message: list[int]) -> bool:
    """Clock, Start, Continue, Stop (one byte each) or Song Position Pointer (three)."""
    if not message or message[0] not in TRANSPORT_MESSAGES:
        return False
    return len(message) == (3 if message[0] == SONG_POSITION else 1)


@dataclass
class Run:
    """One stretch of playing: when it started, its position (quarters) at its first
    clock, the clocks' arrival times and numbers (0 = the first), and when it stopped
    (None while playing)."""

    started: float
    position: float
    ticks: list[float] = field(default_factory=list)  # the last MAX_TICKS of them
    numbers: list[int] = field(default_factory=list)  # each one's number in the run
    stopped: float | None = None
    missed: int = 0  # clocks that never came (see add)
    _gap: tuple[int, int] | None = None  # (index, clocks) of a gap the next clock decides
    _coarse: bool = False  # its clocks came on a step no gap can tell a loss on (grain);
    # it stays so, or a later window's late callbacks could let losses count

    def add(self, t: float) -> None:
        """The next clock, heard at t. A clock lost on the way (a MIDI system under load
        drops messages) would put every later position a 24th of a beat behind, so a gap
        of a whole number of clock periods (within LOST_TOLERANCE of the tempo measured
        before it) that the next clock confirms - it comes one period later again - counts
        the clocks between as missed. A late clock (the next one comes early) or a slower
        tempo (the next gap is long too) is not a lost one. Nor is any gap where the clocks
        come in steps of LOST_GRAIN of a period or coarser (`grain`): at 1024 frames (21
        ms) a 100 bpm clock (25 ms) comes one or two periods after the last, and each long
        gap was once counted (the tempo read 117). A missed loss costs a 24th of a beat
        once; a false one as much each time it recurs."""
        t = max(t, self.last())
        number = self.numbers[-1] + 1 if self.numbers else 0
        rate = self.rate()
        if rate is not None:
            gap = (t - self.ticks[-1]) * rate
            if self._gap is not None and abs(gap - 1) < LOST_TOLERANCE:
                index, lost = self._gap  # confirmed: that clock came `lost` clocks late
                for i in range(index, len(self.numbers)):
                    self.numbers[i] += lost
                self.missed += lost
                number += lost
            self._gap = None
            whole = round(gap)
            if whole >= 2 and abs(gap - whole) < LOST_TOLERANCE and not self._coarse:
                grain = self.grain()
                self._coarse = bool(np.isfinite(grain) and grain * rate >= LOST_GRAIN)
                if grain * rate < LOST_GRAIN:
                    self._gap = (len(self.ticks), whole - 1)
        self.ticks.append(t)
        self.numbers.append(number)
        if len(self.ticks) > MAX_TICKS:  # an hour of clock must not slow every window
            forget = len(self.ticks) - MAX_TICKS // 2
            del self.ticks[:forget], self.numbers[:forget]
            self._gap = None

    def grain(self) -> float:
        """The step (seconds) the last TEMPO_CLOCKS clocks' gaps come in: JACK hands a
        message over at its period's end (at 256 frames gaps of 16, 21 or 27 ms, a step of
        5.3). It is the largest of the middle gap / 1..8 that all but GRAIN_OUTLIERS of the
        gaps (one at least) are multiples of, within GRAIN_JITTER or an eighth of it; a
        finer one only where GRAIN_EVIDENCE gaps show it. None found (under a beat of gaps,
        late callbacks, a MIDI system's jitter) is infinite: losses count on evidence only.
        An even clock and one on consecutive periods look alike: its step is its gap."""
        gaps = np.diff(self.ticks[-TEMPO_CLOCKS:])
        moving = gaps[gaps > GRAIN_JITTER]
        if len(gaps) < SMOOTHING or len(moving) == 0:
            return float("inf")  # too few gaps to show their step: count no loss
        middle = float(np.median(moving))
        allowed = max(1.0, GRAIN_OUTLIERS * len(gaps))
        coarse = np.abs(gaps - np.round(gaps / middle) * middle) > GRAIN_JITTER
        for parts in range(1, 9):
            step = middle / parts
            if step < GRAIN_JITTER / 2:  # finer than any JACK period: no step to find
                break
            near = min(GRAIN_JITTER, step / 8)  # a random gap is this near one by chance 1/4
            on = np.abs(gaps - np.round(gaps / step) * step) <= near
            shown = parts == 1 or np.sum(on & coarse) >= GRAIN_EVIDENCE  # not by chance
            if shown and np.sum(~on) <= allowed:
                return step
        return float("inf")

    def count(self) -> int:
        """Clocks of this run so far (the next one's number)."""
        return self.numbers[-1] + 1 if self.numbers else 0

    def last(self) -> float:
        return self.ticks[-1] if self.ticks else self.started

    def rate(self) -> float | None:
        """Clocks per second over the last TEMPO_CLOCKS, or the last beat's where it is
        TEMPO_CHANGE away (see the module's docstring); None with fewer than MIN_FIT."""
        if len(self.ticks) < MIN_FIT:
            return None
        ticks = np.array(self.ticks[-TEMPO_CLOCKS:])
        numbers = np.array(self.numbers[-TEMPO_CLOCKS:])
        steady = _line(ticks, numbers)[0]
        recent = _median_slope(ticks[-SMOOTHING:], numbers[-SMOOTHING:])
        changed = steady <= 0 or abs(recent / steady - 1) > TEMPO_CHANGE
        rate = recent if changed else steady
        return rate if rate > 0 else None  # clocks all heard at once say nothing of tempo

    def positions(self, times: np.ndarray, guess: float) -> np.ndarray:
        """Song positions (quarters) at `times`; `guess` is the clock rate to use while
        the run has too few clocks to measure its own."""
        ticks, numbers = np.array(self.ticks), np.array(self.numbers, dtype=np.float64)
        count = len(ticks)
        if count < MIN_FIT:  # the last tempo, through the clocks there are
            anchor_time = ticks.mean() if count else self.started
            anchor_number = numbers.mean() if count else 0.0
            return self.position + (anchor_number + (times - anchor_time) * guess) \
                / TICKS_PER_QUARTER
        half = SMOOTHING // 2
        _, head_at = _line(ticks[:SMOOTHING], numbers[:SMOOTHING])
        _, tail_at = _line(ticks[-SMOOTHING:], numbers[-SMOOTHING:])
        result = np.empty(len(times))
        inner = np.zeros(len(times), dtype=bool)
        head = np.zeros(len(times), dtype=bool)
        if count > 2 * half:  # the clocks between head and tail, each averaged around it
            smooth_t, smooth_k = _centred_means(ticks, half), _centred_means(numbers, half)
            first, last = smooth_t[half], smooth_t[count - 1 - half]
            inner = (times >= first) & (times <= last)
            result[inner] = np.interp(times[inner], smooth_t[half:count - half],
                                      smooth_k[half:count - half])
            head = times < first
        tail = ~inner & ~head
        result[head] = head_at(times[head])
        result[tail] = tail_at(times[tail])
        return self.position + result / TICKS_PER_QUARTER


def _line(ticks: np.ndarray, numbers: np.ndarray):
    """The least-squares line through clocks `numbers` heard at `ticks`: (clocks per
    second, a function from times to clock numbers)."""
    numbers = numbers.astype(np.float64)
    mean_t, mean_k = ticks.mean(), numbers.mean()
    spread = np.sum((ticks - mean_t) ** 2)
    rate = float(np.sum((ticks - mean_t) * (numbers - mean_k)) / spread) if spread > 0 \
        else 0.0
    return rate, lambda times: mean_k + (times - mean_t) * rate


def _median_slope(ticks: np.ndarray, numbers: np.ndarray) -> float:
    """Clocks per second: the median of the slopes between every two clocks (Theil-Sen),
    which a few clocks delivered late together move by little."""
    first, second = np.triu_indices(len(ticks), 1)
    elapsed = ticks[second] - ticks[first]
    apart = elapsed > 0
    if not apart.any():
        return 0.0
    return float(np.median((numbers[second] - numbers[first])[apart] / elapsed[apart]))


def _centred_means(values: np.ndarray, half: int) -> np.ndarray:
    """Each value averaged with the `half` before and after it (fewer at the ends): on a
    steady tempo a clock's time exactly, with the jitter averaged out."""
    count = len(values)
    sums = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(count)
    reach = np.minimum(np.minimum(index, count - 1 - index), half)
    return (sums[index + reach + 1] - sums[index - reach]) / (2 * reach + 1)


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

    def state(self, now: float, signature: tuple[int, int],
              recent: list[tuple[int, int, float]]) -> dict:
        """For status and events: the source, the tempo, the bar and beat now, and of the
        `recent` notes placed as (channel, pitch, position) - counted from 1, as a DAW
        shows them."""
        tempo = self.tempo()
        source = self.source(now)
        here = float(self.positions(np.array([now]), now)[0])
        return {"source": source, "locked": source == "clock",
                "meter": "/".join(map(str, signature)),
                "bpm": None if tempo is None else round(tempo, 2),
                "position": bar_and_beat(here, signature),
                "missed_clocks": sum(run.missed for run in self.runs),
                "recent": [{"channel": channel + 1, "pitch": pitch,
                            "position": bar_and_beat(place, signature)}
                           for channel, pitch, place in recent]}

    def tempo(self) -> float | None:
        """The smoothed tempo in bpm: measured from clock, else the free grid's."""
        for run in reversed(self.runs):
            rate = run.rate()
            if rate:
                return rate * 60 / TICKS_PER_QUARTER
        return self.bpm or None
