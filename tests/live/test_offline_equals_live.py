"""Offline equals live: a multi-part file played through the daemon on JACK comes back
with the velocities, shifts and note lengths `humanize --latency` gives the same notes
offline.

The offline side is given the notes as the daemon heard them (the probe's echo of its own
output: JACK's delivery times), so what is compared is the code path, not JACK's jitter;
and the file's own times too, which is what a user compares (the README's promise).
Measured here (95 notes, 3 parts): as heard 92-95 equal, the rest one step off (once a
note 3 off); as written 81-89 equal, 93-95 within two steps."""

from __future__ import annotations

import time
from collections import defaultdict, deque

import numpy as np
import pytest
from jack import PERIOD_FRAMES, RATE, jack_server

from humanizer.daemon.harness import Daemon, Probe
from humanizer.examples.arrangements import arrangement
from humanizer.notes import Note, notes_of
from humanizer.offline import Humanizer
from humanizer.output import OutputSettings

pytestmark = pytest.mark.jack

LATENCY = 0.5
PERIOD = PERIOD_FRAMES / RATE


@pytest.fixture(scope="module", autouse=True)
def server():
    with jack_server() as name:
        yield name


def messages_of(notes: list[Note]) -> list[tuple[float, list[int]]]:
    """(time, message) of the notes, note-offs first at the same time."""
    events = [(n.start, 1, [0x90 | n.channel, n.pitch, n.velocity]) for n in notes]
    events += [(n.end, 0, [0x80 | n.channel, n.pitch, 0]) for n in notes]
    return [(t, m) for t, _, m in sorted(events, key=lambda e: (e[0], e[1]))]


def notes_heard(timed: list[tuple[float, list[int]]]) -> list[Note]:
    """The notes of a stream of timed messages, note-offs ending notes first in first out."""
    open_notes: dict[tuple[int, int], deque] = defaultdict(deque)
    notes = []
    for at, message in timed:
        channel, pitch = message[0] & 0x0F, message[1]
        if message[0] & 0xF0 == 0x90 and message[2] > 0:
            open_notes[channel, pitch].append((at, message[2]))
        elif open_notes[channel, pitch]:
            start, velocity = open_notes[channel, pitch].popleft()
            notes.append(Note(pitch, velocity, start, at, channel))
    return sorted(notes, key=lambda n: (n.start, n.channel, n.pitch))


def played_live(notes: list[Note]) -> tuple[list, list, int]:
    """(what the daemon heard, what it sent), each as (time, message), and how many notes
    were late (the model not ready in time: they leave on time with their own velocity)."""
    # live, a channel's role is set, not heard: the roles offline reads from the track names
    daemon = Daemon("--latency", f"{int(LATENCY * 1000)}ms", "--timing", "1",
                    "--articulation", "1", "--channel-role", "1=lead",
                    "--channel-role", "3=bass")
    probe = Probe()
    try:
        probe.connect()
        messages = messages_of(notes)
        began = time.monotonic()
        for at, message in messages:
            time.sleep(max(0.0, began + at - time.monotonic()))
            probe.send(message)
        back = probe.wait_for(len(messages), timeout=LATENCY + 5)
        heard = probe.echo.wait_for(len(messages), timeout=1)
        late = daemon.ask({"cmd": "stats"})["late"]
    finally:
        probe.close()
        daemon.stop()
    return heard, back, late


def note_ons_by_key(timed) -> dict[tuple[int, int], list[tuple[float, int]]]:
    found = defaultdict(list)
    for at, message in timed:
        if message[0] & 0xF0 == 0x90 and message[2] > 0:
            found[message[0] & 0x0F, message[1]].append((at, message[2]))
    return found


def lengths_by_key(timed) -> dict[tuple[int, int], list[float]]:
    """Per key, in order, how long each note sounded."""
    return {key: [note.end - note.start for note in notes_heard(timed)
                  if (note.channel, note.pitch) == key]
            for key in {(n.channel, n.pitch) for n in notes_heard(timed)}}


