"""Turn a trained style into a shipped one: calibrate, measure, export into the package.

    humanizer ship MODEL.keras DATA... --name piano [--lookahead 500ms]
    humanizer ship humanizer/styles/pop.onnx DATA --name pop   (calibrate a shipped style again)

(the command is humanizer.commands.ship; this module is its library)

1. export MODEL.keras to a temporary ONNX model (parity-checked) - or, for a shipped
   style, take its graph as it is: its calibration lives in its contract, so when the
   output step changes (issue 34's knee) it is calibrated again without its Keras model;
2. pick the gain on the validation split (humanizer.training.calibrate), whole-file context,
   stepped down until the style keeps the generated arrangements' levels (and, for a
   piano, a drawn swell's depth: humanizer.training.mixcheck);
   a note-level style also its variation scale, at the live lookahead;
3. measure the calibrated model on the test split against the baselines, at the live
   lookahead and with the whole file (`humanizer eval`'s numbers), and a note-level
   style's takes at variation 1 (seeds 0 and 1);
4. write gain and metrics into the trainer's sidecar and export again into
   humanizer/styles/NAME.onnx, so the model card carries its own evidence.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from humanizer.contract import Contract
from humanizer.datasets.catalog import performances
from humanizer.engine import Engine
from humanizer.evaluation import evaluate
from humanizer.export.onnx_export import export_model, with_contract
from humanizer.training.calibrate import (
    GAINS,
    MAE_MARGIN,
    TARGET_SPREAD,
    TARGET_VARIATION_SPREAD,
    VARIATION_SCALES,
    choose_gain,
    choose_variation_scale,
    piece_offsets,
    raw_predictions,
    table,
    variation_table,
)
from humanizer.training.mixcheck import mix_problems


def contract_from(sidecar: dict, **changes) -> Contract:
    """The contract of the trainer's sidecar with `changes`; the trainer's other fields
    (hyperparameters) are not the contract's and are left out."""
    known = set(Contract.__dataclass_fields__)
    return Contract(**{**{k: v for k, v in sidecar.items() if k in known}, **changes})


def velocity_only(path: Path):
    """The trained model without its timing head (a head that learned nothing useful
    should not be offered to users)."""
    import keras

    from humanizer.export.convert import load_keras

    model = load_keras(path)
    return keras.Model(model.inputs, model.outputs[0], name=model.name)


def export_style(model: Path, path: Path, contract: Contract):
    """`model` - a trained Keras model, or a shipped .onnx style being recalibrated -
    exported under `contract` to `path`."""
    if model.suffix == ".onnx":
        return with_contract(model, path, contract)
    return export_model(model, path, contract)


def trainer_sidecar(model: Path) -> dict:
    """What the trainer wrote beside a Keras model; for a shipped .onnx style, the
    contract it carries (its card)."""
    if model.suffix == ".onnx":
        return json.loads(Engine(model).contract.to_json())
    return json.loads(Path(str(model) + ".contract.json").read_text())


def training_record(sidecar: dict) -> dict:
    """How the model was trained: a Keras model's sidecar holds it beside the contract, a
    shipped style's card in its metrics (the drums recalibrated from their .onnx lost it
    when only the first was read)."""
    return sidecar.get("training") or sidecar.get("metrics", {}).get("training", {})


def mix_safe_gain(model: Path, sidecar: dict, name: str, chosen: float,
                  scratch: Path) -> tuple[float, dict[str, list[str]]]:
    """The largest gain up to `chosen` at which the style keeps the generated
    arrangements' levels (humanizer.training.mixcheck), and the problems of the gains it
    passed over; gain 1 if none keeps them."""
    passed_over: dict[str, list[str]] = {}
    drums = sidecar.get("instrument") == "drums"
    for gain in sorted((g for g in GAINS if g <= chosen), reverse=True):
        candidate = scratch / f"{name}-gain-{gain}.onnx"
        export_style(model, candidate, contract_from(sidecar, name=name, gain=gain))
        problems = mix_problems(candidate, drums)
        if not problems:
            return gain, passed_over
        passed_over[str(gain)] = problems
        print(f"gain {gain} does not keep the mix: " + "; ".join(problems))
    return 1.0, passed_over


