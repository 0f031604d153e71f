"""Where blocks come from: a device (PortAudio), a clock (no device) or a render.

- PortAudioBackend opens a duplex interleaved float32 stream through the PortAudio
  binding that sounddevice carries, with the numba cfunc of callback.py as its
  callback and the Root holder's address as userData: the audio thread never runs
  Python. It reports the latencies PortAudio gives and notices when the device has
  gone (`failure()`), so the Engine can fall back.
- ClockBackend runs the same kernel on a Python thread paced by time.monotonic, for
  a machine with no usable device: the transport, meters and feedback keep working.
- OfflineBackend runs the kernel as fast as it can for a render, on two threads: the
  second one runs tracks' strips a chunk ahead (or fills the rings, when automation
  moves a track's input, filters or dynamics); a chunk only takes blocks the rings
  already hold, so every render of a project is bit-identical.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from app.engine import arena as A
from app.engine.callback import build_callback, run_root, warm_kernel

STANDARD_RATES = (22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000)
STALL_SECONDS = 1.5  # no block for this long on a running stream: the device is gone
# An offline render runs the kernel over this many frames per call (a whole number of
# blocks), and its butler writes this many at a time: Python's per-call costs (the
# butler, the file write) then count little, and every chunk carries the same work.
RENDER_CHUNK_FRAMES = 16384

Progress = Callable[[str, float], None]


class DeviceError(Exception):
    """An audio device that cannot be opened as asked, with what it does support."""


class ClockBackend:
    """Runs the kernel on a Python thread at the pace of the clock; nothing is heard."""

    name = "clock"

    def __init__(
        self,
        samplerate: int = 48000,
        blocksize: int = 128,
        inputs: int = 2,
        outputs: int = 2,
        sink: Callable[[np.ndarray], None] | None = None,
        source: Callable[[np.ndarray, int], None] | None = None,
    ) -> None:
        if not 0 < blocksize <= A.MAX_BLOCK:
            raise DeviceError(f"block size {blocksize} is outside 1..{A.MAX_BLOCK}")
        self.sink = sink  # receives a copy of every output block (what a device would play)
        self.source = source  # fills each input block (frames, inputs) from its stream frame
        self.samplerate = samplerate
        self.blocksize = blocksize
        self.inputs = inputs
        self.outputs = outputs
        self.latency = (0.0, blocksize / samplerate)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.late_blocks = 0

    def start(self, root: A.Root, progress: Progress | None = None) -> None:
        warm_kernel(progress)
        root.arena.ctl[A.K_IN_CHANNELS] = self.inputs
        root.arena.ctl[A.K_OUT_CHANNELS] = self.outputs
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(root,), name="glassroom-clock", daemon=True
        )
        self._thread.start()

    def _run(self, root: A.Root) -> None:
        inp = np.zeros((self.blocksize, self.inputs), np.float32)
        out = np.zeros((self.blocksize, self.outputs), np.float32)
        period = self.blocksize / self.samplerate
        next_time = time.monotonic()
        frame = 0
        while not self._stop.is_set():
            if self.source is not None:
                self.source(inp, frame)
            frame += self.blocksize
            run_root(root.array, inp, out, 0, 0)
            if self.sink is not None:
                self.sink(out.copy())
            next_time += period
            wait = next_time - time.monotonic()
            if wait > 0:
                self._stop.wait(wait)
            elif wait < -4 * period:
                # Far behind (the machine was busy): count it and stop catching up.
                self.late_blocks += 1
                next_time = time.monotonic()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout)
            self._thread = None

    def failure(self) -> str | None:
        return None

    def cpu_load(self) -> float:
        return 0.0


def _device_summary(device: int) -> str:
    import sounddevice as sd

    info = sd.query_devices(device)
    api = sd.query_hostapis(info["hostapi"])["name"]
    return (
        f"{info['name']} ({api}): {info['max_input_channels']} in, "
        f"{info['max_output_channels']} out, default rate {info['default_samplerate']:.0f} Hz"
    )


def _supported_rates(device: int, inputs: int, outputs: int) -> list[int]:
    import sounddevice as sd

    rates = []
    for rate in STANDARD_RATES:
        try:
            if outputs:
                sd.check_output_settings(device, outputs, "float32", None, rate)
            if inputs:
                sd.check_input_settings(device, inputs, "float32", None, rate)
            rates.append(rate)
        except Exception:  # a refusal is the answer we are collecting
            continue
    return rates


def find_device(device: int | str | None, hostapi: int | str | None, want_input: bool) -> int:
    """The PortAudio device index for a name/index, optionally within a host API."""
    import sounddevice as sd

    devices = sd.query_devices()
    apis = sd.query_hostapis()
    api_index = None
    if hostapi is not None:
        names = [a["name"] for a in apis]
        if isinstance(hostapi, int):
            api_index = hostapi
        else:
            matches = [i for i, n in enumerate(names) if hostapi.lower() in n.lower()]
            if not matches:
                raise DeviceError(f"no audio system called {hostapi!r}; there are {names}")
            api_index = matches[0]
    if isinstance(device, int):
        if not 0 <= device < len(devices):
            raise DeviceError(f"there is no audio device {device}; there are {len(devices)}")
        return device
    candidates = [
        i
        for i, d in enumerate(devices)
        if (api_index is None or d["hostapi"] == api_index)
        and d["max_output_channels"] > 0
        and (device is None or str(device).lower() in d["name"].lower())
    ]
    if device is None and api_index is not None and candidates:
        default = apis[api_index]["default_output_device"]
        return default if default in candidates else candidates[0]
    if device is None:
        default = sd.default.device[1]
        if default is not None and default >= 0:
            return int(default)
        if candidates:
            return candidates[0]
        raise DeviceError("there is no audio output device on this machine")
    if not candidates:
        names = [d["name"] for d in devices]
        raise DeviceError(f"no audio device matches {device!r}; there are {names}")
    return candidates[0]


class PortAudioBackend:
    """A duplex float32 stream on a PortAudio device, called back by compiled code."""

    name = "portaudio"

    def __init__(
        self,
        device: int | str | None = None,
        hostapi: int | str | None = None,
        samplerate: int = 48000,
        blocksize: int = 128,
        inputs: int = 2,
        outputs: int = 2,
    ) -> None:
        import sounddevice as sd

        self._sd = sd
        self.device = find_device(device, hostapi, inputs > 0)
        self.samplerate = samplerate
        self.blocksize = blocksize
        info = sd.query_devices(self.device)
        self.device_name = str(info["name"])
        self.inputs = min(inputs, int(info["max_input_channels"]))
        self.outputs = outputs
        self.latency = (0.0, 0.0)
        self._stream = None
        self._keep: list[object] = []
        self._root: A.Root | None = None
        self._last_blocks = -1
        self._last_progress = 0.0
        self.summary = _device_summary(self.device)
        self._check()

    def _check(self) -> None:
        sd = self._sd
        if not 0 < self.blocksize <= 8192:
            raise DeviceError(f"block size {self.blocksize} is outside 1..8192 frames")
        try:
            sd.check_output_settings(self.device, self.outputs, "float32", None, self.samplerate)
            if self.inputs:
                sd.check_input_settings(self.device, self.inputs, "float32", None, self.samplerate)
        except Exception as e:
            rates = _supported_rates(self.device, self.inputs, min(self.outputs, 2))
            raise DeviceError(
                f"{self.summary} refuses {self.samplerate} Hz with "
                f"{self.inputs} in / {self.outputs} out ({e}); it supports "
                f"{', '.join(map(str, rates)) or 'none of the standard rates'} Hz"
            ) from e

    def _params(self, kind: str, channels: int):
        ffi, lib = self._sd._ffi, self._sd._lib
        params = ffi.new("PaStreamParameters*")
        params.device = self.device
        params.channelCount = channels
        params.sampleFormat = lib.paFloat32
        info = lib.Pa_GetDeviceInfo(self.device)
        params.suggestedLatency = (
            info.defaultLowInputLatency if kind == "input" else info.defaultLowOutputLatency
        )
        params.hostApiSpecificStreamInfo = ffi.NULL
        return params

    def start(self, root: A.Root, progress: Progress | None = None) -> None:
        ffi, lib = self._sd._ffi, self._sd._lib
        callback = build_callback(progress)
        root.arena.ctl[A.K_IN_CHANNELS] = self.inputs
        root.arena.ctl[A.K_OUT_CHANNELS] = self.outputs
        in_params = self._params("input", self.inputs) if self.inputs else ffi.NULL
        out_params = self._params("output", self.outputs)
        stream = ffi.new("PaStream**")
        err = lib.Pa_OpenStream(
            stream,
            in_params,
            out_params,
            float(self.samplerate),
            self.blocksize,
            lib.paNoFlag,
            ffi.cast("PaStreamCallback *", callback.address),
            ffi.cast("void *", root.address),
        )
        if err != 0:
            text = ffi.string(lib.Pa_GetErrorText(err)).decode(errors="replace")
            raise DeviceError(
                f"{self.summary} would not open at {self.samplerate} Hz, "
                f"{self.blocksize} frames per block: {text}"
            )
        # The callback holds raw addresses only: keep everything it touches alive.
        self._keep = [callback, in_params, out_params, stream, root]
        self._root = root
        self._stream = stream[0]
        err = lib.Pa_StartStream(self._stream)
        if err != 0:
            text = ffi.string(lib.Pa_GetErrorText(err)).decode(errors="replace")
            lib.Pa_CloseStream(self._stream)
            self._stream = None
            raise DeviceError(f"{self.summary} would not start: {text}")
        info = lib.Pa_GetStreamInfo(self._stream)
        self.latency = (float(info.inputLatency), float(info.outputLatency))
        self._last_blocks = -1
        self._last_progress = time.monotonic()

    def failure(self) -> str | None:
        """Why the stream has stopped delivering blocks, or None while it runs."""
        if self._stream is None or self._root is None:
            return None
        lib = self._sd._lib
        active = lib.Pa_IsStreamActive(self._stream)
        if active != 1:
            self._leave_portaudio_at_exit()
            return f"the audio device {self.summary} stopped (code {active})"
        blocks = int(self._root.arena.fb[A.F_BLOCKS])
        now = time.monotonic()
        if blocks != self._last_blocks:
            self._last_blocks = blocks
            self._last_progress = now
        elif now - self._last_progress > STALL_SECONDS:
            return f"the audio device {self.summary} stopped delivering audio"
        return None

    def _leave_portaudio_at_exit(self) -> None:
        """Keep sounddevice from terminating PortAudio when the program exits.

        After the audio server vanished, PortAudio's JACK host API aborts the whole
        process in Pa_Terminate (it asserts that closing its dead client worked), so
        a program that lost its device would crash on the way out. Skipping the
        terminate at exit costs nothing: the process is ending.
        """
        self._sd._initialized = 0

    def cpu_load(self) -> float:
        if self._stream is None:
            return 0.0
        return float(self._sd._lib.Pa_GetStreamCpuLoad(self._stream))

    def stop(self, timeout: float = 3.0) -> None:
        """Stop and close the stream; a dead device is abandoned after `timeout`."""
        if self._stream is None:
            return
        stream, self._stream = self._stream, None
        lib = self._sd._lib

        def close() -> None:
            lib.Pa_AbortStream(stream)
            lib.Pa_CloseStream(stream)

        closer = threading.Thread(target=close, name="glassroom-close-stream", daemon=True)
        closer.start()
        closer.join(timeout)
        if closer.is_alive():
            return  # keep self._keep: the stream may still hold the callback's addresses
        self._keep = []


class OfflineBackend:
    """Runs the kernel as fast as possible over a private arena, block by block."""

    name = "offline"

    def __init__(self, samplerate: int = 48000, blocksize: int = 128, outputs: int = 2) -> None:
        if not 0 < blocksize <= A.MAX_BLOCK:
            raise ValueError(f"block size {blocksize} is outside 1..{A.MAX_BLOCK}")
        self.samplerate = samplerate
        self.blocksize = blocksize
        self.outputs = outputs

    def settle(self, arena: A.Arena) -> None:
        """Run one silent block with the transport stopped.

        Every smoothed value then sits exactly at its target, as it does in a stream
        that has been running, so a render starts where live playback would.
        """
        from app.engine.mixer import process_block

        arena.ctl[A.K_IN_CHANNELS] = 0
        arena.ctl[A.K_OUT_CHANNELS] = self.outputs
        inp = np.zeros((self.blocksize, 0), np.float32)
        out = np.zeros((self.blocksize, self.outputs), np.float32)
        process_block(*arena.kernel_args(), inp, out, 0, 0)

    def run(
        self,
        arena: A.Arena,
        frames: int,
        before_block: Callable[[], None],
        sink: Callable[[np.ndarray], None],
        cancel: Callable[[], bool] | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> bool:
        """Process `frames` frames, handing the output to `sink` in chunks of blocks.

        `before_block` (the butler's pass) fills the playback rings; it is run before
        every chunk whose first block the rings do not yet hold, and otherwise while
        the kernel runs, so a chunk ends early where the rings run short and the
        samples equal running it before every block. An error `sink` raises (a full
        disk) ends the render. Returns False when cancelled. Commands already queued
        are taken first.

        Two threads share the work. When no automation lane moves a track's input,
        filters or dynamics, the second thread runs those a chunk ahead
        (`render_front`) for as many tracks as keep the two threads even
        (`RenderSplit`), while this one mixes the chunk before, services the butler
        and writes; otherwise the second thread services the butler and writes while
        this one runs the whole kernel.
        """
        from app.engine.mixer import process_block

        arena.ctl[A.K_IN_CHANNELS] = 0
        arena.ctl[A.K_OUT_CHANNELS] = self.outputs
        process_block(
            *arena.kernel_args(),
            np.zeros((0, 0), np.float32),
            np.zeros((0, self.outputs), np.float32),
            0,
            0,
        )
        # One worker, and this thread waits on its results: while one thread runs
        # Python the other is in the kernel (which releases the GIL), so the render
        # never waits out a switch interval.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="glassroom-render") as pool:
            chunks = self._run_ahead if tracks_run_ahead(arena) else self._run_whole
            if cancel is not None and cancel():
                return False
            for done in chunks(arena, frames, before_block, sink, pool):
                if progress is not None:
                    progress(done / frames)
                if done < frames and cancel is not None and cancel():
                    return False
        return True

    def _chunk(self) -> int:
        return max(1, RENDER_CHUNK_FRAMES // self.blocksize) * self.blocksize

    def _rings_short(self, arena: A.Arena, fb: np.ndarray, want: int) -> bool:
        """Whether the rings lack the first block of `want` frames from fb's position."""
        ring_ctl = arena.ring_ctl
        return bool(
            ring_ctl[A.R_READY_GEN] != fb[A.F_GEN]
            or ring_ctl[A.R_WRITTEN] - fb[A.F_CONSUMED] < min(self.blocksize, want)
        )

    def _run_ahead(
        self,
        arena: A.Arena,
        frames: int,
        before_block: Callable[[], None],
        sink: Callable[[np.ndarray], None],
        pool: ThreadPoolExecutor,
    ) -> Iterator[int]:
        """The render with tracks run ahead on the worker; yields the frames done after
        each chunk."""
        from app.engine.mixer import render_blocks, render_front

        args = arena.kernel_args()
        n = self.blocksize
        chunk = self._chunk()
        p = int(arena.ctl[A.K_PLAN_INDEX])
        order = arena.plan_order[p, : int(arena.plan_head[p, A.H_STRIPS])]
        audio = np.flatnonzero(arena.plan_strip[p, order, A.S_KIND] == A.KIND_AUDIO)
        split = RenderSplit(int(audio[-1]) + 1 if audio.size else 0)
        # The chunk the worker fills and the one this thread mixes, with how many plan
        # positions each holds.
        pipes = [np.zeros((split.tracks, 2 * chunk)) for _ in range(2)]
        rows = [0, 0]
        scratch = np.zeros_like(arena.scratch)
        batch = np.zeros_like(arena.batch)
        inp = np.zeros((n, 0), np.float32)
        out = np.zeros((chunk, self.outputs), np.float32)
        ahead_fb = arena.fb.copy()  # the kernel's position as the worker's chunk starts

        def front(written: int, pipe: np.ndarray, want: int) -> tuple[int, float]:
            t0 = time.perf_counter()
            got = render_front(args, ahead_fb, written, scratch, batch, inp, pipe, want, n)
            return got, time.perf_counter() - t0

        def start(want: int, k: int) -> Future[tuple[int, float]] | None:
            if want <= 0:
                return None
            if self._rings_short(arena, ahead_fb, want):
                before_block()
            rows[k % 2] = split.ahead
            written = int(arena.ring_ctl[A.R_WRITTEN])
            return pool.submit(front, written, pipes[k % 2][: split.ahead], want)

        ahead = start(min(chunk, frames), 0)
        done = 0
        k = 0
        while done < frames:
            got, front_s = ahead.result()
            t0 = time.perf_counter()
            ahead = start(min(chunk, frames - done - got), k + 1)
            pipe = pipes[k % 2][: rows[k % 2]]
            mixed = render_blocks(args, arena.fb, arena.ring_ctl, inp, out[:got], n, pipe)
            if mixed != got:
                raise RuntimeError(f"the render mixed {mixed} of {got} frames run ahead")
            sink(out[:got])
            before_block()
            split.learn(k, rows[k % 2], front_s, time.perf_counter() - t0)
            k += 1
            done += got
            yield done

    def _run_whole(
        self,
        arena: A.Arena,
        frames: int,
        before_block: Callable[[], None],
        sink: Callable[[np.ndarray], None],
        pool: ThreadPoolExecutor,
    ) -> Iterator[int]:
        """The render with the whole kernel on this thread and the butler and the sink
        on the worker; yields the frames done after each chunk."""
        from app.engine.mixer import render_blocks

        args = arena.kernel_args()
        fb, ring_ctl = arena.fb, arena.ring_ctl
        inp = np.zeros((self.blocksize, 0), np.float32)
        chunk = self._chunk()
        outs = [np.zeros((chunk, self.outputs), np.float32) for _ in range(2)]
        done = 0
        # Tasks run in order on the one worker, so a buffer's sink has finished before
        # the pass submitted after it, which this thread waits for before reusing the
        # buffer.
        written = None
        k = 0
        while done < frames:
            want = min(chunk, frames - done)
            if self._rings_short(arena, fb, want):
                before_block()
            ahead = pool.submit(before_block)
            out = outs[k % 2]
            got = render_blocks(args, fb, ring_ctl, inp, out[:want], self.blocksize)
            ahead.result()
            if written is not None:
                written.result()
            written = pool.submit(sink, out[:got])
            k += 1
            done += got
            yield done
        if written is not None:
            written.result()


class RenderSplit:
    """How many of a render's tracks (its first plan positions) its second thread runs
    ahead: as many as keep that thread from taking longer than this one, which mixes,
    services the butler and writes, and also runs the other tracks.

    Every KEEP chunks, if the second thread took longer per chunk (medians: a stall of
    either thread does not count) by more than one and a half tracks' time, tracks move
    to this thread: as many as would close half the gap, since each one moved takes a
    track's time from that thread and adds at least as much here. None moves back: the
    next chunk of a track may be run ahead only while its last one is not still in this
    thread's mix. The first chunks, which may wait on a compile, are left out.
    """

    SKIP = 2
    KEEP = 5

    def __init__(self, tracks: int) -> None:
        self.tracks = tracks
        self.ahead = tracks
        self._front: list[float] = []
        self._mix: list[float] = []

    def learn(self, k: int, ahead: int, front_s: float, mix_s: float) -> None:
        """Chunk k had `ahead` tracks run ahead, in front_s seconds; this thread's part
        took mix_s seconds."""
        if k < self.SKIP or ahead != self.ahead or ahead <= 1:
            return
        self._front.append(front_s)
        self._mix.append(mix_s)
        if len(self._front) < self.KEEP:
            return
        front = float(np.median(self._front))
        mix = float(np.median(self._mix))
        self._front.clear()
        self._mix.clear()
        track = front / ahead
        if front - mix > 1.5 * track:
            self.ahead -= min(ahead - 1, max(1, int((front - mix) / (2 * track))))


def tracks_run_ahead(arena: A.Arena) -> bool:
    """Whether a render may run the tracks' input, filters and dynamics a chunk ahead of
    the mix: no automation lane moves one of those of an audio track (A.P_AHEAD)."""
    p = int(arena.ctl[A.K_PLAN_INDEX])
    lanes = arena.plan_lanes[p, : int(arena.plan_head[p, A.H_LANES])]
    lanes = lanes[lanes[:, A.L_ON_CUE] == 0]
    audio = arena.plan_strip[p, lanes[:, A.L_STRIP], A.S_KIND] == A.KIND_AUDIO
    return not np.any(audio & np.isin(lanes[:, A.L_OFFSET], A.P_AHEAD))
