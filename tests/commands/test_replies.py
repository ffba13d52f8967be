"""What `humanizer ctl` prints for a person: the daemon's replies as labelled lines."""

from humanizer.commands import replies

STATUS = {
    "input": "humanizer-in:in", "output": "humanizer-out:out", "api": "jack", "pid": 42,
    "uptime_s": 312.5, "control": "tcp://127.0.0.1:5555", "events": "tcp://127.0.0.1:5556",
    "styles": {"default": "piano", "channels": {"10": "drums", "11": "drums"}},
    "settings": {"strength": 0.5, "variation": 0.0, "seed": 7, "timing": 1.0, "articulation": 0.5,
                 "bypass": False, "velocity_min": 20, "velocity_max": 110, "meter": "6/8",
                 "bpm": 0.0, "clock_thru": True, "skip_channels": [4, 5],
                 "latency_ms": 500.0, "feel_ms": -8.0},
    "transport": {"source": "clock", "locked": True, "meter": "6/8", "bpm": 120.0,
                  "position": "3.2.00", "missed_clocks": 2,
                  "recent": [{"channel": 1, "pitch": 60, "position": p}
                             for p in ("2.6.00", "3.1.00", "3.1.00", "3.1.50", "3.2.00")]},
    "config": None, "sources": {"latency": "flag", "strength": "ctl", "seed": "config",
                                "timing": "flag", "meter": "default"},
    "stats": {"notes_in": 10, "notes_out": 9, "late": 1, "sounding": 1, "queued": 0,
              "rejected": 0, "released": 0, "stopped": 3, "inference_ms_p50": 1.5,
              "inference_ms_p99": 4.25,
              "threads": {"sender": {"alive": True, "restarts": 0},
                          "predictor": {"alive": True, "restarts": 1},
                          "reader": {"alive": True, "restarts": 0}}},
}


def test_status_reads_as_labelled_lines():
    assert replies.text_of("status", STATUS).splitlines() == [
        "humanizer-in:in -> humanizer-out:out (jack, pid 42, up 5 min 12 s)",
        "styles:    drums on 10, 11; piano on the others",
        "settings:  strength 0.5, variation 0 (seed 7), timing 1, articulation 0.5, feel -8ms, "
        "latency 500ms, velocities 20-110, meter 6/8, bpm off, clock_thru on, bypass off, "
        "skip_channels 4,5",
        "set by:    latency, timing from a flag; strength from ctl; seed from the config file",
        "transport: clock (locked), 120 bpm, 6/8, at 3.2.00, "
        "last notes at 3.1.00 3.1.00 3.1.50 3.2.00, 2 clocks missed",
        "notes:     10 in, 9 out, 1 late, 1 sounding, 0 waiting, 3 stopped; "
        "inference p50 1.5 ms, p99 4.25 ms",
        "threads:   sender, predictor, reader alive (1 restarts)",
        "control:   tcp://127.0.0.1:5555 (events tcp://127.0.0.1:5556)",
    ]


def test_a_dead_thread_and_no_clock_are_said_plainly():
    threads = {"sender": {"alive": True, "restarts": 0}, "reader": {"alive": False}}
    assert replies.threads_line(threads) == "NOT ALIVE: reader"
    assert replies.transport_line({"source": "none", "meter": "4/4"}) == \
        "no clock heard (meter 4/4)"
    # a song that changes meter: the line says the one in force where the song is
    assert replies.transport_line({"source": "clock", "locked": True, "bpm": 96.0,
                                   "meter": "4/4 3/4@17", "signature": "3/4",
                                   "position": "18.2.00"}) == \
        "clock (locked), 96 bpm, 3/4, at 18.2.00"
    assert replies.styles_line({"default": "pop", "channels": {}}) == "pop on every channel"
    assert replies.styles_line({"default": "pop", "channels": {"2": "bass", "10": "drums"},
                                "roles": {"2": "bass", "10": "drums"}}) == \
        "bass on 2 (bass); drums on 10 (drums); pop on the others"
    assert replies.text_of("set", {"styles": {"default": "pop", "channels": {"3": "comping"},
                                              "roles": {"3": "comping"}}}) == \
        "styles: comping on 3 (comping); pop on the others"
    assert replies.sources_line({"latency": "default"}) == "all defaults"


def test_the_other_actions_say_what_happened():
    assert replies.text_of("use", {"style": "drums", "channel": 10}) == \
        "playing drums on channel 10"
    assert replies.text_of("use", {"style": "pop"}) == \
        "playing pop on every channel without its own style"
    assert replies.text_of("panic", {"released": 3}) == "released 3 sounding notes"
    assert replies.text_of("bypass", {"bypass": True}) == "bypass on"
    assert replies.text_of("set", {"settings": STATUS["settings"]}).startswith(
        "settings: strength 0.5, variation 0 (seed 7)")
    models = {"models": [{"name": "piano", "loaded": True, "description": "Classical"},
                         {"name": "pop", "loaded": False, "path": "/s/pop.onnx"}],
              "styles": {"default": "piano", "channels": {}}}
    assert replies.text_of("models", models).splitlines() == [
        "piano      playing    Classical", "pop        installed  /s/pop.onnx",
        "styles: piano on every channel"]
