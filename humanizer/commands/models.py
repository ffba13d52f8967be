"""`humanizer models [show NAME]`: the installed styles and their model cards."""

from __future__ import annotations

import argparse
import json

from humanizer import models
from humanizer.errors import HumanizerError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "show"), default="list",
                        help="list the installed styles (default), or show one's model card")
    parser.add_argument("name", nargs="?", help="style name (for show)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def card(name: str) -> dict:
    """A style's contract as a plain dict (its model card)."""
    contract = models.describe(name)
    return {"path": str(models.find(name)), **json.loads(contract.to_json())}


def listed(name: str) -> dict:
    """A style's card for the list, or its name and why it cannot be read: one broken
    style installed must not hide the others."""
    try:
        return card(name)
    except HumanizerError as error:
        return {"name": name, "path": str(models.styles()[name].path), "error": str(error)}


def print_metrics(title: str, report: dict) -> None:
    """A measured report (as `humanizer eval --json` prints it) as a small table."""
    lookahead = report.get("lookahead_seconds")
    seen = "whole file" if lookahead is None else f"lookahead {lookahead * 1000:g} ms"
    files = report.get("files")
    print(f"\n{title}: {report.get('notes')} onsets in {files} "
          f"file{'' if files == 1 else 's'}, {seen}")
    print(f"  {'':12} {'MAE':>7} {'r (median)':>11} {'spread':>7}")
    for name, row in {"model": report["model"], **report.get("baselines", {})}.items():
        print(f"  {name:12} {row['mae']:7.2f} {row['pearson_median'] + 0.0:11.3f} "
              f"{row['spread_ratio']:7.3f}")
    timing = report.get("timing")
    if timing:
        print(f"  timing: onset-offset MAE {timing['mae_ms']:.1f} ms (no offset "
              f"{timing['zero_mae_ms']:.1f} ms), r (median) {timing['pearson_median'] + 0.0:.3f}")


def run(args: argparse.Namespace) -> int:
    if args.action == "show":
        if not args.name:
            raise HumanizerError("which style? e.g. humanizer models show piano")
        shown = card(args.name)
        if args.json:
            print(json.dumps(shown, indent=2))
            return 0
        metrics = shown.pop("metrics", {})
        for key, value in shown.items():
            if isinstance(value, dict | list):
                value = json.dumps(value)
            print(f"{key:18} {value}")
        for key in ("test", "test_full_context"):
            if isinstance(metrics.get(key), dict) and "model" in metrics[key]:
                print_metrics(key, metrics[key])
        return 0
    cards = [listed(name) for name in sorted(models.styles())]
    if args.json:
        print(json.dumps(cards, indent=2))
        return 0
    if not cards:
        print("no styles installed")
        return 0
    print(f"{'style':10} {'plays':7} {'hears':7} {'moves':14} {'licence':34} description")
    for shown in cards:
        if "error" in shown:
            print(f"{shown['name']:10} cannot be used: {shown['error']}")
            continue
        outputs = shown.get("outputs", [])
        moves = "+".join(name for name, output in (("timing", "onset_offset"),
                                                   ("lengths", "length_ratio"))
                         if output in outputs)
        heard = "notes" if shown.get("encoding") == "notefeatures" else "frames"
        print(f"{shown['name']:10} {shown['instrument']:7} {heard:7} {moves:14} "
              f"{shown['licence']:34} {shown['description']}")
    return 0
