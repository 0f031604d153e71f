"""Recording: the butler's other half, from the kernel's capture ring to WAV files.

The kernel copies every device input into the arena's capture ring, notes for each
captured frame the timeline frame the output was playing (`capture_pos`), and marks
where a take starts and stops (stream frames, applied at a block start). On each
butler pass the Recorder writes the new frames of every armed track's input to
float32 WAV files in the project's audio/ folder.

A captured frame k was played by the performer against the output of stream frame
k - latency (the device's round trip plus any calibrated correction), so its place
on the timeline is capture_pos[k - latency]. That one mapping does everything:

- frames outside the punch range (when one is set) are not kept;
- a jump in the timeline (a loop wrap, a locate) ends a take and starts the next,
  so loop recording gives one take per pass, split at the exact frame;
- each take starts at the timeline frame of its first kept sample.

Files are written with plain os.write after a 44-byte header of our own; the header's
sizes are rewritten with os.pwrite and fsynced at least once a second, so a file cut
short by a crash or a full disk opens with everything written up to then. Each file
gets a sidecar `<file>.take.json` (track, position, rate) written when it starts, so
recovery knows where an unfinished take belongs. Files are created exclusively:
nothing is ever overwritten. A write that fails (disk full) ends the take cleanly,
keeping what reached the disk, and raises RecordingStopped for the butler to report.
"""

from __future__ import annotations

import json
import os
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from numba import njit

from app.engine import arena as A
from app.session.model import MediaFile

WRITE_FRAMES = 16384  # frames per pass through the capture ring
MARGIN = 2 * A.MAX_BLOCK  # capture frames the kernel may be writing while we read
HEADER_BYTES = 44
HEADER_SECONDS = 0.5  # how often the sizes in a growing file's header are refreshed
WAVE_FORMAT_IEEE_FLOAT = 3
SIDECAR = ".take.json"


class RecordingStopped(RuntimeError):
    """Recording could not go on (the disk is full, a file cannot be written)."""


@dataclass(frozen=True)
class RecordTarget:
    """An armed track, the device input channels it records (1 or 2), its next take."""

    track_id: str
    name: str
    channels: tuple[int, ...]
    first_take: int = 1


@dataclass
class RecordedTake:
    """A finished take of one track, ready to become a Take / Clip in the project."""

    track_id: str
    media: MediaFile
    position: int  # timeline frame of the file's first kept frame
    source_offset: int  # frames at the file's start that are not part of the take
    length: int
    xruns: list[int] = field(default_factory=list)  # frames into the take
    overruns: list[int] = field(default_factory=list)  # frames into the take (silence)


def wav_header(channels: int, rate: int, frames: int) -> bytes:
    """A 44-byte float32 WAV header for `frames` frames (sizes capped at 4 GiB)."""
    align = 4 * channels
    data = min(frames * align, 0xFFFFFFFF - 36)
    return b"".join(
        (
            b"RIFF",
            struct.pack("<I", 36 + data),
            b"WAVEfmt ",
            struct.pack("<IHHIIHH", 16, WAVE_FORMAT_IEEE_FLOAT, channels, rate, rate * align,
                        align, 32),
            b"data",
            struct.pack("<I", data),
        )
    )


class WavWriter:
    """A float32 WAV written with os.write, its header refreshed with os.pwrite."""

    def __init__(self, path: Path, rate: int, channels: int) -> None:
        self.path = path
        self.rate = rate
        self.channels = channels
        self.frames = 0
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self._bytes = 0
        self._written = 0  # frames whose header sizes are on disk
        try:
            self._write_all(wav_header(channels, rate, 0))
        except OSError:
            os.close(self._fd)
            raise

    def _write_all(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            self._bytes += n
            view = view[n:]

    def write(self, block: np.ndarray) -> None:
        """Append frames (n, channels) float32; on OSError, `frames` counts what landed."""
        try:
            self._write_all(np.ascontiguousarray(block, np.float32).tobytes())
        finally:
            self.frames = max(0, self._bytes - HEADER_BYTES) // (4 * self.channels)

    def refresh(self) -> None:
        """Make the header describe every whole frame written so far, durably."""
        if self._written != self.frames:
            head = wav_header(self.channels, self.rate, self.frames)
            os.pwrite(self._fd, head[4:8], 4)
            os.pwrite(self._fd, head[40:44], 40)
            self._written = self.frames
        os.fsync(self._fd)

    def close(self) -> None:
        try:
            self.refresh()
        finally:
            os.close(self._fd)


@njit(cache=True)  # keeps the GIL: see the note in butler.py
def _gather(capture, start, frames, channels, out):
    """out[:frames] = the given channels of capture frames start.. (ring order)."""
    mask = capture.shape[0] - 1
    for i in range(frames):
        row = capture[(start + i) & mask]
        for k in range(channels.shape[0]):
            out[i, k] = row[channels[k]]


def safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w .-]+", "_", name).strip(" .")
    return cleaned or "Track"


