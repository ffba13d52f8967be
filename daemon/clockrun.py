"""One run of MIDI clock - Start or Continue to Stop: its clocks, their tempo, the clocks
lost on the way, and the song position at any time (humanizer.daemon.transport holds the
runs and what the DAW's messages do to them).

- Jitter of a few ms must not make the tempo wobble: inside a run, positions come from the
  clocks' times averaged over SMOOTHING clocks (one beat) around them; past the last clocks
  (where a note sent L early falls) they go on from the last SMOOTHING clocks at the tempo
  below, so a tempo change of TEMPO_CHANGE is followed within a beat, a smaller one within
  four. (The last beat's own slope, extrapolated half a second, put a fifth of those notes
  more than a 48th of a beat off at 1024-frame periods.)
- The tempo (shown in status; a cue after a Stop plays at it) is the line through the last
  TEMPO_CLOCKS: one beat reads a steady 120 bpm as 117-125 at JACK's 1024-frame periods.
  Where the last beat's median slope is TEMPO_CHANGE away (farther where the clocks scatter
  more: _change_needed), the tempo changed: it is taken instead.
- A single clock lost on the way is counted (Run.add), or every later position would lag.

Invariants: a run's clock times never go backwards, and its clock numbers rise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TICKS_PER_QUARTER = 24
SMOOTHING = 24  # clocks averaged: one beat
TEMPO_CLOCKS = 4 * 24  # clocks a steady tempo is measured over: four beats
TEMPO_CHANGE = 0.04  # the last beat's tempo this far from four beats': the tempo changed
CHANGE_SCATTER = 8  # or this many times the clocks' scatter (clocks) over a beat (24)
MIN_FIT = 6  # fewer clocks than this in a run: its tempo is the last one measured
LOST_TOLERANCE = 0.3  # clock periods: how near a gap must be to a whole number of them
LOST_GRAIN = 0.5  # clock periods: clocks arriving in steps this coarse cannot tell a lost one
GRAIN_JITTER = 0.002  # seconds: how near a gap must be to a whole number of steps (grain)
GRAIN_OUTLIERS = 0.01  # the share of gaps that may be off the steps (late callbacks)
GRAIN_EVIDENCE = 5  # gaps a finer step must explain that the middle gap's steps do not
MAX_TICKS = 24 * 200  # clocks a run keeps: 100 s at 120 bpm, more than any window reaches


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
        changed = steady <= 0 or abs(recent / steady - 1) > _change_needed(ticks, numbers)
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
        # past the last clocks (where notes sent L early fall): through the last beat's
        # clocks at the measured tempo - four beats' line unless the tempo changed. The last
        # beat's own slope, at 1024-frame periods, put a fifth of such notes a 48th off
        rate = self.rate() or _line(ticks[-SMOOTHING:], numbers[-SMOOTHING:])[0]
        tail_t, tail_k = ticks[-SMOOTHING:].mean(), numbers[-SMOOTHING:].mean()
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
        result[tail] = tail_k + (times[tail] - tail_t) * rate
        return self.position + result / TICKS_PER_QUARTER


def _change_needed(ticks: np.ndarray, numbers: np.ndarray) -> float:
    """How far the last beat's slope must be from four beats' for the tempo to have
    changed: TEMPO_CHANGE, or more where the clocks before the last beat scatter about
    their own line (JACK's periods and late callbacks) - at 1024 frames one beat's slope
    of such clocks read a steady 100 bpm 2-7 % off."""
    before_t, before_k = ticks[:-SMOOTHING], numbers[:-SMOOTHING].astype(np.float64)
    if len(before_t) < SMOOTHING:
        return TEMPO_CHANGE
    _, line = _line(before_t, before_k)
    scatter = float(np.median(np.abs(before_k - line(before_t))))  # clocks
    return max(TEMPO_CHANGE, CHANGE_SCATTER * scatter / SMOOTHING)


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
