"""`humanize --audio`: the file as drawn and as humanized, rendered through the real
FluidSynth with a real General MIDI soundfont, and each part's loudness change.

CI installs FluidSynth (`.ci/run`); without it the tests that render are skipped, saying
so. The loudness measure and the refusals that need no FluidSynth always run."""

import re
import shutil
import wave
from pathlib import Path

import mido
import numpy as np
import pytest
from helpers import run

from humanizer import audio
from humanizer.errors import HumanizerError
from humanizer.notes import Note, midi_from_notes, notes_of

BAND = "humanizer/examples/band.mid"
PART_LINE = re.compile(r"^  tracks? [\d, ]+, channel \d+ \((\w+)\): [+-]\d+\.\d dB "
                       r"\((-\d+\.\d) -> (-\d+\.\d) LUFS\)$", re.M)


@pytest.fixture
def synth() -> audio.Synth:
    """FluidSynth and the soundfont it finds (a missing soundfont fails: CI installs it
    with FluidSynth)."""
    if shutil.which("fluidsynth") is None:
        pytest.skip(f"needs FluidSynth to render: {audio.INSTALL}")
    return audio.find()


def wav(path) -> tuple[np.ndarray, float]:
    """A rendering's samples and its length in seconds, checked to be a 16-bit stereo
    WAV at the rate asked for."""
    with wave.open(str(path), "rb") as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (
            2, 2, audio.RATE)
        seconds = file.getnframes() / file.getframerate()
    return audio.read_wav(path)[0], seconds


def test_both_takes_are_rendered_and_each_part_gets_its_loudness_change(tmp_path, capsys,
                                                                       synth):
    out, sound = tmp_path / "o.mid", tmp_path / "o.wav"
    code, printed, err = run(capsys, "humanize", BAND, "-o", out, "--timing", "1",
                             "--audio", sound)
    assert code == 0, err
    drawn = tmp_path / "o.before.wav"
    assert f"rendered {sound} (humanized) and {drawn} (as drawn)" in printed
    length = mido.MidiFile(BAND).length
    after, after_seconds = wav(sound)
    before, before_seconds = wav(drawn)
    for seconds in (after_seconds, before_seconds):  # the file, then the release tail
        assert length < seconds < length + 6
    assert np.abs(after).max() > 0.05 and np.abs(before).max() > 0.05
    frames = min(len(after), len(before))
    assert np.abs(after[:frames] - before[:frames]).max() > 0.01  # the takes differ
    roles = [match[0] for match in PART_LINE.findall(printed)]
    assert sorted(roles) == ["bass", "drums", "lead", "pad"]  # a line for every part
    mix = re.search(r"^  the whole mix: [+-]\d+\.\d dB \((-\d+\.\d) -> (-\d+\.\d) LUFS\)$",
                    printed, re.M)
    assert mix, printed
    assert float(mix[1]) == round(audio.loudness(before, audio.RATE), 1)
    assert float(mix[2]) == round(audio.loudness(after, audio.RATE), 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.before.wav", "o.mid", "o.wav"]


def test_a_part_played_louder_measures_louder_by_what_a_player_hears(synth):
    def part(velocity: int) -> mido.MidiFile:
        return midi_from_notes([Note(60 + i % 3 * 4, velocity, i / 2, i / 2 + 0.4)
                                for i in range(16)])

    soft, loud, again = audio.levels(synth, [(part(40), None), (part(100), None),
                                             (part(100), None)])
    # FluidR3's piano: about 40 log10(100 / 40) = 16 dB; a renders' measure is repeatable
    assert 10 < loud - soft < 22
    assert loud == again


def test_a_part_alone_keeps_its_notes_where_they_were_and_nothing_else():
    midi = mido.MidiFile(BAND)
    bass = audio.alone(midi, {(3, 2)})
    everything = notes_of(midi)[0]
    assert notes_of(bass)[0] == [n for n in everything if (n.track, n.channel) == (3, 2)]
    assert [m for m in bass.tracks[0] if m.is_meta] == [m for m in midi.tracks[0] if m.is_meta]


def test_loudness_is_bs1770():
    """EBU Tech 3341's first case (a 1 kHz sine at -23 dBFS on both channels is -23
    LUFS), BS.1770's own (997 Hz at full scale on one channel: -3.01), silence (none),
    and the K-weighting's impulse response against the two biquads run sample by
    sample."""
    rate = 48000
    time = np.arange(20 * rate) / rate
    sine = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * time)
    assert audio.loudness(np.stack([sine, sine], axis=1), rate) == pytest.approx(-23, abs=0.05)
    sine = np.sin(2 * np.pi * 997 * time)
    assert audio.loudness(np.stack([sine, 0 * sine], axis=1), rate) == pytest.approx(
        -3.01, abs=0.05)
    assert audio.loudness(np.zeros((3 * rate, 2)), rate) is None
    signal = np.zeros(2000)
    signal[0] = 1.0
    for b, a in audio._biquads(rate):
        out, x1, x2, y1, y2 = np.zeros_like(signal), 0.0, 0.0, 0.0, 0.0
        for i, x in enumerate(signal):
            out[i] = b[0] * x + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
            x1, x2, y1, y2 = x, x1, out[i], y1
        signal = out
    assert np.abs(audio.k_impulse(rate)[:2000] - signal).max() < 1e-9


