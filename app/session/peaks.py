"""Waveform peak pyramids: min/max summaries of an audio file for drawing at any zoom.

Level 0 holds the min and max of every 256 frames, per channel; each further level is 16
times coarser and is built from the level below. The pyramid is built by a compiled
kernel that releases the GIL (so it runs in a worker thread), reading the memory-mapped
float32 audio in chunks so it can report progress and be cancelled, and it is stored in
`peaks/<media id>.peaks` and memory-mapped back for drawing.

File format (little-endian): a fixed header (magic, version, channels, frames, source
size and mtime_ns, bucket, factor, level count), then one (offset, count) pair per level,
then per level two float32 arrays of shape (count, channels): the mins, then the maxs.
Offsets are 64-byte aligned. The source size and mtime tell a stale pyramid apart.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit

from app.session import model
from app.session.media import Cancelled, MediaError, map_audio

BUCKET = 256
FACTOR = 16
PEAKS_DIR = "peaks"

_MAGIC = b"GRPEAKS\x00"
_VERSION = 1
_HEADER = struct.Struct("<8sIIQQqIII")
_LEVEL = struct.Struct("<QQ")
_ALIGN = 64
_CHUNK_SAMPLES = 1 << 22


class StalePeaks(Exception):
    """A peak file is missing its source, does not match it any more, or is damaged."""


_LANES = 32  # independent min/max chains per bucket: the mono kernel's ILP


@njit(nogil=True, cache=True, fastmath=True)
def _mono_minmax(x, bucket, mins, maxs):
    """Level 0 of a mono file. `bucket` must be a multiple of _LANES.

    A single running min/max is one long dependency chain; 32 interleaved chains let the
    CPU (and LLVM's vectoriser) keep up with memory bandwidth.
    """
    n = x.shape[0]
    full = n // bucket
    llo = np.empty(_LANES, np.float32)
    lhi = np.empty(_LANES, np.float32)
    for b in range(full):
        s = b * bucket
        for k in range(_LANES):
            llo[k] = x[s + k]
            lhi[k] = x[s + k]
        for i in range(s + _LANES, s + bucket, _LANES):
            for k in range(_LANES):
                v = x[i + k]
                llo[k] = min(llo[k], v)
                lhi[k] = max(lhi[k], v)
        lo = llo[0]
        hi = lhi[0]
        for k in range(1, _LANES):
            lo = min(lo, llo[k])
            hi = max(hi, lhi[k])
        mins[b] = lo
        maxs[b] = hi
    if full * bucket < n:
        tail = x[full * bucket :]
        mins[full] = tail.min()
        maxs[full] = tail.max()


@njit(nogil=True, cache=True, fastmath=True)
def _audio_minmax(x, bucket, mins, maxs):
    """Level 0 of a multichannel file, x of shape (frames, channels)."""
    n, ch = x.shape
    nb = (n + bucket - 1) // bucket
    for b in range(nb):
        s = b * bucket
        e = min(s + bucket, n)
        for c in range(ch):
            lo = x[s, c]
            hi = lo
            for i in range(s + 1, e):
                lo = min(lo, x[i, c])
                hi = max(hi, x[i, c])
            mins[b, c] = lo
            maxs[b, c] = hi


@njit(nogil=True, cache=True, fastmath=True)
def _level_minmax(src_lo, src_hi, factor, mins, maxs):
    n, ch = src_lo.shape
    nb = (n + factor - 1) // factor
    for b in range(nb):
        s = b * factor
        e = min(s + factor, n)
        for c in range(ch):
            lo = src_lo[s, c]
            hi = src_hi[s, c]
            for i in range(s + 1, e):
                lo = min(lo, src_lo[i, c])
                hi = max(hi, src_hi[i, c])
            mins[b, c] = lo
            maxs[b, c] = hi


@njit(nogil=True, cache=True, fastmath=True)
def _envelope(lo_arr, hi_arr, bucket, frames, start, end, pixels, out_lo, out_hi):
    """Min/max per pixel of one channel's buckets (`bucket` frames each; 1 for audio).

    A pixel covers frames [start + i*span//pixels, start + (i+1)*span//pixels), at least
    one frame; it is widened outward to whole buckets, so the result is exact when the
    edges fall on bucket boundaries and covers the true range otherwise. Frames outside
    the file count as silence.
    """
    count = lo_arr.shape[0]
    span = end - start
    for p in range(pixels):
        a = start + (p * span) // pixels
        b = start + ((p + 1) * span) // pixels
        if b <= a:
            b = a + 1
        outside = a < 0 or b > frames
        a = max(a, 0)
        b = min(b, frames)
        lo = np.float32(0.0)
        hi = np.float32(0.0)
        if a < b:
            ia = a // bucket
            ib = min((b + bucket - 1) // bucket, count)
            # Four independent chains: a single running min is latency-bound.
            lo0 = lo1 = lo2 = lo3 = lo_arr[ia]
            hi0 = hi1 = hi2 = hi3 = hi_arr[ia]
            i = ia + 1
            while i + 4 <= ib:
                lo0 = min(lo0, lo_arr[i])
                lo1 = min(lo1, lo_arr[i + 1])
                lo2 = min(lo2, lo_arr[i + 2])
                lo3 = min(lo3, lo_arr[i + 3])
                hi0 = max(hi0, hi_arr[i])
                hi1 = max(hi1, hi_arr[i + 1])
                hi2 = max(hi2, hi_arr[i + 2])
                hi3 = max(hi3, hi_arr[i + 3])
                i += 4
            for j in range(i, ib):
                lo0 = min(lo0, lo_arr[j])
                hi0 = max(hi0, hi_arr[j])
            lo = min(min(lo0, lo1), min(lo2, lo3))
            hi = max(max(hi0, hi1), max(hi2, hi3))
            if outside:
                lo = min(lo, np.float32(0.0))
                hi = max(hi, np.float32(0.0))
        out_lo[p] = lo
        out_hi[p] = hi


def _level_counts(frames: int) -> list[int]:
    if frames <= 0:
        return []
    counts = [-(-frames // BUCKET)]
    while counts[-1] > 1:
        counts.append(-(-counts[-1] // FACTOR))
    return counts


def _layout(counts: list[int], channels: int) -> tuple[list[int], int]:
    """Byte offsets of each level's mins (maxs follow) and the total file size."""
    pos = _HEADER.size + _LEVEL.size * len(counts)
    offsets = []
    for n in counts:
        pos = -(-pos // _ALIGN) * _ALIGN
        offsets.append(pos)
        pos += 2 * n * channels * 4
    return offsets, pos


def build_peaks(
    audio_path: Path,
    peaks_path: Path,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> None:
    """Build the pyramid of a float32 WAV/RF64 file into `peaks_path`.

    Writes a temp file beside it and renames it into place; raises Cancelled (leaving
    nothing) when `cancel()` turns true, MediaError when the audio cannot be mapped.
    """
    audio_path = Path(audio_path)
    peaks_path = Path(peaks_path)
    st = os.stat(audio_path)
    audio = map_audio(audio_path)
    frames, channels = audio.shape
    counts = _level_counts(frames)
    offsets, total = _layout(counts, channels)
    peaks_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = peaks_path.with_name(f".{peaks_path.name}.{model.new_id()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(
                _HEADER.pack(
                    _MAGIC,
                    _VERSION,
                    channels,
                    frames,
                    st.st_size,
                    st.st_mtime_ns,
                    BUCKET,
                    FACTOR,
                    len(counts),
                )
            )
            for off, n in zip(offsets, counts, strict=True):
                f.write(_LEVEL.pack(off, n))
            f.truncate(total)
        if counts:
            _fill_levels(tmp, audio, counts, offsets, progress, cancel)
        os.replace(tmp, peaks_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(1.0)


def _fill_levels(
    tmp: Path,
    audio: np.ndarray,
    counts: list[int],
    offsets: list[int],
    progress: Callable[[float], None] | None,
    cancel: Callable[[], bool] | None,
) -> None:
    frames, channels = audio.shape
    mm = np.memmap(tmp, np.uint8, mode="r+")
    levels = _level_views(mm, offsets, counts, channels)
    chunk = max(BUCKET, (_CHUNK_SAMPLES // channels) // BUCKET * BUCKET)
    lo0, hi0 = levels[0]
    for s in range(0, frames, chunk):
        if cancel is not None and cancel():
            raise Cancelled("peak build cancelled")
        e = min(s + chunk, frames)
        b0, b1 = s // BUCKET, -(-e // BUCKET)
        x = np.asarray(audio[s:e])
        if channels == 1:
            _mono_minmax(x[:, 0], BUCKET, lo0[b0:b1, 0], hi0[b0:b1, 0])
        else:
            _audio_minmax(x, BUCKET, lo0[b0:b1], hi0[b0:b1])
        if progress is not None:
            progress(0.99 * e / frames)
    for k in range(1, len(levels)):
        (plo, phi), (lo, hi) = levels[k - 1], levels[k]
        _level_minmax(plo, phi, FACTOR, lo, hi)
    mm.flush()


def _level_views(
    buf: np.ndarray, offsets: list[int], counts: list[int], channels: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(mins, maxs) arrays of each level, as views into the mapped peak file."""
    levels = []
    for off, n in zip(offsets, counts, strict=True):
        size = n * channels * 4
        lo = buf[off : off + size].view(np.float32).reshape(n, channels)
        hi = buf[off + size : off + 2 * size].view(np.float32).reshape(n, channels)
        levels.append((np.asarray(lo), np.asarray(hi)))
    return levels


class PeakPyramid:
    """A memory-mapped peak file plus its audio, answering envelope queries."""

    def __init__(
        self,
        frames: int,
        channels: int,
        levels: list[tuple[np.ndarray, np.ndarray]],
        audio_path: Path,
    ) -> None:
        self.frames = frames
        self.channels = channels
        self._levels = levels
        self._audio_path = audio_path
        self._audio: np.ndarray | None = None

    @classmethod
    def open(cls, peaks_path: Path, audio_path: Path) -> PeakPyramid:
        """Map a peak file; StalePeaks if it does not match `audio_path` or is damaged.

        FileNotFoundError when there is no peak file yet.
        """
        peaks_path = Path(peaks_path)
        audio_path = Path(audio_path)
        try:
            st = os.stat(audio_path)
        except OSError as e:
            raise StalePeaks(f"the audio file '{audio_path.name}' cannot be read") from e
        size = peaks_path.stat().st_size
        with open(peaks_path, "rb") as f:
            head = f.read(_HEADER.size)
            if len(head) < _HEADER.size:
                raise StalePeaks(f"'{peaks_path.name}' is damaged (short header)")
            magic, version, channels, frames, src_size, src_mtime, bucket, factor, nlev = (
                _HEADER.unpack(head)
            )
            if magic != _MAGIC or version != _VERSION or bucket != BUCKET or factor != FACTOR:
                raise StalePeaks(f"'{peaks_path.name}' is not a peak file of this version")
            if src_size != st.st_size or src_mtime != st.st_mtime_ns:
                raise StalePeaks(f"'{audio_path.name}' changed since its peaks were built")
            counts = _level_counts(frames)
            if not 1 <= channels <= 1024 or nlev != len(counts):
                raise StalePeaks(f"'{peaks_path.name}' is damaged (bad level table)")
            table = f.read(_LEVEL.size * nlev)
        offsets, total = _layout(counts, channels)
        stored = [_LEVEL.unpack_from(table, i * _LEVEL.size) for i in range(nlev)]
        if stored != list(zip(offsets, counts, strict=True)) or size != total:
            raise StalePeaks(f"'{peaks_path.name}' is damaged (bad layout or size)")
        if not counts:
            return cls(frames, channels, [], audio_path)
        mm = np.memmap(peaks_path, np.uint8, mode="r")
        levels = _level_views(mm, offsets, counts, channels)
        return cls(frames, channels, levels, audio_path)

    def _raw(self) -> np.ndarray:
        if self._audio is None:
            audio = map_audio(self._audio_path)
            if audio.shape != (self.frames, self.channels):
                raise StalePeaks(f"'{self._audio_path.name}' does not match its peaks")
            self._audio = np.asarray(audio)
        return self._audio

    def envelope(
        self, start: int, end: int, pixels: int, channel: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mins, maxs) per pixel for frames [start, end), float32, `pixels` long.

        channel None takes the extremes across all channels. Frames outside the file
        read as silence. From 256 frames per pixel up, the coarsest level whose bucket
        fits in a pixel answers; below that the audio itself is read.
        """
        if channel is not None and not 0 <= channel < self.channels:
            raise IndexError(f"channel {channel} out of range (file has {self.channels})")
        pixels = max(int(pixels), 0)
        out_lo = np.zeros(pixels, np.float32)
        out_hi = np.zeros(pixels, np.float32)
        start, end = int(start), int(end)
        if pixels == 0 or end <= start or not self._levels or end <= 0 or start >= self.frames:
            return out_lo, out_hi
        spp = (end - start) / pixels
        if spp < BUCKET:
            data = self._raw()
            lo_arr, hi_arr, bucket = data, data, 1
        else:
            k = 0
            while k + 1 < len(self._levels) and BUCKET * FACTOR ** (k + 1) <= spp:
                k += 1
            lo_arr, hi_arr = self._levels[k]
            bucket = BUCKET * FACTOR**k
        channels = range(self.channels) if channel is None else (channel,)
        lo_c = np.empty(pixels, np.float32)
        hi_c = np.empty(pixels, np.float32)
        for n, c in enumerate(channels):
            dest_lo, dest_hi = (out_lo, out_hi) if n == 0 else (lo_c, hi_c)
            _envelope(
                lo_arr[:, c],
                hi_arr[:, c],
                bucket,
                self.frames,
                start,
                end,
                pixels,
                dest_lo,
                dest_hi,
            )
            if n:
                np.minimum(out_lo, lo_c, out=out_lo)
                np.maximum(out_hi, hi_c, out=out_hi)
        return out_lo, out_hi


def peaks_path_for(project_folder: Path, media: model.MediaFile) -> Path:
    return Path(project_folder) / PEAKS_DIR / f"{media.id}.peaks"


def ensure_peaks(
    project_folder: Path,
    media: model.MediaFile,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> PeakPyramid:
    """Open the media file's pyramid, building it first when missing or stale."""
    folder = Path(project_folder).resolve()
    audio_path = (folder / media.path).resolve()
    if not audio_path.is_relative_to(folder):
        raise MediaError(f"'{media.path}' lies outside the project folder.")
    if not audio_path.is_file():
        raise MediaError(f"The audio file '{media.path}' is missing.")
    peaks_path = peaks_path_for(folder, media)
    try:
        return PeakPyramid.open(peaks_path, audio_path)
    except (StalePeaks, FileNotFoundError):
        pass
    build_peaks(audio_path, peaks_path, progress, cancel)
    return PeakPyramid.open(peaks_path, audio_path)
