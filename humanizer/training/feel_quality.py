"""docs/quality.md's feel section: each role's timing and note lengths beside its players.

Each row is `humanizer eval --feel` at 500 ms (humanizer.feel_report) of a role's shipped
style on the test split of the data that knows what such players did with a written
part: drummers (the Groove MIDI Dataset on its grid), their kick for a bass (the kick lines,
humanizer.datasets.kick_lines, written to a scratch folder), jazz soloists for a lead line
(the Weimar Jazz Database), pianists for keys and comping (ASAP's match files). A style
without a timing head plays on the grid: its row says so.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from humanizer import models
from humanizer.datasets.catalog import performances, sample
from humanizer.datasets.kick_lines import write_kick_lines
from humanizer.engine import Engine
from humanizer.feel_report import evaluate_feel

LOOKAHEAD = 0.5
KICK_LINES = "kick lines"  # made from groove/ for the run
# (role, style, data set folder under --data)
ROWS = [("drums", "drums", "groove"), ("bass", "bass", KICK_LINES), ("lead", "lead", "wjd"),
        ("comping", "comping", "wjd"), ("comping", "comping", "asap"),
        ("pad", "pad", "asap"), ("keys", "pop", "asap"), ("keys (opt-in)", "piano", "asap")]
HEADER = ("| role (style) | players (test set) | notes | onset error ms (no offset) | r | "
          "push and pull sd ms (players) | chord spread ms (players) | top note ahead ms "
          "(players) | length error log2 (as written) | length played / written (players) |")


def row(role: str, style: str, folder: str, files: list[Path]) -> str:
    """One role's row (the style's feel beside its players'), or why there is none."""
    engine = Engine(models.find(style))
    where = f"{folder} test, {len(files)} files"
    if not engine.contract.timing:
        return f"| {role} ({style}) | {where} | - | no timing head: on the grid, as drawn " \
               "| | | | | | |"
    report = evaluate_feel(engine, files, LOOKAHEAD)
    onsets, chords = report["onsets"], report["chords"]
    played, model = chords["played"], chords["model"]
    cells = [f"{role} ({style})", f"{folder} test, {report['files']} files",
             str(report["notes"]),
             f"{onsets['mae_ms']:.1f} ({onsets['zero_mae_ms']:.1f})",
             f"{onsets['pearson_median']:.3f}",
             f"{onsets['model_sd_ms']:.1f} ({onsets['played_sd_ms']:.1f})"]
    cells += [f"{model['spread_ms']:.1f} ({played['spread_ms']:.1f})",
              f"{model['lead_ms']:+.1f} ({played['lead_ms']:+.1f})"] if played["chords"] \
        else ["-", "-"]
    lengths = report.get("lengths")
    cells += [f"{lengths['mae']:.3f} ({lengths['written_mae']:.3f})",
              f"{lengths['model_median']:.2f} ({lengths['played_median']:.2f})"] if lengths \
        else ["-", "-"]
    return "| " + " | ".join(cells) + " |"


def section(data: Path, count: int | None) -> list[str]:
    """The feel section's lines, printed row by row as they come."""
    lines = ["## Feel per role: timing and note lengths beside the players", "",
             "Each role's style at `--timing 1 --articulation 1`, 500 ms, on the test split of "
             "the players who stand in for that role (`humanizer eval --feel`): each note's "
             "onset against the player's, from the local beat (the error beside no offset), "
             "how widely notes are pushed and pulled, a chord's spread and how far its top "
             "note leads, and each note's played / written length (the error in log2, beside "
             "the written lengths; the median ratio). Bass: the drummers' kick, which a bass "
             "locks with; lead and comping lines: jazz soloists, their swing taken out; keys "
             "and chords: pianists.", "", HEADER, "|" + "---|" * (HEADER.count("|") - 1)]
    with tempfile.TemporaryDirectory() as scratch:
        for role, style, folder in ROWS:
            if style not in models.styles():
                continue
            root = data / folder
            if folder == KICK_LINES:
                root = Path(scratch) / "kick"
                write_kick_lines(data / "groove", root)
            lines.append(row(role, style, folder, sample(performances(root, "test"), count)))
            print(lines[-1], flush=True)
    return lines


def replace_section(page: str, lines: list[str]) -> str:
    """`page` with its feel section (up to the next `## ` heading) replaced by `lines`, or
    with them added before the arrangements' section where it has none."""
    heading = lines[0]
    parts = page.split("\n")
    if heading in parts:
        start = parts.index(heading)
        end = next((i for i in range(start + 1, len(parts)) if parts[i].startswith("## ")),
                   len(parts))
        return "\n".join(parts[:start] + lines + [""] + parts[end:])
    anchor = next((i for i, line in enumerate(parts) if line.startswith("## Arrangements")),
                  len(parts))
    return "\n".join(parts[:anchor] + lines + [""] + parts[anchor:])
