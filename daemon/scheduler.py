"""Two threads around the lookahead buffer: one sends events when they are due, one runs
the model shortly before notes are due.

The sender never waits for the model: a note whose velocity is not ready leaves on time
with its own velocity (and counts as late). The predictor wakes `margin` seconds before
the earliest note that needs a velocity and predicts every note due soon after in one
batch, each channel as one part, from the notes heard by the horizon engine.heard_ahead
gives - which offline `--latency` uses too, so both play the same. The prediction becomes
velocities and shifts in humanizer.output, the step offline humanizing takes.
Neither thread runs in rtmidi's callback or audio thread.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable

import numpy as np

from humanizer import output
from humanizer.daemon.buffer import LookaheadBuffer
from humanizer.daemon.events import Event
from humanizer.daemon.jobs import Job, as_heard
from humanizer.daemon.level_record import level_notes
from humanizer.daemon.midi import channel_of, is_note_off, is_note_on, program
from humanizer.daemon.say import say
from humanizer.daemon.settings import Settings
from humanizer.daemon.stats import Timings
from humanizer.daemon.stylemap import StyleMap
from humanizer.daemon.supervisor import Supervisor, yield_to_midi
from humanizer.daemon.tape import Tape
from humanizer.daemon.transport import Transport, is_transport
from humanizer.daemon.watchdog import STALL_SECONDS, InferenceWatch
from humanizer.engine import BATCH_SECONDS, PREDICT_BEFORE, Engine
from humanizer.perform import perform
from humanizer.prediction import Prediction
from humanizer.variation import Takes

IDLE_WAIT = 0.2  # how often idle threads look at the stop flag
MAX_STRIKES = 3  # inferences with invalid numbers (or errors) before a style is dropped


class Scheduler:
    """Owns the buffer; `receive` is called by the MIDI reader, `send` writes one message."""

    def __init__(self, styles: StyleMap, send: Callable[[list[int]], None], settings: Settings,
                 clock: Callable[[], float] = time.monotonic):
        self.styles = styles
        self.settings = settings
        self.clock = clock
        self.timings = Timings()
        self.buffer = LookaheadBuffer(latency=settings.latency, origin=clock(),
                                      skipped=settings.skip_channels)
        self._send = send
        self._state = threading.Condition()  # guards buffer and settings
        self._sending = threading.Lock()  # a popped message is sent before any panic
        self._running = False
        self.supervisor = Supervisor()
        self.watch = InferenceWatch()  # an inference that never returns is abandoned
        self.events: deque[tuple[str, dict]] = deque(maxlen=100)  # for the PUB socket
        self._strikes: Counter[int] = Counter()  # inferences with invalid numbers, per engine
        self.takes = Takes(settings.seed)  # each channel's stream of variation
        self.transport = Transport(settings.bpm, settings.latency)  # the song position
        self.recent: deque[tuple[int, int, float]] = deque(maxlen=16)  # notes' places
        # program changes heard, (channel, program): the service gives the channel the
        # style of the GM program's usual role (never from the reader's thread)
        self.programs: deque[tuple[int, int]] = deque(maxlen=64)
        self.heard, self.sent = Tape(), Tape()  # note-ons in and out, for the live panel

    # -- input -------------------------------------------------------------------------------
    def receive(self, message: list[int], t_in: float) -> None:
        if is_transport(message):
            self._transport_message(message, t_in)
            return
        if (chosen := program(message)) is not None:
            self.programs.append((channel_of(message), chosen))
        if is_note_on(message):
            self.heard.record(t_in, channel_of(message), message[1], message[2])
        with self._state:
            event = self.buffer.receive(message, t_in)
            if event.note is not None:
                self.transport.note_heard(event.note.song_time)
            self._state.notify_all()

    def _transport_message(self, message: list[int], t_in: float) -> None:
        """Clock, Start, Continue, Stop and SPP: they move the transport, and pass on at
        once - they came on time, the track L early, so the output keeps them in step with
        the notes, which leave on the song's time too. A Stop (or a Start or Continue
        while playing: the DAW jumped) ends the take (stop_take)."""
        with self._sending:
            with self._state:
                was_playing = self.transport.playing() is not None
                happened = self.transport.receive(message, t_in)
                messages = []
                if happened == "stop" or (happened in ("start", "continue") and was_playing):
                    messages = self._stop_take(t_in)
                if happened in ("start", "continue", "position"):
                    self.events.append(("transport", {"event": happened,
                                                      **self._transport_state(t_in)}))
                elif happened == "tempo":
                    self.events.append(("transport", {"event": "tempo",
                                                      "bpm": round(self.transport.tempo(), 2)}))
                if self.settings.clock_thru:
                    messages.append(message)
                self.buffer.counts.events_in += 1
                self.buffer.counts.events_out += int(self.settings.clock_thru)
                self._state.notify_all()
            for out in messages:
                self._send(out)

    def _stop_take(self, t_in: float) -> list[list[int]]:
        """What a Stop heard at t_in sends: the events due by then (they belong before
        it), then note-offs for every sounding note, pedal up and All Notes Off - but no
        All Sound Off, which would cut the instrument's release and reverb. Everything
        still waiting belongs after the Stop and is dropped (LookaheadBuffer.stop)."""
        messages = self.buffer.pop_due(t_in, self.settings.bypass)
        dropped = self.buffer.stop()
        messages += self.buffer.release(cut=False)
        self.events.append(("transport", {"event": "stop", "dropped": dropped}))
        return messages

    # -- settings ----------------------------------------------------------------------------
    def update(self, key: str, value: object) -> Settings:
        """Change one setting (validated); a new latency applies to events arriving later."""
        with self._state:
            self.settings = self.settings.changed(key, value)
            if key == "seed":  # a new take from here on
                self.takes = Takes(self.settings.seed)
            if key == "bpm":
                self.transport.set_bpm(self.settings.bpm)
            self.transport.latency = self.settings.latency
            self.buffer.skipped = self.settings.skip_channels  # notes heard from now on
            self.buffer.set_latency(self.settings.latency, self.clock())
            self._state.notify_all()
            return self.settings

    # -- threads -----------------------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        self.supervisor.start("sender", self._send_loop)
        self.supervisor.start("predictor", self._predict_loop)

    def stop(self) -> None:
        with self._state:
            self._running = False
            self._state.notify_all()
        self.supervisor.join()

    def queued(self) -> int:
        """How many events wait to leave."""
        with self._state:
            return len(self.buffer.queue)

    def _send_loop(self) -> None:
        while True:
            with self._state:
                while self._running and not self._anything_due():
                    due = self.buffer.next_due(self.settings.bypass)
                    wait = IDLE_WAIT if due is None else min(IDLE_WAIT, due - self.clock())
                    self._state.wait(max(wait, 0.0))
                if not self._running:
                    return
            with self._sending:
                with self._state:
                    messages = self.buffer.pop_due(self.clock(), self.settings.bypass)
                for message in messages:
                    self._send(message)
                    if is_note_on(message):
                        self.sent.record(self.clock(), channel_of(message), message[1],
                                         message[2])

    def _anything_due(self) -> bool:
        due = self.buffer.next_due(self.settings.bypass)
        return due is not None and due <= self.clock()

    def margin(self) -> float:
        """How long before a note is due its inference starts: PREDICT_BEFORE, and with
        timing on MAX_SHIFT more, so a note the model moves earlier can still leave then.
        Fixed, because the horizon the model hears (engine.heard_ahead) is built on it."""
        return PREDICT_BEFORE + (output.MAX_SHIFT if self.settings.timing > 0 else 0.0)

    def _predict_loop(self) -> None:
        yield_to_midi()
        generation = self.watch.generation
        while self.watch.current(generation):
            with self._state:
                if not self._running:
                    return
                self.buffer.skip_past(self.clock())
                due = self.buffer.next_prediction_due()
                wait = IDLE_WAIT if due is None else due - self.margin() - self.clock()
                if wait > 0:
                    self._state.wait(min(wait, IDLE_WAIT))
                    continue
            self.predict_due(due, generation)

    def abandon_stalled(self) -> str | None:
        """If an inference has stalled (daemon.watchdog): drop its style, start a fresh
        predictor, and say so (the stuck one is left to return, or not; its results are
        discarded). What plays now, or None when nothing stalled."""
        engine = self.watch.stalled(self.clock())
        if engine is None:
            return None
        restored = self._drop(engine, f"stalled in an inference (over {STALL_SECONDS:g} s)",
                              "; its notes left with their own velocities", stalled=True)
        self.supervisor.start("predictor", self._predict_loop)
        return restored

    def predict_due(self, due: float, generation: int = 0) -> list[Job]:
        """Predict the notes due from `due` to BATCH_SECONDS after it in one batch and
        place them: the predictor's step (returns the jobs it ran). The snapshot of what
        was heard is taken under the lock, the model runs outside it."""
        with self._state:
            batch = self.buffer.claim(due + BATCH_SECONDS)
            snapshots = self._snapshots(batch)
            settings = self.settings
        jobs = self._prepare(snapshots)  # (a failure here is the supervisor's: restarted)
        try:
            self.predict(jobs, settings, generation)
        except Exception as error:  # a broken inference must not stop the music
            self.failed_inference(jobs, error)
        return jobs

    def _snapshots(self, batch: list[Event]) -> list[Job]:
        """Per style and lookahead: the engine, the notes heard on the channels it plays
        (each channel a part, heard together) and the events' indices. Called with the
        state lock held - a consistent snapshot - and doing no more than that, so the
        reader and the sender are kept waiting as briefly as can be."""
        groups: dict[tuple[int, float], list[Event]] = defaultdict(list)
        engines: dict[int, tuple[Engine, list[int]]] = {}
        for event in batch:
            engine, channels = self.styles.playing(event.note.channel)
            engines.setdefault(id(engine), (engine, channels))
            groups[id(engine), event.lookahead].append(event)
        snapshots = []
        for (key, lookahead), events in groups.items():
            engine, channels = engines[key]
            hearing = engine.hearing
            first = min(event.note.start for event in events)
            # notes' accents are heard against their own level, from the level record;
            # what they get is centred on what the channels' earlier notes got
            levels = level_notes(engine, self.buffer.levels.notes(
                channels, first - hearing.level_reach))
            earlier = self.buffer.centres.earlier(engine, channels)
            notes, indices, song_times = self.buffer.window(channels, events, hearing.reach,
                                                            hearing.most)
            places = self.transport.positions(np.array(song_times), self.clock())
            for i, place in zip(indices, places[indices].tolist()):
                self.recent.append((notes[i].channel, notes[i].pitch, place))
            snapshots.append(Job(engine, notes, indices, lookahead, events, [], places, None,
                                 levels, earlier))
        return snapshots

    def _prepare(self, snapshots: list[Job]) -> list[Job]:
        """The notes as each style hears them (jobs.as_heard). A note the style has no
        input for keeps its own velocity."""
        jobs, unheard = [], []
        for snapshot in snapshots:
            job, missed = as_heard(snapshot, self.settings.timing > 0, self.settings.meter)
            jobs += [job] if job is not None else []
            unheard += missed
        if unheard:
            with self._state:
                for event in unheard:
                    self.buffer.place(event, event.note.velocity)
                self._state.notify_all()
        return jobs

    def failed_inference(self, jobs: list[Job], error: Exception) -> None:
        """The model raised: its notes leave on time with their own velocity, counted as
        rejected (as notes it gave invalid numbers are), the error is said, and a style
        that keeps failing is dropped."""
        say(f"an inference failed ({type(error).__name__}: {error}); its notes keep their "
            "velocities", error=True)
        with self._state:
            for job in jobs:
                for event in job.events:
                    self.buffer.place(event, event.note.velocity)
                self.buffer.counts.rejected += len(job.events)
            self._state.notify_all()
        for job in jobs:
            self._strike(job.engine, "keeps failing")

    def _strike(self, engine: Engine, why: str = "keeps predicting invalid numbers") -> None:
        """One more inference of `engine` gone wrong; after MAX_STRIKES its channels go
        back to the style they played before (see StyleMap.drop)."""
        self._strikes[id(engine)] += 1
        if self._strikes[id(engine)] == MAX_STRIKES:
            self._drop(engine, why)

    def _drop(self, engine: Engine, why: str, after: str = "", **event: object) -> str:
        """Stop playing a style gone wrong (StyleMap.drop), say why, and publish it; what
        plays now."""
        restored = self.styles.drop(engine)
        name = engine.contract.name
        say(f"style '{name}' {why}: dropped ({restored}){after}", error=True)
        self.events.append(("dropped", {"style": name, "now": restored, **event}))
        return restored

    def predict(self, jobs: list[Job], settings: Settings, generation: int = 0) -> None:
        """Run the model for the jobs - all parts of one style and lookahead in shared
        model runs - and give their events velocities and shifts. Numbers that are not
        finite fall back to the input velocity and no shift, and count as rejected. A run
        the watchdog abandoned (an older `generation`) places nothing."""
        together: dict[tuple[int, float], list[Job]] = defaultdict(list)
        for job in jobs:
            together[id(job.engine), job.lookahead].append(job)
        for group in together.values():
            started = time.perf_counter()
            engine = group[0].engine
            self.watch.begin(engine, self.clock(), generation)
            try:
                predictions = engine.predict_parts(
                    [(job.notes, np.array(job.indices), job.owners) for job in group],
                    group[0].lookahead, [job.meter for job in group],
                    [job.levels for job in group], [job.earlier for job in group])
            finally:
                self.watch.end(generation)
            if not self.watch.current(generation):
                return  # abandoned while it ran: its notes have left already
            self.timings.add(time.perf_counter() - started)
            for job, prediction in zip(group, predictions):
                self._place(job, prediction, settings)

    def _place(self, job: Job, prediction: Prediction, settings: Settings) -> None:
        """A job's prediction through the one perform step into the buffer."""
        due = [job.notes[i] for i in job.indices]
        channels = np.array([note.channel for note in due])  # a part live is its channel
        performed = perform(prediction, np.array([event.note.velocity for event in job.events]),
                            np.array([note.start for note in due]), channels,
                            settings.output(), self.takes, job.engine.contract.timing,
                            channels, job.engine.contract.variation_own_share,
                            job.engine.contract.lengths)
        with self._state:
            placed = 0  # (a note that left late meanwhile is not predicted as well)
            for event, velocity, shift, stretch in zip(
                    job.events, performed.velocities.tolist(), performed.shifts.tolist(),
                    performed.stretches.tolist()):
                placed += self.buffer.place(event, int(velocity), shift, stretch)
            # what the channels' later notes centre on
            self.buffer.centres.add_all(job.engine, due, prediction.added,
                                        prediction.uncentred_offsets)
            self.buffer.counts.predicted += max(0, placed - performed.rejected)
            self.buffer.counts.rejected += performed.rejected
            self._state.notify_all()  # a note moved earlier may be due sooner
        if performed.rejected:
            self._strike(job.engine)

    # -- panic and shutdown -----------------------------------------------------------------
    def panic(self) -> int:
        """Silence now (see LookaheadBuffer.panic); returns how many notes were released."""
        with self._sending:
            with self._state:
                sounding = self.buffer.sounding()
                messages = self.buffer.panic()
                self._state.notify_all()
            for message in messages:
                self._send(message)
        return sounding

    def end_held_notes(self) -> int:
        """Note-offs for every note held at the input, and the pedal up where it is down,
        received now: they leave after the latency, behind everything heard before, like
        what the player sent. Returns how many notes were let go."""
        with self._state:
            messages = self.buffer.held()
            now = self.clock()
            for message in messages:
                self.buffer.receive(message, now)
            self._state.notify_all()
        return sum(map(is_note_off, messages))

    def let_go_of_stale(self) -> int:
        """Note-offs for notes whose own were lost (LookaheadBuffer.let_go_of_stale)."""
        with self._state:
            released = self.buffer.let_go_of_stale(self.clock())
            if released:
                self._state.notify_all()
        return released

    def release(self) -> int:
        """Note-offs for every note still sounding at the output (then the pedal up and
        sound off on the channels that played); returns how many notes were released."""
        with self._sending:
            with self._state:
                sounding = self.buffer.sounding()
                messages = self.buffer.release()
            for message in messages:
                self._send(message)
        return sounding

    def transport_state(self, now: float | None = None) -> dict:
        """Where the song is, for status and events: what the positions come from (clock,
        stopped, bpm, none), the tempo, the meter, the bar and beat now and of the last
        notes placed (bars and beats counted from 1, as a DAW shows them)."""
        with self._state:
            return self._transport_state(self.clock() if now is None else now)

    def _transport_state(self, now: float) -> dict:
        return self.transport.state(now, self.settings.meter, list(self.recent))

    def snapshot(self) -> dict:
        """Counters for status and stats replies."""
        with self._state:
            counts = dict(vars(self.buffer.counts))
            counts["queued"] = len(self.buffer.queue)
            counts["sounding"] = self.buffer.sounding()
        counts.update(self.timings.summary())
        counts["threads"] = self.supervisor.state()
        counts["margin_ms"] = round(self.margin() * 1000, 3)
        return counts
