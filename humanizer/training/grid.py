"""Moved to humanizer.datasets.grid (no TensorFlow there); this name is kept only until
tests/test_timing.py imports it from there."""

from humanizer.datasets.grid import first_bpm, groove_pair, snap  # noqa: F401
