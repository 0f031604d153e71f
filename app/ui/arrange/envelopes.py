"""Per-pixel waveform envelopes for the lanes, cheap enough to ask for every frame.

From 256 frames per pixel up, a peak pyramid answers from memory-mapped levels in tens
of microseconds. Below that it reads the audio itself: a few hundred thousand samples
per lane and frame just under 256 (about 0.25 ms a lane here, 8 ms for 32 lanes). So
from FINE_FROM to 256 frames per pixel the envelope comes from in-memory levels of min
and max every 8, 16 and 32 frames (four to eight buckets a pixel), filled BLOCK_FRAMES
at a time, all three from one read of the audio, as the view first reaches them, and
kept in a bounded least-recently-used cache: a scroll or zoom step there reads only
the audio it has not seen yet. Each bucket counts in one pixel, so a pixel's range
moves by less than a quarter of a pixel, and a transient never shows twice.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from app.session.peaks import BUCKET, PeakPyramid
from app.ui.arrange.raster import bucket_columns

FINE = (8, 16, 32)  # frames per bucket of the in-memory levels, each twice the one before
FINE_FROM = 4 * FINE[0]  # frames per pixel from which they answer
BLOCK_FRAMES = 32768  # frames read from the audio at a time
MAX_BLOCKS = 1024  # 56 MB of cached buckets at most: the busiest view of 90 lanes


def bucket_for(spp: float) -> int | None:
    """The in-memory level to answer at `spp` frames per pixel (the largest with four
    buckets or more a pixel), or None when the pyramid or the audio answers."""
    if not FINE_FROM <= spp < BUCKET:
        return None
    return max(size for size in FINE if 4 * size <= spp)


class Envelopes:
    """Answers `envelope(media_id, pyramid, start, end, pixels)` like PeakPyramid.envelope
    (extremes across channels, frames outside the file as silence), from the in-memory
    levels where they pay."""

    def __init__(self, max_blocks: int = MAX_BLOCKS) -> None:
        self._blocks: OrderedDict[tuple[str, int], dict[int, tuple[np.ndarray, np.ndarray]]] = (
            OrderedDict())
        self._sources: dict[str, PeakPyramid] = {}
        self._max_blocks = max_blocks
        self.blocks_filled = 0  # how many blocks were read from the audio (for tests)

    def __len__(self) -> int:
        """Blocks held."""
        return len(self._blocks)

    def clear(self) -> None:
        self._blocks.clear()
        self._sources.clear()

    def envelope(self, media_id: str, pyramid: PeakPyramid, start: int, end: int,
                 pixels: int) -> tuple[np.ndarray, np.ndarray]:
        start, end, pixels = int(start), int(end), int(pixels)
        size = bucket_for((end - start) / pixels) if pixels > 0 else None
        if size is None or start < 0 or start >= pyramid.frames:
            return pyramid.envelope(start, end, pixels)
        if self._sources.get(media_id) is not pyramid:
            self._forget(media_id)
            self._sources[media_id] = pyramid
        first = start // size
        lo, hi = self._buckets(media_id, pyramid, size, first, -(-end // size))
        return bucket_columns(lo, hi, size, start - first * size, end - first * size, pixels)

    def _forget(self, media_id: str) -> None:
        for key in [k for k in self._blocks if k[0] == media_id]:
            del self._blocks[key]

    def _buckets(self, media_id: str, pyramid: PeakPyramid, size: int, first: int,
                 last: int) -> tuple[np.ndarray, np.ndarray]:
        """Buckets [first, last) of `size` frames of a media file, reading the blocks not
        cached yet from the audio (through the pyramid)."""
        per_block = BLOCK_FRAMES // size
        b0, b1 = first // per_block, -(-last // per_block)
        los, his = [], []
        for b in range(b0, b1):
            key = (media_id, b)
            levels = self._blocks.get(key)
            if levels is None:
                levels = self._blocks[key] = self._read(pyramid, b)
                if len(self._blocks) > self._max_blocks:
                    self._blocks.popitem(last=False)
            else:
                self._blocks.move_to_end(key)
            lo, hi = levels[size]
            los.append(lo)
            his.append(hi)
        cut = slice(first - b0 * per_block, last - b0 * per_block)
        if len(los) == 1:
            return los[0][cut], his[0][cut]
        return np.concatenate(los)[cut], np.concatenate(his)[cut]

    def _read(self, pyramid: PeakPyramid, block: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Every in-memory level of one block, from one read of its audio."""
        self.blocks_filled += 1
        lo, hi = pyramid.envelope(block * BLOCK_FRAMES, (block + 1) * BLOCK_FRAMES,
                                  BLOCK_FRAMES // FINE[0])
        levels = {FINE[0]: (lo, hi)}
        for size in FINE[1:]:  # each twice the one before
            lo, hi = np.minimum(lo[0::2], lo[1::2]), np.maximum(hi[0::2], hi[1::2])
            levels[size] = (lo, hi)
        return levels
