"""A humanized file as an interactive page (`humanize --plot out.html`): a piano roll a
musician reads at song length.

One lane per part, named by its track, instrument and role: pitch up, time across, each
note a bar coloured by its velocity; buttons switch the whole page between the notes as
humanized, as drawn, and the difference. A kit gets one row per piece (kick, snare, hat
apart, where one bar of velocities hid them behind each other). Bar lines carry the bar
numbers from the file's meter (a faint line at every
bar, a numbered one every few); a last lane shows how far each note moved, on an axis that
ignores outliers (a few far notes squashed everything else to a line). Hovering a note
gives its before and after; dragging zooms to a bar, double-click zooms out.

Plotly draws it (the plot extra): the page holds plotly.js itself, so it opens offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

from humanizer import gm
from humanizer.errors import HumanizerError
from humanizer.notes import instrument_of
from humanizer.offline import HumanizedFile, Part

VIEWS = ("humanized", "drawn", "difference")
SHORTEST = 0.05  # seconds: a drum hit or grace note still shows as a bar
LANE_PIXELS = 16  # per pitch row, within a lane's bounds below
LANE_MIN, LANE_MAX = 140, 420
TIMING_PIXELS = 160
DIFFERENCE_RANGE = 24  # velocity steps at the ends of the difference colours
# softer blue, an unchanged note grey (white vanished on the white page), louder red
DIFFERENCE_COLOURS = [[0.0, "#2166ac"], [0.5, "#c8c8c8"], [1.0, "#b2182b"]]


def plotly():  # noqa: ANN201 - plotly.graph_objects, loaded only when a page is asked for
    try:
        import plotly.graph_objects as graph
        from plotly.subplots import make_subplots
    except ModuleNotFoundError:
        raise HumanizerError("pages need plotly: pip install 'midi-humanizer[plot]'") from None
    return graph, make_subplots


def is_kit(part: Part) -> bool:
    """Channel 10, or a kit heard on another channel (its role): a row per piece."""
    return part.channel == 9 or (part.role is not None and part.role.name == "drums")


def part_name(result: HumanizedFile, part: Part) -> str:
    """What a musician calls the part: its track's name and its instrument (escaped: the
    page's titles read markup, and a track's name is anybody's text)."""
    program, name = instrument_of(result.before.midi, part.track, part.channel)
    instrument = "drum kit" if is_kit(part) else gm.program_name(program)
    return escape(" - ".join([w for w in (name, instrument) if w] or [f"track {part.track}"]))


def lane_title(result: HumanizedFile, part: Part) -> str:
    """The part's name, its channel and role, and what the style did to its level and
    spread."""
    before = np.array([result.before.notes[i].velocity for i in part.indices])
    after = np.array([result.velocities[i] for i in part.indices])
    role = part.role.name if part.role is not None else "part"
    return (f"<b>{part_name(result, part)}</b>  channel {part.channel + 1}, {role}, "
            f"style {part.style or 'none (left as drawn)'}: velocity {before.mean():.0f} "
            f"-> {after.mean():.0f}, spread {before.std():.1f} -> {after.std():.1f}")


def rows_of(result: HumanizedFile, part: Part) -> tuple[np.ndarray, list[int], list[str]]:
    """Each note's row in its lane, and the rows' tick positions and labels: pitches for a
    melodic part (a label per octave), one row per piece for a kit."""
    pitches = np.array([result.before.notes[i].pitch for i in part.indices])
    if is_kit(part):
        pieces = sorted(set(pitches.tolist()))
        return (np.searchsorted(pieces, pitches), list(range(len(pieces))),
                [gm.drum_name(key) for key in pieces])
    low, high = int(pitches.min()), int(pitches.max())
    octaves = [c for c in range(low - low % 12, high + 1, 12) if low - 6 <= c <= high + 6]
    return pitches, octaves or [low], [gm.pitch_name(c) for c in octaves or [low]]


