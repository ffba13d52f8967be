"""Which style model shapes which MIDI channel, and swapping models while playing.

A swap loads and checks the new model completely - contract, a test inference - before it
replaces the old one, and it does so in the thread that asked (the control loop), never in
the scheduler's threads. An inference already running keeps the engine it started with,
so the swap lands between inferences; if loading fails the old model keeps playing.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from humanizer import models, values
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.notes import Note


def probe_notes(seconds: float) -> list[Note]:
    """A dense part as long as a live window: four-note chords every 50 ms."""
    return [Note(40 + (i * 7 + k * 5) % 48, 64 + k * 10, i * 0.05, i * 0.05 + 0.3)
            for i in range(int(seconds / 0.05) + 1) for k in range(4)]


def load_checked(style: str) -> Engine:
    """An engine for a style name, refused unless it loads and a full-size live window
    predicts finite numbers in good time: a model that breaks or is too slow is refused
    here, while the old one keeps playing, never found out on stage."""
    engine = models.load(style)
    contract = engine.contract
    notes = probe_notes(contract.context_seconds + values.MAX_LATENCY)
    due = np.arange(len(notes) - 8, len(notes))
    answer: dict = {}

    def probe() -> None:  # in a thread of its own: an ONNX run cannot be interrupted
        try:
            answer["prediction"] = engine.predict_due(notes, due, values.MAX_LATENCY)
        except Exception as error:
            answer["error"] = error

    started = time.perf_counter()
    thread = threading.Thread(target=probe, name=f"probe {style}", daemon=True)
    thread.start()
    thread.join(PROBE_DEADLINE)
    if thread.is_alive():  # left to return, or not: the control loop answers again now
        raise HumanizerError(f"style '{style}': its test inference did not return within "
                             f"{PROBE_DEADLINE:g} s: refused")
    if "error" in answer:
        error = answer["error"]
        raise HumanizerError(f"style '{style}': its test inference failed "
                             f"({type(error).__name__}: {str(error)[:120]})") from None
    prediction = answer["prediction"]
    took = time.perf_counter() - started
    if not (np.all(np.isfinite(prediction.deviations))
            and np.all(np.isfinite(prediction.offsets))):
        raise HumanizerError(f"style '{style}': the model predicts invalid numbers")
    if took > PROBE_SECONDS:
        raise HumanizerError(f"style '{style}': a live window took {took:.1f} s to predict "
                             f"(at most {PROBE_SECONDS:g} s): too slow to play live")
    return engine


PROBE_SECONDS = 1.0  # the longest a full live window may take to predict
PROBE_DEADLINE = 5.0  # a test inference still running then is abandoned, the style refused


class StyleMap:
    """A default style plus per-channel styles (channels 0-15 inside), with their engines,
    and each channel's role in the band where it is known (set by the user; channel 10's
    kit): live, a part's track name is never heard, so a role is set, not guessed."""

    def __init__(self, default: str, per_channel: dict[int, str] | None = None,
                 roles: dict[int, str] | None = None):
        self._lock = threading.Lock()
        self._engines: dict[str, Engine] = {}
        self._previous: tuple[str, Engine] | None = None  # the default before the last swap
        self.default = default
        self.per_channel: dict[int, str] = {}
        self.roles: dict[int, str] = {models.DRUM_CHANNEL: "drums", **(roles or {})}
        self.set_roles = set(roles or {})  # roles the user set: no program change moves them
        self.use(default)
        for channel, style in (per_channel or {}).items():
            self.use(style, channel)

    def use(self, style: str, channel: int | None = None, role: str | None = None) -> Engine:
        """Load `style` afresh (a re-exported model is picked up) and play it on `channel`
        (0-15), or make it the default of channels without a style of their own; `role`:
        the channel's role in the band, which the style is that of."""
        engine = load_checked(style)
        with self._lock:
            if role is not None and channel is not None:
                self.roles[channel] = role
            if channel is None and self.default in self._engines and self.default != style:
                self._previous = self.default, self._engines[self.default]
            self._engines[style] = engine
            if channel is None:
                self.default = style
            else:
                self.per_channel[channel] = style
            in_use = {self.default, *self.per_channel.values()}
            self._engines = {name: e for name, e in self._engines.items() if name in in_use}
        return engine

    def drop(self, engine: Engine) -> str:
        """Stop playing a style that went wrong: its channels go back to the default
        style, and a default goes back to the one it replaced (else the packaged default).
        Says what plays now."""
        fallback = None
        with self._lock:
            names = [name for name, e in self._engines.items() if e is engine]
            dropping_default = self.default in names
            if dropping_default and self._previous is None:
                fallback = models.DEFAULT_STYLE
        if fallback is not None:
            fresh = load_checked(fallback)  # outside the lock: swaps may go on meanwhile
        with self._lock:
            for channel in [ch for ch, name in self.per_channel.items() if name in names]:
                del self.per_channel[channel]
            if dropping_default:
                name, replacement = self._previous or (fallback, fresh)
                self.default, self._previous = name, None
                self._engines[name] = replacement
            for name in names:
                if name != self.default:
                    self._engines.pop(name, None)
            return f"channels without a style of their own play {self.default}"

    def playing(self, channel: int) -> tuple[Engine, list[int]]:
        """The engine playing `channel` and every channel it plays: the model hears them
        together, as offline it hears all the parts of a style. Read under one lock, so a
        swap cannot come between them."""
        with self._lock:
            style = self.per_channel.get(channel, self.default)
            channels = [ch for ch in range(16) if self.per_channel.get(ch, self.default) == style]
            return self._engines[style], channels

    def loaded(self) -> dict[str, Engine]:
        with self._lock:
            return dict(self._engines)

    def describe(self) -> dict:
        """For status replies: channels counted 1-16."""
        with self._lock:
            return {"default": self.default,
                    "channels": {str(ch + 1): s for ch, s in sorted(self.per_channel.items())},
                    "roles": {str(ch + 1): r for ch, r in sorted(self.roles.items())}}
