"""Levels: where a part's velocities (or a style's deviations) sit around each note.

One Gaussian mean in time serves everything that asks "how loud is the part here": the
input's level a style's deviations are added to, the level training targets are measured
from, the phrase (a narrower mean: where a passage is loud or soft), the re-centring that
keeps a part's level and place, and the local spread of what a style adds.

Every mean weighs only the values within three standard deviations (`_weights`), which
keeps it linear in the number of notes for long files, and it is always taken over sorted
`times`. Nothing here knows of models, frames or MIDI: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

LEVEL_SECONDS = 3.0  # standard deviation of the level's Gaussian time window
# the phrase-level part of a player's dynamics: a 1 s local mean, 42 % of the variance of
# ASAP's deviations, on which other players agree at r 0.90 (docs/experiments.md)
PHRASE_SECONDS = 1.0
LEVEL_GRID = 64  # points a level width where `own_levels` works a window's levels out
PAIRS_AT_ONCE = 65536  # (due note, note) pairs weighed at once by `window_means`


def even_slices(count: int, pieces: int) -> Iterator[slice]:
    """The slices np.array_split(range(count), pieces) would give, without its arrays: a
    live window calls the level and the re-centring for a few notes thousands of times a
    minute, and numpy's split cost more than the sums. The same pieces, so the same sums,
    to the last bit."""
    size, extra = divmod(count, pieces)
    start = 0
    for piece in range(pieces):
        end = start + size + (piece < extra)
        if end > start:
            yield slice(start, end)
        start = end


def kernel(distance: np.ndarray) -> np.ndarray:
    """The Gaussian weight at `distance` (in widths), zero beyond three: the one kernel
    every level here is a mean over."""
    return np.exp(-0.5 * distance**2) * (np.abs(distance) <= 3)


def _weights(at: np.ndarray, times: np.ndarray, seconds: float) -> np.ndarray:
    """The kernel's weight of each of `times` for each of `at` (rows)."""
    return kernel((at[:, None] - times[None, :]) / seconds)


