"""The real-time service: MIDI ports, lookahead scheduler, ZeroMQ control."""
