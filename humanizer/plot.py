"""Before/after pictures of a humanized file (`humanize --plot`), and of an evaluation
(`eval --plot`): what changed, readable at a glance.

matplotlib and plotly are an optional extra (`pip install 'midi-humanizer[plot]'`),
imported only when a picture is asked for. A humanized file's `.html` is the interactive
piano roll of `humanizer.page`; every `.png` (and an evaluation's `.html`, the picture in a
page) is drawn with matplotlib.
"""

from __future__ import annotations

import base64
import io
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import mido
import numpy as np

from humanizer.errors import HumanizerError
from humanizer.musical import place_means
from humanizer.notes import TempoMap, write_bytes_atomic

if TYPE_CHECKING:  # (offline loads the styles' runtime: not needed to draw)
    from humanizer.offline import HumanizedFile

KINDS = (".png", ".html")


def pyplot():  # noqa: ANN201 - matplotlib.pyplot, loaded only when asked for
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise HumanizerError("pictures need matplotlib: pip install 'midi-humanizer[plot]'"
                             ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_target(path: Path, force: bool = False) -> None:
    """Refuse, before any work, a picture that could not be written: not a .png or
    .html, or a folder that cannot take a file (a MIDI file written and then a failed
    picture left a half-done run with exit 1), or a file already there (unless `force`,
    as every output)."""
    if path.suffix.lower() not in KINDS:
        raise HumanizerError(f"{path}: a picture is a .png or an .html file")
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise HumanizerError(f"{path}: is a folder; give the picture's file name")
    if path.exists() and not force:
        raise HumanizerError(f"{path}: already exists (use --force to overwrite)")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".humanizer-plot-"):
            pass
    except OSError as error:
        raise HumanizerError(f"{path}: cannot write the picture there "
                             f"({error.strerror or error})") from None


def check_extra(path: Path) -> None:
    """Say before any work that the library a picture of this kind needs is missing."""
    if path.suffix.lower() == ".html":
        from humanizer import page

        page.plotly()
    else:
        pyplot()


def bar_lines(midi: mido.MidiFile, until: float) -> list[float]:
    """The times of the bar lines, from the file's time signatures and tempo map."""
    tempo = TempoMap(midi.ticks_per_beat, [
        (tick, message.tempo) for tick, message in _absolute(midi) if message.type == "set_tempo"])
    meters = [(tick, message.numerator, message.denominator) for tick, message in _absolute(midi)
              if message.type == "time_signature"] or [(0, 4, 4)]
    bars, tick, index = [], 0, 0
    while tempo.seconds(tick) <= until and len(bars) < 10_000:
        while index + 1 < len(meters) and meters[index + 1][0] <= tick:
            index += 1
        _, numerator, denominator = meters[index]
        bars.append(tempo.seconds(tick))
        tick += midi.ticks_per_beat * 4 * numerator // denominator
    return bars


def _absolute(midi: mido.MidiFile) -> list[tuple[int, mido.Message]]:
    found = []
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            found.append((tick, message))
    return found


