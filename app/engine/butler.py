"""The butler: the disk thread that keeps every track's playback ring ahead of the play.

It wakes every 10 ms (or at once when poked), reads the kernel's transport
generation, and writes each track's clips into its ring as the timeline will be
played from the generation's start frame: after the loop end it continues from the
loop start, exactly as the kernel advances its position, so a loop wraps gapless.
A new generation (a locate or loop change) restarts the rings from the new frame and
publishes it with `R_READY_GEN`; the kernel holds the transport until then.

Rings are written in chunks aligned to the butler's chunk from the generation start
(CHUNK frames live; a render's butler takes larger ones, and so fewer passes through
Python). Each frame's arithmetic (gains, fades, sums) depends on that frame alone, so
the samples are the same whoever runs the butler, however late it wakes and whatever
its chunk: an offline render gets the very samples the live stream plays.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from numba import njit

from app.engine import arena as A
from app.engine.compile import db_to_gain
from app.engine.recorder import Recorder, RecordingStopped
from app.session.media import MediaError, map_audio
from app.session.model import FadeShape, Project, TakeLane, TrackKind
from app.session.store import resolve_media

CHUNK = 4096  # ring frames per write
REFRESH_FRAMES = 1024  # buffered frames an edit leaves in place (about 21 ms at 48 kHz)
WAKE_SECONDS = 0.01


SHAPE_CODES = {
    FadeShape.LINEAR: 0,
    FadeShape.EQUAL_POWER: 1,
    FadeShape.S_CURVE: 2,
    FadeShape.LOG: 3,
}

# The butler's kernels keep the GIL on purpose (no nogil): each release would let a
# busy GUI thread hold the interpreter for a whole switch interval (5 ms) before the
# butler got it back, and a chunk of 64 tracks would take seconds instead of 2 ms.
# For the same reason ring writes go through `_store`, not a numpy copy (numpy
# drops the GIL for copies of more than a few hundred elements).


@njit(cache=True)
def fade_gain(x: float, code: int) -> float:
    """A fade-in gain for progress x in [0, 1]; a fade-out uses fade_gain(1 - x)."""
    if code == 0:
        return x
    if code == 1:
        return math.sin(x * (math.pi / 2.0))
    if code == 2:
        return 0.5 - 0.5 * math.cos(x * math.pi)
    # LOG: straight in dB from -60 dB to 0 dB, pinned to exact silence at the start.
    if x <= 0.0:
        return 0.0
    return (math.pow(1000.0, x - 1.0) - 0.001) / 0.999


def fade_curve(x: np.ndarray, shape: FadeShape) -> np.ndarray:
    """fade_gain over an array of progress values (for displays and tests)."""
    code = SHAPE_CODES[FadeShape(shape)]
    return np.array([fade_gain(float(v), code) for v in np.ravel(x)]).reshape(np.shape(x))


@njit(cache=True)
def _faded(src, i, gain, rel0, length, fade_in, in_code, fade_out, out_code):
    """src[i] (mono to both sides) x clip gain x the fades at clip frame rel0 + i."""
    rel = rel0 + i
    g = gain
    if fade_in > 0 and rel < fade_in:
        g *= fade_gain(rel / fade_in, in_code)
    if fade_out > 0:
        left = length - rel
        if left <= fade_out:
            g *= fade_gain(min(1.0, max(0.0, (left - 1.0) / fade_out)), out_code)
    lv = np.float64(src[i, 0])
    rv = np.float64(src[i, 1]) if src.shape[1] > 1 else lv
    return lv * g, rv * g


@njit(cache=True)
def _mix_clip_frames(dst, src, gain, rel0, length, fade_in, in_code, fade_out, out_code,
                     store=False):
    """dst[:m] += src (mono to both sides) x clip gain x fades, for clip frames rel0..

    With `store`, dst (a ring's rows) gets 0.0 + that, as float32: what adding it into a
    cleared buffer and storing the buffer would give, in one pass.
    """
    m = src.shape[0]
    # Frames [a, b) lie in neither fade: their gain is the clip's alone, the same
    # product `_faded` takes, in one flat loop over the interleaved samples, which
    # vectorises.
    a = min(m, max(0, fade_in - rel0)) if fade_in > 0 else 0
    b = max(a, min(m, length - fade_out - rel0)) if fade_out > 0 else m
    for i in range(a):
        _put(dst, i, store, *_faded(src, i, gain, rel0, length, fade_in, in_code, fade_out,
                                    out_code))
    flat = dst[a:b].reshape(-1)
    if src.shape[1] <= 2:
        pairs = src[a:b].reshape(-1)
        for j in range(2 * (b - a)):
            v = np.float64(pairs[j] if src.shape[1] == 2 else pairs[j // 2]) * gain
            if store:
                flat[j] = np.float32(0.0 + v)
            else:
                flat[j] += v
    else:
        b = a
    for i in range(b, m):
        _put(dst, i, store, *_faded(src, i, gain, rel0, length, fade_in, in_code, fade_out,
                                    out_code))


@njit(cache=True)
def _put(dst, i, store, lv, rv):
    if store:
        dst[i, 0] = np.float32(0.0 + lv)
        dst[i, 1] = np.float32(0.0 + rv)
    else:
        dst[i, 0] += lv
        dst[i, 1] += rv


@njit(cache=True)
def _clear(buf, m):
    flat = buf[:m].reshape(-1)
    for j in range(2 * m):
        flat[j] = 0.0


@njit(cache=True)
def _store(ring_rows, buf, m):
    src = buf[:m].reshape(-1)
    dst = ring_rows[:m].reshape(-1)
    for j in range(2 * m):
        dst[j] = np.float32(src[j])


class Source:
    """Read access to one media file: memory-mapped when it is float32 WAV."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._map: np.ndarray | None = None
        self._file: sf.SoundFile | None = None
        try:
            # As a plain array: slicing a np.memmap runs Python code on every read.
            self._map = np.asarray(map_audio(path))
        except (MediaError, OSError, ValueError):  # not float32 WAV: libsndfile reads it
            self._file = sf.SoundFile(str(path))

    @property
    def frames(self) -> int:
        if self._map is not None:
            return int(self._map.shape[0])
        return int(self._file.frames) if self._file is not None else 0

    def read(self, start: int, frames: int) -> np.ndarray:
        """float32 (frames, channels); shorter when the file ends first."""
        if self._map is not None:
            return np.asarray(self._map[start : start + frames])
        assert self._file is not None
        self._file.seek(start)
        return self._file.read(frames, dtype="float32", always_2d=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._map = None


@dataclass(frozen=True)
class Mapping:
    """From ring frame `base` on: timeline frame seek + (k - base), looped if `wrap`."""

    base: int
    seek: int
    wrap: bool
    loop_start: int
    loop_end: int


@dataclass(frozen=True)
class ClipPlay:
    """What the butler needs of one clip: an immutable copy taken at load."""

    media: str
    position: int
    length: int
    source_offset: int
    gain: float
    fade_in: int
    fade_in_shape: FadeShape
    fade_out: int
    fade_out_shape: FadeShape


@dataclass(frozen=True)
class TrackClips:
    """One track's clips sorted by position, to find those under a window by bisection."""

    ring: int
    clips: tuple[ClipPlay, ...]
    positions: tuple[int, ...]
    longest: int

    def under(self, t0: int, frames: int) -> tuple[ClipPlay, ...]:
        """The clips that may overlap timeline frames [t0, t0 + frames)."""
        lo = bisect.bisect_left(self.positions, t0 - self.longest + 1)
        hi = bisect.bisect_left(self.positions, t0 + frames)
        return self.clips[lo:hi]


@dataclass(frozen=True)
class Schedule:
    """The playback content of a project: its tracks' clips, by ring."""

    tracks: tuple[TrackClips, ...]
    paths: dict[str, Path]  # media id -> file (placeholders left out)


def comp_clips(lane: TakeLane) -> list[ClipPlay]:
    """The comp of a take lane as clips: each range plays its take; where two ranges
    meet, both reach half the lane's crossfade into the other (as far as their takes
    have audio) and cross with equal-power fades. Ranges that do not meet cut hard.
    """
    takes = {k.id: k for k in lane.takes}
    ranges = sorted(
        (r for r in lane.comp if r.take in takes and r.end > r.start), key=lambda r: r.start
    )
    half = max(0, lane.crossfade) // 2
    clips = []
    for i, r in enumerate(ranges):
        take = takes[r.take]
        first, last = take.position, take.position + take.length
        start, end = max(r.start, first), min(r.end, last)
        if end <= start:
            continue
        joined_before = i > 0 and ranges[i - 1].end == r.start
        joined_after = i + 1 < len(ranges) and ranges[i + 1].start == r.end
        a = max(first, start - half) if joined_before else start
        b = min(last, end + half) if joined_after else end
        clips.append(
            ClipPlay(
                take.media,
                a,
                b - a,
                take.source_offset + (a - take.position),
                1.0,
                2 * (start - a),
                FadeShape.EQUAL_POWER,
                2 * (b - end),
                FadeShape.EQUAL_POWER,
            )
        )
    return clips


def make_schedule(
    project: Project, folder: Path, rings: dict[str, int], placeholders: set[str]
) -> Schedule:
    """Snapshot the clips of every audio track, so the butler never reads the live Project.

    A track whose take lane has a comp plays the comp instead of its clips (recording
    puts each take on the timeline as a clip too; the comp is the choice among them).
    """
    tracks = []
    for t in project.tracks:
        if t.kind is not TrackKind.AUDIO or t.id not in rings:
            continue
        if t.takes.comp:
            playing_clips = comp_clips(t.takes)
        else:
            playing_clips = [
                ClipPlay(
                    c.media,
                    c.position,
                    c.length,
                    c.source_offset,
                    db_to_gain(c.gain_db),
                    c.fade_in,
                    FadeShape(c.fade_in_shape),
                    c.fade_out,
                    FadeShape(c.fade_out_shape),
                )
                for c in t.clips
                if not c.mute and c.length > 0
            ]
        # sorted is stable: overlaps keep their order
        clips = tuple(sorted(playing_clips, key=lambda clip: clip.position))
        tracks.append(
            TrackClips(
                rings[t.id],
                clips,
                tuple(c.position for c in clips),
                max((c.length for c in clips), default=1),
            )
        )
    paths = {}
    for media_id, media in project.media.items():
        if media_id not in placeholders:
            paths[media_id] = resolve_media(folder, media)
    return Schedule(tuple(tracks), paths)


class Butler:
    """Fills the playback rings of one arena from a Schedule.

    `service()` does one pass and may be called from any single thread; `start()`
    runs it every WAKE_SECONDS on a thread of its own.
    """

    def __init__(
        self,
        arena: A.Arena,
        sample_rate: int,
        ahead_seconds: float = 1.5,
        on_warning: Callable[[str], None] | None = None,
        chunk: int = CHUNK,
    ) -> None:
        self._chunk = chunk
        self._lock = threading.RLock()
        self._arena = arena
        self._schedule = Schedule((), {})
        self._sources: dict[str, Source | None] = {}
        self._gen = -1
        self._written = 0
        self._rewrite_from: int | None = None
        self._buf = np.zeros((chunk, 2))
        self._splices = 0
        self._maps = [Mapping(0, 0, False, 0, 0)]
        self._on_warning = on_warning
        self.warnings: list[str] = []
        self.set_rate(sample_rate, ahead_seconds)
        self.recorder = Recorder(self._warn)
        self.recorder.sync(arena)
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.errors: list[str] = []

    def set_rate(self, sample_rate: int, ahead_seconds: float = 1.5) -> None:
        ring = self._arena.capacity.ring_frames
        ahead = int(sample_rate * ahead_seconds)
        self._ahead = max(self._chunk, min(ahead, ring - 2 * self._chunk))

    # -- configuration (any thread) ----------------------------------------------

    def set_schedule(self, schedule: Schedule) -> None:
        """Play new content; while rolling, the buffer is rewritten from shortly ahead.

        Only the next REFRESH_FRAMES stay as they were (they may be playing now);
        the rest is overwritten in place, nearest first, so an edit is heard within
        a few tens of milliseconds and playback never stops.
        When the transport is not rolling the caller restarts the generation (a
        locate to where it stands), which rewrites everything before play resumes.
        """
        with self._lock:
            for media_id in list(self._sources):
                if media_id not in schedule.paths:
                    source = self._sources.pop(media_id)
                    if source is not None:
                        source.close()
            self._schedule = schedule
            a = self._arena
            if self._gen < 0 or int(a.fb[A.F_GEN]) != self._gen:
                return  # a generation restart rewrites everything anyway
            if a.ring_ctl[A.R_READY_GEN] != self._gen or not a.fb[A.F_PLAYING]:
                return  # not rolling: the Engine restarts the generation instead
            self._rewrite_from = int(a.fb[A.F_CONSUMED]) + REFRESH_FRAMES

    def set_arena(self, arena: A.Arena, keep_position: bool = False) -> None:
        """Fill another arena's rings; `keep_position` when its rings are a copy."""
        with self._lock:
            self._arena = arena
            if not keep_position:
                self._gen = -1

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the butler (no pass runs) for the duration."""
        with self._lock:
            yield

    def poke(self) -> None:
        """Wake the thread now (after a locate) instead of at its next tick."""
        self._wake.set()

    # -- the work --------------------------------------------------------------------

    def service(self) -> None:
        """One pass: write what was recorded, then keep every playback ring filled.

        A new transport generation restarts the rings from its start frame.
        """
        with self._lock:
            a = self._arena
            try:
                self.recorder.service(a)
            except RecordingStopped as e:
                self._warn(str(e))
            except (OSError, RuntimeError, sf.LibsndfileError) as e:
                self.recorder.halted = True
                self.recorder.abandon()
                self._warn(f"recording stopped: {e}; the take keeps what was written")
            fb = a.fb
            gen = int(fb[A.F_GEN])
            if gen != self._gen:
                a.ring_ctl[A.R_READY_GEN] = -1
                a.ring_ctl[A.R_WRITTEN] = 0
                self._gen = gen
                self._written = 0
                self._rewrite_from = None
                self._splices = int(fb[A.F_SPLICES])
                self._maps = [
                    Mapping(
                        0,
                        int(fb[A.F_SEEK]),
                        int(fb[A.F_WRAP]) != 0,
                        int(fb[A.F_MAP_LOOP_START]),
                        int(fb[A.F_MAP_LOOP_END]),
                    )
                ]
            size = a.capacity.ring_frames
            self._take_splice(fb, gen)
            self._rewrite(a, gen)
            while True:
                if int(fb[A.F_GEN]) != gen:
                    return
                consumed = int(fb[A.F_CONSUMED]) if a.ring_ctl[A.R_READY_GEN] == gen else 0
                if self._written < consumed:
                    # The kernel ran past us: skip ahead, on the chunk grid.
                    self._written = -(-consumed // self._chunk) * self._chunk
                if self._written - consumed >= self._ahead or (
                    self._written + self._chunk - consumed > size
                ):
                    return
                self._write_chunk(a, self._written)
                self._written += self._chunk
                if int(fb[A.F_GEN]) != gen:
                    return
                a.ring_ctl[A.R_WRITTEN] = self._written
                a.ring_ctl[A.R_READY_GEN] = gen

    def _rewrite(self, a: A.Arena, gen: int) -> None:
        """Overwrite already buffered frames with the new content after an edit.

        In place and nearest first, without moving the written counter: the kernel
        reads old or new audio, never a gap.
        """
        k = self._rewrite_from
        self._rewrite_from = None
        if k is None:
            return
        while k < self._written:
            if int(a.fb[A.F_GEN]) != gen:
                return
            end = min((k // self._chunk + 1) * self._chunk, self._written)
            self._write_range(a, k, end)
            k = end

    def _take_splice(self, fb: np.ndarray, gen: int) -> None:
        """Adopt a loop change the kernel spliced in, and rewrite the ring from there.

        The kernel publishes a splice seqlock-style: F_SPLICES is odd while it
        writes the fields, so a torn read is recognised and retried next pass.
        """
        seen = int(fb[A.F_SPLICES])
        if seen == self._splices or seen % 2:
            return
        new = Mapping(
            int(fb[A.F_NEXT_BASE]),
            int(fb[A.F_NEXT_SEEK]),
            int(fb[A.F_NEXT_WRAP]) != 0,
            int(fb[A.F_NEXT_LOOP_START]),
            int(fb[A.F_NEXT_LOOP_END]),
        )
        if int(fb[A.F_SPLICES]) != seen or int(fb[A.F_GEN]) != gen:
            return
        self._splices = seen
        consumed = int(fb[A.F_CONSUMED])
        kept = [m for m in self._maps if m.base < new.base]
        current = [m for m in kept if m.base <= consumed][-1:]
        self._maps = current + [m for m in kept if m.base > consumed] + [new]
        if self._rewrite_from is None or new.base < self._rewrite_from:
            self._rewrite_from = new.base

    def _segments(self, k0: int, k1: int) -> list[tuple[int, int, int]]:
        """(timeline start, frames, offset into the chunk) for ring frames [k0, k1)."""
        out = []
        k = k0
        while k < k1:
            i = max(j for j, m in enumerate(self._maps) if m.base <= k or j == 0)
            m = self._maps[i]
            run = k1 - k
            if i + 1 < len(self._maps):
                run = min(run, self._maps[i + 1].base - k)
            t = m.seek + (k - m.base)
            if m.wrap and t >= m.loop_end:
                t = m.loop_start + (t - m.loop_end) % (m.loop_end - m.loop_start)
            if m.wrap and t < m.loop_end:
                run = min(run, m.loop_end - t)
            out.append((t, run, k - k0))
            k += run
        return out

    def _write_chunk(self, a: A.Arena, k0: int) -> None:
        self._write_range(a, k0, k0 + self._chunk)

    def _write_range(self, a: A.Arena, k0: int, k1: int) -> None:
        """Ring frames [k0, k1), within one chunk of the grid."""
        segments = self._segments(k0, k1)
        mask = a.capacity.ring_frames - 1
        j0 = k0 & mask  # chunks never straddle the ring end: sizes are powers of two
        m = k1 - k0
        buf = self._buf
        for track in self._schedule.tracks:
            ring = a.rings[track.ring, j0 : j0 + m]
            pieces = [(clip, t0, frames, off) for t0, frames, off in segments
                      for clip in track.under(t0, frames)]
            if len(pieces) == 1 and self._mix_clip(*pieces[0][:3], ring, whole=True):
                continue
            _clear(buf, m)
            for clip, t0, frames, off in pieces:
                self._mix_clip(clip, t0, frames, buf[off : off + frames])
            _store(ring, buf, m)

    def _source(self, media_id: str) -> Source | None:
        if media_id not in self._sources:
            path = self._schedule.paths.get(media_id)
            source = None
            if path is not None:
                try:
                    source = Source(path)
                except Exception as e:  # an unreadable file plays as silence
                    self._warn(f"{path.name} cannot be read ({e}); it plays as silence")
            self._sources[media_id] = source
        return self._sources[media_id]

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        if self._on_warning is not None:
            self._on_warning(text)

    def _mix_clip(
        self, clip: ClipPlay, t0: int, frames: int, out: np.ndarray, whole: bool = False
    ) -> bool:
        """Mix the clip's frames within timeline [t0, t0 + frames) into out. `whole`: out
        is a ring's rows, stored into directly, and only when the clip covers all of
        them (returns whether it did)."""
        a = max(t0, clip.position)
        b = min(t0 + frames, clip.position + clip.length)
        if a >= b or (whole and (a, b) != (t0, t0 + out.shape[0])):
            return False
        source = self._source(clip.media)
        if source is None:
            return False
        rel0 = a - clip.position
        src0 = clip.source_offset + rel0
        if src0 < 0:
            return False
        data = source.read(src0, b - a)
        m = data.shape[0]
        if m == 0 or data.shape[1] == 0 or (whole and m < b - a):
            return False
        _mix_clip_frames(
            out[a - t0 : a - t0 + m],
            data,
            clip.gain,
            rel0,
            clip.length,
            clip.fade_in,
            SHAPE_CODES[clip.fade_in_shape],
            clip.fade_out,
            SHAPE_CODES[clip.fade_out_shape],
            whole,
        )
        return True

    # -- the thread --------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="glassroom-butler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5.0)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.service()
            except Exception as e:  # the butler must survive a bad file
                self.errors.append(str(e))
                self._warn(f"playback read failed: {e}")
            self._wake.wait(WAKE_SECONDS)
            self._wake.clear()

    def close(self) -> None:
        self.stop()
        with self._lock:
            for source in self._sources.values():
                if source is not None:
                    source.close()
            self._sources.clear()
