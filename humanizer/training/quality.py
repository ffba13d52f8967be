"""Regenerate docs/quality.md: every shipped style, per condition and lookahead.

    humanizer quality [--data ../shared/data] [--out docs/quality.md]
        [--lookaheads 0ms,125ms,250ms,500ms,1000ms,full]

(the command is humanizer.commands.quality; this module is its library)

Each row is `humanizer eval` on a test split (DESIGN section 6): the model beside the
`flat`, `constant64` and `train_mean` baselines on the same notes.
"""

from __future__ import annotations

import time
from pathlib import Path

from humanizer import models
from humanizer.datasets.catalog import performances, sample
from humanizer.engine import Engine
from humanizer.evaluation import BASELINES, evaluate, lookahead_label
from humanizer.training import held_out

# style -> [(data set folder under --data, input condition)]
CONDITIONS = {
    "piano": [("asap", "match"), ("asap", "score"), ("asap", "performance")],
    "pop": [("pop909", "performance")],
    "drums": [("groove", "performance"), ("groove", "score")],
}


def rows_for(style: str, data: Path, lookaheads: list[float | None],
             count: int | None, workers: int | None = None) -> list[str]:
    """The table rows of one style: each of its conditions at each lookahead (seconds, or
    None for the whole file), printed as they come (a sweep takes minutes), its files on
    `workers` processes (default one per core)."""
    engine = Engine(models.find(style))
    rows = []
    for folder, input_kind in CONDITIONS.get(style, []):
        files = sample(performances(data / folder, "test"), count)
        for lookahead in lookaheads:
            timing = engine.contract.timing and input_kind == "score"
            report = evaluate(engine, files, lookahead, workers=workers, input_kind=input_kind,
                              timing=timing)
            cells = [style, f"{folder} test, {report['files']} files ({input_kind})",
                     lookahead_label(lookahead), str(report["notes"])]
            for metrics in [report["model"]] + [report["baselines"][b] for b in BASELINES]:
                cells.append(f"{metrics['mae']:.2f}")
            cells += [f"{report['model']['pearson_median']:.3f}",
                      f"{report['model']['spread_ratio']:.3f}"]
            shifts = report.get("timing")
            cells.append(f"{shifts['mae_ms']:.1f} / {shifts['zero_mae_ms']:.1f}" if shifts
                         else "-")
            limits = report["at_limits"]
            cells.append(f"{limits['model_low']:.2f} / {limits['model_high']:.2f} "
                         f"({limits['played_low']:.2f} / {limits['played_high']:.2f})")
            rows.append("| " + " | ".join(cells) + " |")
            print(rows[-1], flush=True)
            if "drum_classes" in report and lookahead == 0.5 and input_kind == "score":
                drum_rows[:] = [f"| {name} | {row['notes']} | {row['played']:+.1f} | "
                                f"{row['model']:+.1f} |"
                                for name, row in report["drum_classes"].items()]
    return rows


drum_rows: list[str] = []  # the drums' classes, filled by rows_for


def part_rows() -> list[str]:
    """The shipped styles on generated arrangements and bands (humanizer.examples), part
    by part, as `humanize --timing 1 --articulation 1` plays them: each part's role and
    style, its level in and out, its spread, how often its notes are at 1 or 127, and how
    its notes moved."""
    import tempfile

    import numpy as np

    from humanizer import values
    from humanizer.examples.arrangements import write_all
    from humanizer.examples.band import write_bands
    from humanizer.notes import instrument_of
    from humanizer.offline import Humanizer
    from humanizer.output import OutputSettings

    humanizer = Humanizer(None, OutputSettings(timing=1.0, articulation=1.0,
                                               variation=values.DEFAULT_VARIATION))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = [*write_all(Path(folder) / "arrangements"), *write_bands(Path(folder) / "bands")]
        for path in files:
            result = humanizer.file(path, Path(folder) / f"out-{path.name}")
            notes = result.before.notes
            for part in sorted(result.parts, key=lambda p: (p.track, p.channel)):
                before = np.array([notes[i].velocity for i in part.indices])
                after = np.array([result.velocities[i] for i in part.indices])
                moved = np.array([result.shifts[i] for i in part.indices]) * 1000
                name = instrument_of(result.before.midi, part.track, part.channel)[1]
                role = part.role.name if part.role else "-"
                rows.append(f"| {path.name} | {name or 'channel ' + str(part.channel + 1)} "
                            f"({role}, {part.style or 'as drawn'}) | {len(part.indices)} | "
                            f"{before.mean():.0f} | {after.mean():.1f} | "
                            f"{before.std():.1f} -> {after.std():.1f} | "
                            f"{np.mean(after <= 1) * 100:.1f} / "
                            f"{np.mean(after >= 127) * 100:.1f} | "
                            f"{round(moved.mean(), 1) + 0.0:+.1f} / {moved.std():.1f} |")
    return rows