def played_in_full(notes: list[Note], takes: int = 3) -> tuple[list, list, int]:
    """`played_live`, again while the echo - the test's instrument, not the daemon - missed
    messages: on a loaded 2-core VM the dummy JACK server now and then skips a client's
    cycle and that client loses the period's MIDI (seen once in CI: 187 of 190 heard).
    The daemon's own output is judged in every take."""
    for _ in range(takes):
        heard, back, late = played_live(notes)
        if len(heard) == 2 * len(notes):
            return heard, back, late
        print(f"JACK delivered {len(heard)} of {2 * len(notes)} messages to the echo: again")
    pytest.fail(f"JACK lost messages to the echo in {takes} takes running")


def test_a_multi_part_file_comes_back_as_humanize_latency_gives_it():
    midi = arrangement({"melody": 90, "bass": 50, "drums": 100}, bars=4)
    notes = [n for n in notes_of(midi)[0]]
    heard, back, late = played_in_full(notes)
    assert len(back) == len(heard) == 2 * len(notes)
    assert late <= 0.05 * len(notes)  # (a loaded 2-core machine)
    live = note_ons_by_key(back)
    sent = note_ons_by_key(heard)
    # the defaults, as the daemon plays them: a take at variation 1, seed 0, each channel
    # drawing from its own stream
    humanizer = Humanizer(None, OutputSettings(timing=1.0, variation=1.0, articulation=1.0),
                          latency=LATENCY)
    as_heard = notes_heard(heard)
    _, _, _, changes = humanizer.changes(as_heard)
    live_lengths, heard_lengths = lengths_by_key(back), lengths_by_key(heard)
    expected = defaultdict(list)
    for note, change in zip(as_heard, changes):
        expected[note.channel, note.pitch].append(note.end - note.start + change)
    differences = [played - wanted for key in live_lengths
                   for played, wanted in zip(live_lengths[key], expected[key])]
    moved = sum(abs(change) > 0.005 for change in changes)
    print(f"lengths: {moved} of {len(changes)} notes lengthened or shortened offline; live "
          f"within 2 periods on {sum(abs(d) <= 2 * PERIOD + 0.001 for d in differences)}")
    assert moved > 0.2 * len(changes)  # the lead's length head plays
    assert sorted(live_lengths) == sorted(heard_lengths)
    assert np.median(np.abs(differences)) <= 2 * PERIOD + 0.001
    assert sum(abs(d) <= 2 * PERIOD + 0.001 for d in differences) >= 0.9 * len(differences)
    for name, offline_notes in (("as heard", as_heard), ("as written", notes)):
        velocities, shifts, _, _ = humanizer.changes(offline_notes)
        offline = defaultdict(list)
        for note, velocity, shift in zip(offline_notes, velocities, shifts):
            offline[note.channel, note.pitch].append((velocity, shift))
        same, close, moved = 0, 0, []
        for key, played in live.items():
            assert len(played) == len(offline[key]) == len(sent[key])
            for (came, velocity), (went, _), (expected, shift) in zip(played, sent[key],
                                                                      offline[key]):
                same += velocity == expected
                close += abs(velocity - expected) <= 2
                moved.append(came - went - LATENCY - shift)
        count = sum(len(v) for v in live.values())
        print(f"{name}: {same} of {count} velocities equal ({late} late), {close} within 2; "
              f"shift differences median {np.median(np.abs(moved)) * 1000:.1f} ms")
        if name == "as heard":  # the same notes: the same code path gives the same, note
            # for note, but for late notes and a step where JACK's and the daemon's clocks
            # put a note a fraction of a millisecond apart (a level rounds the other way,
            # or - rarely - two notes 20 ms apart fall into one window or two)
            assert count - close <= late + max(1, count // 50) and same >= 0.9 * count
            assert np.median(np.abs(moved)) <= 2 * PERIOD + 0.001
        else:  # the file's own times, through JACK's jitter of up to a period (measured:
            # 93-95 of 95 within 2 at 256 frames, 84 at CI's 1024-frame, 21 ms periods)
            assert close >= (0.9 if PERIOD <= 0.006 else 0.8) * count
