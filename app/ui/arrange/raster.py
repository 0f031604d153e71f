"""The compiled inner loops of the lanes' drawing: min and max per pixel from a series of
buckets, and a waveform's columns into pixels.

Both ran as a dozen whole-array numpy passes per lane and frame, each a separate call
(np.minimum.reduceat alone took 30 us for 700 pixels); for 32 lanes that was a third
of a frame. One compiled pass each takes a few microseconds. Like the peak kernels they
are numba functions cached on disk: the first run after a change compiles them (about
a second), later runs load them (about 0.2 s). `warm` does that in the worker that
builds a waveform's peaks, before the waveform is ready to draw, so no paint waits on
it. The results are plain numpy arrays; the lane wraps pixels in a QImage and draws it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _bucket_columns(lo, hi, bucket, start, end, out_lo, out_hi):
    """Pixel p takes the buckets from the one holding its first frame up to the one
    holding the next pixel's first frame (at least one): each bucket goes to exactly
    one pixel. Pixels past the series get min > max."""
    pixels = out_lo.shape[0]
    span = end - start
    count = lo.shape[0]
    a = start // bucket
    for p in range(pixels):
        b = (start + ((p + 1) * span) // pixels) // bucket
        i0 = max(a, 0)
        i1 = min(max(b, a + 1), count)
        low = np.inf
        high = -np.inf
        for i in range(i0, i1):
            low = min(low, lo[i])
            high = max(high, hi[i])
        out_lo[p] = low
        out_hi[p] = high
        a = b


@njit(cache=True, nogil=True)
def _fill(out, r0, tops, bottoms, values):
    """Rows of column c whose centre lies within tops[c]..bottoms[c] take values[c]."""
    h, w = out.shape
    first = np.empty(w, np.int64)
    last = np.empty(w, np.int64)
    for c in range(w):
        first[c] = math.ceil(tops[c] - 0.5 - r0)
        last[c] = math.floor(bottoms[c] - 0.5 - r0)
    zero = np.uint32(0)
    for r in range(h):
        for c in range(w):
            out[r, c] = values[c] if first[c] <= r <= last[c] else zero


@njit(cache=True, nogil=True)
def _peak_pixels(peaks, mid, half, top_edge, bottom_edge, values, r0, out):
    w = peaks.shape[1]
    tops = np.empty(w, np.float64)
    bottoms = np.empty(w, np.float64)
    for c in range(w):
        top = min(max(mid - peaks[0, c] * half, top_edge), bottom_edge)
        bottom = min(max(mid - peaks[1, c] * half, top_edge), bottom_edge)
        if bottom - top < 1.0:  # silence stays visible as a hairline
            top = mid - 0.5
            bottom = mid + 0.5
        tops[c] = top
        bottoms[c] = bottom
    _fill(out, r0, tops, bottoms, values)


def bucket_columns(lo: np.ndarray, hi: np.ndarray, bucket: int, start: int, end: int,
                   pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """(mins, maxs) per pixel for frames [start, end) of a min/max series with `bucket`
    frames per entry (entry 0 at frame 0). Each entry counts in the one pixel where it
    starts, so a pixel's range is shifted by less than a bucket rather than widened:
    with four or more buckets a pixel that is under a quarter of a pixel. Pixels with
    no entry (past the series, or over entries holding min > max) come out min > max."""
    out_lo = np.empty(max(0, int(pixels)), np.float32)
    out_hi = np.empty(max(0, int(pixels)), np.float32)
    if len(out_lo):
        _bucket_columns(np.ascontiguousarray(lo, np.float32),
                        np.ascontiguousarray(hi, np.float32), int(bucket), int(start),
                        max(int(end), int(start) + 1), out_lo, out_hi)
    return out_lo, out_hi


def column_pixels(tops: np.ndarray, bottoms: np.ndarray, values: np.ndarray,
                  y0: float, y1: float) -> tuple[np.ndarray, int]:
    """ARGB pixels of the rows from y0 to y1: in column c those whose centre lies within
    tops[c]..bottoms[c] take values[c], the others are 0 (transparent); and the row
    the pixels start at."""
    r0 = math.floor(y0)
    out = np.empty((math.ceil(y1) - r0, len(tops)), np.uint32)
    _fill(out, r0, np.ascontiguousarray(tops, np.float64),
          np.ascontiguousarray(bottoms, np.float64), np.ascontiguousarray(values, np.uint32))
    return out, r0


def peak_pixels(peaks: np.ndarray, values: np.ndarray, top_edge: float, bottom_edge: float,
                headroom: float) -> tuple[np.ndarray, int]:
    """column_pixels for a waveform between top_edge and bottom_edge, from per-column
    maxima (peaks[0]) and minima (peaks[1]) where 1.0 fills `headroom` of the half
    height; a column whose run would be thinner than a pixel shows the centre line."""
    r0 = math.floor(top_edge)
    out = np.empty((math.ceil(bottom_edge) - r0, peaks.shape[1]), np.uint32)
    _peak_pixels(np.ascontiguousarray(peaks, np.float64), (top_edge + bottom_edge) / 2,
                 (bottom_edge - top_edge) / 2 * headroom, float(top_edge), float(bottom_edge),
                 np.ascontiguousarray(values, np.uint32), r0, out)
    return out, r0


def warm() -> None:
    """Compile (or load from numba's cache) every kernel here, with the argument types
    the lanes use. Call it off the GUI thread; it is quick once done in the process."""
    bucket_columns(np.zeros(4, np.float32), np.zeros(4, np.float32), 2, 0, 8, 2)
    column_pixels(np.zeros(2), np.ones(2), np.zeros(2, np.uint32), 0.0, 2.0)
    peak_pixels(np.zeros((2, 2)), np.zeros(2, np.uint32), 0.0, 2.0, 0.9)
