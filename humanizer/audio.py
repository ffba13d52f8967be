"""Hear the difference (`humanize --audio OUT.wav`): the file as drawn and as humanized,
rendered through FluidSynth with a General MIDI soundfont, and how much louder or softer
each part came out.

The `fluidsynth` program is run, not a Python binding: no compiled extra to install, and
Debian ships it with a GM soundfont (`apt-get install fluidsynth fluid-soundfont-gm`).
Both renderings are written whole or not at all, as the MIDI files are.

Loudness is integrated loudness as ITU-R BS.1770 measures it (LUFS, as in EBU R 128):
K-weighted (a high shelf for the head, a high-pass below 38 Hz), over 400 ms blocks, the
silent and much quieter blocks gated out - a part's rests and release tail do not count.
Each part is rendered alone (its notes, its channel's program and controls, the file's
tempo map) before and after, and the change is said in dB.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from humanizer import midichunks
from humanizer.errors import HumanizerError
from humanizer.notes import file_mode, read
from humanizer.offline import HumanizedFile
from humanizer.summary import signed, where

INSTALL = "apt-get install fluidsynth fluid-soundfont-gm"
SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
              Path("/usr/share/sounds/sf2/default-GM.sf2"),
              Path("/usr/share/soundfonts/default.sf2"))
RATE = 44100  # samples a second
# no MIDI input, no shell, quiet; only the samples played loaded (a seventh of the memory,
# the same sound); gain 0.5: a band peaks near a third of full scale; 16-bit WAV
OPTIONS = ("-ni", "-q", "-o", "synth.dynamic-sample-loading=1", "-g", "0.5",
           "-r", str(RATE), "-T", "wav", "-O", "s16")
NOTE_TYPES = ("note_on", "note_off", "polytouch")
RENDERERS = 4  # FluidSynth processes at once (each loads the samples it plays)


@dataclass(frozen=True)
class Synth:
    program: str  # FluidSynth
    soundfont: Path


@dataclass(frozen=True)
class Change:
    """A part's (or the mix's) loudness as drawn and as humanized, LUFS (None: silent)."""

    name: str
    before: float | None
    after: float | None

    def line(self) -> str:
        if self.before is None or self.after is None:
            return f"{self.name}: silent"
        before, after = round(self.before, 1), round(self.after, 1)  # as printed
        return f"{self.name}: {signed(after - before)} dB ({before:.1f} -> {after:.1f} LUFS)"


def before_path(path: Path) -> Path:
    """Where the rendering as drawn goes: beside OUT.wav, as OUT.before.wav."""
    return path.with_name(f"{path.stem}.before.wav")


def check_target(path: Path, taken: Sequence[Path] = (), force: bool = False) -> None:
    """Refuse, before any work, audio that could not be written: not a .wav, a folder, in
    a folder that cannot take a file, one of the MIDI files (`taken`), or a file already
    there (unless `force`, as every output)."""
    if path.suffix.lower() != ".wav":
        raise HumanizerError(f"{path}: the audio is a .wav file")
    for wav in (path, before_path(path)):
        if wav.is_dir():
            raise HumanizerError(f"{wav}: is a folder; give the audio file's name")
        if wav.exists() and not force:
            raise HumanizerError(f"{wav}: already exists (use --force to overwrite)")
        if wav.resolve() in {p.resolve() for p in taken}:
            raise HumanizerError(f"{wav}: would overwrite a MIDI file")
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".humanizer-audio-"):
            pass
    except OSError as error:
        raise HumanizerError(f"{path}: cannot write the audio there "
                             f"({error.strerror or error})") from None


def find(soundfont: Path | None = None) -> Synth:
    """FluidSynth and the soundfont: `soundfont`, else $HUMANIZER_SOUNDFONT, else the
    first GM soundfont Debian's packages install. Missing ones say how to get them."""
    program = shutil.which("fluidsynth")
    if program is None:
        raise HumanizerError(f"--audio needs FluidSynth, which is not installed: {INSTALL}")
    if soundfont is None and os.environ.get("HUMANIZER_SOUNDFONT"):
        soundfont = Path(os.environ["HUMANIZER_SOUNDFONT"])
    if soundfont is None:
        soundfont = next((path for path in SOUNDFONTS if path.is_file()), None)
        if soundfont is None:
            raise HumanizerError("--audio needs a General MIDI soundfont and found none: "
                                 f"{INSTALL}, or give one with --soundfont FILE.sf2")
    try:
        with open(soundfont, "rb") as file:
            header = file.read(12)
    except OSError as error:
        raise HumanizerError(f"{soundfont}: cannot read the soundfont "
                             f"({error.strerror or error}); {INSTALL} installs one") from None
    if header[:4] != b"RIFF" or header[8:] != b"sfbk":
        raise HumanizerError(f"{soundfont}: not a SoundFont (.sf2) file")
    return Synth(program, soundfont)


