"""humanizer: give quantized, flat-velocity MIDI parts the dynamics of a human player."""

__version__ = "0.1.0"
