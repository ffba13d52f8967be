"""`humanizer train DATA... -o MODEL.keras --name STYLE`: train a style model."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from humanizer import notefeatures, values
from humanizer.commands import checked
from humanizer.errors import HumanizerError
from humanizer.training.train import INPUTS, TrainConfig, train

ENCODINGS = ("frames", "notes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options in groups of a kind, so each reads at a glance; `--help` lists them in
    this order."""
    _add_data_arguments(parser)
    _add_budget_arguments(parser)
    _add_network_arguments(parser)
    _add_crop_arguments(parser)
    _add_target_arguments(parser)
    _add_step_arguments(parser)
    _add_card_arguments(parser)


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """What the style learns from and what it learns: the data, the encoding, the input
    condition, the timing head and the level its deviations are measured from."""
    parser.add_argument("data", nargs="+", metavar="DATA",
                        help="data set folders: ASAP, the Groove MIDI Dataset, or any folder "
                             "of performance MIDI files")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL.keras",
                        help="the model to write (the best epoch), with its contract beside "
                             "it as MODEL.keras.contract.json")
    parser.add_argument("--name", required=True, help="style name, e.g. piano")
    parser.add_argument("--encoding", choices=ENCODINGS, default="notes",
                        help="notes (default): one step per note with its voicing, rhythm, "
                             "accent and meter (contract 3), trained on the exact DAW case "
                             "(ASAP's match files, POP909's beats, the Groove grid) - every "
                             "shipped style; frames: the older 50 fps piano roll (contract 2)")
    parser.add_argument("--instrument", default="piano",
                        help="piano (transposed in training) or drums (never transposed)")
    parser.add_argument("--input", choices=INPUTS, default="performance",
                        help="train on performances with their velocities flattened "
                             "(default), or on the DAW case: ASAP's aligned scores, or drums "
                             "snapped to the grid of their tempo")
    parser.add_argument("--drum-map", choices=("notes", "classes"), default="notes",
                        help="drums: learn each recorded note (default: the stroke - bow or "
                             "edge - is part of a drummer's dynamics) or each piece of the "
                             "kit (classes)")
    parser.add_argument("--timing", action="store_true",
                        help="also learn each note's onset offset (needs --input score)")
    parser.add_argument("--level", type=_number("--level", 0.1, 600.0), default=3.0,
                        metavar="SECONDS",
                        help="width of the level the model's deviations are measured from "
                             "(default 3 s; longer lets it shape phrases)")


def _add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    """When training stops: a time budget, an epoch count, or no better validation score."""
    parser.add_argument("--minutes", type=_number("--minutes", 0.0, 10_000.0), default=20.0,
                        help="time budget: training stops after the epoch that passes it "
                             "(default 20)")
    parser.add_argument("--epochs", type=_integer("--epochs", 1), default=200,
                        help="at most this many epochs (default 200)")
    parser.add_argument("--patience", type=_integer("--patience", 1), default=12,
                        help="stop after this many epochs without a better validation score "
                             "(default 12)")


def _add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """The network's size: LSTM units, layers and dropout."""
    parser.add_argument("--units", type=_integer("--units", 1),
                        help="LSTM units per direction and layer (default 96 for frames, 64 "
                             "for notes)")
    parser.add_argument("--layers", type=_integer("--layers", 1, 8), default=2,
                        help="bidirectional LSTM layers (default 2)")
    parser.add_argument("--dropout", type=_number("--dropout", 0.0, 0.9), default=0.1,
                        help="the share of each layer's outputs dropped in training "
                             "(default 0.1)")


