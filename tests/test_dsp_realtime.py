"""Every per-block kernel runs from compiled code without allocating, and from a cfunc.

The mixer calls these kernels on PortAudio's thread inside one compiled callback, where
a heap allocation could block. numba counts its own allocations when NUMBA_NRT_STATS is
set, so a subprocess drives every kernel from a jitted loop once and then many times:
the counts must not grow with the number of blocks.
"""

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from numba import carray, cfunc, types

from app.dsp import biquad as bq
from app.dsp import dynamics as dy
from app.dsp import limiter as lim

ROOT = Path(__file__).resolve().parents[1]

DRIVER = r"""
import numpy as np
from numba import njit
from numba.core.runtime import rtsys
from app.dsp import biquad, click, delay, drive, dynamics, gain, limiter, loudness
from app.dsp import pan, reverb, truepeak

FS = 48000.0
N = 128

@njit(nogil=True)
def run(blocks, buf, coefs, target, bstate, coefs2, bstate2, gstate, cstate, lstate,
        rstate, dstate, ldstate, hist, tpstate, clickbuf):
    acc = 0.0
    for b in range(blocks):
        biquad.design(target, b % 5, FS, 100.0 + b, 3.0, 0.7)
        biquad.coefs_approach(coefs, target, 0.5)
        biquad.biquad_process(coefs, bstate, buf[:, 0], N)
        biquad.design_highpass24(coefs2, FS, 80.0)
        biquad.cascade_process(coefs2, bstate2, buf[:, 1], N)
        dynamics.gate_process(gstate, buf, 2, N, FS, -50.0, -80.0, 1.0, 100.0,
                              dynamics.GATE_HOLD_MS, dynamics.GATE_HYSTERESIS_DB)
        dynamics.comp_process(cstate, buf, 2, N, FS, -18.0, 4.0, 6.0, 10.0, 120.0, 0.0)
        drive.drive_process(buf[:, 0], N, 0.0, 6.0)
        gl, gr = pan.pan_gains(0.1 * (b % 10) - 0.5)
        gain.ramp_gain(buf[:, 0], N, gl, gain.db_to_gain(-3.0))
        gain.ramp_add(buf[:, 0], buf[:, 1], N, gr, 0.5)
        acc += gain.smooth_gain(buf[:, 1], N, 0.5, 1.0, gain.smoothing_coef(5.0, FS))
        limiter.limiter_process(lstate, buf, 2, N, FS, -0.1, 50.0)
        reverb.reverb_process(rstate, buf, N, 0.5, 0.5, 1.0)
        delay.delay_process(dstate, buf, N, FS, 250.0, 0.4, 0.3)
        loudness.loudness_process(ldstate, hist, buf, 2, N)
        truepeak.truepeak_process(tpstate, buf, 2, N)
        click.click_render(clickbuf, N, b * N, FS, 120.0, 4, 4, 1.0)
        acc += truepeak.truepeak_take(tpstate, 2) + loudness.integrated_lufs(hist)
        acc += loudness.loudness_range(hist)
    return acc

def arrays():
    look = limiter.lookahead_frames(FS)
    lstate = np.zeros(limiter.limiter_state_size(2, look))
    limiter.limiter_init(lstate, 2, look)
    rstate = np.zeros(reverb.reverb_state_size(FS))
    reverb.reverb_init(rstate, FS)
    dstate = np.zeros(delay.delay_state_size(FS))
    delay.delay_init(dstate)
    ldstate = np.zeros(loudness.LOUDNESS_STATE_SIZE)
    hist = np.zeros((4, loudness.HIST_BINS))
    loudness.loudness_reset(ldstate, hist, FS)
    buf = (np.random.default_rng(0).standard_normal((N, 2)) * 0.3).astype(np.float32)
    return (buf, np.zeros(5), np.zeros(5), np.zeros(2), np.zeros((2, 5)), np.zeros((2, 2)),
            np.zeros(dynamics.GATE_STATE_SIZE), np.zeros(dynamics.COMP_STATE_SIZE), lstate,
            rstate, dstate, ldstate, hist, np.zeros((2, truepeak.TP_STATE_SIZE)),
            np.zeros(N, dtype=np.float32))

a = arrays()
run(1, *a)
s0 = rtsys.get_allocation_stats()
run(1, *a)
s1 = rtsys.get_allocation_stats()
run(2000, *a)
s2 = rtsys.get_allocation_stats()
print("ONE", s1.alloc - s0.alloc, "MANY", s2.alloc - s1.alloc)
"""


def test_kernels_do_not_allocate_per_block():
    env = dict(os.environ, NUMBA_NRT_STATS="1")
    out = subprocess.run(
        [sys.executable, "-c", DRIVER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr
    words = out.stdout.split()
    one, many = int(words[words.index("ONE") + 1]), int(words[words.index("MANY") + 1])
    # Only the arguments' boxing may allocate, and that is the same for 1 or 2000 blocks.
    assert many == one


BLOCK = 64


def _make_callback():
    sig = types.void(
        types.CPointer(types.float64), types.CPointer(types.float64), types.CPointer(types.float32)
    )

    @cfunc(sig, nopython=True)
    def callback(coefs_p, state_p, buf_p):
        coefs = carray(coefs_p, (bq.COEFS_SIZE,))
        bstate = carray(state_p, (bq.STATE_SIZE,))
        cstate = carray(state_p, (2 + dy.COMP_STATE_SIZE,))[2:]
        lstate = carray(state_p, (2 + dy.COMP_STATE_SIZE + LIM_SIZE,))[2 + dy.COMP_STATE_SIZE :]
        buf = carray(buf_p, (BLOCK, 2))
        bq.biquad_process(coefs, bstate, buf[:, 0], BLOCK)
        dy.comp_process(cstate, buf, 2, BLOCK, 48000.0, -20.0, 4.0, 0.0, 1.0, 100.0, 0.0)
        lim.limiter_process(lstate, buf, 2, BLOCK, 48000.0, -6.0, 50.0)

    return callback


LOOK = 8
LIM_SIZE = lim.limiter_state_size(2, LOOK)


def test_kernels_run_inside_a_cfunc():
    callback = _make_callback()
    coefs = np.zeros(5)
    bq.design_peak(coefs, 48000.0, 1000.0, 6.0, 1.0)
    state = np.zeros(2 + dy.COMP_STATE_SIZE + LIM_SIZE)
    lim.limiter_init(state[2 + dy.COMP_STATE_SIZE :], 2, LOOK)
    buf = np.ones((BLOCK, 2), dtype=np.float32)
    fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)(callback.address)
    for _ in range(20):
        buf[:] = 1.0
        fn(coefs.ctypes.data, state.ctypes.data, buf.ctypes.data)
    assert state[0] != 0.0  # the biquad ran
    assert state[2 + 1] > 0.0  # the compressor reduced gain
    assert np.max(np.abs(buf)) <= 10 ** (-6 / 20)  # the limiter held its ceiling
    assert np.all(buf[LOOK:] != 1.0)
