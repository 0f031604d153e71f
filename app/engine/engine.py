"""Engine: the one facade the UI and the CLI use to play, mix, record and render a project.

It owns the arena (behind its Root), the butler thread, the backend and a watchdog.
Every method is called from the GUI (or CLI) thread; nothing here blocks for long,
and nothing the audio thread does ever calls back into Python: the UI polls
`read_feedback()` on a timer.

A device that fails to open, or vanishes while playing, is replaced by the
ClockBackend; `fallback_reason` says why, and `messages` collects such notices. A take
being recorded when the device vanishes or the disk refuses a write is ended there and
kept (collect it with `finished_takes`).
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from app.dsp.loudness import integrated_lufs, loudness_range
from app.dsp.truepeak import HELD as TP_HELD
from app.dsp.truepeak import to_dbtp
from app.engine import arena as A
from app.engine.automation import COLLECT_SECONDS, AutomationPass, Collector, LaneWrite
from app.engine.backends import (
    RENDER_CHUNK_FRAMES,
    ClockBackend,
    DeviceError,
    OfflineBackend,
    PortAudioBackend,
    Progress,
)
from app.engine.butler import Butler, make_schedule
from app.engine.callback import build_callback
from app.engine.compile import (
    WRITING_MODES,
    PlanError,
    PlanMap,
    allocate,
    auto_key,
    automation_counts,
    compile_plan,
    db_to_gain,
    param_target,
    plan_counts,
    planned_lanes,
    write_control_room,
)
from app.engine.devices import list_devices
from app.engine.export import (
    BIT_DEPTHS,
    DEFAULT_CEILING,
    FORMATS,
    REPORT_SUFFIX,
    TARGETS,
    ExportError,
    ExportResult,
    ExportSettings,
    export_project,
    plan_files,
    resolve_range,
)
from app.engine.mixer import CALIBRATION_LEVEL, carry_over
from app.engine.recorder import RecordedTake, RecordTarget
from app.engine.response import strip_response_db
from app.engine.settings import latency_correction, store_latency_correction
from app.session.model import AutomationMode, ControlRoom, Project, Track, TrackKind, get_path

WATCHDOG_SECONDS = 0.1
LOUD_MOMENTARY = 5  # dsp.loudness state slots
LOUD_SHORT_TERM = 6
PUNCH_FOREVER = 1 << 60  # the end of a punch-in without a punch-out

__all__ = [
    "AutomationPass",
    "LaneWrite",
    "RecordedTake",
    "Engine",
    "Feedback",
    "RenderError",
    "StripMeter",
    "DeviceError",
    "PlanError",
    "strip_response_db",
    "list_devices",
    "BIT_DEPTHS",
    "DEFAULT_CEILING",
    "FORMATS",
    "REPORT_SUFFIX",
    "TARGETS",
    "ExportError",
    "ExportResult",
    "ExportSettings",
    "export_project",
    "plan_files",
    "resolve_range",
]


class RenderError(Exception):
    """A render that cannot be done as asked, with the reason."""


@dataclass
class StripMeter:
    peak: float  # linear, held since the last read
    rms: float  # linear, over the samples since the last read


@dataclass
class Loudness:
    """The master's loudness (BS.1770 / EBU R128) since the last reset; -inf for silence."""

    momentary: float = -math.inf  # LUFS, last 400 ms
    short_term: float = -math.inf  # LUFS, last 3 s
    integrated: float = -math.inf  # LUFS, gated, since the reset
    lra: float = 0.0  # LU
    true_peak: float = -math.inf  # dBTP, highest since the reset


@dataclass
class Feedback:
    """A copy of what the kernel reports, taken at one moment."""

    position: int = 0
    playing: bool = False
    recording: bool = False
    waiting: bool = False  # playing, but held until the butler has refilled after a locate
    loop: tuple[bool, int, int] = (False, 0, 0)
    meters: dict[str, StripMeter] = field(default_factory=dict)  # by track id (and master)
    gain_reduction: dict[str, float] = field(default_factory=dict)  # dB, gate + compressor
    cue_meters: dict[str, StripMeter] = field(default_factory=dict)  # by cue id
    loudness: Loudness = field(default_factory=Loudness)
    dsp_load: float = 0.0
    late_cycles: int = 0
    xruns: int = 0
    underrun_frames: int = 0
    ring_fill: int = 0  # frames buffered ahead of the play position
    blocks: int = 0
    frames: int = 0  # frames the kernel has processed since the stream started
    roll_frame: int = 0  # value of `frames` when the last locate or play started rolling
    take_span: tuple[int, int] = (0, -1)  # stream frames of the last take (-1: still going)
    capture_lost: int = 0  # captured frames replaced by silence because the disk fell behind
    backend: str = ""
    fallback_reason: str | None = None
    sample_rate: int = 0
    time: float = 0.0  # time.monotonic() at the read, to extrapolate the playhead


@dataclass
class RenderResult:
    path: Path
    frames: int
    stems: dict[str, Path] = field(default_factory=dict)
    peak: float = 0.0