def _add_crop_arguments(parser: argparse.ArgumentParser) -> None:
    """What a training crop hears: its length, its past, and how far past its notes it
    looks (the lookahead the style is made for)."""
    parser.add_argument("--crop", type=_number("--crop", 0.5, 600.0), default=10.0,
                        metavar="SECONDS", help="length of a training crop (default 10)")
    parser.add_argument("--context", type=_number("--context", 0.5, 20.0), default=8.0,
                        metavar="SECONDS",
                        help="notes: how much of the past a live window hears (default 8)")
    parser.add_argument("--crop-notes", type=_integer("--crop-notes", 16, 4096), default=160,
                        metavar="N", help="notes: notes in a training crop (default 160)")
    parser.add_argument("--shortest-lookahead",
                        type=_number("--shortest-lookahead", 0.0, 0.6), default=0.1,
                        metavar="SECONDS",
                        help="notes: each crop hears a random SECONDS to --longest-lookahead "
                             "past its notes (default 0.1); 0 teaches the style to play at "
                             "--latency 0ms")
    parser.add_argument("--longest-lookahead",
                        type=_number("--longest-lookahead", 0.05, 0.6), default=0.6,
                        metavar="SECONDS",
                        help="notes: the longest lookahead a crop hears (default 0.6); below "
                             "0.5 the style is validated at this lookahead, for a style made "
                             "for one short --latency")
    parser.add_argument("--live-share", type=_number("--live-share", 0.0, 1.0), default=0.0,
                        metavar="0..1",
                        help="the share of crops that count only the notes a live window "
                             "predicts (default 0); above 0 the best epoch is the one that "
                             "plays best live")


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """What a training crop aims at, and which features the style hears."""
    parser.add_argument("--consensus", action="store_true",
                        help="notes: where a piece has several performances (ASAP), aim "
                             "flat crops at what its players agree on, note for note, rather "
                             "than at one player's evening")
    parser.add_argument("--phrase-share", type=_number("--phrase-share", 0.0, 1.0), default=0.0,
                        metavar="0..1",
                        help="notes: of the crops with dynamics drawn in, the share that "
                             "carries only their phrase (where a passage is loud or soft, as "
                             "a drawn contour or the notation's p and f do), so the style "
                             "learns to add the accents and voicing on top (default 0)")
    parser.add_argument("--phrase-depth", choices=("random", "full"), default="random",
                        help="notes, with --phrase-share: a phrase crop's contour pulled "
                             "toward its level by a random amount like the accents (random, "
                             "the default), or as played (full: a contour the user draws is "
                             "deepened less)")
    parser.add_argument("--without", action="append", choices=tuple(notefeatures.GROUPS),
                        default=[], metavar="|".join(notefeatures.GROUPS),
                        help="notes: train without these features, to measure what they are "
                             "worth (the style then hears none of them when it plays)")
    parser.add_argument("--played-share", type=_number("--played-share", 0.0, 1.0), default=0.0,
                        help="notes: the share of crops whose input is the part as played - "
                             "its own timing and lengths - where the data has it (ASAP), so "
                             "a part played in is heard with its cues (default 0)")
    parser.add_argument("--feel-only", action="append", default=[], metavar="DATA",
                        help="notes: a data set folder whose players' timing and note lengths "
                             "the style learns, not their velocities (the Weimar Jazz "
                             "Database's solos, the Groove MIDI Dataset's kick lines for a "
                             "bass); repeatable")


def _add_step_arguments(parser: argparse.ArgumentParser) -> None:
    """How each epoch is drawn and stepped through, and which weights are kept."""
    parser.add_argument("--crops-per-performance", type=_integer("--crops-per-performance", 1),
                        default=1, metavar="N",
                        help="random crops of each performance per epoch (default 1)")
    parser.add_argument("--batch-size", type=_integer("--batch-size", 1), default=32,
                        help="crops per training step on each device (default 32; a step "
                             "on N GPUs takes N times as many)")
    parser.add_argument("--devices", type=checked(values.devices), default="auto",
                        metavar="auto|cpu|0,1",
                        help="where training runs: auto (default: every GPU TensorFlow sees, "
                             "mirrored, else the CPU), cpu, or the numbers of the GPUs")
    parser.add_argument("--learning-rate", type=_number("--learning-rate", 0.0, 1.0),
                        default=2e-3, help="Adam's learning rate (default 0.002)")
    parser.add_argument("--decay", choices=("none", "linear"), default="none",
                        help="the learning rate: constant (default), or falling in a straight "
                             "line toward zero as --minutes runs out")
    parser.add_argument("--average", type=_number("--average", 0.0, 0.95), default=0.0,
                        metavar="0..0.95",
                        help="notes: validate and keep an average of the weights over the "
                             "epochs, each epoch's own weights counting 1 - AMOUNT (default 0: "
                             "the last epoch's alone); it smooths the epoch-to-epoch noise")
    parser.add_argument("--seed", type=_integer("--seed", 0), default=0,
                        help="random seed of the crops, augmentation and weights (default 0)")
    parser.add_argument("--limit", type=_integer("--limit", 1), metavar="N",
                        help="use at most N performances per split (quick runs)")