def note_bars(result: HumanizedFile, part: Part, graph, rows: np.ndarray,
              scale_shown: bool = False) -> list:
    """The part's notes three times - humanized, drawn, difference - as bars from start to
    end; only the humanized ones show at first (`scale_shown`: this lane's bars carry the
    colour scale, once for the page)."""
    notes = [result.before.notes[i] for i in part.indices]
    shifts = np.array([result.shifts[i] for i in part.indices])
    changes = np.array([(result.length_changes or [0.0] * len(result.shifts))[i]
                        for i in part.indices])
    start = np.array([n.start for n in notes])
    length = np.array([n.end - n.start for n in notes])
    before = np.array([n.velocity for n in notes])
    after = np.array([result.velocities[i] for i in part.indices])
    names = ([gm.drum_name(n.pitch) for n in notes] if is_kit(part)
             else [gm.pitch_name(n.pitch) for n in notes])
    hover = np.column_stack([names, before, after, np.round(1000 * shifts, 1),
                             np.round(1000 * length), np.round(1000 * (length + changes))])
    template = ("%{customdata[0]}  at %{base:.3f} s<br>velocity %{customdata[1]} -> "
                "%{customdata[2]}<br>moved %{customdata[3]} ms<br>length %{customdata[4]} "
                "-> %{customdata[5]} ms<extra></extra>")
    placed = {"humanized": (start + shifts, length + changes, after),
              "drawn": (start, length, before),
              "difference": (start + shifts, length + changes, after - before)}
    bars = []
    for view, (begins, lengths, colour) in placed.items():
        scale = ({"colorscale": DIFFERENCE_COLOURS, "cmin": -DIFFERENCE_RANGE,
                  "cmax": DIFFERENCE_RANGE}
                 if view == "difference" else {"colorscale": "Viridis", "cmin": 0,
                                               "cmax": 127})
        scale |= {"showscale": scale_shown, "colorbar": {
            "title": {"text": "velocity<br>change" if view == "difference" else "velocity"},
            "len": 0.25, "y": 1, "yanchor": "top", "thickness": 14}}
        bars.append(graph.Bar(
            base=begins, x=np.maximum(lengths, SHORTEST), y=rows, orientation="h",
            marker={"color": colour, "line": {"width": 0}, **scale}, width=0.85,
            customdata=hover, hovertemplate=template, name=view, showlegend=False,
            visible=view == "humanized", meta=view))
    return bars


def robust_range(values: np.ndarray) -> tuple[float, float]:
    """An axis for the timing lane that shows the bulk of the moves: the 1st to 99th
    percentile, widened a little, never narrower than +-5 ms."""
    low, high = np.percentile(values, [1, 99]) if len(values) else (0.0, 0.0)
    reach = max(abs(low), abs(high), 5.0) * 1.15
    return -reach, reach


def timing_dots(result: HumanizedFile, parts: Sequence[Part], graph) -> tuple[list, tuple]:
    """Each moved part's notes as dots: when, and how far (ms); notes beyond the axis sit
    on its edge as triangles."""
    moved = [p for p in parts if any(result.shifts[i] for i in p.indices)]
    every = np.array([1000 * result.shifts[i] for p in moved for i in p.indices])
    low, high = robust_range(every)
    dots = []
    for part in moved:
        shifts = np.array([1000 * result.shifts[i] for i in part.indices])
        shown = np.clip(shifts, low, high)
        symbols = np.where(shifts > high, "triangle-up",
                           np.where(shifts < low, "triangle-down", "circle"))
        dots.append(graph.Scattergl(
            x=[result.before.notes[i].start for i in part.indices], y=shown, mode="markers",
            marker={"size": 5, "symbol": symbols}, name=part_name(result, part),
            customdata=np.round(shifts, 1),
            hovertemplate="moved %{customdata} ms at %{x:.3f} s<extra></extra>"))
    return dots, (low, high)