def _save(figure, path: Path) -> None:
    """Write the figure as PNG, or as a self-contained HTML page holding it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    data = buffer.getvalue()
    if path.suffix.lower() == ".html":
        encoded = base64.b64encode(data).decode()
        data = (f"<!doctype html><meta charset='utf-8'><title>{path.stem}</title>"
                f"<img alt='{path.stem}' src='data:image/png;base64,{encoded}'>\n").encode()
    _write(data, path)


def _write(data: bytes, path: Path) -> None:
    """Write a picture whole or not at all, as the MIDI files are."""
    try:
        write_bytes_atomic(data, path)
    except OSError as error:
        raise HumanizerError(f"{path}: cannot write the picture ({error.strerror or error})"
                             ) from None


def humanized(result: HumanizedFile, path: Path, title: str | None = None) -> None:
    """A humanized file's picture: the interactive piano roll for an .html page, else the
    velocity lanes (`velocity_lanes`). `title`: the song's name (default: the picture's)."""
    if path.suffix.lower() == ".html":
        from humanizer import page

        until = max((n.end for n in result.before.notes), default=1.0)
        _write(page.html(result, bar_lines(result.before.midi, until), title or path.stem),
               path)
    else:
        velocity_lanes(result, path)


def velocity_lanes(result: HumanizedFile, path: Path) -> None:
    """Per part, the velocity of every note before (grey) and after (colour) on one time
    axis with the bar lines, and, for parts that moved, each note's shift in ms, and for
    parts whose lengths changed, each note's played / drawn length."""
    plt = pyplot()
    notes = result.before.notes
    parts = sorted(result.parts, key=lambda p: (p.track, p.channel))
    moving = [p for p in parts if any(result.shifts[i] for i in p.indices)]
    changes = result.length_changes or [0.0] * len(notes)
    lengthened = [p for p in parts if any(changes[i] for i in p.indices)]
    rows = len(parts) + (1 if moving else 0) + (1 if lengthened else 0)
    figure, axes = plt.subplots(max(rows, 1), 1, sharex=True, squeeze=False,
                                figsize=(12, 1.9 * max(rows, 1) + 0.6))
    until = max((n.end for n in notes), default=1.0)
    bars = bar_lines(result.before.midi, until)
    for axis, part in zip(axes[:, 0], parts):
        times = np.array([notes[i].start for i in part.indices])
        before = np.array([notes[i].velocity for i in part.indices])
        after = np.array([result.velocities[i] for i in part.indices])
        axis.vlines(times, 0, before, color="0.78", linewidth=3, label="drawn")
        axis.vlines(times, 0, after, color="tab:blue", linewidth=1.2, label="humanized")
        axis.set_ylim(0, 128)
        axis.set_ylabel("velocity")
        role = f"{part.role.name}, " if part.role is not None else ""
        axis.set_title(f"track {part.track}, channel {part.channel + 1}: {role}style "
                       f"{part.style or 'none (left as drawn)'}  "
                       f"(mean {before.mean():.0f} -> {after.mean():.0f}, "
                       f"spread {before.std():.1f} -> {after.std():.1f})", fontsize=9, loc="left")
    if lengthened:
        axis = axes[-1, 0]
        for part in lengthened:
            mine = [i for i in part.indices if notes[i].end > notes[i].start]
            axis.scatter([notes[i].start for i in mine],
                         [1 + changes[i] / (notes[i].end - notes[i].start) for i in mine],
                         s=6, label=f"ch {part.channel + 1}")
        axis.axhline(1, color="0.5", linewidth=0.8)
        axis.set_ylabel("length ratio")
        axis.set_title("articulation: each note's length played / drawn", fontsize=9,
                       loc="left")
        axis.legend(fontsize=7, loc="upper right")
    if moving:
        axis = axes[-2 if lengthened else -1, 0]
        for part in moving:
            times = [notes[i].start for i in part.indices]
            axis.scatter(times, [1000 * result.shifts[i] for i in part.indices], s=6,
                         label=f"ch {part.channel + 1}")
        axis.axhline(0, color="0.5", linewidth=0.8)
        axis.set_ylabel("shift ms")
        axis.set_title("timing: how far each note moved (negative = earlier)", fontsize=9,
                       loc="left")
        axis.legend(fontsize=7, loc="upper right")
    for axis in axes[:, 0]:
        for bar in bars:
            axis.axvline(bar, color="0.9", linewidth=0.6, zorder=0)
    if parts:
        axes[0, 0].legend(fontsize=7, loc="upper right")
    else:
        axes[0, 0].set_title("no notes to draw", fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("seconds (bar lines from the file's tempo and meter)")
    _save(figure, path)
    plt.close(figure)


def accent_profile(times: np.ndarray, velocities: np.ndarray, bars: list[float],
                   steps: int = 16) -> np.ndarray:
    """Mean velocity above the part's mean at each 16th of the bar (NaN where no note
    falls): the metrical accents."""
    edges = np.asarray(bars + [np.inf])
    bar = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, len(bars) - 1)
    length = np.diff(np.asarray(bars + [bars[-1] + (bars[-1] - bars[-2] if len(bars) > 1
                                                    else 2.0)]))
    position = np.floor((times - edges[bar]) / length[bar] * steps).astype(int) % steps
    return place_means(position, velocities - velocities.mean(), steps)


def evaluated(name: str, truth: np.ndarray, predicted: np.ndarray,
              times: Sequence[float], path: Path) -> None:
    """One performance: the velocities played and the model's over time, the one against
    the other, and the accent at each 16th of the bar (bars from the file's tempo map and
    meter - meaningful where the notes follow it, as on the grid or a score)."""
    plt = pyplot()
    figure, (lane, scatter, profile) = plt.subplots(
        1, 3, figsize=(15, 3.2), gridspec_kw={"width_ratios": [4, 1, 1.4]})
    lane.plot(times, truth, ".", markersize=2.5, color="0.45", label="played")
    lane.plot(times, predicted, ".", markersize=2.5, color="tab:blue", label="model")
    lane.set_ylim(0, 128)
    lane.set_xlabel("seconds")
    lane.set_ylabel("velocity")
    lane.set_title(name, fontsize=9, loc="left")
    lane.legend(fontsize=7, loc="upper right")
    scatter.plot(truth, predicted, ".", markersize=2, alpha=0.4)
    scatter.plot([0, 127], [0, 127], color="0.6", linewidth=0.8)
    scatter.set_xlabel("played")
    scatter.set_ylabel("model")
    scatter.set_xlim(0, 128)
    scatter.set_ylim(0, 128)
    times = np.asarray(times, dtype=np.float64)
    try:
        bars = bar_lines(mido.MidiFile(name), float(times.max()) if len(times) else 1.0)
    except Exception:  # no file to read the meter from: a flat profile is still drawn
        bars = [0.0]
    steps = np.arange(16)
    profile.bar(steps - 0.2, accent_profile(times, truth, bars), width=0.4, color="0.5",
                label="played")
    profile.bar(steps + 0.2, accent_profile(times, predicted, bars), width=0.4,
                color="tab:blue", label="model")
    profile.set_xticks([0, 4, 8, 12], ["1", "2", "3", "4"])
    profile.set_xlabel("beat of the bar (16ths)")
    profile.set_ylabel("above the mean")
    profile.legend(fontsize=7)
    _save(figure, path)
    plt.close(figure)
