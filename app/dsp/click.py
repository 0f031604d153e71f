"""Metronome click: a short decaying tone on every beat, higher on each bar's downbeat.

Stateless and sample-accurate: the block's first frame is a transport position, beat
k starts on frame round(k * frames_per_beat), and each click's samples are a function
of the distance from its beat, so a locate, a loop jump or a block size change can
never shift or cut a click. Positions before zero (a count-in) click too.

Tempo is in quarter notes per minute and a beat is one note of the meter's
denominator, so 6/8 at 120 clicks six eighth notes per bar, each 0.25 s long.
"""

import math

import numpy as np
from numba import njit

from app.dsp.safe import clamp, clamp_rate, sanitize

CLICK_MS = 40.0
DECAY_MS = 8.0
ATTACK_FRAMES = 16
ACCENT_HZ = 2000.0
BEAT_HZ = 1000.0
ACCENT_LEVEL = 1.0
BEAT_LEVEL = 0.7


@njit(nogil=True, cache=True, fastmath=False)
def frames_per_beat(fs: float, tempo_bpm: float, meter_den: int) -> float:
    """Length of one beat in frames (fractional; beats are rounded one by one)."""
    tempo = clamp(sanitize(tempo_bpm, 120.0), 20.0, 999.0)
    den = clamp(float(meter_den), 1.0, 64.0)
    return clamp_rate(sanitize(fs, 48000.0)) * 60.0 / tempo * 4.0 / den


@njit(nogil=True, cache=True, fastmath=False)
def beat_frame(k: int, spb: float) -> int:
    """The frame on which beat k starts."""
    return int(math.floor(k * spb + 0.5))


@njit(nogil=True, cache=True, fastmath=False)
def click_render(
    buf: np.ndarray,
    n: int,
    position: int,
    fs: float,
    tempo_bpm: float,
    meter_num: int,
    meter_den: int,
    level: float,
) -> None:
    """Write the click for frames [position, position + n) into buf[:n] (overwrites)."""
    fs = clamp_rate(sanitize(fs, 48000.0))
    spb = frames_per_beat(fs, tempo_bpm, meter_den)
    num = int(clamp(float(meter_num), 1.0, 64.0))
    length = int(CLICK_MS * fs / 1000.0)
    decay = DECAY_MS * fs / 1000.0
    gain = clamp(sanitize(level, 0.0), 0.0, 4.0)
    for i in range(n):
        buf[i] = 0.0
    if gain == 0.0:
        return
    end = position + n
    # The earliest beat whose click can still be sounding at the block's first frame.
    k = int(math.floor((position - length) / spb)) - 1
    while True:
        start = beat_frame(k, spb)
        if start >= end:
            break
        if start + length > position:
            accent = k % num == 0
            hz = ACCENT_HZ if accent else BEAT_HZ
            amp = gain * (ACCENT_LEVEL if accent else BEAT_LEVEL)
            w = 2.0 * math.pi * hz / fs
            lo = max(start, position)
            hi = min(start + length, end)
            for f in range(lo, hi):
                t = f - start
                env = min(1.0, (t + 1.0) / ATTACK_FRAMES) * math.exp(-t / decay)
                buf[f - position] += amp * env * math.cos(w * t)
        k += 1