def view_buttons(traces: list) -> dict:
    """Buttons that show one view of every lane's notes (the timing dots always show)."""
    def visible(view: str) -> list[bool]:
        return [getattr(t, "meta", None) in (view, None) for t in traces]

    return {"type": "buttons", "direction": "right", "x": 1, "xanchor": "right", "y": 1,
            "yanchor": "bottom", "pad": {"b": 36},
            "buttons": [{"label": view, "method": "restyle", "args": [{"visible":
                                                                        visible(view)}]}
                        for view in VIEWS]}


def figure(result: HumanizedFile, bars: list[float], title: str):  # noqa: ANN201
    """The whole page's figure: a lane per part, the timing lane, bar lines, buttons."""
    graph, make_subplots = plotly()
    parts = sorted(result.parts, key=lambda p: (is_kit(p), p.track, p.channel))
    if not parts:  # a file of no notes (or only skipped channels): a page that says so
        return graph.Figure(layout={"title": {"text": f"{escape(title)}: no notes to draw"}})
    lanes = [(part, *rows_of(result, part)) for part in parts]
    dots, (low, high) = timing_dots(result, parts, graph)
    heights = [min(LANE_MAX, max(LANE_MIN, LANE_PIXELS * (int(np.ptp(rows)) + 2)))
               for _, rows, _, _ in lanes] + ([TIMING_PIXELS] if dots else [])
    titles = [lane_title(result, part) for part in parts] + (
        ["<b>timing</b>: how far each note moved, ms (negative = earlier)"] if dots else [])
    fig = make_subplots(rows=len(heights), cols=1, shared_xaxes=True, row_heights=heights,
                        vertical_spacing=min(0.06, 40 / sum(heights)),
                        subplot_titles=titles)
    for row, (part, rows, ticks, labels) in enumerate(lanes, start=1):
        for bar in note_bars(result, part, graph, rows, scale_shown=row == 1):
            fig.add_trace(bar, row=row, col=1)
        fig.update_yaxes(tickvals=ticks, ticktext=labels, row=row, col=1,
                         range=[float(rows.min()) - 1, float(rows.max()) + 1])
    for dot in dots:
        fig.add_trace(dot, row=len(heights), col=1)
    if dots:
        fig.update_yaxes(range=[low, high], zeroline=True, row=len(heights), col=1)
    until = max((n.end + s for n, s in zip(result.before.notes, result.shifts)), default=1.0)
    fig.update_xaxes(range=[min(0.0, min(result.shifts, default=0.0)), until * 1.01])
    every = max(1, len(bars) // 32)
    for annotation in fig.layout.annotations:
        annotation.update(x=0, xanchor="left", font={"size": 12})
    fig.update_xaxes(  # a numbered line every few bars, a faint one at every bar; the
        # numbers under every lane, not only the last (a song's page is tall)
        tickvals=bars[::every], ticktext=[str(n + 1) for n in range(0, len(bars), every)],
        showticklabels=True, tickfont={"size": 9, "color": "#777"},
        showgrid=True, gridcolor="rgba(0,0,0,0.22)",
        minor={"tickvals": bars, "showgrid": True, "gridcolor": "rgba(0,0,0,0.07)"})
    fig.update_xaxes(title_text="bar (lines at every bar, from the file's tempo and meter)",
                     row=len(heights), col=1)
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"},
                      height=sum(heights) + 40 * len(heights) + 160, barmode="overlay",
                      plot_bgcolor="white", margin={"l": 110, "r": 30, "t": 110, "b": 60},
                      updatemenus=[view_buttons(list(fig.data))], dragmode="zoom",
                      hovermode="closest", legend={"title": {"text": "timing"},
                                                   "y": 0, "yanchor": "bottom"})
    return fig


def html(result: HumanizedFile, bars: list[float], title: str) -> bytes:
    """The page, self-contained: plotly.js is inside it, so it opens with no network."""
    page = figure(result, bars, title).to_html(
        include_plotlyjs=True, full_html=True, div_id="humanized",
        config={"scrollZoom": True, "displaylogo": False})
    return page.replace("<head>", f"<head><title>{escape(title)}</title>", 1).encode()
