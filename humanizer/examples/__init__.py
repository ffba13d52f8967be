"""Example MIDI parts shipped with humanizer (see make.py)."""
