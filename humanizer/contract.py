"""The model contract: what an ONNX style model promises, stored in its metadata.

A style model is an ONNX file whose `metadata_props` hold one JSON object under the key
METADATA_KEY. The engine runs only models whose contract it implements; everything the
engine needs to run a model the same way in training, offline and live is in here.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from humanizer import drumkit, notefeatures
from humanizer import encoding as pianoroll
from humanizer.errors import HumanizerError
from humanizer.levels import LEVEL_SECONDS

METADATA_KEY = "humanizer"
# 1: velocity deviations only; 2 adds an optional timing head (output OFFSETS_NAME, listed
# as "onset_offset" in `outputs`, in units of `offset_scale` seconds); 3 adds note-level
# styles (encoding notefeatures v2): input NOTES_INPUT (batch, notes, features), one output
# PREDICTIONS_NAME (batch, notes, len(outputs)) whose channels are `outputs` in order -
# velocity_deviation, velocity_spread (log, model units), optionally onset_offset and then
# length_ratio (log2 of the played length over the written one).
CONTRACT_VERSION = 3
SUPPORTED_VERSIONS = (1, 2, 3)
INPUT_NAME = "frames"
OUTPUT_NAME = "deviations"
OFFSETS_NAME = "offsets"
NOTES_INPUT = "notes"
PREDICTIONS_NAME = "predictions"
TIMING_OUTPUT = "onset_offset"
LENGTH_OUTPUT = "length_ratio"
ENCODINGS = {(pianoroll.ENCODING_NAME, pianoroll.ENCODING_VERSION): 1,  # -> least contract
             (notefeatures.ENCODING_NAME, 2): 3,
             (notefeatures.ENCODING_NAME, notefeatures.ENCODING_VERSION): 3}
# what a contract's numbers may be: (above, at most). A model is run on the daemon's live
# path, so a frame rate or context of a million would run the machine out of memory.
BOUNDS = {"fps": (0, 200), "deviation_scale": (0, 1000), "level_seconds": (0, 60),
          "context_seconds": (0, 20), "lookahead_seconds": (-1, 60), "offset_scale": (0, 1),
          "gain": (0, 100), "variation_scale": (0, 100), "train_mean": (0, 127)}


@dataclass
class Contract:
    """A style model's metadata. Times are seconds; metrics are free-form JSON."""

    name: str
    description: str = ""
    instrument: str = "piano"
    encoding: str = pianoroll.ENCODING_NAME
    encoding_version: int = pianoroll.ENCODING_VERSION
    fps: float = pianoroll.DEFAULT_FPS
    deviation_scale: float = notefeatures.DEVIATION_SCALE
    level_seconds: float = LEVEL_SECONDS
    context_seconds: float = 4.0
    lookahead_seconds: float = 0.5
    outputs: list[str] = field(default_factory=lambda: ["velocity_deviation"])
    offset_scale: float = notefeatures.OFFSET_SCALE  # seconds per unit of the timing head
    input: str = "performance"  # what it was trained on: performances, or scores/grids
    gain: float = 1.0  # calibration of the deviations' spread, measured on validation data
    variation_scale: float = 1.0  # calibration of the spread head: --variation 1 varies as
    # much as the players do, measured on validation data at the live lookahead
    train_mean: float = 64.0  # mean velocity of the training data (a baseline)
    data: str = ""
    licence: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    drum_map: str = "notes"  # drums: hear "notes" as recorded, or their kit "classes"
    # note-level: the feature groups it was trained without (train --without, an ablation),
    # zeroed when it runs too, so that it hears what it learned from
    without: list[str] = field(default_factory=list)
    # drums: velocity steps (before the gain) added to each kit piece's deviations, measured
    # on validation so each piece keeps the drummers' level against the kit (issue 34, 5)
    piece_offsets: dict[str, float] = field(default_factory=dict)
    # of a take's noise (humanizer.variation), the share that is each note's own; the rest
    # drifts smoothly - a pad's players move with none of it (measured by eval --realism)
    variation_own_share: float = 0.5
    contract_version: int = CONTRACT_VERSION

    @property
    def note_level(self) -> bool:
        """Does the model take notes (notefeatures) rather than frames?"""
        return self.encoding == notefeatures.ENCODING_NAME

    @property
    def timing(self) -> bool:
        """Does the model predict onset offsets too?"""
        return TIMING_OUTPUT in self.outputs

    @property
    def lengths(self) -> bool:
        """Does the model predict note lengths too?"""
        return LENGTH_OUTPUT in self.outputs

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "model") -> Contract:
        try:
            values = json.loads(text)
        except json.JSONDecodeError:
            raise HumanizerError(f"{source}: its humanizer metadata is not valid JSON") from None
        except RecursionError:
            raise HumanizerError(f"{source}: its humanizer metadata is nested too deeply"
                                 ) from None
        if not isinstance(values, dict):
            raise HumanizerError(f"{source}: its humanizer metadata is not a JSON object")
        known = {name for name in cls.__dataclass_fields__}
        try:
            contract = cls(**{k: v for k, v in values.items() if k in known})
        except TypeError as error:
            raise HumanizerError(f"{source}: incomplete humanizer metadata ({error})") from None
        contract.check(source)
        return contract

    def check(self, source: str = "model") -> None:
        """Refuse a contract this version of humanizer cannot honour."""
        if self.contract_version not in SUPPORTED_VERSIONS:
            raise HumanizerError(
                f"{source}: model contract version {self.contract_version} is not supported "
                f"(this humanizer runs versions {SUPPORTED_VERSIONS[0]}-{CONTRACT_VERSION}); "
                "update humanizer")
        if self.timing and self.contract_version < 2:
            raise HumanizerError(f"{source}: a timing head needs contract version 2")
        needs = ENCODINGS.get((self.encoding, self.encoding_version))
        if needs is None:
            known = ", ".join(f"{name} v{version}" for name, version in ENCODINGS)
            raise HumanizerError(
                f"{source}: encoding {self.encoding} v{self.encoding_version} is not supported "
                f"(this humanizer implements {known})")
        if self.contract_version < needs:
            raise HumanizerError(f"{source}: encoding {self.encoding} needs contract version "
                                 f"{needs}")
        if self.lengths and self.outputs != list(notefeatures.OUTPUTS):
            raise HumanizerError(f"{source}: a length head needs a note-level model whose "
                                 f"outputs are {', '.join(notefeatures.OUTPUTS)}")
        if self.note_level and self.outputs[:2] != list(notefeatures.OUTPUTS[:2]):
            raise HumanizerError(f"{source}: a note-level model's outputs must begin with "
                                 f"{', '.join(notefeatures.OUTPUTS[:2])}")
        for key, (low, high) in BOUNDS.items():
            value = getattr(self, key)
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or not low < value <= high):
                raise HumanizerError(f"{source}: metadata field {key} must be a number above "
                                     f"{low:g} and at most {high:g}")
        if self.drum_map not in drumkit.DRUM_MAPS:
            raise HumanizerError(f"{source}: metadata field drum_map must be one of "
                                 f"{', '.join(drumkit.DRUM_MAPS)}")
        if self.without and (not self.note_level or not isinstance(self.without, list)
                             or not set(self.without) <= set(notefeatures.GROUPS)):
            raise HumanizerError(f"{source}: metadata field without must list some of "
                                 f"{', '.join(notefeatures.GROUPS)} (note-level styles only)")
        if (isinstance(self.variation_own_share, bool)
                or not isinstance(self.variation_own_share, int | float)
                or not 0.0 <= self.variation_own_share <= 1.0):
            raise HumanizerError(f"{source}: metadata field variation_own_share must be a "
                                 "number from 0 to 1")
        if not isinstance(self.piece_offsets, dict) or not all(
                name in drumkit.CLASSES and isinstance(value, int | float)
                and not isinstance(value, bool) and abs(value) <= 127
                for name, value in self.piece_offsets.items()):
            raise HumanizerError(f"{source}: metadata field piece_offsets must map kit pieces "
                                 f"({', '.join(drumkit.CLASSES)}) to velocity steps")
        if "velocity_deviation" not in self.outputs:
            raise HumanizerError(f"{source}: the model does not predict velocities")