def arrangement_section() -> list[str]:
    """docs/quality.md's section of generated bands, part by part."""
    began = time.monotonic()
    return ["## Arrangements, per part", "",
            "Generated multi-part files (`humanizer.examples`: arrangements at balanced, "
            "quiet and loud levels, and bands with bass, guitars, strings, leads, pads and "
            "kits, one at 127, one on channel 1, one over several tracks), every part drawn "
            "flat at its level (spread 0) unless it has dynamics drawn in, through `humanize "
            "--timing 1 --articulation 1` with the default styles and variation (a take, "
            "seed 0): each part's role and style, its level in and out, its spread before "
            "and after, how often it sits at 1 or 127, and how its onsets moved (mean / sd, "
            "ms).", "",
            "| file | part (role, style) | notes | level in | mean out | spread | "
            "% at 1 / 127 | moved ms (mean / sd) |", "|---|---|---|---|---|---|---|---|",
            *part_rows(), "", f"This section took {time.monotonic() - began:.0f} s."]


def document(data: Path, lookaheads: list[float | None], count: int | None,
             workers: int | None = None) -> str:
    """docs/quality.md: the table of every installed style, with how it was made."""
    began = time.monotonic()
    header = ("| style | test set (input) | lookahead | notes | model MAE | flat MAE | "
              "constant64 MAE | train_mean MAE | model r (median) | model spread | "
              "timing MAE ms / no offset | % at 1 / 127 (played) |")
    lines = [
        "# Quality of the shipped styles",
        "",
        "Generated by `humanizer quality"
        + (f" --files {count}" if count else "") + "` from the styles in",
        "`humanizer/styles/` on the test splits (ASAP: by piece; POP909: by song; Groove MIDI",
        "Dataset: official). Input: every note at the file's mean velocity (`performance`:",
        "the performance's own timing; `match`: the exact DAW case - ASAP's score from its",
        "match files at the performance's mean tempo, with its meter; `score`: ASAP's",
        "quantized score warped to the performance's beats, or the drums snapped to the",
        "16th/8th-triplet grid of their tempo). MAE in velocity steps; r and spread are",
        "medians per file; the baselines' r and spread are 0 by definition. A style with a",
        "timing head on score",
        "input also gets its onset-offset MAE against no offset at all (in ms).",
        "",
        header,
        "|" + "---|" * (header.count("|") - 1),
    ]
    for style in models.styles():
        lines += rows_for(style, data, lookaheads, count, workers)
    if drum_rows:
        lines += ["", "## Drums, per piece of the kit", "",
                  "The drums on score input at 500 ms: each class's mean velocity above the "
                  "part's level (the flat input), as the drummers played it and as the style "
                  "plays it.", "", "| class | notes | played | model |", "|---|---|---|---|",
                  *drum_rows]
    from humanizer.training import feel_quality

    lines += ["", *feel_quality.section(data, count)]
    lines += ["", *arrangement_section()]
    lines += ["", *held_out.section(data, count)]
    lines += ["", f"Took {time.monotonic() - began:.0f} s on this machine."]
    return "\n".join(lines) + "\n"