class Engine:
    """Play, mix and render projects; see the module docstring."""

    def __init__(
        self, capacity: A.Capacity | None = None, cr_out: int = 0, main_out: int = 0
    ) -> None:
        self._lock = threading.RLock()
        self._root = A.Root(A.Arena(capacity or A.Capacity()))
        self._backend: ClockBackend | PortAudioBackend | None = None
        self._butler = Butler(self._root.arena, 48000, on_warning=self._note)
        self._map = PlanMap()
        self._project: Project | None = None
        self._folder: Path | None = None
        self._main_out = main_out
        self._cr_out = cr_out
        self.fallback_reason: str | None = None
        self.messages: list[str] = []
        self._watchdog: threading.Thread | None = None
        self._stop_watchdog = threading.Event()
        self._talkback_held = False
        self._playing = False
        self._placeholders: frozenset[str] = frozenset()
        self._collector = Collector()
        self._collecting: threading.Thread | None = None
        self._stop_collecting = threading.Event()

    # -- device --------------------------------------------------------------------

    @property
    def backend(self) -> ClockBackend | PortAudioBackend | None:
        return self._backend

    @property
    def running(self) -> bool:
        return self._backend is not None

    def prepare(self, progress: Progress | None = None) -> None:
        """Compile the kernel and the callback (about 20 s the first time, then from
        numba's cache in well under a second). It takes no lock, so a window can run
        it on a worker while it goes on reading feedback; `open` is quick after it."""
        build_callback(progress)

    def open(
        self,
        backend: str | ClockBackend | PortAudioBackend = "auto",
        progress: Progress | None = None,
        **options,
    ) -> None:
        """Start the audio: "auto" (a device, else the clock), "portaudio", "clock",
        or a backend object. Options go to the backend (device, hostapi, samplerate,
        blocksize, inputs, outputs). "auto" falls back and sets `fallback_reason`;
        "portaudio" raises DeviceError instead.
        """
        self.close()
        with self._lock:
            if isinstance(backend, str):
                if backend not in ("auto", "portaudio", "clock"):
                    raise DeviceError(f"unknown backend {backend!r}: auto, portaudio or clock")
                if backend == "clock":
                    backend_obj = ClockBackend(**_clock_options(options))
                else:
                    try:
                        backend_obj = PortAudioBackend(**options)
                        self._start(backend_obj, progress)
                        return
                    except Exception as e:  # any refusal of the device means: no device
                        if backend == "portaudio":
                            raise
                        self._fall_back(f"no audio device: {e}", options)
                        return
            else:
                backend_obj = backend
            self._start(backend_obj, progress)

    def _start(self, backend: ClockBackend | PortAudioBackend, progress: Progress | None) -> None:
        self._butler.set_rate(backend.samplerate)
        self._butler.start()
        backend.start(self._root, progress)
        self._backend = backend
        if self._project is not None and backend.samplerate != self._project.sample_rate:
            self._note(
                f"the project is at {self._project.sample_rate} Hz but the device runs at "
                f"{backend.samplerate} Hz; it plays at the wrong speed"
            )
        self._stop_watchdog = threading.Event()
        self._watchdog = threading.Thread(
            target=self._watch,
            args=(self._stop_watchdog,),
            name="glassroom-watchdog",
            daemon=True,
        )
        self._watchdog.start()
        self._stop_collecting = threading.Event()
        self._collecting = threading.Thread(
            target=self._collect,
            args=(self._stop_collecting,),
            name="glassroom-automation",
            daemon=True,
        )
        self._collecting.start()

    def _fall_back(self, reason: str, options: dict) -> None:
        self.fallback_reason = reason
        self._note(f"{reason}; running without sound")
        self._start(ClockBackend(**_clock_options(options)), None)

    def _watch(self, stop: threading.Event) -> None:
        while not stop.wait(WATCHDOG_SECONDS):
            backend = self._backend
            if backend is None:
                continue
            reason = backend.failure()
            if reason is not None:
                with self._lock:
                    if self._backend is not backend or stop.is_set():
                        continue
                    self._backend = None
                    backend.stop(timeout=0.5)
                    options = {
                        "samplerate": backend.samplerate,
                        "blocksize": min(backend.blocksize, A.MAX_BLOCK),
                        "inputs": backend.inputs,
                        "outputs": backend.outputs,
                    }
                    self.fallback_reason = reason
                    self._note(f"{reason}; running without sound")
                    clock = ClockBackend(**options)
                    clock.start(self._root)
                    self._backend = clock
                    if self._root.arena.fb[A.F_RECORDING]:
                        self._root.arena.push_command(A.CMD_RECORD, 0.0)
                        self._note("the take so far is kept; choose another device to go on")
            with self._lock:
                if self._butler.recorder.halted and self._root.active.fb[A.F_RECORDING]:
                    # The disk refused a write: end the take in the kernel too.
                    self._root.arena.push_command(A.CMD_RECORD, 0.0)
                    self._butler.recorder.halted = False
                self._root.release_retired()

    def close(self) -> None:
        """Stop the audio and the butler (the loaded project stays)."""
        # The watchdog goes first, outside the lock it may be waiting for.
        self._stop_watchdog.set()
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None and watchdog is not threading.current_thread():
            watchdog.join(timeout=2.0)
        self._stop_collecting.set()
        collecting, self._collecting = self._collecting, None
        if collecting is not None:
            collecting.join(timeout=2.0)
        with self._lock:
            if self._backend is not None:
                self._backend.stop()
                self._backend = None
            self._butler.stop()

    def set_outputs(self, main: int = 0, control_room: int = 0) -> None:
        """Choose the device output pairs (first channel, 0-based) of the main mix and
        the control room. When they coincide (a 2-out device) the control room wins
        and the main mix is not separately audible; a pair beyond the device's
        channels is simply not written. Cue mixes use their own CueMix.output.
        """
        with self._lock:
            self._main_out, self._cr_out = main, control_room
            if self._project is not None and self._folder is not None:
                self.load(self._project, self._folder, self._placeholders)

    def _note(self, text: str) -> None:
        self.messages.append(text)

    # -- the project ----------------------------------------------------------------

    def load(
        self,
        project: Project,
        folder: str | os.PathLike[str],
        placeholders: set[str] | frozenset[str] = frozenset(),
    ) -> list[str]:
        """Make `project` the one that plays (again after any structural edit).

        `placeholders` are media ids whose files are missing: they play silence.
        Returns warnings about routing the engine had to correct.
        """
        with self._lock:
            self._project = project
            self._folder = Path(folder)
            self._placeholders = frozenset(placeholders)
            arena = self._root.arena
            layout = allocate(project, arena.capacity, self._map)
            lanes, points = automation_counts(project)
            grown = None
            if layout is None or lanes > arena.capacity.lanes or points > arena.capacity.points:
                strips, tracks, cues = plan_counts(project)
                # Room for the old and the new objects side by side, as during the flip.
                need = arena.capacity.grown_for(
                    strips + len(self._map.strips),
                    tracks + len(self._map.rings),
                    cues + len(self._map.cues),
                    lanes,
                    points,
                )
                grown = arena = A.Arena(need)
                arena.take_state_from(self._root.arena)
                layout = allocate(project, arena.capacity, self._map)
            self._map = compile_plan(
                project,
                arena,
                self._main_out,
                self._cr_out,
                running=self.running and grown is None,
                layout=layout,
            )
            if grown is not None:
                self._install(grown)
            self._write_room_extras(arena)
            schedule = make_schedule(project, self._folder, self._map.rings, set(placeholders))
            self._butler.set_rate(project.sample_rate)
            self._butler.set_schedule(schedule)
            fb = self._root.active.fb
            rolling = (
                self._playing
                and fb[A.F_PLAYING]
                and fb[A.F_CONSUMED] > 0
                and self._root.active.ring_ctl[A.R_READY_GEN] == fb[A.F_GEN]
            )
            if not rolling:
                # Nothing is being heard: refill everything from where the transport
                # stands before play goes on.
                arena.push_command(A.CMD_LOCATE, int(fb[A.F_POSITION]))
            loop = project.loop
            kernel_loop = (bool(fb[A.F_LOOP_ON]), int(fb[A.F_LOOP_START]), int(fb[A.F_LOOP_END]))
            if kernel_loop != (loop.enabled, loop.start, loop.end) and (
                loop.enabled or kernel_loop[0]
            ):
                arena.push_command(A.CMD_LOOP, float(loop.enabled), loop.start, loop.end)
            self._butler.poke()
            return list(self._map.warnings)

    def _install(self, new: A.Arena) -> None:
        """Move the kernel to a bigger arena (planned already) without a gap."""
        old = self._root.arena
        with self._butler.paused():
            # The butler is held while the rings move, so nothing it writes is lost;
            # the kernel keeps reading the old rings until it takes the new root.
            t = min(old.capacity.tracks, new.capacity.tracks)
            if old.capacity.ring_frames == new.capacity.ring_frames:
                new.rings[:t] = old.rings[:t]
                new.ring_ctl[:] = old.ring_ctl
            if old.capture.shape == new.capture.shape:
                new.capture[:] = old.capture
            # A snapshot of the transport until the kernel carries the real one over,
            # so the butler sees the same generation in both arenas.
            new.fb[:] = old.fb
            if not self.running:
                carry_over(old.kernel_args(), new.kernel_args())
            self._root.swap(new)
            if not self.running:
                self._root.array[1] = self._root.array[0]
            self._butler.set_arena(new, keep_position=True)

    def _write_room_extras(self, arena: A.Arena) -> None:
        arena.cr_p[A.TARGET, A.CR_TALKBACK_HELD] = 1.0 if self._talkback_held else 0.0

    def _strip(self, track_id: str) -> int:
        try:
            return self._map.strips[track_id]
        except KeyError:
            raise PlanError(f"no loaded track with id {track_id!r}") from None

    def set_param(self, track_id: str, path: str, value: object) -> None:
        """Set one strip parameter target (a StripParams path such as "fader_db").

        Heard within one block; never rebuilds the plan.
        """
        with self._lock:
            if self._project is None:
                raise PlanError("no project is loaded")
            s = self._strip(track_id)
            offset, number = param_target(self._project.track(track_id).strip, path, value)
            arena = self._root.arena
            arena.strip_p[A.TARGET, s, offset] = number
            arena.auto[1 + auto_key(arena, s, offset), A.AF_UI] = number

    def set_cue_send(
        self,
        cue_id: str,
        track_id: str,
        level_db: float | None = None,
        pan: float | None = None,
        enabled: bool | None = None,
    ) -> None:
        """Change one strip's level, pan or on/off in one cue mix."""
        with self._lock:
            if self._project is None:
                raise PlanError("no project is loaded")
            c = self._map.cues.get(cue_id)
            if c is None:
                raise PlanError(f"no loaded cue with id {cue_id!r}")
            s = self._strip(track_id)
            row = self._root.arena.cue_p[A.TARGET, c, s]
            send = self._project.cue(cue_id).sends.get(track_id)
            base_level = send.level_db if send is not None else -120.0
            base_on = send.enabled if send is not None else False
            level = base_level if level_db is None else level_db
            on = base_on if enabled is None else enabled
            row[A.C_LEVEL] = db_to_gain(level) if on else 0.0
            if pan is not None:
                row[A.C_PAN] = max(-1.0, min(1.0, float(pan)))
            arena = self._root.arena
            for offset in (A.C_LEVEL, A.C_PAN):
                arena.auto[1 + auto_key(arena, s, offset, c), A.AF_UI] = row[offset]

    def set_cue_master(
        self, cue_id: str, master_db: float | None = None, click_db: float | None = None
    ) -> None:
        with self._lock:
            c = self._map.cues.get(cue_id)
            if c is None:
                raise PlanError(f"no loaded cue with id {cue_id!r}")
            head = self._root.arena.cuehead_p[A.TARGET, c]
            if master_db is not None:
                head[A.CH_MASTER] = db_to_gain(master_db)
            if click_db is not None:
                head[A.CH_CLICK] = db_to_gain(click_db)

    def set_control_room(
        self,
        room: ControlRoom | None = None,
        *,
        talkback_held: bool | None = None,
        click: bool | None = None,
    ) -> None:
        """Apply the project's ControlRoom settings (or `room`), talkback and the click."""
        with self._lock:
            if self._project is None:
                raise PlanError("no project is loaded")
            arena = self._root.arena
            write_control_room(arena, self._project, self._map, room)
            if click is not None:
                arena.cr_p[A.TARGET, A.CR_CLICK_ON] = 1.0 if click else 0.0
            if talkback_held is not None:
                self._talkback_held = talkback_held
            self._write_room_extras(arena)

    # -- automation writing ----------------------------------------------------------

    def touch(self, track_id: str, path: str, touched: bool) -> None:
        """A strip control (a StripParams path) is held (True) or let go (False).

        While rolling, Touch, Latch and Trim write the parameter from the first touch;
        a control that cannot sense touch counts as held while it moves."""
        with self._lock:
            if self._project is None:
                raise PlanError("no project is loaded")
            s = self._strip(track_id)
            strip = self._project.track(track_id).strip
            try:
                value = get_path(strip, path)
            except KeyError:
                raise PlanError(f"{path!r} is not a live strip parameter") from None
            offset, number = param_target(strip, path, value)
            arena = self._root.arena
            _touch_row(arena.auto[1 + auto_key(arena, s, offset)], touched, number)

    def writing(self, track_id: str, path: str) -> bool:
        """Whether a move of this strip parameter (a StripParams path) is written as
        automation now: the transport rolls, the track is in a writing mode and the plan
        has the parameter's lane. Such a move goes to `set_param` and `touch` only, never
        into the project: the pass is what the history keeps."""
        with self._lock:
            if not self._playing or self._project is None:
                return False
            try:
                track = self._project.track(track_id)
            except KeyError:
                return False
            if AutomationMode(track.automation_mode) not in WRITING_MODES:
                return False
            planned = {(t, param) for t, param, _ in self._map.auto_keys.values()}
            return (track_id, path) in planned and any(
                lane.param == path for lane in planned_lanes(track))

    def current_value(self, track_id: str, path: str) -> float:
        """The value the kernel plays now for a strip parameter (its smoothed value, as
        of the last block), in the path's unit: dB for levels, 0/1 for switches."""
        with self._lock:
            if self._project is None:
                raise PlanError("no project is loaded")
            s = self._strip(track_id)
            strip = self._project.track(track_id).strip
            try:
                offset, _ = param_target(strip, path, get_path(strip, path))
            except KeyError:
                raise PlanError(f"{path!r} is not a live strip parameter") from None
            arena = self._root.active
            if s >= arena.capacity.strips:  # a grown arena the kernel has not reached yet
                arena = self._root.arena
            number = float(arena.strip_p[A.CUR, s, offset])
        if path in ("fader_db", "trim_db") or path.endswith(".level_db"):
            return 20.0 * math.log10(number) if number > 1e-6 else -120.0
        if path == "invert":
            return 1.0 if number < 0.0 else 0.0
        return number

    def touch_cue_send(self, cue_id: str, track_id: str, param: str, touched: bool) -> None:
        """A strip's level ("level_db") or "pan" control in a cue mix is held or let go."""
        with self._lock:
            if self._project is None:
                raise PlanError("no project is loaded")
            c = self._map.cues.get(cue_id)
            if c is None:
                raise PlanError(f"no loaded cue with id {cue_id!r}")
            if param not in ("level_db", "pan"):
                raise PlanError(f"a cue send has no automatable {param!r}; level_db or pan")
            s = self._strip(track_id)
            offset = A.C_LEVEL if param == "level_db" else A.C_PAN
            arena = self._root.arena
            number = float(arena.cue_p[A.TARGET, c, s, offset])
            _touch_row(arena.auto[1 + auto_key(arena, s, offset, c)], touched, number)

    def _collect(self, stop: threading.Event) -> None:
        while not stop.wait(COLLECT_SECONDS):
            self._drain()

    def _drain(self) -> None:
        with self._lock:
            arena, keys = self._root.active, self._map.auto_keys
        self._collector.drain(arena, keys)

    def pass_preview(self) -> dict[tuple[str, str], list[tuple[int, float]]]:
        """The points written so far in the pass under way, per (track id, lane param)
        (frames on the timeline, values in the lane's unit)."""
        return self._collector.preview()

    def finished_passes(self) -> list[AutomationPass]:
        """Passes written since the last call, once the transport has stopped and the
        kernel has closed every segment; each should become one undo step."""
        self._drain()
        if self._playing or self._root.active.fb[A.F_PLAYING]:
            return []
        lost = self._collector.newly_lost()
        if lost:
            self._note(f"{lost} automation records were lost: the ride has gaps there")
        done = self._collector.finished()
        return [] if done is None else [done]

    # -- transport -------------------------------------------------------------------

    def _command(self, op: int, a: float = 0.0, b: float = 0.0, c: float = 0.0) -> None:
        with self._lock:
            self._root.arena.push_command(op, a, b, c)
        self._butler.poke()

    def play(self) -> None:
        self._playing = True
        self._command(A.CMD_PLAY)

    def stop(self) -> None:
        self._playing = False
        self._command(A.CMD_STOP)

    def locate(self, frame: int) -> None:
        self._command(A.CMD_LOCATE, max(0, int(frame)))

    def set_loop(self, enabled: bool, start: int, end: int) -> None:
        if enabled and end <= start:
            raise PlanError(f"a loop needs its end after its start (got {start}..{end})")
        self._command(A.CMD_LOOP, 1.0 if enabled else 0.0, int(start), int(end))

    def record(self, enabled: bool, preroll: int = 0, count_in: bool = False) -> None:
        """Start (or end) a take on every armed track at the next block.

        Each armed track records one file per take in audio/ (a stereo input is one
        stereo file); collect the finished takes with `finished_takes()`. With the
        project's punch range enabled, only what plays inside it is kept, and auto
        monitoring switches to the input at the punch points. `preroll` frames: the
        transport first goes back that far and the take starts where it stood (a
        punch-in there); `count_in` plays the click until the punch-in. While looping, each
        pass is a take of its own. Only what plays while the transport rolls is kept,
        each frame placed where the performer heard it (`record_latency`). Raises
        PlanError, changing nothing, when an armed track has no input, is record-safe,
        or nothing is armed.
        """
        with self._lock:
            if not enabled:
                self._command(A.CMD_RECORD, 0.0)
                self._root.arena.cr_p[A.TARGET, A.CR_COUNT_IN] = 0.0
                return
            if self._project is None:
                raise PlanError("no project is loaded")
            here = int(self._root.active.fb[A.F_POSITION])
            punch = self._punch_range(self._project)
            if preroll > 0 and punch is None:
                punch = (here, PUNCH_FOREVER)
            self._arm_recorder(punch)
            arena = self._root.arena
            arena.ctl[A.K_PUNCH_IN], arena.ctl[A.K_PUNCH_OUT] = punch or (0, 0)
            arena.cr_p[A.TARGET, A.CR_COUNT_IN] = 1.0 if count_in and punch else 0.0
            if preroll > 0:
                self._command(A.CMD_LOCATE, max(0, here - int(preroll)))
            self._command(A.CMD_RECORD, 1.0)

    def check_arm(self, track_id: str) -> None:
        """Raise PlanError when the track cannot be armed (no input, record-safe)."""
        with self._lock:
            if self._project is None:
                raise PlanError("no project is loaded")
            self._record_target(self._project.track(track_id))

    def check_punch(self, start: int, end: int) -> None:
        """PlanError for a punch range that is empty or starts outside the session, as
        `record` would refuse it (the project's `punch`, an edit, is what records use)."""
        with self._lock:
            length = self._project.length() if self._project is not None else 0
            _check_punch(start, end, length)

    def _punch_range(self, project: Project) -> tuple[int, int] | None:
        punch = project.punch
        if not punch.enabled:
            return None
        _check_punch(punch.start, punch.end, project.length())
        return (punch.start, punch.end)

    def _record_target(self, t: Track) -> RecordTarget:
        backend = self._backend
        inputs = min(getattr(backend, "inputs", 0), self._root.arena.capacity.inputs)
        if t.kind is not TrackKind.AUDIO:
            raise PlanError(f"{t.name} is not an audio track; only audio tracks record")
        if t.record_safe:
            raise PlanError(f"{t.name} is record-safe; take it off record-safe to record on it")
        channels = tuple(t.input.channels[:2])
        if not channels:
            raise PlanError(f"{t.name} has no input; choose one before arming it")
        if min(channels) < 0 or max(channels) >= inputs:
            raise PlanError(
                f"{t.name} records input {max(channels) + 1}, but the device has {inputs}"
            )
        return RecordTarget(t.id, t.name, channels, len(t.takes.takes) + 1)

    def _arm_recorder(self, punch: tuple[int, int] | None) -> None:
        if self._project is None or self._folder is None:
            raise PlanError("no project is loaded")
        targets = [
            self._record_target(t)
            for t in self._project.tracks
            if t.kind is TrackKind.AUDIO and t.armed
        ]
        if not targets:
            raise PlanError("no armed track to record: arm a track with an input first")
        backend = self._backend
        rate = backend.samplerate if backend is not None else self._project.sample_rate
        with self._butler.paused():
            self._butler.recorder.arm(self._folder, rate, targets, self.record_latency())

    def record_latency(self) -> int:
        """Frames from an output frame to its return at the input: the stream's reported
        latencies plus the calibrated correction for this device and block size."""
        backend = self._backend
        if backend is None:
            return 0
        reported = int(round(sum(backend.latency) * backend.samplerate))
        return max(0, reported + latency_correction(_device_key(backend)))

    def calibrate(self, output_channel: int = 0, input_channel: int = 0,
                  timeout: float = 5.0) -> int:
        """Measure the round trip from an output to an input (patched together) by
        playing an impulse; stores the correction to the reported latency for this
        device and block size, and returns the measured round trip in frames.
        Raises DeviceError when nothing comes back."""
        with self._lock:
            backend = self._backend
            if backend is None:
                raise DeviceError("no audio is running to calibrate")
            if not 0 <= output_channel < backend.outputs:
                raise DeviceError(f"output {output_channel + 1} is not on the device")
            if not 0 <= input_channel < min(backend.inputs, self._root.arena.capacity.inputs):
                raise DeviceError(f"input {input_channel + 1} is not on the device")
            rate = backend.samplerate
            at = int(self._root.active.fb[A.F_FRAMES]) + rate // 10
            cr = self._root.arena.cr_p[A.TARGET]
            cr[A.CR_TEST_FRAME] = float(at)
            cr[A.CR_TEST_OUT] = float(output_channel)
        window = rate // 2
        deadline = time.monotonic() + timeout
        while self.read_feedback().frames < at + window:
            if time.monotonic() > deadline:
                raise DeviceError("the device stopped while calibrating")
            time.sleep(0.01)
        with self._lock:
            self._root.arena.cr_p[A.TARGET, A.CR_TEST_OUT] = -1.0
        back = self.read_capture(at, window)[:, input_channel]
        hits = np.flatnonzero(np.abs(back) > 0.5 * CALIBRATION_LEVEL)
        if len(hits) == 0:
            raise DeviceError(
                f"nothing came back on input {input_channel + 1} from output "
                f"{output_channel + 1}; connect them and try again"
            )
        measured = int(hits[0])
        reported = int(round(sum(backend.latency) * rate))
        store_latency_correction(_device_key(backend), measured - reported)
        self._note(f"calibrated {backend.name}: round trip {measured} frames")
        return measured

    def finished_takes(self) -> list[RecordedTake]:
        """Takes that finished recording since the last call (their files are closed)."""
        with self._butler.paused():
            return self._butler.recorder.finished()

    def wait_commands(self, timeout: float = 1.0) -> bool:
        """Wait until the kernel has taken every queued command (False on timeout)."""
        deadline = time.monotonic() + timeout
        while self._root.arena.commands_pending() > 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    # -- feedback --------------------------------------------------------------------

    def read_feedback(self) -> Feedback:
        """Copy the kernel's feedback; meters restart holding from this read."""
        with self._lock:
            arena = self._root.active
            fb = arena.fb.copy()
            meters = arena.meters.copy()
            reduction = arena.dsp_state[:, A.DS_GAIN_REDUCTION].copy()
            self._root.arena.ctl[A.K_METER_RESET] = arena.ctl[A.K_METER_RESET] + 1
            backend = self._backend
            out = Feedback(
                position=int(fb[A.F_POSITION]),
                playing=bool(fb[A.F_PLAYING]),
                recording=bool(fb[A.F_RECORDING]),
                waiting=bool(fb[A.F_WAITING]),
                loop=(bool(fb[A.F_LOOP_ON]), int(fb[A.F_LOOP_START]), int(fb[A.F_LOOP_END])),
                dsp_load=backend.cpu_load() if backend is not None else 0.0,
                late_cycles=int(fb[A.F_LATE])
                + (backend.late_blocks if isinstance(backend, ClockBackend) else 0),
                xruns=int(fb[A.F_XRUNS]),
                underrun_frames=int(fb[A.F_UNDERRUNS]),
                ring_fill=int(arena.ring_ctl[A.R_WRITTEN] - fb[A.F_CONSUMED])
                if arena.ring_ctl[A.R_READY_GEN] == fb[A.F_GEN]
                else 0,
                blocks=int(fb[A.F_BLOCKS]),
                frames=int(fb[A.F_FRAMES]),
                roll_frame=int(fb[A.F_ROLL_FRAME]),
                take_span=(int(fb[A.F_REC_START]), int(fb[A.F_REC_STOP])),
                capture_lost=self._butler.recorder.lost_frames,
                backend=backend.name if backend is not None else "",
                fallback_reason=self.fallback_reason,
                sample_rate=backend.samplerate if backend is not None else 0,
                time=time.monotonic(),
            )
            strips = arena.capacity.strips
            for cue_id, c in self._map.cues.items():
                if c < arena.capacity.cues:
                    out.cue_meters[cue_id] = _meter(meters[strips + c])
            out.loudness = Loudness(
                momentary=float(arena.loud_state[LOUD_MOMENTARY]),
                short_term=float(arena.loud_state[LOUD_SHORT_TERM]),
                integrated=float(integrated_lufs(arena.loud_hist)),
                lra=float(loudness_range(arena.loud_hist)),
                true_peak=float(to_dbtp(float(arena.tp_state[:, TP_HELD].max()))),
            )
            for track_id, s in self._map.strips.items():
                if s >= strips:  # a grown arena the kernel has not reached yet
                    out.meters[track_id] = StripMeter(0.0, 0.0)
                    continue
                out.meters[track_id] = _meter(meters[s])
                out.gain_reduction[track_id] = float(reduction[s])
            return out

    def reset_loudness(self) -> None:
        """Start the master's loudness and true-peak measurement afresh."""
        with self._lock:
            self._root.arena.ctl[A.K_LOUDNESS_RESET] += 1

    def read_capture(self, start: int, frames: int) -> np.ndarray:
        """A copy of the device inputs for stream frames [start, start + frames).

        Stream frames count from the start of the stream, as `Feedback.frames` does.
        Raises ValueError when they are not all captured yet or already overwritten.
        """
        with self._lock:
            arena = self._root.active
            have = int(arena.fb[A.F_FRAMES])
            size = arena.capture.shape[0]
            if start + frames > have:
                raise ValueError(f"frames up to {start + frames} asked, {have} captured so far")
            if start < have - size:
                raise ValueError(f"frame {start} is gone from the capture ring (now at {have})")
            rows = (np.arange(start, start + frames) & (size - 1)).astype(np.intp)
            return arena.capture[rows].copy()

    # -- render ------------------------------------------------------------------------

    def render(
        self,
        project: Project,
        folder: str | os.PathLike[str],
        out_path: str | os.PathLike[str],
        range: tuple[int, int] | None = None,
        stems_dir: str | os.PathLike[str] | None = None,
        cue: str | None = None,
        progress: Callable[[float], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        placeholders: set[str] | frozenset[str] = frozenset(),
        blocksize: int = 128,
    ) -> RenderResult | None:
        """Render the main mix (or one cue mix) of [start, end) to a float32 WAV.

        Runs the live kernel offline over a private arena, so it neither disturbs
        playback nor differs from it. `stems_dir` also writes each audio track alone
        (through its strip, its sends' returns and the master) as `<track name>.wav`:
        the session without the other audio tracks, so no other track reaches it, not
        even by a pre-fader send, and a stem costs one track's work. Never overwrites a
        file. Returns None when cancelled (nothing is left behind).
        """
        start, end = range if range is not None else (0, project.length())
        if end <= start:
            raise RenderError(f"nothing to render: the range {start}..{end} is empty")
        out_path = Path(out_path)
        targets = [out_path]
        stems: dict[str, Path] = {}
        if stems_dir is not None:
            for t in project.tracks:
                if t.kind is TrackKind.AUDIO:
                    stems[t.id] = Path(stems_dir) / f"{_safe_name(t.name)}.wav"
            targets += stems.values()
        for path in targets:
            if path.exists():
                raise RenderError(f"{path} already exists; choose another name")
        if len(set(targets)) != len(targets):
            raise RenderError("two tracks have the same name; their stems would collide")
        if cue is None:
            # The main mix and its stems take nothing from the cue mixes: leave them out.
            project = replace(project, cues=[])
        parts = [(None, out_path)] + list(stems.items())
        total = len(parts)
        peak = 0.0
        for i, (solo_id, path) in enumerate(parts):

            def step(f: float, i: int = i) -> None:
                if progress is not None:
                    progress((i + f) / total)

            alone = project
            if solo_id is not None:
                kept = [t for t in project.tracks
                        if t.kind is not TrackKind.AUDIO or t.id == solo_id]
                alone = replace(project, tracks=kept)
            result = self._render_one(
                alone,
                Path(folder),
                path,
                start,
                end,
                cue,
                step,
                cancel,
                set(placeholders),
                blocksize,
            )
            if result is None:
                return None
            if solo_id is None:
                peak = result
        return RenderResult(out_path, end - start, stems, peak)

    def _render_one(
        self,
        project: Project,
        folder: Path,
        path: Path,
        start: int,
        end: int,
        cue: str | None,
        progress: Callable[[float], None],
        cancel: Callable[[], bool] | None,
        placeholders: set[str],
        blocksize: int,
    ) -> float | None:
        strips, tracks, cues = plan_counts(project)
        lanes, points = automation_counts(project)
        arena = A.Arena(
            A.Capacity(
                strips, max(tracks, 1), max(cues, 1), lanes=max(lanes, 1), points=max(points, 1)
            )
        )
        main_out, cr_out = 0, -2
        if cue is not None:
            if cue not in {c.id for c in project.cues}:
                raise RenderError(f"there is no cue mix with id {cue!r}")
            main_out = -2
        mapping = compile_plan(project, arena, main_out, cr_out)
        # A render plays what the lanes hold: nothing is touched, nothing written.
        arena.plan_lanes[int(arena.ctl[A.K_PLAN_INDEX]), :, A.L_MODE] = A.MODE_READ
        arena.ctl[A.K_UNMETERED] = 1
        if cue is not None:
            p = int(arena.ctl[A.K_PLAN_INDEX])
            arena.plan_cue[p, :, A.Q_OUT] = -2
            arena.plan_cue[p, mapping.cues[cue], A.Q_OUT] = 0
        butler = Butler(arena, project.sample_rate, chunk=RENDER_CHUNK_FRAMES)
        butler.set_schedule(make_schedule(project, folder, mapping.rings, placeholders))
        backend = OfflineBackend(project.sample_rate, blocksize)
        backend.settle(arena)
        arena.push_command(A.CMD_LOCATE, start)
        arena.push_command(A.CMD_PLAY)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(suffix=".wav", prefix=".render-", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        peak = 0.0
        try:
            with sf.SoundFile(tmp, "w", project.sample_rate, 2, subtype="FLOAT", format="WAV") as f:

                def sink(block: np.ndarray) -> None:
                    nonlocal peak
                    f.write(block[:, :2])
                    peak = max(peak, float(np.max(np.abs(block[:, :2]), initial=0.0)))

                finished = backend.run(arena, end - start, butler.service, sink, cancel, progress)
            if not finished:
                tmp.unlink()
                return None
            try:
                os.link(tmp, path)  # unlike a rename, never replaces a file
            except FileExistsError:
                raise RenderError(
                    f"{path} appeared while rendering; the render is kept as {tmp}"
                ) from None
            tmp.unlink()
        except BaseException:
            if tmp.exists() and not path.exists():
                tmp.unlink()
            raise
        finally:
            butler.close()
        return peak


def _touch_row(row: np.ndarray, touched: bool, stored: float) -> None:
    """Mark a parameter's `auto` row held or let go; the kernel sees the flag last."""
    if touched:
        row[A.AF_REF] = stored
        row[A.AF_UI] = math.nan  # not moved yet: the parameter holds where it was
        row[A.AF_TOUCH] = 1.0
    else:
        row[A.AF_TOUCH] = 0.0


def _meter(row: np.ndarray) -> StripMeter:
    count = row[A.M_COUNT]
    rms = float(np.sqrt(row[A.M_SUMSQ] / count)) if count > 0 else 0.0
    return StripMeter(float(row[A.M_PEAK]), rms)


def _check_punch(start: int, end: int, length: int) -> None:
    if end <= start:
        raise PlanError(f"a punch range needs its end after its start (got {start}..{end})")
    if start < 0 or (length > 0 and start >= length):
        raise PlanError(
            f"the punch range {start}..{end} starts outside the session (0..{length})"
        )


def _device_key(backend: ClockBackend | PortAudioBackend) -> str:
    device = getattr(backend, "device_name", "")
    return f"{backend.name}:{device}@{backend.blocksize}"


def _clock_options(options: dict) -> dict:
    keys = ("samplerate", "blocksize", "inputs", "outputs")
    return {k: v for k, v in options.items() if k in keys}


def _safe_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in " -_." else "_" for ch in name).strip(" .")
    return cleaned or "track"