def render(synth: Synth, midi: mido.MidiFile, path: Path) -> None:
    """Render a MIDI file to a 16-bit stereo WAV, written whole or not at all."""
    stem = os.fsencode(path.name)[:200].decode(errors="ignore")
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        with tempfile.TemporaryDirectory(prefix="humanizer-audio-") as scratch:
            source = Path(scratch) / "take.mid"
            buffer = io.BytesIO()
            midi.save(file=buffer)  # split sysex back as the file held it, in both takes
            source.write_bytes(midichunks.meta_as_packets(buffer.getvalue()))
            done = subprocess.run([synth.program, *OPTIONS, "-F", temporary,
                                   str(synth.soundfont.resolve()), str(source)],
                                  capture_output=True, text=True, errors="replace")
        if done.returncode or os.path.getsize(temporary) < 44:  # not even a WAV header
            said = (done.stderr or done.stdout).strip().splitlines()
            raise HumanizerError(f"{path}: FluidSynth could not render it"
                                 + (f" ({said[-1]})" if said else ""))
        os.chmod(temporary, file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit WAV's samples, (frames, channels) in -1..1, and its sample rate."""
    with wave.open(str(path), "rb") as file:
        if file.getsampwidth() != 2:
            raise HumanizerError(f"{path}: not a 16-bit WAV file")
        data = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2")
        samples = data.reshape(-1, file.getnchannels()).astype(np.float32) / 32768
        return samples, file.getframerate()


def _biquads(rate: int) -> list[tuple[list[float], list[float]]]:
    """The two K-weighting filters of BS.1770 (its head's high shelf, then its 38 Hz
    high-pass) as (b, a) for any sample rate, as libebur128 derives them."""
    k = np.tan(np.pi * 1681.974450955533 / rate)
    high, q = 10 ** (3.999843853973347 / 20), 0.7071752369554196
    band = high ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = ([(high + band * k / q + k * k) / a0, 2 * (k * k - high) / a0,
              (high - band * k / q + k * k) / a0],
             [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    k, q = np.tan(np.pi * 38.13547087602444 / rate), 0.5003270373238773
    a0 = 1 + k / q + k * k
    return [shelf, ([1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])]


def k_impulse(rate: int) -> np.ndarray:
    """The two K-weighting filters as one FIR numpy applies fast: their impulse response,
    a quarter second long (it has died away to nothing long before)."""
    taps = rate // 4
    size = 1 << (16 * taps).bit_length()
    inverse = np.exp(-1j * np.linspace(0, np.pi, size // 2 + 1))  # 1/z on the unit circle
    response = np.ones_like(inverse)
    for b, a in _biquads(rate):
        response *= np.polyval(b[::-1], inverse) / np.polyval(a[::-1], inverse)
    return np.fft.irfft(response, size)[:taps]


def k_power(samples: np.ndarray, rate: int, hop: int) -> np.ndarray:
    """The K-weighted power of the samples (frames, channels), summed over the channels,
    in each whole `hop` of samples. By FFT overlap-save a chunk at a time: a song never
    needs one huge FFT, nor a filtered copy of itself."""
    impulse = k_impulse(rate)
    size = 1 << 18
    step = (size - len(impulse) + 1) // hop * hop
    spectrum = np.fft.rfft(impulse, size)[:, None]
    history = len(impulse) - 1  # samples before a chunk that still sound in it
    sums = [np.zeros(0)]
    for start in range(0, len(samples), step):
        chunk = samples[max(start - history, 0):start + step]
        if start == 0:  # silence before the first sample
            chunk = np.concatenate([np.zeros((history, samples.shape[1])), chunk])
        filtered = np.fft.irfft(np.fft.rfft(chunk, size, axis=0) * spectrum, size, axis=0)
        power = (filtered[history:len(chunk)] ** 2).sum(axis=1)
        power = np.pad(power, (0, -len(power) % hop))
        sums.append(power.reshape(-1, hop).sum(axis=1))
    return np.concatenate(sums)[:len(samples) // hop]


def loudness(samples: np.ndarray, rate: int) -> float | None:
    """Integrated loudness in LUFS (BS.1770-4): the K-weighted power of each channel,
    summed, over 400 ms blocks every 100 ms; blocks under -70 LUFS, then those 10 LU
    under the mean of the rest, left out. None where nothing is heard."""
    hop = rate // 10
    power = k_power(samples, rate, hop)
    power = np.pad(power, (0, max(4 - len(power), 0)))
    means = np.convolve(power, np.ones(4), "valid") / (4 * hop)
    with np.errstate(divide="ignore"):
        blocks = -0.691 + 10 * np.log10(means)
    heard = means[blocks > -70]
    if not heard.size:
        return None
    gate = -0.691 + 10 * np.log10(heard.mean()) - 10
    return float(-0.691 + 10 * np.log10(heard[-0.691 + 10 * np.log10(heard) > gate].mean()))


def alone(midi: mido.MidiFile, keys: set[tuple[int, int]]) -> mido.MidiFile:
    """A copy of the file playing only the notes of `keys` (track, channel): the other
    notes and the other channels' messages left out (their time carried to the next
    event, so nothing moves), the part's channels' programs, controls and bends, the
    tempo map, meter and system messages kept."""
    channels = {channel for _, channel in keys}
    tracks = []
    for number, track in enumerate(midi.tracks):
        kept, carried = mido.MidiTrack(), 0
        for message in track:
            channel = getattr(message, "channel", None)
            if channel is not None and (channel not in channels or (
                    message.type in NOTE_TYPES and (number, channel) not in keys)):
                carried += message.time
                continue
            kept.append(message.copy(time=message.time + carried) if carried else message)
            carried = 0
        tracks.append(kept)
    return mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat, tracks=tracks)


def levels(synth: Synth, takes: Sequence[tuple[mido.MidiFile, Path | None]]
           ) -> list[float | None]:
    """Render each MIDI file (to its WAV path, or to a scratch file where None), a few
    at once, and measure each one's loudness in LUFS (None: silent)."""

    def measured(midi: mido.MidiFile, path: Path) -> float | None:
        render(synth, midi, path)
        return loudness(*read_wav(path))

    with tempfile.TemporaryDirectory(prefix="humanizer-audio-") as scratch:
        paths = [path or Path(scratch) / f"{number}.wav"
                 for number, (_, path) in enumerate(takes)]
        with ThreadPoolExecutor(min(RENDERERS, os.cpu_count() or 1)) as pool:
            return list(pool.map(measured, [midi for midi, _ in takes], paths))


def hear(result: HumanizedFile, written: Path, target: Path, synth: Synth) -> list[Change]:
    """Render the file as drawn to OUT.before.wav and as humanized (`written`) to
    `target`, and each part alone both ways: the loudness change of every part, then of
    the whole mix."""
    before, after = result.before.midi, read(written).midi  # both read the one way
    parts = sorted(result.parts, key=lambda p: (p.track, p.channel))
    notes = result.before.notes
    whole = len(parts) == 1 and len(parts[0].indices) == len(notes)  # the part is the mix
    takes = [(before, before_path(target)), (after, target)]
    takes += [(alone(midi, {(notes[i].track, notes[i].channel) for i in part.indices}), None)
              for part in ([] if whole else parts) for midi in (before, after)]
    found = levels(synth, takes)
    if whole:
        found += found  # the one part's loudness is the mix's
    names = [where(result, part) + ("" if part.role is None else f" ({part.role.name})")
             for part in parts]  # `track 2, channel 3 (bass)`
    return [Change(name, found[2 + 2 * n], found[3 + 2 * n]) for n, name in enumerate(names)
            ] + [Change("the whole mix", found[0], found[1])]


def report(target: Path, changes: Sequence[Change]) -> str:
    """What was rendered and each part's loudness change, as `humanize` and the demo say
    it."""
    lines = [f"rendered {target} (humanized) and {before_path(target)} (as drawn): listen "
             "to one against the other; loudness, each part alone (BS.1770):"]
    return "\n".join(lines + [f"  {change.line()}" for change in changes])