def mix_safe_scale(style: Path, chosen: float, drums: bool) -> tuple[float, list[str]]:
    """The largest variation scale up to `chosen` (`style`'s own) whose takes at variation 1
    (seeds 0 and 1) keep the arrangements' mix, found by bisection over VARIATION_SCALES:
    variation v at scale s plays as variation 1 at v x s (the smallest scale if none
    does). Also what the chosen one did."""
    def problems(scale: float) -> list[str]:  # (whole files: through the windows, a
        # take's mean moves as much again with the noise, docs/experiments.md)
        return mix_problems(style, drums, variation=scale / chosen, seeds=(0, 1),
                            latencies=(None,))

    first = problems(chosen)
    if not first:
        return chosen, []
    candidates = [s for s in VARIATION_SCALES if s < chosen]
    low, high = 0, len(candidates)  # candidates[:low] keep the mix; candidates[high:] do not
    while low < high:
        middle = (low + high) // 2
        if problems(candidates[middle]):
            high = middle
        else:
            low = middle + 1
    return (candidates[low - 1] if low else VARIATION_SCALES[0]), first


def print_by_gain(rows: dict) -> None:
    """The validation metrics at every gain, for the log of how the gain was chosen."""
    print("validation (whole file) by gain; 0.0 is the flat input:")
    for g, metrics in sorted(rows.items()):
        print(f"  gain {g:4.2f}: {metrics}")


def export_calibrated(model: Path, path: Path, sidecar: dict, name: str, gain: float,
                      scale: float) -> None:
    """Export `model` at `gain` and variation `scale` to `path`: the style the mix check
    plays and the test split measures."""
    export_style(model, path, contract_from(sidecar, name=name, gain=gain,
                                            variation_scale=scale))


def mix_safe_variation(model: Path, sidecar: dict, name: str, gain: float, by_scale: dict,
                       lookahead: float, calibrated: Path) -> tuple[float, list[str]]:
    """The variation scale the validation split chooses (`by_scale`), stepped down until
    its takes keep the mix (mix_safe_scale), and what the chosen one did to the mix.
    `calibrated` is exported at it: once before the mix check, which plays it, and again
    only if the check stepped the scale down."""
    chosen = choose_variation_scale(by_scale)
    print(f"validation at {lookahead:g} s, variation 1 by scale: "
          + ", ".join(f"{s:g}: {m['spread_ratio']}" for s, m in by_scale.items()))
    export_calibrated(model, calibrated, sidecar, name, gain, chosen)
    scale, varied_mix = mix_safe_scale(calibrated, chosen, sidecar.get("instrument") == "drums")
    if varied_mix:
        print("its takes at variation 1 do not keep the mix: " + "; ".join(varied_mix))
    print(f"chosen variation scale {scale}")
    if scale != chosen:  # stepped down (the chosen one is exported already)
        export_calibrated(model, calibrated, sidecar, name, gain, scale)
    return scale, varied_mix


def split_files(data: list[str], split: str) -> list[Path]:
    """The performance files of one split of every data set folder in `data`."""
    return [path for root in data for path in performances(root, split)]


def measure(style: Path, data: list[str], lookahead: float, input_kind: str,
            with_takes: bool) -> tuple[dict, dict, dict]:
    """`style` on the test split of `data` (`humanizer eval`'s numbers): at the live
    `lookahead`, with the whole file, and with `with_takes` (a note-level style) its takes
    at variation 1, seeds 0 and 1, keyed by seed."""
    engine = Engine(style, threads=1)
    tests = split_files(data, "test")
    # onset offsets are measured against a grid here (`eval --feel` measures the rest)
    timing = engine.contract.timing and input_kind == "score"
    test_live = evaluate(engine, tests, lookahead, input_kind=input_kind, timing=timing)
    test_full = evaluate(engine, tests, None, input_kind=input_kind, timing=timing)
    takes = {f"seed {seed}": evaluate(engine, tests, lookahead, input_kind=input_kind,
                                      variation=(1.0, seed))
             for seed in ((0, 1) if with_takes else ())}
    return test_live, test_full, takes


