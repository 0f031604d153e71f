"""Gate and compressor for a channel strip, stereo-linked over a (frames, channels) buffer.

Both detect on the largest absolute sample across the channels so a stereo image
never shifts, and both take their settings as plain floats each block (clamped here).

Gate state, float64 array of GATE_STATE_SIZE:
    [0] gain      linear gain applied on the last frame (range gain .. 1)
    [1] open      1.0 while open, 0.0 while closed
    [2] hold      frames left before a quiet signal may close the gate
    [3] gr_db     gain reduction in dB on the last frame (>= 0), for the meter
The gate opens when the level crosses threshold_db and closes only after the level
has stayed below threshold_db - hysteresis_db for hold_ms, so a signal sitting near
the threshold or the troughs of a low note cannot make it chatter.

Compressor state, float64 array of COMP_STATE_SIZE:
    [0] env       peak detector (linear): instant rise, falls with release_ms
    [1] gr_db     gain reduction in dB now (>= 0): rises with attack_ms
    [2] gr_max_db largest gain reduction during the last block, for the meter
Feed-forward: the detector's level goes through the static curve (threshold, ratio,
soft knee of knee_db around the threshold), the reduction is smoothed, makeup added.
"""

import math

import numpy as np
from numba import njit

from app.dsp.safe import DENORMAL_FLOOR, clamp, clamp_rate, clamp_time_ms, sanitize

GATE_STATE_SIZE = 4
COMP_STATE_SIZE = 3
GATE_HOLD_MS = 20.0
GATE_HYSTERESIS_DB = 4.0


@njit(nogil=True, cache=True, fastmath=False)
def _pole(time_ms: float, fs: float) -> float:
    return math.exp(-1000.0 / (clamp_time_ms(sanitize(time_ms, 10.0)) * fs))


@njit(nogil=True, cache=True, fastmath=False)
def _peak(buf: np.ndarray, nch: int, i: int) -> float:
    p = 0.0
    for c in range(nch):
        v = abs(float(buf[i, c]))
        if v > p:
            p = v
    return p


@njit(nogil=True, cache=True, fastmath=False)
def gate_reset(state: np.ndarray) -> None:
    """A closed gate with no hold pending; the first block fades in from the range."""
    state[0] = 0.0
    state[1] = 0.0
    state[2] = 0.0
    state[3] = 0.0


# Fused multiply-add only, in the gate's gain recursion (see gate_process).
FMA = {"contract"}


@njit(nogil=True, cache=True, fastmath=FMA)
def gate_process(
    state: np.ndarray,
    buf: np.ndarray,
    nch: int,
    n: int,
    fs: float,
    threshold_db: float,
    range_db: float,
    attack_ms: float,
    release_ms: float,
    hold_ms: float,
    hysteresis_db: float,
) -> None:
    """Gate buf[:n, :nch] in place. range_db is the closed gain (e.g. -80)."""
    fs = clamp_rate(sanitize(fs, 48000.0))
    thr_db = clamp(sanitize(threshold_db, -50.0), -120.0, 0.0)
    open_lvl = math.pow(10.0, thr_db / 20.0)
    hyst = clamp(sanitize(hysteresis_db, GATE_HYSTERESIS_DB), 0.0, 40.0)
    close_lvl = math.pow(10.0, (thr_db - hyst) / 20.0)
    floor = math.pow(10.0, clamp(sanitize(range_db, -80.0), -120.0, 0.0) / 20.0)
    att = _pole(attack_ms, fs)
    rel = _pole(release_ms, fs)
    hold_frames = clamp(sanitize(hold_ms, GATE_HOLD_MS), 0.0, 2000.0) * fs / 1000.0
    g = clamp(state[0], 0.0, 1.0)
    is_open = state[1] > 0.5
    hold = state[2]
    # The gain glides to 1 (open) or to floor (closed) as g * pole + rest: one fused
    # multiply-add a frame on the recursion, where 1 + (g - 1) * pole takes three
    # dependent operations. 1 - pole is exact for any pole over 0.5, so an open gate
    # settles on exactly 1.
    open_rest = 1.0 - att
    closed_rest = floor * (1.0 - rel)
    for i in range(n):
        p = _peak(buf, nch, i)
        if p > open_lvl:
            is_open = True
            hold = hold_frames
        elif is_open:
            if p > close_lvl:
                hold = hold_frames
            elif hold > 0.0:
                hold -= 1.0
            else:
                is_open = False
        if is_open:
            g = g * att + open_rest
        else:
            g = g * rel + closed_rest
        for c in range(nch):
            buf[i, c] *= g
    state[0] = g
    state[1] = 1.0 if is_open else 0.0
    state[2] = hold
    state[3] = -20.0 * math.log10(max(g, 1e-6))


@njit(nogil=True, cache=True, fastmath=False)
def comp_reset(state: np.ndarray) -> None:
    state[0] = 0.0
    state[1] = 0.0
    state[2] = 0.0


@njit(nogil=True, cache=True, fastmath=False)
def comp_curve_db(level_db: float, threshold_db: float, ratio: float, knee_db: float) -> float:
    """Gain reduction in dB (>= 0) of the static curve for an input level in dB."""
    over = level_db - threshold_db
    slope = 1.0 - 1.0 / ratio
    if knee_db > 0.0 and 2.0 * abs(over) <= knee_db:
        d = over + knee_db / 2.0
        return slope * d * d / (2.0 * knee_db)
    if over > 0.0:
        return slope * over
    return 0.0


@njit(nogil=True, cache=True, fastmath=False)
def comp_process(
    state: np.ndarray,
    buf: np.ndarray,
    nch: int,
    n: int,
    fs: float,
    threshold_db: float,
    ratio: float,
    knee_db: float,
    attack_ms: float,
    release_ms: float,
    makeup_db: float,
) -> None:
    """Compress buf[:n, :nch] in place; ratio >= 1, knee_db >= 0 (0 is a hard knee)."""
    fs = clamp_rate(sanitize(fs, 48000.0))
    thr = clamp(sanitize(threshold_db, -18.0), -80.0, 0.0)
    ratio = clamp(sanitize(ratio, 4.0), 1.0, 100.0)
    knee = clamp(sanitize(knee_db, 0.0), 0.0, 48.0)
    makeup = clamp(sanitize(makeup_db, 0.0), -48.0, 48.0)
    att = _pole(attack_ms, fs)
    rel = _pole(release_ms, fs)
    env = state[0]
    gr = state[1]
    gr_max = 0.0
    for i in range(n):
        p = _peak(buf, nch, i)
        env = p if p > env else env * rel
        if env < DENORMAL_FLOOR:
            env = 0.0
        target = comp_curve_db(20.0 * math.log10(max(env, 1e-12)), thr, ratio, knee)
        # Rising reduction follows the attack; falling follows the detector's release.
        gr = target + (gr - target) * att if target > gr else target
        if gr > gr_max:
            gr_max = gr
        g = math.pow(10.0, (makeup - gr) / 20.0)
        for c in range(nch):
            buf[i, c] *= g
    state[0] = env
    state[1] = gr
    state[2] = gr_max