class _Take:
    """One file being written: a track's pass, from one timeline frame on."""

    def __init__(self, target: RecordTarget, number: int, path: Path, rate: int,
                 position: int, folder: Path) -> None:
        self.target = target
        self.number = number
        self.position = position
        self.channels = np.array(target.channels, np.int64)
        self.buf = np.zeros((WRITE_FRAMES, len(target.channels)), np.float32)
        self.writer = WavWriter(path, rate, len(target.channels))
        self.xruns: list[int] = []
        self.overruns: list[int] = []
        self.next_t = position
        sidecar = {
            "track_id": target.track_id,
            "track": target.name,
            "position": position,
            "sample_rate": rate,
            "channels": len(target.channels),
            "take": number,
            "media": path.relative_to(folder).as_posix(),
        }
        side = path.with_name(path.name + SIDECAR)
        with open(side, "x", encoding="utf-8") as f:
            json.dump(sidecar, f)
            f.flush()
            os.fsync(f.fileno())


class Recorder:
    """Writes takes for the butler; `arm` before recording, `finished` after."""

    def __init__(self, on_warning: Callable[[str], None] | None = None) -> None:
        self._on_warning = on_warning
        self._folder: Path | None = None
        self._rate = 48000
        self._targets: tuple[RecordTarget, ...] = ()
        self._numbers: dict[str, int] = {}
        self._latency = 0
        self._take = 0
        self._active = False  # a take (kernel's counter) is being followed
        self._open: list[_Take] = []
        self._read = 0
        self._xruns_seen = 0
        self._refreshed = 0.0
        self._done: list[RecordedTake] = []
        self.halted = False  # a write failed: nothing more is recorded in this take
        self.lost_frames = 0  # frames of all takes so far written as silence (overruns)
        self.errors: list[str] = []

    def arm(
        self, folder: Path, rate: int, targets: list[RecordTarget], latency: int
    ) -> None:
        """What the next take records: into folder/audio, placed `latency` frames back."""
        self._folder = Path(folder)
        self._rate = rate
        self._targets = tuple(targets)
        self._numbers = {t.track_id: t.first_take for t in targets}
        self._latency = max(0, latency)

    def finished(self) -> list[RecordedTake]:
        """Takes completed since the last call."""
        done, self._done = self._done, []
        return done

    @property
    def latency(self) -> int:
        return self._latency

    def sync(self, a: A.Arena) -> None:
        """Adopt the take counter of an arena without recording (at start-up)."""
        self._take = int(a.fb[A.F_REC_TAKE])

    def service(self, a: A.Arena) -> None:
        fb = a.fb
        take = int(fb[A.F_REC_TAKE])
        if take != self._take:
            self._close_all()
            self._take = take
            self._active = self._folder is not None
            self.halted = False
            self._read = int(fb[A.F_REC_START])
            self._xruns_seen = int(fb[A.F_XRUNS])
        if not self._active:
            return
        recording = fb[A.F_RECORDING] != 0 and int(fb[A.F_REC_TAKE]) == self._take
        stop = int(fb[A.F_REC_STOP])
        frames = int(fb[A.F_FRAMES])
        end = frames if recording or stop < 0 else min(frames, stop)
        xruns = int(fb[A.F_XRUNS])
        if xruns != self._xruns_seen:
            self._xruns_seen = xruns
            at = int(fb[A.F_XRUN_FRAME])
            for t in self._open:
                t.xruns.append(t.writer.frames + max(0, at - self._read))
        try:
            self._catch_up(a, end)
            if time.monotonic() - self._refreshed >= HEADER_SECONDS:
                self._refreshed = time.monotonic()
                for t in self._open:
                    t.writer.refresh()
        except OSError as e:
            self.halted = True
            self._active = False
            self._close_all()
            raise RecordingStopped(
                f"recording stopped: {e.strerror or e}; what was written is kept"
            ) from e
        if not recording and stop >= 0 and self._read >= stop:
            self._active = False
            self._close_all()

    def _catch_up(self, a: A.Arena, end: int) -> None:
        size = a.capture.shape[0]
        if end - self._read > size - MARGIN:
            # The disk fell behind the ring: keep time with silence and say where.
            lost = end - (size - MARGIN) - self._read
            self.lost_frames += lost
            if self._on_warning is not None:
                self._on_warning(
                    f"the disk fell behind: {lost} frames of the take are silence (marked)"
                )
            for t in self._open:
                t.overruns.append(t.writer.frames)
                self._silence(t, lost)
                t.next_t += lost
            self._read += lost
        mask = size - 1
        while self._read < end:
            n = min(WRITE_FRAMES, end - self._read)
            k = np.arange(self._read - self._latency, self._read - self._latency + n)
            pos = a.capture_pos[k & mask]
            keep = pos >= 0
            lo, hi = int(a.ctl[A.K_PUNCH_IN]), int(a.ctl[A.K_PUNCH_OUT])
            if hi > lo:
                keep &= (pos >= lo) & (pos < hi)
            cuts = np.flatnonzero((keep[1:] != keep[:-1]) | (np.diff(pos) != 1)) + 1
            bounds = [0, *cuts.tolist(), n]
            for s, e in zip(bounds[:-1], bounds[1:], strict=True):
                if not keep[s]:
                    self._close_all()
                    continue
                t0 = int(pos[s])
                if self._open and self._open[0].next_t != t0:
                    self._close_all()
                if not self._open:
                    self._start_takes(t0)
                for t in self._open:
                    _gather(a.capture, self._read + s, e - s, t.channels, t.buf)
                    t.writer.write(t.buf[: e - s])
                    t.next_t = t0 + (e - s)
            self._read += n

    def _silence(self, t: _Take, frames: int) -> None:
        zeros = np.zeros((min(frames, WRITE_FRAMES), len(t.target.channels)), np.float32)
        while frames > 0:
            n = min(frames, WRITE_FRAMES)
            t.writer.write(zeros[:n])
            frames -= n

    def _start_takes(self, position: int) -> None:
        assert self._folder is not None
        audio = self._folder / "audio"
        audio.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y-%m-%d %H%M%S")
        for target in self._targets:
            number = self._numbers.get(target.track_id, 1)
            self._numbers[target.track_id] = number + 1
            path = self._claim(audio, f"{safe_name(target.name)} take {number} {stamp}")
            self._open.append(_Take(target, number, path, self._rate, position, self._folder))
        self._refreshed = time.monotonic()

    @staticmethod
    def _claim(audio: Path, stem: str) -> Path:
        path = audio / f"{stem}.wav"
        k = 2
        while path.exists():
            path = audio / f"{stem} ({k}).wav"
            k += 1
        return path

    def abandon(self) -> None:
        """End the take now (after a failure), keeping what reached the disk."""
        self._active = False
        self._close_all()

    def _close_all(self) -> None:
        assert self._folder is not None or not self._open
        opened, self._open = self._open, []
        failure: OSError | None = None
        for t in opened:
            try:
                t.writer.close()
            except OSError as e:  # the audio is on disk; the header says less
                failure = e
            length = t.writer.frames
            if length <= 0:
                continue
            path = t.writer.path
            media = MediaFile(
                path.relative_to(self._folder).as_posix(),
                length,
                len(t.target.channels),
                self._rate,
                name=path.name,
            )
            self._done.append(
                RecordedTake(t.target.track_id, media, t.position, 0, length,
                             [x for x in t.xruns if x < length],
                             [x for x in t.overruns if x < length])
            )
        if failure is not None:
            self.errors.append(f"a take's header could not be finished: {failure}")
