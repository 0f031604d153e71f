"""Recording: the butler's other half, from the kernel's capture ring to WAV files.

The kernel copies every device input into the arena's capture ring and marks where a
take starts and stops (stream frames, applied at a block start). On each butler pass
the Recorder writes the new frames of every armed track's input channels to its own
float32 WAV in the project's audio/ folder, one file per track per take. libsndfile
rewrites the header after every write, so a file cut short by a crash still opens
with everything written so far. Files are created exclusively: nothing is ever
overwritten. A finished take is handed over as a RecordedTake for the UI to place
through an edit; its position is shifted back by the device's round-trip latency so
it lines up with what the performer heard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from numba import njit

from app.engine import arena as A
from app.session.model import MediaFile

SFC_SET_UPDATE_HEADER_AUTO = 0x1061  # libsndfile: refresh the header on every write
WRITE_FRAMES = 16384  # frames per file write
MARGIN = 2 * A.MAX_BLOCK  # capture frames the kernel may be writing while we read


@dataclass(frozen=True)
class RecordTarget:
    """An armed track and the device input channels it records (1 or 2)."""

    track_id: str
    name: str
    channels: tuple[int, ...]


@dataclass
class RecordedTake:
    """A finished take of one track, ready to become a Take / Clip in the project."""

    track_id: str
    media: MediaFile
    position: int  # timeline frame of the file's first kept frame
    source_offset: int  # frames at the file's start that fell before the timeline start
    length: int
    xruns: list[int] = field(default_factory=list)  # frames into the take
    overruns: list[int] = field(default_factory=list)  # frames lost (written as silence)


@njit(cache=True)  # keeps the GIL: see the note in butler.py
def _gather(capture, start, frames, channels, out):
    """out[:frames] = the given channels of capture frames start.. (ring order)."""
    mask = capture.shape[0] - 1
    for i in range(frames):
        row = capture[(start + i) & mask]
        for k in range(channels.shape[0]):
            out[i, k] = row[channels[k]]


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^\w .-]+", "_", name).strip(" .")
    return cleaned or "Track"


class _File:
    def __init__(self, target: RecordTarget, path: Path, rate: int) -> None:
        self.target = target
        self.path = path
        self.channels = np.array(target.channels, np.int64)
        self.buf = np.zeros((WRITE_FRAMES, len(target.channels)), np.float32)
        self.file = sf.SoundFile(
            path, "x", rate, len(target.channels), subtype="FLOAT", format="WAV"
        )
        sf._snd.sf_command(self.file._file, SFC_SET_UPDATE_HEADER_AUTO, sf._ffi.NULL, 1)


class Recorder:
    """Writes takes for the butler; `arm` before recording, `finished` after."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._rate = 48000
        self._targets: tuple[RecordTarget, ...] = ()
        self._latency = 0
        self._take = 0
        self._files: list[_File] = []
        self._start = 0
        self._read = 0
        self._position = 0
        self._xruns_seen = 0
        self._xruns: list[int] = []
        self._overruns: list[int] = []
        self._done: list[RecordedTake] = []
        self.errors: list[str] = []

    def arm(self, folder: Path, rate: int, targets: list[RecordTarget], latency: int) -> None:
        """What the next take records: into folder/audio, shifted back by `latency`."""
        self._folder = Path(folder)
        self._rate = rate
        self._targets = tuple(targets)
        self._latency = max(0, latency)

    def finished(self) -> list[RecordedTake]:
        """Takes completed since the last call."""
        done, self._done = self._done, []
        return done

    def sync(self, a: A.Arena) -> None:
        """Adopt the take counter of an arena without recording (at start-up)."""
        self._take = int(a.fb[A.F_REC_TAKE])

    def service(self, a: A.Arena) -> None:
        fb = a.fb
        take = int(fb[A.F_REC_TAKE])
        if take != self._take:
            if self._files:
                self._finish()
            self._take = take
            self._begin(a)
        if not self._files:
            return
        recording = fb[A.F_RECORDING] != 0 and int(fb[A.F_REC_TAKE]) == self._take
        stop = int(fb[A.F_REC_STOP])
        end = int(fb[A.F_FRAMES]) if recording or stop < 0 else min(int(fb[A.F_FRAMES]), stop)
        if int(fb[A.F_XRUNS]) != self._xruns_seen:
            self._xruns_seen = int(fb[A.F_XRUNS])
            self._xruns.append(self._read - self._start)
        size = a.capture.shape[0]
        if end - self._read > size - MARGIN:
            # The disk fell behind the ring: keep time with silence and say where.
            lost = end - (size - MARGIN) - self._read
            self._overruns.append(self._read - self._start)
            self._write_silence(lost)
            self._read += lost
        while self._read < end:
            n = min(WRITE_FRAMES, end - self._read)
            for f in self._files:
                _gather(a.capture, self._read, n, f.channels, f.buf)
                f.file.write(f.buf[:n])
            self._read += n
        if not recording and stop >= 0 and self._read >= stop:
            self._finish()

    def _begin(self, a: A.Arena) -> None:
        fb = a.fb
        self._start = self._read = int(fb[A.F_REC_START])
        self._position = int(fb[A.F_REC_POSITION])
        self._xruns_seen = int(fb[A.F_XRUNS])
        self._xruns, self._overruns = [], []
        if self._folder is None:
            return
        audio = self._folder / "audio"
        audio.mkdir(parents=True, exist_ok=True)
        width = a.capture.shape[1]
        for target in self._targets:
            if not target.channels or max(target.channels) >= width:
                self.errors.append(f"{target.name}: input {list(target.channels)} is not captured")
                continue
            self._files.append(_File(target, self._claim(audio, target.name), self._rate))

    def _claim(self, audio: Path, name: str) -> Path:
        stem = f"{_safe(name)} take {self._take}"
        path = audio / f"{stem}.wav"
        k = 2
        while path.exists():
            path = audio / f"{stem} ({k}).wav"
            k += 1
        return path

    def _write_silence(self, frames: int) -> None:
        for f in self._files:
            left = frames
            zeros = np.zeros((min(left, WRITE_FRAMES), len(f.target.channels)), np.float32)
            while left > 0:
                n = min(left, WRITE_FRAMES)
                f.file.write(zeros[:n])
                left -= n

    def abandon(self) -> None:
        """End the take now (after a write failed), keeping what reached the disk."""
        if self._files:
            written = min(int(f.file.frames) for f in self._files)
            self._read = self._start + written
            self._finish()

    def _finish(self) -> None:
        length = self._read - self._start
        position = self._position - self._latency
        offset = max(0, -position)
        assert self._folder is not None
        for f in self._files:
            f.file.close()
            if length <= offset:
                continue
            media = MediaFile(
                f.path.relative_to(self._folder).as_posix(),
                length,
                len(f.target.channels),
                self._rate,
                name=f.path.name,
            )
            self._done.append(
                RecordedTake(
                    f.target.track_id,
                    media,
                    max(0, position),
                    offset,
                    length - offset,
                    list(self._xruns),
                    list(self._overruns),
                )
            )
        self._files = []
