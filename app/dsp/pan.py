"""Constant-power pan law: -3 dB in each side at centre, full level at the extremes.

Pan runs from -1 (left) to +1 (right) as in the session model. The mixer pans a strip
by ramping each side's gain with `app.dsp.gain.ramp_add` from the previous block's pan
gains to this block's.
"""

import math

from numba import njit

from app.dsp.safe import clamp, sanitize


@njit(nogil=True, cache=True, fastmath=False)
def pan_gains(pan: float) -> tuple[float, float]:
    """(left, right) gains for a pan position; left^2 + right^2 == 1."""
    p = clamp(sanitize(pan, 0.0), -1.0, 1.0)
    theta = (p + 1.0) * (math.pi / 4.0)
    return math.cos(theta), math.sin(theta)


@njit(nogil=True, cache=True, fastmath=False)
def balance_gains(pan: float) -> tuple[float, float]:
    """(left, right) gains for a stereo source: the far side fades, centre is unity.

    A stereo strip already carries its image, so its pan control is a balance: at
    centre both sides pass untouched, and moving right lowers the left side along the
    constant-power curve (-3 dB at half way, silent at the end).
    """
    p = clamp(sanitize(pan, 0.0), -1.0, 1.0)
    if p >= 0.0:
        return math.cos(p * (math.pi / 2.0)), 1.0
    return 1.0, math.cos(-p * (math.pi / 2.0))