def calibration_metrics(gain: float, rows: dict, mix: dict[str, list[str]], scale: float,
                        by_scale: dict, varied_mix: list[str]) -> dict:
    """How the gain (and a note-level style's variation scale, where `by_scale`) was chosen,
    with the targets it was chosen by: the model card's evidence for its calibration."""
    calibration = {"gain": gain, "target_spread": TARGET_SPREAD, "mae_margin": MAE_MARGIN,
                   "validation_by_gain": {str(g): m for g, m in rows.items()},
                   "mix_problems_by_gain": mix}
    if by_scale:
        calibration.update(
            variation_scale=scale, target_variation_spread=TARGET_VARIATION_SPREAD,
            variation_mix_problems=varied_mix,
            validation_variation_by_scale={str(s): m for s, m in by_scale.items()})
    return calibration


def ship(model: Path, data: list[str], name: str, lookahead: float, output: Path,
         without_timing: bool = False, context: float | None = None) -> dict:
    """Calibrate `model` on the validation split of `data`, measure it on the test split
    (at `lookahead` and with the whole file), and export it with that evidence to
    `output`; the metrics written into the model card. `context`: the seconds of the past
    a live window hears, where not the card's (a note-level model runs over any count of
    notes, so its window can be longer than its training crops were)."""
    sidecar = trainer_sidecar(model)
    if context is not None:
        sidecar["context_seconds"] = context
    if without_timing:
        sidecar["outputs"] = ["velocity_deviation"]
        model = velocity_only(model)
    with tempfile.TemporaryDirectory() as scratch:
        uncalibrated = Path(scratch) / f"{name}.onnx"
        export_style(model, uncalibrated, contract_from(sidecar, name=name, gain=1.0))
        input_kind = sidecar.get("input", "performance")
        validation = split_files(data, "validation")
        raws = raw_predictions(uncalibrated, validation, None, input_kind)
        rows = table(raws)
        print_by_gain(rows)
        chosen = choose_gain(rows)
        if sidecar.get("instrument") == "drums":
            sidecar["piece_offsets"] = piece_offsets(raws, chosen)
            print(f"kit piece offsets: {sidecar['piece_offsets']}")
        gain, mix = mix_safe_gain(model, sidecar, name, chosen, Path(scratch))
        print(f"chosen gain {gain}")
        calibrated = Path(scratch) / f"{name}-calibrated.onnx"
        scale, by_scale, varied_mix = 1.0, {}, []
        if "velocity_spread" in contract_from(sidecar, name=name).outputs:  # a spread head
            by_scale = variation_table(raw_predictions(uncalibrated, validation, lookahead,
                                                       input_kind), gain)
            scale, varied_mix = mix_safe_variation(model, sidecar, name, gain, by_scale,
                                                   lookahead, calibrated)
        else:
            export_calibrated(model, calibrated, sidecar, name, gain, scale)
        test_live, test_full, takes = measure(calibrated, data, lookahead, input_kind,
                                              with_takes=bool(by_scale))
    metrics = {
        **sidecar.get("metrics", {}),
        "training": training_record(sidecar),
        "calibration": calibration_metrics(gain, rows, mix, scale, by_scale, varied_mix),
        "test": {"split": "test", "lookahead_seconds": lookahead, **test_live},
        "test_full_context": test_full,
    }
    if by_scale:
        metrics["test_variation_1"] = takes
    sidecar.update(name=name, gain=gain, variation_scale=scale, metrics=metrics,
                   lookahead_seconds=lookahead)
    if model.suffix != ".onnx":
        Path(str(model) + ".contract.json").write_text(json.dumps(sidecar, indent=2))
    report = export_style(model, output, contract_from(sidecar))
    print(f"shipped {output} (parity {report.parity_error:.1e})")
    print(json.dumps({"test": test_live, "test_full_context": test_full,
                      "test_variation_1": takes}, indent=2))
    return metrics
