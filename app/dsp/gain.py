"""Level conversion and parameter smoothing for gains.

The mixer keeps a `current` value per parameter and moves it to the UI's `target`
within one block, so a fader move is heard in the next block without zipper noise.
`ramp_gain` / `ramp_add` do that with a straight line across the block (reaching the
target on the block's last frame); `smooth_gain` is the one-pole alternative for
parameters whose targets jump in steps, such as automation written at a coarse rate.
"""

import math

import numpy as np
from numba import njit

from app.dsp.safe import clamp, clamp_time_ms, sanitize

# Levels at or below this are silence: a fader at its bottom must be exactly mute.
SILENCE_DB = -120.0
MAX_DB = 48.0


@njit(nogil=True, cache=True, fastmath=False)
def db_to_gain(db: float) -> float:
    """Linear gain for a level in dB; 0.0 at or below -120 dB, NaN treated as silence."""
    db = clamp(sanitize(db, SILENCE_DB), SILENCE_DB, MAX_DB)
    if db <= SILENCE_DB:
        return 0.0
    return math.pow(10.0, db / 20.0)


@njit(nogil=True, cache=True, fastmath=False)
def gain_to_db(gain: float) -> float:
    """Level in dB of a linear gain or amplitude; -inf for zero."""
    gain = abs(gain)
    if gain > 0.0:
        return 20.0 * math.log10(gain)
    return -math.inf


@njit(nogil=True, cache=True, fastmath=False)
def ramp_gain(buf: np.ndarray, n: int, g_from: float, g_to: float) -> None:
    """Multiply buf[:n] in place by a gain moving linearly from g_from to g_to."""
    if g_from == g_to:
        for i in range(n):
            buf[i] *= g_to
        return
    step = (g_to - g_from) / n
    for i in range(n):
        buf[i] *= g_from + step * (i + 1)


@njit(nogil=True, cache=True, fastmath=False)
def ramp_add(src: np.ndarray, dst: np.ndarray, n: int, g_from: float, g_to: float) -> None:
    """dst[:n] += src[:n] times a gain moving linearly from g_from to g_to (sends, pans)."""
    if g_from == g_to:
        if g_to != 0.0:
            for i in range(n):
                dst[i] += src[i] * g_to
        return
    step = (g_to - g_from) / n
    for i in range(n):
        dst[i] += src[i] * (g_from + step * (i + 1))


@njit(nogil=True, cache=True, fastmath=False)
def smoothing_coef(time_ms: float, fs: float) -> float:
    """Per-sample pole of a one-pole smoother with time constant time_ms (63% point)."""
    return math.exp(-1000.0 / (clamp_time_ms(time_ms) * fs))


@njit(nogil=True, cache=True, fastmath=False)
def smooth_gain(buf: np.ndarray, n: int, current: float, target: float, coef: float) -> float:
    """Multiply buf[:n] by a gain gliding one-pole from current toward target.

    Returns the gain reached on the last frame, which the caller keeps as its new
    `current`. Snaps to the target once within 1e-9 so the glide ends.
    """
    g = current
    for i in range(n):
        g = target + (g - target) * coef
        buf[i] *= g
    if abs(g - target) < 1e-9:
        return target
    return g
