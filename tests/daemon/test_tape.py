"""The panel's tapes: each note once, in order, the oldest lost first."""

from humanizer.daemon.tape import Tape


def test_a_reader_gets_each_note_once_after_the_number_it_saw():
    tape = Tape(size=4)
    for i in range(3):
        tape.record(float(i), 0, 60 + i, 70 + i)
    first = tape.after(0)
    assert [n.number for n in first] == [1, 2, 3] and first[2].velocity == 72
    assert tape.after(3) == []
    tape.record(3.0, 9, 36, 100)
    assert [(n.number, n.channel, n.key) for n in tape.after(3)] == [(4, 9, 36)]


def test_a_slow_reader_loses_only_the_oldest():
    tape = Tape(size=4)
    for i in range(10):
        tape.record(float(i), 0, 60, i)
    assert [n.number for n in tape.after(0)] == [7, 8, 9, 10]
    assert [n.number for n in tape.after(8)] == [9, 10]
    assert tape.after(10) == [] and tape.after(99) == []


def test_a_reader_beside_a_recording_thread_gets_every_note_once_in_order():
    import threading

    tape = Tape(size=100_000)
    total = 50_000

    def record():
        for i in range(total):
            tape.record(float(i), 0, 60, i % 128)

    recorder = threading.Thread(target=record)
    recorder.start()
    seen, last = [], 0
    while recorder.is_alive() or last < total:
        for note in tape.after(last):
            seen.append(note.number)
            last = note.number
    recorder.join()
    assert seen == list(range(1, total + 1))
