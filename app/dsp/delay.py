"""Stereo feedback delay for the built-in delay return.

Each side has its own line; the repeats pass through a one-pole low-pass (damping) on
the way back, so they darken as they fade. The delay time glides (about 50 ms) when
it changes, read with linear interpolation, so a tempo or time change bends the
pitch briefly instead of clicking. Output is 100% wet: the bus return sets the level.

Buffers are (frames, 2), as the mixer's are.

State: one float64 array of `delay_state_size(fs, max_ms)`, set up by `delay_init`:
    [0] length    frames per side's line
    [1] write     write position
    [2] time      current delay in frames (gliding toward the set time; 0 = unset)
    [3] lp_left   damping filter memory, left
    [4] lp_right  damping filter memory, right
    then the left line [length], then the right line [length].
"""

import math

import numpy as np
from numba import njit

from app.dsp.safe import clamp, clamp_rate, flush, sanitize

HEADER = 5
MAX_FEEDBACK = 0.98
GLIDE_MS = 50.0
DEFAULT_MAX_MS = 2000.0


def delay_state_size(fs: float, max_ms: float = DEFAULT_MAX_MS) -> int:
    """Length of the float64 state array for delays up to max_ms at fs."""
    return HEADER + 2 * (int(math.ceil(fs * max_ms / 1000.0)) + 2)


@njit(nogil=True, cache=True, fastmath=False)
def delay_init(state: np.ndarray) -> None:
    """Silence the delay; the line length is whatever the array holds."""
    state[:] = 0.0
    state[0] = (state.shape[0] - HEADER) // 2


@njit(nogil=True, cache=True, fastmath=False)
def delay_process(
    state: np.ndarray,
    buf: np.ndarray,
    n: int,
    fs: float,
    time_ms: float,
    feedback: float,
    damp: float,
) -> None:
    """Replace stereo buf[:n, :2] with its delayed repeats.

    time_ms is clamped to the line, feedback to 0..0.98, damp 0..1 (1 darkest).
    """
    length = int(state[0])
    fs = clamp_rate(sanitize(fs, 48000.0))
    target = clamp(sanitize(time_ms, 250.0) * fs / 1000.0, 1.0, length - 2.0)
    fb = clamp(sanitize(feedback, 0.3), 0.0, MAX_FEEDBACK)
    lp = 0.95 * clamp(sanitize(damp, 0.3), 0.0, 1.0)
    glide = math.exp(-1000.0 / (GLIDE_MS * fs))
    w = int(state[1])
    # A fresh line starts at the set time rather than gliding up from nothing.
    d = state[2] if state[2] >= 1.0 else target
    for i in range(n):
        d = target + (d - target) * glide
        pos = w - d
        if pos < 0.0:
            pos += length
        j0 = int(pos)
        frac = pos - j0
        j1 = j0 + 1 if j0 + 1 < length else 0
        for c in range(2):
            line = HEADER + c * length
            y = state[line + j0] + frac * (state[line + j1] - state[line + j0])
            mem = flush(y + (state[3 + c] - y) * lp)
            state[3 + c] = mem
            x = float(buf[i, c])
            if not abs(x) < math.inf:
                x = 0.0
            state[line + w] = flush(x + mem * fb)
            buf[i, c] = y
        w += 1
        if w >= length:
            w = 0
    state[1] = w
    state[2] = d