def _add_card_arguments(parser: argparse.ArgumentParser) -> None:
    """What the model card says about the style, beside the numbers training writes."""
    parser.add_argument("--licence", default="",
                        help="licence of the training data, written into the model card")
    parser.add_argument("--description", default="",
                        help="one line about the style, written into the model card")


def _number(name: str, low: float, high: float) -> Callable[[str], object]:
    """An argparse type for a number within [low, high] (humanizer.values' message)."""
    return checked(lambda text: values.number(name, text, low, high))


def _integer(name: str, low: int, high: int = 10**9) -> Callable[[str], object]:
    """An argparse type for a whole number within [low, high]."""
    return checked(lambda text: values.integer(name, text, low, high))


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    for folder in args.data:
        if not Path(folder).is_dir():
            raise HumanizerError(f"{folder}: no such data folder")
    if not args.output.endswith(".keras"):
        raise HumanizerError("the output must be a .keras file")
    if args.shortest_lookahead > args.longest_lookahead:
        raise HumanizerError(f"--shortest-lookahead {args.shortest_lookahead:g} is longer than "
                             f"--longest-lookahead {args.longest_lookahead:g}")
    if args.encoding == "notes":
        return run_notes(args)
    if args.average:
        raise HumanizerError("--average needs --encoding notes")
    if args.without:
        raise HumanizerError("--without needs --encoding notes: the piano roll has no "
                             "voicing, meter or stroke features to go without")
    config = TrainConfig(
        data=args.data, output=args.output, name=args.name, instrument=args.instrument,
        minutes=args.minutes, epochs=args.epochs, patience=args.patience,
        units=args.units or 96, layers=args.layers, dropout=args.dropout, crop_seconds=args.crop,
        crops_per_performance=args.crops_per_performance, batch_size=args.batch_size,
        learning_rate=args.learning_rate, decay=args.decay, seed=args.seed, limit=args.limit,
        transpose=3 if args.instrument == "piano" else 0, input=args.input, timing=args.timing,
        drum_map=args.drum_map, devices=args.devices,
        level_seconds=args.level, live_share=args.live_share,
        licence=args.licence, description=args.description,
    )
    result = train(config)
    validation = result["metrics"]["validation"]
    print(f"saved {args.output}: validation MAE {validation['mae']:.2f} "
          f"(no deviation {validation['zero_mae']:.2f}), spread {validation['spread_ratio']:.2f}"
          + (f", timing MAE {validation['timing_mae_ms']:.1f} ms (no offset "
             f"{validation['timing_zero_ms']:.1f} ms)" if args.timing else ""))
    return 0


def run_notes(args: argparse.Namespace) -> int:
    """A note-level style, trained on the DAW case of ASAP's match files."""
    from humanizer.training.note_train import NoteTrainConfig, train_notes

    config = NoteTrainConfig(
        data=args.data, output=args.output, name=args.name, instrument=args.instrument,
        minutes=args.minutes, epochs=args.epochs, patience=args.patience,
        units=args.units or 64, layers=args.layers, dropout=args.dropout,
        crop_notes=args.crop_notes,
        crops_per_performance=args.crops_per_performance, batch_size=args.batch_size,
        learning_rate=args.learning_rate, decay=args.decay, average=args.average,
        seed=args.seed, limit=args.limit,
        transpose=3 if args.instrument == "piano" else 0, level_seconds=args.level,
        context_seconds=args.context,
        lookahead_range=(args.shortest_lookahead, args.longest_lookahead),
        lookahead_seconds=min(0.5, args.longest_lookahead),
        live_share=args.live_share, consensus=args.consensus,
        phrase_share=args.phrase_share,
        phrase_full=args.phrase_depth == "full", without=tuple(dict.fromkeys(args.without)),
        feel_only=list(args.feel_only), played_share=args.played_share, devices=args.devices,
        licence=args.licence, description=args.description)
    result = train_notes(config)
    validation = result["metrics"]["validation"]
    print(f"saved {args.output}: validation MAE {validation['mae']:.2f} "
          f"(no deviation {validation['zero_mae']:.2f}), spread {validation['spread_ratio']:.2f}")
    return 0