@pytest.mark.parametrize("options, words", [
    (["--audio", "x.mp3"], "the audio is a .wav file"),
    (["--audio", "a-folder.wav"], "is a folder"),
    (["--audio", "a-file/x.wav"], "cannot write the audio there"),
    (["--audio", "x.wav", "--soundfont", "/nonexistent.sf2"],
     "/nonexistent.sf2: cannot read the soundfont"),
    (["--audio", "x.wav", "--soundfont", "a-file"], "not a SoundFont"),
    (["--soundfont", "/nonexistent.sf2"], "--soundfont is for --audio"),
    (["--audio", "out.mid.wav", "-o", "out.mid.wav"], "would overwrite a MIDI file"),
])
def test_audio_that_cannot_be_is_one_line_before_any_work(tmp_path, capsys, monkeypatch,
                                                          options, words):
    if "--soundfont" in options and "--audio" in options and not shutil.which("fluidsynth"):
        pytest.skip(f"needs FluidSynth, looked for before the soundfont: {audio.INSTALL}")
    band = Path(BAND).resolve()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-folder.wav").mkdir()
    (tmp_path / "a-file").write_text("")
    output = [] if "-o" in options else ["-o", "out.mid"]
    code, _, err = run(capsys, "humanize", band, *output, *options)
    assert code == 2 and words in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "a-folder.wav"]


def test_without_fluidsynth_it_says_how_to_install_it_before_any_work(tmp_path, capsys,
                                                                       monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # as if FluidSynth were not installed
    code, _, err = run(capsys, "humanize", BAND, "-o", tmp_path / "o.mid", "--audio",
                       tmp_path / "o.wav")
    assert code == 2 and "apt-get install fluidsynth fluid-soundfont-gm" in err
    assert err.count("\n") == 1 and not list(tmp_path.iterdir())


def test_a_folder_of_input_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "humanize", "humanizer/examples", "-o", tmp_path / "out",
                       "--audio", tmp_path / "o.wav")
    assert code == 2 and "--audio renders one file" in err and not list(tmp_path.iterdir())


def test_the_soundfont_comes_from_the_flag_then_the_environment(tmp_path, monkeypatch,
                                                                synth):
    monkeypatch.setenv("HUMANIZER_SOUNDFONT", str(tmp_path / "none.sf2"))
    with pytest.raises(HumanizerError, match="none.sf2: cannot read the soundfont"):
        audio.find()
    assert audio.find(synth.soundfont) == synth


def test_an_existing_sound_is_replaced_only_with_force(tmp_path, capsys):
    (tmp_path / "take.before.wav").write_text("mine")
    code, _, err = run(capsys, "humanize", BAND, "-o", tmp_path / "o.mid", "--audio",
                       tmp_path / "take.wav")
    assert code == 2 and "take.before.wav: already exists (use --force to overwrite)" in err
    assert not (tmp_path / "o.mid").exists() and not (tmp_path / "take.wav").exists()