def ranges(first: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ranges first[k]..first[k]+counts[k]-1 laid one after another: (each element's
    range, its value) - how a batch of windows, or of notes and what each reaches, is made
    flat for numpy."""
    which = np.repeat(np.arange(len(counts)), counts)
    return which, np.arange(len(which)) + (first - (np.cumsum(counts) - counts))[which]


def batches(sizes: np.ndarray, most: int) -> list[slice]:
    """Consecutive slices of items of `sizes`, each holding at most `most` in all (or one
    item, if it alone holds more)."""
    found, begin, held = [], 0, 0
    for number, size in enumerate(sizes.tolist()):
        if held and held + size > most:
            found.append(slice(begin, number))
            begin, held = number, 0
        held += size
    return found + [slice(begin, len(sizes))]


def local_mean(times: np.ndarray, values: np.ndarray, at: np.ndarray,
               seconds: float = LEVEL_SECONDS) -> np.ndarray:
    """Gaussian-weighted mean of `values` (given at sorted `times`) around each time in
    `at`. Times in `at` are taken to the millisecond and each distinct one computed once:
    a chord, or a burst of a thousand notes in one MIDI period, costs one row (a
    millisecond moves a 3 s level by 1e-4). A time with no value within reach takes the
    value nearest after it."""
    [mean] = local_means(times, [values], at, seconds)
    return mean


def local_means(times: np.ndarray, columns: list[np.ndarray], at: np.ndarray,
                seconds: float = LEVEL_SECONDS) -> list[np.ndarray]:
    """local_mean of several columns at the same times, the weights worked out once (their
    exponentials are most of a whole file's cost)."""
    points, back = np.unique(np.round(np.asarray(at, dtype=np.float64), 3),
                             return_inverse=True)
    return [mean[back.reshape(-1)] for mean in _means_at(
        np.asarray(times, dtype=np.float64),
        [np.asarray(values, dtype=np.float64) for values in columns], points, seconds)]


def _means_at(times: np.ndarray, columns: list[np.ndarray], points: np.ndarray,
              seconds: float) -> list[np.ndarray]:
    """local_means at sorted, distinct `points` (to the millisecond), 512 at a time."""
    results = [np.empty(len(points)) for _ in columns]
    if len(times) == 0:
        for result in results:
            result.fill(np.nan)
        return results
    for chunk in even_slices(len(points), max(1, len(points) // 512)):
        lo = times.searchsorted(points[chunk.start] - 3 * seconds, side="left")
        hi = times.searchsorted(points[chunk.stop - 1] + 3 * seconds, side="right")
        weights = _weights(points[chunk], times[lo:hi], seconds)
        total = weights.sum(axis=1)
        nearest = None if total.all() else np.minimum(times.searchsorted(points[chunk]),
                                                      len(times) - 1)
        for result, values in zip(results, columns):
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = weights @ values[lo:hi] / total
            result[chunk] = mean if nearest is None else np.where(total > 0, mean,
                                                                  values[nearest])
    return results


def same_part_means(times: np.ndarray, owners: np.ndarray, at: np.ndarray,
                    at_owners: np.ndarray, columns: list[np.ndarray],
                    own: list[np.ndarray], seconds: float) -> list[np.ndarray]:
    """For each time in `at`, the Gaussian-weighted mean (as local_mean) of each column
    over the notes of the same part (`times` sorted); a note with none around it is its
    own mean (`own`). One weight matrix for all columns: a live window asks this for a
    few notes at a time, thousands of times a minute."""
    results = [np.empty(len(at)) for _ in columns]
    # the notes looked at reach a microsecond past the weights' three widths, so the
    # distance alone decides which count, the same whichever notes are asked together
    reach = 3 * seconds + 1e-6
    with np.errstate(invalid="ignore", divide="ignore"):
        for rows in even_slices(len(at), -(-len(at) // 64) or 1):
            # 64 notes at a time, against the notes within reach of them only: a burst of
            # a thousand due at once stays a few MB, a whole file of 100k notes linear
            asked = at[rows]
            lo = times.searchsorted(asked.min() - reach, side="left")
            hi = times.searchsorted(asked.max() + reach, side="right")
            weights = _weights(asked, times[lo:hi], seconds)
            weights *= at_owners[rows, None] == owners[None, lo:hi]
            total = weights.sum(axis=1)
            for result, column, fallback in zip(results, columns, own):
                result[rows] = np.where(total > 0, weights @ column[lo:hi] / total,
                                        fallback[rows])
    return results


def window_means(times: np.ndarray, owners: np.ndarray, due: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray, first_row: np.ndarray, columns: list[np.ndarray],
                 seconds: float) -> list[np.ndarray]:
    """For each note `due` (indices into the part's `times`, sorted, and `owners`), the
    Gaussian-weighted mean (same_part_means' weights) of each column over the notes
    of its own part in its window - the part's notes lo..hi-1, whose values are the
    columns' rows first_row.. on; a note with none around it is its own mean. PAIRS_AT_ONCE
    (due note, note) pairs at a time: a burst of a thousand notes due at once in a window of
    a thousand stays a few MB (all at once, a soak's daemon grew from 136 to 237 MB)."""
    at = times[due]
    reach = 3 * seconds + 1e-6
    low = np.maximum(times.searchsorted(at - reach, side="left"), lo)
    high = np.minimum(times.searchsorted(at + reach, side="right"), hi)
    results = [np.empty(len(due)) for _ in columns]
    for part in batches(high - low, PAIRS_AT_ONCE):
        counts = high[part] - low[part]
        pairs, notes = ranges(low[part], counts)
        weights = kernel((at[part][pairs] - times[notes]) / seconds) \
            * (owners[notes] == owners[due[part]][pairs])
        rows = notes + (first_row[part] - lo[part])[pairs]
        segments = np.cumsum(counts) - counts
        total = np.add.reduceat(weights, segments)
        own = due[part] - lo[part] + first_row[part]
        with np.errstate(invalid="ignore", divide="ignore"):
            for result, column in zip(results, columns):
                result[part] = np.where(
                    total > 0, np.add.reduceat(weights * column[rows], segments) / total,
                    column[own])
    return results


def part_means(times: np.ndarray, owners: np.ndarray, columns: list[np.ndarray],
               seconds: float) -> list[np.ndarray]:
    """Each note's running mean of each of `columns` over the notes of its own part."""
    results = [np.empty(len(times)) for _ in columns]
    for owner in np.unique(owners):
        mine = owners == owner
        means = local_means(times[mine], [values[mine] for values in columns], times[mine],
                            seconds)
        for result, mean in zip(results, means):
            result[mine] = mean
    return results


def own_levels(times: np.ndarray, owners: np.ndarray, velocities: np.ndarray,
               at: np.ndarray, at_owners: np.ndarray, own: np.ndarray,
               seconds: float) -> np.ndarray:
    """The local level of each note's own part (local_mean over that part's notes
    `times`, sorted), worked out at points LEVEL_GRID to a level width apart from the
    first note asked for and interpolated linearly between them: a window's few hundred
    notes are a handful of points however dense the part, and a level 16 s wide moves by
    less than 0.01 velocity steps between them. A note of a part with no notes given
    is its own level (`own`)."""
    result = np.array(own, dtype=np.float64)
    if not len(at):
        return result
    step, origin = seconds / LEVEL_GRID, float(at.min())  # relative: never a clock
    one_part = at_owners[0] == at_owners[-1] and (at_owners == at_owners[0]).all()
    for owner in (at_owners[:1] if one_part else np.unique(at_owners)):
        if one_part and (owners == owner).all():  # a live window: one part, no masks
            mine, wanted = slice(None), slice(None)
        else:
            mine, wanted = owners == owner, np.flatnonzero(at_owners == owner)
            if not mine.any():
                continue
        heard = np.asarray(velocities[mine], dtype=np.float64)
        if heard.min() == heard.max():  # a part drawn flat (the DAW case) is its level
            result[wanted] = heard[0]
            continue
        position = (at[wanted] - origin) / step
        below = np.floor(position)
        points = np.unique(np.concatenate([below, below + 1]))
        # the points are a level width / LEVEL_GRID apart: distinct to the millisecond
        [grid] = _means_at(np.asarray(times[mine], dtype=np.float64), [heard],
                           np.round(origin + points * step, 3), seconds)
        lower = grid[points.searchsorted(below)]
        upper = grid[points.searchsorted(below + 1)]
        result[wanted] = lower + (position - below) * (upper - lower)
    return result


def phrase(times: np.ndarray, values: np.ndarray,
           seconds: float = PHRASE_SECONDS) -> np.ndarray:
    """The slow part of `values` (velocities or deviations, at sorted `times`) at each
    note: where a passage is loud or soft - what a drawn contour or the notation's p and f
    carry - without the note-level shaping (voicing, accents) on top of it."""
    return local_mean(times, values, times, seconds)


def deviations_of(times: np.ndarray, velocities: np.ndarray,
               seconds: float = LEVEL_SECONDS) -> np.ndarray:
    """Each velocity less its local level (velocity steps): what a player shaped."""
    velocities = np.asarray(velocities, dtype=np.float64)
    return velocities - local_mean(times, velocities, times, seconds)


def recentred(times: np.ndarray, values: np.ndarray, at: np.ndarray, own: np.ndarray,
              seconds: float) -> np.ndarray:
    """`own` (the values of the notes at times `at`) less the running mean of `values`
    (at sorted `times`) around them: what keeps a part's level and its place."""
    with np.errstate(invalid="ignore"):  # a broken model's inf stays a non-finite result
        return own - local_mean(times, values, at, seconds)


def spread(mean: np.ndarray, square: np.ndarray) -> np.ndarray:
    """The standard deviation from a mean and a mean of squares (never below zero, where
    rounding makes the difference negative)."""
    with np.errstate(invalid="ignore"):  # a broken model's inf stays non-finite
        return np.sqrt(np.maximum(square - mean * mean, 0.0))


def local_spread(times: np.ndarray, values: np.ndarray, at: np.ndarray,
                 seconds: float) -> np.ndarray:
    """The running standard deviation of `values` around `at` (the level's window)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return spread(local_mean(times, values, at, seconds),
                      local_mean(times, values * values, at, seconds))
