"""The per-block mixer kernel, shared by every backend.

`process_block` is one `@njit(nogil=True)` function over the arena arrays: the
PortAudio callback (callback.py) calls it from a numba `@cfunc` on the audio thread,
and the ClockBackend and OfflineBackend call it from Python, so the same compiled code
is what plays, what runs without a device and what renders.

Per block: the inputs go to the capture ring; meter reset and transport commands at
the block start; the plan slot is read once; the timeline frame each captured frame
plays against goes to `capture_pos` (what places, punches and splits recordings);
automation lanes set their targets while rolling; each strip in plan order takes its
source (playback ring, device input or bus sum, through a bus's built-in reverb or
delay; an armed track in auto monitoring switches to its input at the exact frames of
a punch range while recording), scrubs NaN/Inf, applies
trim and polarity, its DSP chain (high-pass, EQ, gate, compressor, drive; the filters
of tracks next to each other in plan order run BATCH at a time, on vector registers), pan,
fader with mute/solo, and feeds sends, cue mixes, the AFL/PFL bus and its
destination. Then the cue mixes (click, talkback, master level, safety limiter), the
control room (source, AFL/PFL, mono, small-speaker check, click, level, dim, cut),
the master's loudness and true peak, the outputs, and the calibration impulse when
one is due. Parameters ramp linearly from
the kernel's current value to the target across each block, reaching it on the
block's last frame.

An offline render may run the first part of each track's strip, from its source
through its dynamics, a chunk ahead on a second thread (`render_front`, into a
"pipe"); `process_block` then takes those tracks from the pipe and does the rest.
Every track's samples depend on nothing but the track up to there, so the render is
the same, sample for sample.

The kernel allocates nothing: every buffer it uses lives in the arena (or, for a
render's second thread, in buffers the render made before it started).
"""

import math
import zlib
from pathlib import Path

import numpy as np
from numba import njit
from numba.core.dispatcher import Dispatcher

from app.dsp.biquad import (
    HIGHPASS,
    LOWPASS,
    PEAK,
    coefs_approach,
    design,
    design_bypass,
)
from app.dsp.click import click_render
from app.dsp.delay import delay_init, delay_process
from app.dsp.dynamics import GATE_HOLD_MS, GATE_HYSTERESIS_DB, gate_reset
from app.dsp.loudness import loudness_process, loudness_reset
from app.dsp.pan import balance_gains, pan_gains
from app.dsp.reverb import reverb_init, reverb_process
from app.dsp.strip import (
    BATCH,
    BATCH_WIDTH,
    COMP_STEREO_STATE,
    GATE_SETTINGS,
    SECTIONS,
    biquads_batch,
    biquads_stereo,
    comp_stereo,
    comp_stereo_reset,
    drive_stereo,
    gate_comp_stereo,
    gate_settings,
    gate_stereo,
)
from app.dsp.truepeak import HELD as TP_HELD
from app.dsp.truepeak import truepeak_process
from app.engine import arena as A
from app.engine.arena import (
    BATCH_COEFS,
    BATCH_PLAN,
    BATCH_PLAN_FIELDS,
    BATCH_STATES,
    BATCH_X,
    C_LEVEL,
    C_PAN,
    C_PAN_L,
    C_PAN_R,
    C_PRE,
    CH_CLICK,
    CH_LIMIT,
    CH_MASTER,
    CH_TALKBACK,
    CMD_CAPACITY,
    CMD_LOCATE,
    CMD_LOOP,
    CMD_PLAY,
    CMD_RECORD,
    CMD_STOP,
    CR_CLICK_GAIN,
    CR_CLICK_ON,
    CR_CUT,
    CR_DIM,
    CR_DIM_GAIN,
    CR_EXT_INPUT,
    CR_GAIN,
    CR_LEVEL,
    CR_MONO,
    CR_MONO_MIX,
    CR_SAMPLE_RATE,
    CR_SOLO_MODE,
    CR_SOURCE,
    CR_TALKBACK_GAIN,
    CR_TALKBACK_HELD,
    CR_TALKBACK_INPUT,
    CUR,
    F_BLOCKS,
    F_CMD_READ,
    F_CONSUMED,
    F_DEVICE_TIME,
    F_FRAMES,
    F_GEN,
    F_LAST_FLAGS,
    F_LATE,
    F_LOOP_END,
    F_LOOP_ON,
    F_LOOP_START,
    F_METER_ACK,
    F_PLAN_ACK,
    F_PLAYING,
    F_POSITION,
    F_RECORDING,
    F_ROLL_FRAME,
    F_SEEK,
    F_UNDERRUNS,
    F_WAITING,
    F_WRAP,
    F_XRUNS,
    H_CR_OUT,
    H_CUES,
    H_MAIN_OUT,
    H_STRIPS,
    K_CMD_WRITE,
    K_METER_RESET,
    K_PLAN_INDEX,
    KIND_AUDIO,
    KIND_MASTER,
    M_COUNT,
    M_PEAK,
    M_SUMSQ,
    MAX_SENDS,
    MON_AUTO,
    MON_INPUT,
    P_AUDIBLE,
    P_FADER,
    P_MUTE,
    P_PAN,
    P_PAN_L,
    P_PAN_R,
    P_POLARITY,
    P_POST_CUE,
    P_SENDS,
    P_SOLO,
    P_SOLO_ISOLATE,
    P_TRIM,
    Q_OUT,
    R_READY_GEN,
    R_WRITTEN,
    S_ARMED,
    S_IN_L,
    S_IN_R,
    S_KIND,
    S_MONITOR,
    S_OUTPUT,
    S_RING,
    SCR_CR,
    SCR_MAIN,
    SCR_PANNED,
    SCR_POST,
    SCR_PRE,
    SCR_RAMP,
    SCR_SOLO,
    SEND_BUS,
    SEND_PRE,
    SOLO_AFL,
    SOLO_IN_PLACE,
    SOLO_PFL,
    SOURCE_EXT,
    TALKBACK_DIM,
    TARGET,
)

CAPTURE_CARRY = 8192  # capture frames the kernel carries to a new arena itself
CALIBRATION_LEVEL = 0.5  # the loopback calibration's impulse
LN10_OVER_20 = math.log(10.0) / 20.0
LIMIT_CEILING = 0.891  # -1 dBFS: the cue safety limiter never lets a peak past this
LIMIT_RELEASE = 0.9995  # per-sample recovery of the limiter gain (about 40 ms at 48 kHz)
MAGNITUDE_BITS = 0x7FFF_FFFF_FFFF_FFFF  # a float64 without its sign bit
REVERB_ROOM = 0.6
REVERB_DAMP = 0.4
REVERB_WIDTH = 1.0
DELAY_BEATS = 0.75  # a dotted eighth at the project tempo
DELAY_FEEDBACK = 0.35
DELAY_DAMP = 0.3
# Fewer tracks in a row than this run their filters one strip at a time: a batch costs
# about as much whatever its number of tracks.
BATCH_MIN = 4


@njit(nogil=True, cache=True)
def map_frame(base, seek, wrap, loop_start, loop_end, k):
    """Timeline frame of ring frame k under one mapping (see arena.F_BASE)."""
    t = seek + (k - base)
    if wrap != 0 and t >= loop_end:
        t = loop_start + (t - loop_end) % (loop_end - loop_start)
    return t


@njit(nogil=True, cache=True)
def timeline_frame(fb, k):
    """The timeline frame of ring frame k of the current transport generation.

    The butler writes the rings with the same mapping, which is what keeps a loop
    wrap gapless and sample-exact.
    """
    if fb[A.F_NEXT_PENDING] != 0 and k >= fb[A.F_NEXT_BASE]:
        return map_frame(
            fb[A.F_NEXT_BASE],
            fb[A.F_NEXT_SEEK],
            fb[A.F_NEXT_WRAP],
            fb[A.F_NEXT_LOOP_START],
            fb[A.F_NEXT_LOOP_END],
            k,
        )
    return map_frame(
        fb[A.F_BASE], fb[F_SEEK], fb[F_WRAP], fb[A.F_MAP_LOOP_START], fb[A.F_MAP_LOOP_END], k
    )


@njit(nogil=True, cache=True)
def _run(fb, k, most):
    """(timeline frame of ring frame k, frames from k that map contiguously, <= most)."""
    run = most
    if fb[A.F_NEXT_PENDING] != 0 and k < fb[A.F_NEXT_BASE]:
        run = min(run, fb[A.F_NEXT_BASE] - k)
    t = timeline_frame(fb, k)
    if fb[A.F_NEXT_PENDING] != 0 and k >= fb[A.F_NEXT_BASE]:
        wrap, end = fb[A.F_NEXT_WRAP], fb[A.F_NEXT_LOOP_END]
    else:
        wrap, end = fb[F_WRAP], fb[A.F_MAP_LOOP_END]
    if wrap != 0 and t < end:
        run = min(run, end - t)
    return t, run


@njit(nogil=True, cache=True)
def _wraps(fb, frame):
    """Whether a mapping starting at `frame` wraps under the loop as now set."""
    return fb[F_LOOP_ON] != 0 and fb[F_LOOP_END] > fb[F_LOOP_START] and frame < fb[F_LOOP_END]


@njit(nogil=True, cache=True)
def _start_generation(fb, frame):
    # The generation is bumped last: the butler reads it first, then the rest.
    fb[F_SEEK] = frame
    fb[A.F_BASE] = 0
    fb[F_CONSUMED] = 0
    fb[F_POSITION] = frame
    fb[F_WRAP] = 1 if _wraps(fb, frame) else 0
    fb[A.F_MAP_LOOP_START] = fb[F_LOOP_START]
    fb[A.F_MAP_LOOP_END] = fb[F_LOOP_END]
    fb[A.F_NEXT_PENDING] = 0
    fb[F_GEN] += 1


@njit(nogil=True, cache=True)
def _splice(fb):
    """Let the loop as now set take over a little ahead of the read point, gaplessly.

    A splice still waiting is replaced at the same ring frame, so what the butler
    rewrites for it stays where the kernel expects it.
    """
    if fb[A.F_NEXT_PENDING] != 0:
        base = fb[A.F_NEXT_BASE]
    else:
        base = fb[F_CONSUMED] + A.SPLICE_FRAMES
    fb[A.F_SPLICES] += 1  # odd: the fields below are being written
    seek = map_frame(
        fb[A.F_BASE], fb[F_SEEK], fb[F_WRAP], fb[A.F_MAP_LOOP_START], fb[A.F_MAP_LOOP_END], base
    )
    fb[A.F_NEXT_BASE] = base
    fb[A.F_NEXT_SEEK] = seek
    fb[A.F_NEXT_WRAP] = 1 if _wraps(fb, seek) else 0
    fb[A.F_NEXT_LOOP_START] = fb[F_LOOP_START]
    fb[A.F_NEXT_LOOP_END] = fb[F_LOOP_END]
    fb[A.F_NEXT_PENDING] = 1
    fb[A.F_SPLICES] += 1  # even: published


@njit(nogil=True, cache=True)
def _promote(fb):
    """Make the spliced mapping current once the read point has reached it."""
    if fb[A.F_NEXT_PENDING] != 0 and fb[F_CONSUMED] >= fb[A.F_NEXT_BASE]:
        fb[F_SEEK] = fb[A.F_NEXT_SEEK]
        fb[A.F_BASE] = fb[A.F_NEXT_BASE]
        fb[F_WRAP] = fb[A.F_NEXT_WRAP]
        fb[A.F_MAP_LOOP_START] = fb[A.F_NEXT_LOOP_START]
        fb[A.F_MAP_LOOP_END] = fb[A.F_NEXT_LOOP_END]
        fb[A.F_NEXT_PENDING] = 0


@njit(nogil=True, cache=True)
def _record(fb, on):
    """Start or end a take at this block's first frame (the butler writes the files)."""
    if on and fb[F_RECORDING] == 0:
        fb[A.F_REC_START] = fb[F_FRAMES]
        fb[A.F_REC_POSITION] = fb[F_POSITION]
        fb[A.F_REC_STOP] = -1
        fb[A.F_REC_TAKE] += 1
        fb[F_RECORDING] = 1
    elif not on and fb[F_RECORDING] != 0:
        fb[A.F_REC_STOP] = fb[F_FRAMES]
        fb[F_RECORDING] = 0


@njit(nogil=True, cache=True)
def _apply_commands(ctl, cmd, fb, ring_ctl):
    _promote(fb)
    r = fb[F_CMD_READ]
    w = ctl[K_CMD_WRITE]
    while r < w:
        rec = cmd[r % CMD_CAPACITY]
        op = int(rec[0])
        if op == CMD_PLAY:
            fb[F_PLAYING] = 1
        elif op == CMD_STOP:
            fb[F_PLAYING] = 0
            _record(fb, False)
        elif op == CMD_LOCATE:
            _start_generation(fb, max(0, int(rec[1])))
        elif op == CMD_LOOP:
            fb[F_LOOP_ON] = 1 if rec[1] != 0.0 else 0
            fb[F_LOOP_START] = int(rec[2])
            fb[F_LOOP_END] = int(rec[3])
            if fb[F_PLAYING] != 0 and ring_ctl[R_READY_GEN] == fb[F_GEN]:
                _splice(fb)
            else:
                # Nothing is rolling: refill the ring as the new looped timeline.
                _start_generation(fb, fb[F_POSITION])
        elif op == CMD_RECORD:
            _record(fb, rec[1] != 0.0)
        r += 1
    fb[F_CMD_READ] = r


@njit(nogil=True, cache=True, _nrt=False)
def flat_views(scratch, bus_acc, cue_acc, rings):
    """Each row of scratch, bus_acc, cue_acc and rings as one run of interleaved samples
    (frame i's left at 2i, right at 2i + 1), taken once a block: a flat loop over a row
    vectorises, and numba's reshape is a call into its runtime (about 20 ns) that a
    strip would otherwise make a dozen times."""
    return (
        scratch.reshape(scratch.shape[0], -1),
        bus_acc.reshape(bus_acc.shape[0], -1),
        cue_acc.reshape(cue_acc.shape[0], -1),
        rings.reshape(rings.shape[0], -1),
    )


@njit(nogil=True, cache=True)
def _ramp_mul(buf, n, g0, g1):
    if g0 == g1:
        if g1 != 1.0:
            for i in range(n):
                buf[i, 0] *= g1
                buf[i, 1] *= g1
        return
    step = (g1 - g0) / n
    for i in range(n):
        g = g0 + step * (i + 1)
        buf[i, 0] *= g
        buf[i, 1] *= g


@njit(nogil=True, cache=True)
def _ramp_add(src, dst, n, g0, g1):
    """dst += src x a gain ramp."""
    if g0 == g1:
        if g1 != 0.0:
            for i in range(n):
                dst[i, 0] += src[i, 0] * g1
                dst[i, 1] += src[i, 1] * g1
        return
    step = (g1 - g0) / n
    for i in range(n):
        g = g0 + step * (i + 1)
        dst[i, 0] += src[i, 0] * g
        dst[i, 1] += src[i, 1] * g


@njit(nogil=True, cache=True, _nrt=False)
def _acc_ramp(x, acc, row, n, g0, g1, shape):
    """acc[row] += x x a gain ramp from g0 to g1, all flat (interleaved samples: see
    `flat_views`), shaped by `shape` (scratch[SCR_RAMP]). Both channels of a frame
    take the same gain, so the loop runs over the interleaved samples: it vectorises
    without shuffling channels, about twice as fast as frame by frame."""
    a = acc[row]
    m = 2 * n
    if g0 == g1:
        if g1 != 0.0:
            for j in range(m):
                a[j] += x[j] * g1
        return
    d = g1 - g0
    for j in range(m):
        a[j] += x[j] * (g0 + d * shape[j])


@njit(nogil=True, cache=True, _nrt=False)
def _acc_ramp2(x, acc, row_a, a0, a1, row_b, b0, b1, n, shape):
    """`_acc_ramp` of x into two rows (ramps a0..a1 and b0..b1) in one pass: x and the
    ramp's shape are read once for both. Each row takes the very additions, in the same
    order, as two `_acc_ramp` calls (the same row twice included)."""
    a = acc[row_a]
    b = acc[row_b]
    m = 2 * n
    if a0 == a1 and b0 == b1:
        for j in range(m):
            v = x[j]
            a[j] += v * a1
            b[j] += v * b1
        return
    # A held gain ramps by 0: a0 + 0 x shape is a0 exactly, as `_acc_ramp` applies it.
    da = a1 - a0
    db = b1 - b0
    for j in range(m):
        v = x[j]
        t = shape[j]
        a[j] += v * (a0 + da * t)
        b[j] += v * (b0 + db * t)


@njit(nogil=True, cache=True, _nrt=False)
def _acc_pan(x, acc, row, n, l0, r0, l1, r1, level0, level1, shape):
    """acc[row] += x x per-side pan gains x level, each ramped from 0 to 1 values;
    flat over the interleaved samples as `_acc_ramp`, the side chosen per sample."""
    a = acc[row]
    gl0 = l0 * level0
    gr0 = r0 * level0
    dl = l1 * level1 - gl0
    dr = r1 * level1 - gr0
    m = 2 * n
    if dl == 0.0 and dr == 0.0:
        for j in range(m):
            a[j] += x[j] * (gl0 if (j & 1) == 0 else gr0)
        return
    for j in range(m):
        even = (j & 1) == 0
        a[j] += x[j] * ((gl0 if even else gr0) + (dl if even else dr) * shape[j])


@njit(nogil=True, cache=True, _nrt=False)
def _pan_fader(x, flat, bus, n, l0, r0, l1, r1, f0, f1, dest, shape):
    """One flat pass of a strip's pan and fader over x (a strip's samples, flat; `flat`
    is the flat scratch, `bus` the flat bus_acc, `shape` the ramp's): scratch's panned
    and post rows, and post added into bus[dest] (dest < 0: not here). Flat over the
    interleaved samples, the side chosen per sample, as `_acc_pan`: a frame-by-frame
    loop over two channels does not vectorise."""
    panned = flat[SCR_PANNED]
    post = flat[SCR_POST]
    dl = l1 - l0
    dr = r1 - r0
    df = f1 - f0
    to_bus = dest >= 0
    a = bus[max(dest, 0)]
    for j in range(2 * n):
        even = (j & 1) == 0
        v = x[j] * ((l0 if even else r0) + (dl if even else dr) * shape[j])
        panned[j] = v
        v *= f0 + df * shape[j]
        post[j] = v
        if to_bus:
            a[j] += v


@njit(nogil=True, cache=True)
def _click_block(fb, start, n, cr_p, sr, buf):
    """The metronome for the block's timeline frames (split where a loop wraps)."""
    i = 0
    while i < n:
        t, run = _run(fb, start + i, n - i)
        click_render(
            buf[i : i + run, 0],
            run,
            t,
            sr,
            cr_p[TARGET, A.CR_TEMPO],
            int(cr_p[TARGET, A.CR_METER_NUM]),
            int(cr_p[TARGET, A.CR_METER_DEN]),
            1.0,
        )
        i += run
    for i in range(n):
        buf[i, 1] = buf[i, 0]


@njit(nogil=True, cache=True)
def _bus_effect(row, kind, x, n, fs, tempo):
    """A bus's built-in return: 100% wet reverb or delay (the bus fader sets its level)."""
    if fs > A.MAX_FX_RATE:
        return
    data = row[A.FX_DATA :]
    if row[A.FX_KIND] != kind or row[A.FX_RATE] != fs:
        if kind == A.FX_REVERB:
            reverb_init(data, fs)
        else:
            delay_init(data)
        row[A.FX_KIND] = kind
        row[A.FX_RATE] = fs
    if kind == A.FX_REVERB:
        reverb_process(data, x, n, REVERB_ROOM, REVERB_DAMP, REVERB_WIDTH)
    else:
        beat_ms = 60000.0 / max(tempo, 20.0)
        delay_process(data, x, n, fs, DELAY_BEATS * beat_ms, DELAY_FEEDBACK, DELAY_DAMP)


@njit(nogil=True, cache=True, _nrt=False)
def _read_source(s, p, plan_strip, rings, ring_ctl, fb, inp, x, n, rolling, monitoring,
                 flats):
    """Fill x[:n] (scratch[SCR_PRE]) with strip s's source: device input when
    monitoring, else its ring; silence where there is none. Each frame is written once."""
    m = 0
    if monitoring:
        cl = plan_strip[p, s, S_IN_L]
        cr = plan_strip[p, s, S_IN_R]
        nin = inp.shape[1]
        if cr < 0:
            cr = cl
        if 0 <= cl < nin and cr < nin:
            for i in range(n):
                x[i, 0] = inp[i, cl]
                x[i, 1] = inp[i, cr]
            m = n
    else:
        ri = plan_strip[p, s, S_RING]
        if rolling and 0 <= ri < rings.shape[0]:
            size = rings.shape[1]
            start = fb[F_CONSUMED]
            avail = ring_ctl[R_WRITTEN] - start
            m = n if avail >= n else max(0, avail)
            # Two contiguous runs (before and after the ring's end) instead of a
            # masked index per frame, each a flat copy of interleaved samples (flat
            # loops vectorise; frame-by-frame ones over two channels do not).
            j0 = start & (size - 1)
            first = min(m, size - j0)
            ring = flats[3][ri]
            flat = flats[0][SCR_PRE]
            # Slices, so that every index in the loops is known to be >= 0: a possibly
            # negative one takes numba's wrap-around check, which stops vectorising.
            head = ring[2 * j0 : 2 * (j0 + first)]
            for j in range(2 * first):
                flat[j] = head[j]
            tail = flat[2 * first : 2 * m]
            for j in range(2 * (m - first)):
                tail[j] = ring[j]
    for i in range(m, n):
        x[i, 0] = 0.0
        x[i, 1] = 0.0


@njit(nogil=True, cache=True)
def _punch_monitor(s, p, plan_strip, inp, x, n, capture_pos, frame, punch_in, punch_out):
    """Recording with a punch range: the disk outside it, the input inside it, switched
    at the exact frame (x holds the disk already)."""
    cl = plan_strip[p, s, S_IN_L]
    cr = plan_strip[p, s, S_IN_R]
    if cr < 0:
        cr = cl
    nin = inp.shape[1]
    mask = capture_pos.shape[0] - 1
    for i in range(n):
        t = capture_pos[(frame + i) & mask]
        if punch_in <= t < punch_out:
            ok = 0 <= cl < nin and cr < nin
            x[i, 0] = inp[i, cl] if ok else 0.0
            x[i, 1] = inp[i, cr] if ok else 0.0


@njit(nogil=True, cache=True)
def _mark_timeline(capture_pos, fb, frame, start, n, rolling):
    """Note the timeline frame each captured frame of this block plays at (-1: none)."""
    mask = capture_pos.shape[0] - 1
    if not rolling:
        for i in range(n):
            capture_pos[(frame + i) & mask] = -1
        return
    i = 0
    while i < n:
        t, run = _run(fb, start + i, n - i)
        for j in range(run):
            capture_pos[(frame + i + j) & mask] = t + j
        i += run


@njit(nogil=True, cache=True)
def _capture(capture, inp, frame, n):
    """Keep the device inputs of this block in the capture ring."""
    mask = capture.shape[0] - 1
    channels = min(capture.shape[1], inp.shape[1])
    for i in range(n):
        row = capture[(frame + i) & mask]
        for ch in range(channels):
            row[ch] = inp[i, ch]


@njit(nogil=True, cache=True)
def _scrub(x, n):
    """Replace NaN and infinities with silence so nothing downstream is poisoned."""
    for i in range(n):
        for ch in range(2):
            v = x[i, ch]
            if not math.isfinite(v):
                x[i, ch] = 0.0


@njit(nogil=True, cache=True, _nrt=False)
def _scrub_gain(flat, n, g0, g1, shape):
    """_scrub, then x *= a gain ramp from g0 to g1 (the strip's trim and polarity), in
    one flat pass over the interleaved samples; the same samples as scrubbing and then
    ramping. flat: x's interleaved samples."""
    if g0 == g1:
        for j in range(2 * n):
            v = flat[j]
            flat[j] = (v if math.isfinite(v) else 0.0) * g1
        return
    d = g1 - g0
    for j in range(2 * n):
        v = flat[j]
        flat[j] = (v if math.isfinite(v) else 0.0) * (g0 + d * shape[j])


@njit(nogil=True, cache=True)
def _mark_solo_paths(p, ns, plan_order, plan_strip, strip_p):
    """Mark in strip_p[CUR, s, P_SOLO] every strip a solo keeps audible in place.

    A soloed strip keeps the buses it feeds audible, and a soloed bus keeps the strips
    that feed it audible. Returns whether anything is soloed.
    """
    any_solo = False
    for k in range(ns):
        s = plan_order[p, k]
        strip_p[CUR, s, P_SOLO] = 0.0
    for k in range(ns):
        s = plan_order[p, k]
        if strip_p[TARGET, s, P_SOLO] == 0.0 or plan_strip[p, s, S_KIND] == KIND_MASTER:
            continue
        any_solo = True
        d = s
        hops = 0
        while d >= 0 and hops <= ns:
            strip_p[CUR, d, P_SOLO] = 1.0
            d = plan_strip[p, d, S_OUTPUT]
            hops += 1
    if not any_solo:
        return False
    for k in range(ns):
        s = plan_order[p, k]
        d = plan_strip[p, s, S_OUTPUT]
        hops = 0
        while d >= 0 and hops <= ns:
            if strip_p[TARGET, d, P_SOLO] != 0.0 and plan_strip[p, d, S_KIND] != KIND_MASTER:
                strip_p[CUR, s, P_SOLO] = 1.0
                break
            d = plan_strip[p, d, S_OUTPUT]
            hops += 1
    return True


# The meter's sum of squares may be added up in any order (it is read, never heard), and
# reassociating lets the reduction run on vector registers. Its peak is taken from the
# samples' bits: with the sign bit cleared, non-negative floats order as their bits do,
# and an integer maximum vectorises where numba's float `max` does not (about four
# times faster). Nothing here is NaN: a strip's input is scrubbed.
@njit(nogil=True, cache=True, _nrt=False, fastmath={"reassoc", "nsz"})
def _meter(meters, s, v, m):
    """Strip (or cue) s's meter over m interleaved samples v: peak, sum of squares and
    count."""
    bits = v.view(np.int64)
    top = 0
    acc = 0.0
    for j in range(m):
        top = max(top, bits[j] & MAGNITUDE_BITS)
        acc += v[j] * v[j]
    meters[s, M_PEAK] = max(meters[s, M_PEAK], np.int64(top).view(np.float64))
    meters[s, M_SUMSQ] += acc
    meters[s, M_COUNT] += m


@njit(nogil=True, cache=True)
def _limit(buf, n, cuehead_p, c):
    """The cue's safety limiter: instant attack to the ceiling, smooth release."""
    g = cuehead_p[CUR, c, CH_LIMIT]
    for i in range(n):
        peak = max(abs(buf[i, 0]), abs(buf[i, 1]))
        g = 1.0 - (1.0 - g) * LIMIT_RELEASE
        if peak * g > LIMIT_CEILING:
            g = LIMIT_CEILING / peak
        buf[i, 0] *= g
        buf[i, 1] *= g
    cuehead_p[CUR, c, CH_LIMIT] = g


@njit(nogil=True, cache=True)
def _write_pair(out, first, buf, n):
    """Write a stereo buffer to the output pair starting at `first`, where it exists."""
    nout = out.shape[1]
    for ch in range(2):
        o = first + ch
        if 0 <= o < nout:
            for i in range(n):
                out[i, o] = np.float32(buf[i, ch])


FILTER_GLIDE_SECONDS = 0.01  # time constant of a filter's move to a new design
# Compressor state of the strip's control-rate compressor (dsp.strip.comp_stereo), and
# the gate's settings prepared from the parameters they were last prepared for.
DS_COMP_STEREO = A.DS_GAIN_REDUCTION + 1
DS_GATE_KEY = DS_COMP_STEREO + COMP_STEREO_STATE  # fs, threshold, range, attack, release
DS_GATE_SETTINGS = DS_GATE_KEY + 5
assert DS_GATE_SETTINGS + GATE_SETTINGS <= A.DSP_STATE_PER_STRIP


@njit(nogil=True, cache=True)
def _filter_ready(st, base, on, kind, freq, gain_db, q, fs, n, snap):
    """Bring one biquad of a strip (high-pass or EQ band) to its design for this block.

    Returns whether it has to run. A band switched off glides to a pass-through and is
    then skipped; a peak or shelf at 0 dB is a pass-through too, so default strips
    cost nothing and stay exact. Indexes st directly: this runs for every filter of
    every strip each block, and a slice costs more than the check itself.
    """
    active = on and (kind >= HIGHPASS or gain_db != 0.0)
    flag = 1.0 if active else 0.0
    last = base + A.FL_LAST
    target = base + A.FL_TARGET
    coefs = base + A.FL_COEFS
    if (
        snap
        or st[last] != flag
        or st[last + 1] != kind
        or st[last + 2] != freq
        or st[last + 3] != gain_db
        or st[last + 4] != q
    ):
        if active:
            design(st[target : target + 5], kind, fs, freq, gain_db, q)
        else:
            design_bypass(st[target : target + 5])
        st[last] = flag
        st[last + 1] = kind
        st[last + 2] = freq
        st[last + 3] = gain_db
        st[last + 4] = q
    arrived = True
    for j in range(5):
        if st[coefs + j] != st[target + j]:
            arrived = False
    if snap:
        for j in range(5):
            st[coefs + j] = st[target + j]
        arrived = True
    elif not arrived:
        glide = 1.0 - math.exp(-n / (FILTER_GLIDE_SECONDS * fs))
        arrived = coefs_approach(st[coefs : coefs + 5], st[target : target + 5], glide)
    if not active and arrived:
        for j in range(4):
            st[base + A.FL_STATE + j] = 0.0
        return False
    return True


@njit(nogil=True, cache=True)
def _filter(st, base, on, kind, freq, gain_db, q, fs, x, n, snap):
    """One biquad (stereo) over x[:n], gliding to its design (see _filter_ready)."""
    if _filter_ready(st, base, on, kind, freq, gain_db, q, fs, n, snap):
        biquads_stereo(x, n, st, 1, base, 0, 0, 0, 0, A.FL_COEFS, A.FL_STATE)


@njit(nogil=True, cache=True)
def _small_speaker(st, on, x, n, fs):
    """The control room's small-speaker check: mono, band-limited like a phone speaker."""
    if on:
        for i in range(n):
            mid = 0.5 * (x[i, 0] + x[i, 1])
            x[i, 0] = mid
            x[i, 1] = mid
    snap = st[0] == 0.0
    st[0] = 1.0
    q = 0.7071067811865476
    _filter(st, 1, on, HIGHPASS, A.SMALL_SPEAKER_LOW, 0.0, q, fs, x, n, snap)
    _filter(st, 1 + A.FILTER_FIELDS, on, LOWPASS, A.SMALL_SPEAKER_HIGH, 0.0, q, fs, x, n, snap)


@njit(nogil=True, cache=True)
def lane_value(points, first, count, t):
    """A lane's value at timeline frame t: held before the first and after the last
    point, a straight line between points unless the earlier one holds."""
    lo = first
    hi = first + count - 1
    if t <= points[lo, 0]:
        return points[lo, 1]
    if t >= points[hi, 0]:
        return points[hi, 1]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if points[mid, 0] <= t:
            lo = mid
        else:
            hi = mid
    if points[lo, 2] != 0.0 or points[hi, 0] == points[lo, 0]:
        return points[lo, 1]
    x = (t - points[lo, 0]) / (points[hi, 0] - points[lo, 0])
    return points[lo, 1] + x * (points[hi, 1] - points[lo, 1])


@njit(nogil=True, cache=True)
def _to_store(v, conv):
    """A lane value (dB, 0/1, raw) as the number the parameter store holds (levels as
    db_to_gain does, through exp: half the cost of pow, for hundreds of lanes a block)."""
    if conv == A.CONVERT_GAIN:
        if not v > -120.0:
            return 0.0
        return math.exp(min(v, 48.0) * LN10_OVER_20)
    if conv == A.CONVERT_FLAG:
        return 1.0 if v >= 0.5 else 0.0
    if conv == A.CONVERT_POLARITY:
        return -1.0 if v >= 0.5 else 1.0
    return v


@njit(nogil=True, cache=True)
def _to_lane(v, conv):
    """A stored number back in the lane's unit (the inverse of `_to_store`)."""
    if conv == A.CONVERT_GAIN:
        return 20.0 * math.log10(v) if v > 1e-6 else -120.0
    if conv == A.CONVERT_POLARITY:
        return 1.0 if v < 0.0 else 0.0
    return v


@njit(nogil=True, cache=True)
def _emit(auto, key, frame, value, flags):
    """One record into the automation capture ring (dropped, and counted, when full)."""
    w = int(auto[0, A.AH_WRITE])
    if w - int(auto[0, A.AH_READ]) >= A.AUTO_RING:
        auto[0, A.AH_LOST] += 1.0
        return
    rec = auto[auto.shape[0] - A.AUTO_RING + (w & (A.AUTO_RING - 1))]
    rec[A.AR_KEY] = key
    rec[A.AR_FRAME] = frame
    rec[A.AR_VALUE] = value
    rec[A.AR_FLAGS] = flags
    auto[0, A.AH_WRITE] = w + 1


@njit(nogil=True, cache=True)
def _close_segment(auto, key, st):
    _emit(auto, key, st[A.AF_PREV_AT], st[A.AF_REC_VALUE], A.REC_END)
    st[A.AF_WRITING] = 0.0


@njit(nogil=True, cache=True)
def _record_value(auto, key, st, t, n, out, reached, conv):
    """Note this block's value of a parameter being written: a segment starts with the
    value reached before the block; then a record wherever the value changed, plus the
    last unchanged one before it, so straight lines between records retrace the ride."""
    if st[A.AF_WRITING] == 0.0 or t - st[A.AF_PREV_AT] != n:
        if st[A.AF_WRITING] != 0.0:
            _close_segment(auto, key, st)  # a locate or a loop wrap: a new segment
        cur = _to_lane(reached, conv)
        _emit(auto, key, t - n, cur, A.REC_START)
        st[A.AF_WRITING] = 1.0
        st[A.AF_REC_AT] = t - n
        st[A.AF_REC_VALUE] = cur
        st[A.AF_PREV_AT] = t - n
    if out != st[A.AF_REC_VALUE]:
        if st[A.AF_PREV_AT] > st[A.AF_REC_AT]:
            _emit(auto, key, st[A.AF_PREV_AT], st[A.AF_REC_VALUE], 0.0)
        _emit(auto, key, t, out, 0.0)
        st[A.AF_REC_AT] = t
        st[A.AF_REC_VALUE] = out


@njit(nogil=True, cache=True)
def _find_segment(points, lanes, segs, i, t):
    """Fill segs[i] with the straight piece of lane i around t: (from, to, value at
    from, slope). A lane playing forward stays in one piece for many blocks, so the
    kernel reads it from that one contiguous row (see `_automate`) and comes here only
    when t has left it. The points are searched first where the last search stopped
    (segs[i, SEG_HINT]: t is in that segment or the next), then by bisection."""
    first = lanes[i, A.L_FIRST]
    last = first + lanes[i, A.L_COUNT] - 1
    segs[i, A.SEG_SLOPE] = 0.0
    segs[i, A.SEG_NEXT] = math.nan
    if t < points[first, 0]:
        # From t, not from -inf: the value is worked out as from + (t - from) x slope.
        segs[i, A.SEG_FROM] = t
        segs[i, A.SEG_TO] = points[first, 0]
        segs[i, A.SEG_VALUE] = points[first, 1]
        return
    if t >= points[last, 0]:
        segs[i, A.SEG_FROM] = points[last, 0]
        segs[i, A.SEG_TO] = math.inf
        segs[i, A.SEG_VALUE] = points[last, 1]
        return
    lo = int(segs[i, A.SEG_HINT])
    if not (first <= lo < last and points[lo, 0] <= t < points[lo + 1, 0]):
        lo += 1
        if not (first <= lo < last and points[lo, 0] <= t < points[lo + 1, 0]):
            lo = first
            hi = last
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if points[mid, 0] <= t:
                    lo = mid
                else:
                    hi = mid
    segs[i, A.SEG_HINT] = lo
    segs[i, A.SEG_NEXT] = math.nan
    hi = lo + 1
    segs[i, A.SEG_FROM] = points[lo, 0]
    segs[i, A.SEG_TO] = points[hi, 0]
    segs[i, A.SEG_VALUE] = points[lo, 1]
    if points[lo, 2] == 0.0:
        segs[i, A.SEG_SLOPE] = (points[hi, 1] - points[lo, 1]) / (points[hi, 0] - points[lo, 0])


@njit(nogil=True, cache=True, _nrt=False)
def _automate(lanes, points, segs, count, t, n, strip_p, cue_p, auto, glide_frames):
    """Set the targets of automated parameters for the block ending on timeline frame t
    (t < 0: not rolling) according to each strip's mode, and record what is written.

    Read plays the lane. Touch plays the control while it is held (from where it
    stood until it moves), then glides back to the lane. Latch plays the control from
    its first touch until stop; Write from play to stop. Trim plays the lane moved by
    how far the control went (in the lane's unit) since the touch began, and glides
    the offset back to nothing on release."""
    strips = strip_p.shape[1]
    for i in range(count):
        conv = lanes[i, A.L_CONVERT]
        mode = lanes[i, A.L_MODE]
        s = lanes[i, A.L_STRIP]
        off = lanes[i, A.L_OFFSET]
        c = lanes[i, A.L_CUE]
        on_cue = lanes[i, A.L_ON_CUE] != 0
        has_lane = lanes[i, A.L_COUNT] > 0
        lane_v = 0.0
        if has_lane and t >= 0:
            # `lane_value`, from the lane's piece in segs. Written out here: as a call,
            # or with a view of a row, it costs several times the read itself.
            ft = float(t)
            if not (segs[i, A.SEG_FROM] <= ft < segs[i, A.SEG_TO]):
                _find_segment(points, lanes, segs, i, ft)
            lane_v = segs[i, A.SEG_VALUE] + (ft - segs[i, A.SEG_FROM]) * segs[i, A.SEG_SLOPE]
        if mode == A.MODE_READ and t >= 0:
            # Reading touches nothing but the lane and the target: the common case, and
            # the cheap one (a row of `auto` per parameter would cost a cache miss each).
            if has_lane:
                if conv == A.CONVERT_GAIN and -120.0 < lane_v <= 48.0:
                    # `_to_store` without its exp: the gain a block on along the same
                    # piece is the last one times the piece's ratio (the same to 1e-12).
                    # A block of another length, or a jump, lands elsewhere: exp.
                    if ft == segs[i, A.SEG_NEXT]:
                        v = segs[i, A.SEG_GAIN] * segs[i, A.SEG_RATIO]
                    else:
                        v = math.exp(lane_v * LN10_OVER_20)
                        segs[i, A.SEG_RATIO] = math.exp(segs[i, A.SEG_SLOPE] * n * LN10_OVER_20)
                    segs[i, A.SEG_NEXT] = ft + n
                    segs[i, A.SEG_GAIN] = v
                else:
                    v = _to_store(lane_v, conv)
                if on_cue:
                    cue_p[TARGET, c, s, off] = v
                else:
                    strip_p[TARGET, s, off] = v
            continue
        if on_cue:
            key = strips * A.PARAMS_PER_STRIP + (c * strips + s) * A.CUE_PARAMS + off
        else:
            key = s * A.PARAMS_PER_STRIP + off
        st = auto[1 + key]
        if t < 0:
            if st[A.AF_WRITING] != 0.0:
                _close_segment(auto, key, st)
            st[A.AF_LATCHED] = 0.0
            st[A.AF_GLIDE] = 0.0
            st[A.AF_WAS_TOUCHED] = 0.0
            st[A.AF_PREV_AT] = -1.0
            continue
        touched = st[A.AF_TOUCH] != 0.0
        out = lane_v
        drive = has_lane
        writing = False
        if mode != A.MODE_READ:
            # The value the kernel reached before this block (converted where needed).
            reached = cue_p[CUR, c, s, off] if on_cue else strip_p[CUR, s, off]
            ui = st[A.AF_UI]
            moved = ui == ui  # NaN until the control moves after a touch
            if moved and ui != st[A.AF_UI_SEEN]:
                st[A.AF_UI_SEEN] = ui
                st[A.AF_UI_LANE] = _to_lane(ui, conv)
            ui_v = st[A.AF_UI_LANE]
            if touched and st[A.AF_WAS_TOUCHED] == 0.0:
                st[A.AF_HELD] = _to_lane(reached, conv)
            if mode == A.MODE_TOUCH or (mode == A.MODE_TRIM and has_lane):
                if touched:
                    if mode == A.MODE_TOUCH:
                        out = ui_v if moved else st[A.AF_HELD]
                        st[A.AF_FROM] = out
                    else:
                        offset = ui_v - _to_lane(st[A.AF_REF], conv) if moved else 0.0
                        out = lane_v + offset
                        st[A.AF_FROM] = offset
                    st[A.AF_GLIDE] = glide_frames
                    drive = writing = True
                elif st[A.AF_GLIDE] > 0.0:
                    left = max(st[A.AF_GLIDE] - n, 0.0)
                    k = left / glide_frames
                    start = st[A.AF_FROM]
                    if mode == A.MODE_TRIM:
                        out = lane_v + start * k
                    else:
                        out = lane_v + (start - lane_v) * k if has_lane else start
                    st[A.AF_GLIDE] = left
                    drive = writing = True
            elif mode == A.MODE_LATCH:
                if touched:
                    st[A.AF_LATCHED] = 1.0
                if st[A.AF_LATCHED] != 0.0:
                    out = ui_v if moved else st[A.AF_HELD]
                    drive = writing = True
            elif mode == A.MODE_WRITE:
                if touched or moved:
                    out = ui_v if moved else st[A.AF_HELD]
                else:
                    out = _to_lane(reached, conv)
                drive = writing = True
            if writing:
                _record_value(auto, key, st, float(t), n, out, reached, conv)
        if drive:
            v = _to_store(out, conv)
            if on_cue:
                cue_p[TARGET, c, s, off] = v
            else:
                strip_p[TARGET, s, off] = v
            st[A.AF_OUT] = out
        if not writing and st[A.AF_WRITING] != 0.0:
            _close_segment(auto, key, st)
        st[A.AF_PREV_AT] = t
        st[A.AF_WAS_TOUCHED] = 1.0 if touched else 0.0


@njit(nogil=True, cache=True)
def _gate_settings(st, tgt, fs):
    """Prepare the gate's settings in st when a gate parameter has changed since."""
    k = DS_GATE_KEY
    if (
        st[k] != fs
        or st[k + 1] != tgt[A.P_GATE_THRESHOLD_DB]
        or st[k + 2] != tgt[A.P_GATE_RANGE_DB]
        or st[k + 3] != tgt[A.P_GATE_ATTACK_MS]
        or st[k + 4] != tgt[A.P_GATE_RELEASE_MS]
    ):
        gate_settings(
            st[DS_GATE_SETTINGS : DS_GATE_SETTINGS + GATE_SETTINGS],
            fs,
            tgt[A.P_GATE_THRESHOLD_DB],
            tgt[A.P_GATE_RANGE_DB],
            tgt[A.P_GATE_ATTACK_MS],
            tgt[A.P_GATE_RELEASE_MS],
            GATE_HOLD_MS,
            GATE_HYSTERESIS_DB,
        )
        st[k] = fs
        st[k + 1] = tgt[A.P_GATE_THRESHOLD_DB]
        st[k + 2] = tgt[A.P_GATE_RANGE_DB]
        st[k + 3] = tgt[A.P_GATE_ATTACK_MS]
        st[k + 4] = tgt[A.P_GATE_RELEASE_MS]


@njit(nogil=True, cache=True)
def _strip_filters(st, tgt, fs, n):
    """Bring a strip's high-pass and EQ bands to this block's design: (how many run,
    then the offsets in st of those that do, in order). Bands switched off cost only
    the check that they are off."""
    snap = st[A.DS_READY] == 0.0
    st[A.DS_READY] = 1.0
    count = 0
    r0 = r1 = r2 = r3 = r4 = 0
    if _filter_ready(
        st,
        A.DS_FILTERS,
        tgt[A.P_HPF_ON] != 0.0,
        HIGHPASS,
        tgt[A.P_HPF_FREQ],
        0.0,
        0.7071067811865476,
        fs,
        n,
        snap,
    ):
        r0 = A.DS_FILTERS
        count = 1
    eq_on = tgt[A.P_EQ_ON] != 0.0
    for b in range(A.EQ_BANDS):
        band = A.P_EQ + b * A.EQ_FIELDS
        kind = int(tgt[band + A.EQ_KIND])
        if kind < 0 or kind > 2:
            kind = PEAK
        base = A.DS_FILTERS + (b + 1) * A.FILTER_FIELDS
        if _filter_ready(
            st,
            base,
            eq_on and tgt[band + A.EQ_ENABLED] != 0.0,
            kind,
            tgt[band + A.EQ_FREQ],
            tgt[band + A.EQ_GAIN_DB],
            tgt[band + A.EQ_Q],
            fs,
            n,
            snap,
        ):
            if count == 0:
                r0 = base
            elif count == 1:
                r1 = base
            elif count == 2:
                r2 = base
            elif count == 3:
                r3 = base
            else:
                r4 = base
            count += 1
    return count, r0, r1, r2, r3, r4


@njit(nogil=True, cache=True)
def _strip_dynamics(st, tgt, cur, x, n, fs):
    """Gate, compressor and drive of one strip, in that order (after its filters)."""
    reduction = 0.0
    gate_on = tgt[A.P_GATE_ON] != 0.0
    comp_on = tgt[A.P_COMP_ON] != 0.0
    if gate_on:
        _gate_settings(st, tgt, fs)
    if gate_on and comp_on:
        gate_comp_stereo(
            st,
            A.DS_GATE,
            DS_GATE_SETTINGS,
            DS_COMP_STEREO,
            x,
            n,
            fs,
            tgt[A.P_COMP_THRESHOLD_DB],
            tgt[A.P_COMP_RATIO],
            tgt[A.P_COMP_KNEE_DB],
            tgt[A.P_COMP_ATTACK_MS],
            tgt[A.P_COMP_RELEASE_MS],
            tgt[A.P_COMP_MAKEUP_DB],
        )
    elif gate_on:
        gate_stereo(st, A.DS_GATE, x, n, DS_GATE_SETTINGS)
    elif comp_on:
        comp_stereo(
            st,
            DS_COMP_STEREO,
            x,
            n,
            fs,
            tgt[A.P_COMP_THRESHOLD_DB],
            tgt[A.P_COMP_RATIO],
            tgt[A.P_COMP_KNEE_DB],
            tgt[A.P_COMP_ATTACK_MS],
            tgt[A.P_COMP_RELEASE_MS],
            tgt[A.P_COMP_MAKEUP_DB],
        )
    if gate_on:
        reduction += st[A.DS_GATE + 3]
    elif st[A.DS_GATE] != 0.0 or st[A.DS_GATE + 1] != 0.0 or st[A.DS_GATE + 2] != 0.0:
        gate_reset(st[A.DS_GATE : A.DS_GATE + 4])
    if comp_on:
        reduction += st[DS_COMP_STEREO + 2]
    elif st[DS_COMP_STEREO + 3] != 0.0:
        comp_stereo_reset(st[DS_COMP_STEREO : DS_COMP_STEREO + COMP_STEREO_STATE])
    st[A.DS_GAIN_REDUCTION] = reduction
    if tgt[A.P_DRIVE_ON] != 0.0:
        drive_from = tgt[A.P_DRIVE_DB] if cur[A.P_DRIVE_ON] == 0.0 else cur[A.P_DRIVE_DB]
        drive_stereo(x, n, drive_from, tgt[A.P_DRIVE_DB])
    cur[A.P_DRIVE_ON] = tgt[A.P_DRIVE_ON]
    cur[A.P_DRIVE_DB] = tgt[A.P_DRIVE_DB]


@njit(nogil=True, cache=True)
def _strip_dsp(st, tgt, cur, x, n, fs):
    """High-pass, 4-band EQ, gate, compressor and drive of one strip, in that order;
    the filters in use run as one stereo cascade."""
    count, r0, r1, r2, r3, r4 = _strip_filters(st, tgt, fs, n)
    biquads_stereo(x, n, st, count, r0, r1, r2, r3, r4, A.FL_COEFS, A.FL_STATE)
    _strip_dynamics(st, tgt, cur, x, n, fs)


@njit(nogil=True, cache=True, _nrt=False)
def _strip_input(s, p, rolling, playing, recording, strip_p, plan_strip, fb, rings, ring_ctl,
                 bus_acc, scratch, fx_state, tempo, inp, n, fs, capture_pos, frame,
                 punch_in, punch_out, flats):
    """A strip's input for this block into scratch[SCR_PRE], scrubbed of NaN and
    infinities, through its trim and polarity: a track's disk or device input, or what
    a bus's sources sent it (through its effect)."""
    x = scratch[SCR_PRE]
    kind = plan_strip[p, s, S_KIND]
    if kind == KIND_AUDIO:
        mon = plan_strip[p, s, S_MONITOR]
        armed = plan_strip[p, s, S_ARMED] != 0
        auto_input = mon == MON_AUTO and (not playing or (recording and punch_out <= punch_in))
        monitoring = armed and (mon == MON_INPUT or auto_input)
        _read_source(s, p, plan_strip, rings, ring_ctl, fb, inp, x, n, rolling, monitoring,
                     flats)
        if armed and mon == MON_AUTO and punch_out > punch_in:
            _punch_monitor(s, p, plan_strip, inp, x, n, capture_pos, frame, punch_in, punch_out)
    else:
        for i in range(n):
            x[i, 0] = bus_acc[s, i, 0]
            x[i, 1] = bus_acc[s, i, 1]
        slot = plan_strip[p, s, A.S_FX]
        if 0 <= slot < fx_state.shape[0] and plan_strip[p, s, A.S_FX_KIND] != A.FX_NONE:
            _bus_effect(fx_state[slot], plan_strip[p, s, A.S_FX_KIND], x, n, fs, tempo)

    tgt = strip_p[TARGET, s]
    cur = strip_p[CUR, s]
    g1 = tgt[P_TRIM] * tgt[P_POLARITY]
    g0 = cur[P_TRIM] * cur[P_POLARITY]
    _scrub_gain(flats[0][SCR_PRE], n, g0, g1, flats[0][SCR_RAMP])
    cur[P_TRIM] = tgt[P_TRIM]
    cur[P_POLARITY] = tgt[P_POLARITY]


@njit(nogil=True, cache=True, _nrt=False)
def _batch_filters(first, run, p, plan_order, rolling, playing, recording, strip_p,
                   plan_strip, fb, rings, ring_ctl, bus_acc, scratch, dsp_state, fx_state,
                   tempo, inp, n, fs, capture_pos, frame, punch_in, punch_out, batch,
                   flats):
    """The inputs and filters of `run` tracks (plan_order[p, first:first + run]) with
    one `biquads_batch`: each track's filtered input is left in its two columns of
    batch (see arena.BATCH_X), for `_batch_dynamics`. Exactly the samples of running each
    strip's filters on its own, at under half the cost."""
    w = BATCH_WIDTH
    most = 0
    for j in range(BATCH):
        col = 2 * j
        count = 0
        r = (0, 0, 0, 0, 0)
        s = 0
        if j < run:
            s = plan_order[p, first + j]
            _strip_input(s, p, rolling, playing, recording, strip_p, plan_strip, fb, rings,
                         ring_ctl, bus_acc, scratch, fx_state, tempo, inp, n, fs,
                         capture_pos, frame, punch_in, punch_out, flats)
            count, r0, r1, r2, r3, r4 = _strip_filters(dsp_state[s], strip_p[TARGET, s], fs, n)
            r = (r0, r1, r2, r3, r4)
            x = scratch[SCR_PRE]
            for i in range(n):
                batch[BATCH_X + i * w + col] = x[i, 0]
                batch[BATCH_X + i * w + col + 1] = x[i, 1]
        plan = BATCH_PLAN + j * BATCH_PLAN_FIELDS
        batch[plan] = count
        most = max(most, count)
        for k in range(SECTIONS):
            c = BATCH_COEFS + k * 5 * w + col
            z = BATCH_STATES + k * 2 * w + col
            if k < count:
                batch[plan + 1 + k] = r[k]
                st = dsp_state[s]
                for q in range(5):
                    batch[c + q * w] = batch[c + q * w + 1] = st[r[k] + A.FL_COEFS + q]
                batch[z] = st[r[k] + A.FL_STATE]
                batch[z + w] = st[r[k] + A.FL_STATE + 1]
                batch[z + 1] = st[r[k] + A.FL_STATE + 2]
                batch[z + w + 1] = st[r[k] + A.FL_STATE + 3]
            else:
                # A pass-through, exact: y = 1 x + 0, and its state stays 0.
                batch[c] = batch[c + 1] = 1.0
                for q in range(1, 5):
                    batch[c + q * w] = batch[c + q * w + 1] = 0.0
                batch[z] = batch[z + 1] = batch[z + w] = batch[z + w + 1] = 0.0
    if most == 0:
        return
    biquads_batch(batch[BATCH_X : BATCH_X + n * w], n, batch[BATCH_COEFS:BATCH_STATES],
                  batch[BATCH_STATES:BATCH_PLAN], most)
    for j in range(run):
        s = plan_order[p, first + j]
        st = dsp_state[s]
        plan = BATCH_PLAN + j * BATCH_PLAN_FIELDS
        col = 2 * j
        for k in range(int(batch[plan])):
            r = int(batch[plan + 1 + k])
            z = BATCH_STATES + k * 2 * w + col
            st[r + A.FL_STATE] = batch[z]
            st[r + A.FL_STATE + 1] = batch[z + w]
            st[r + A.FL_STATE + 2] = batch[z + 1]
            st[r + A.FL_STATE + 3] = batch[z + w + 1]


@njit(nogil=True, cache=True, _nrt=False)
def _batch_dynamics(j, s, batch, strip_p, dsp_state, x, n, fs):
    """Track j (strip s) of the last `_batch_filters` through its dynamics, into x."""
    w = BATCH_WIDTH
    for i in range(n):
        x[i, 0] = batch[BATCH_X + i * w + 2 * j]
        x[i, 1] = batch[BATCH_X + i * w + 2 * j + 1]
    _strip_dynamics(dsp_state[s], strip_p[TARGET, s], strip_p[CUR, s], x, n, fs)


@njit(nogil=True, cache=True, _nrt=False)
def _audio_run(p, k, ns, plan_order, plan_strip):
    """How many audio tracks, up to BATCH, stand in a row at plan_order[p, k:]."""
    run = 0
    while k + run < ns and run < BATCH:
        if plan_strip[p, plan_order[p, k + run], S_KIND] != KIND_AUDIO:
            break
        run += 1
    return run


@njit(nogil=True, cache=True, _nrt=False)
def _pipe_rows(pipe, k, run):
    """How many of the `run` audio tracks from plan position k a render's pipe holds
    (see `render_front`)."""
    if pipe is None:
        return 0
    return max(0, min(run, pipe.shape[0] - k))


@njit(nogil=True, cache=True, _nrt=False)
def _strip_front(s, p, rolling, playing, recording, strip_p, plan_strip, fb, rings, ring_ctl,
                 bus_acc, scratch, dsp_state, fx_state, tempo, inp, n, fs, capture_pos, frame,
                 punch_in, punch_out, flats):
    """Strip s from its source through its dynamics, into scratch[SCR_PRE] (a strip
    whose filters `_batch_filters` ran goes through `_batch_dynamics` instead)."""
    _strip_input(s, p, rolling, playing, recording, strip_p, plan_strip, fb, rings, ring_ctl,
                 bus_acc, scratch, fx_state, tempo, inp, n, fs, capture_pos, frame, punch_in,
                 punch_out, flats)
    _strip_dsp(dsp_state[s], strip_p[TARGET, s], strip_p[CUR, s], scratch[SCR_PRE], n, fs)


# Without numba's runtime: a strip only takes views of the arena (it never allocates),
# and the runtime's atomic reference counts on those views, kept on every branch, cost
# about a tenth of the whole strip.
@njit(nogil=True, cache=True, _nrt=False)
def _process_strip(
    s,
    p,
    solo_mode,
    any_solo,
    strip_p,
    cue_p,
    plan_strip,
    plan_send,
    ncues,
    meters,
    scratch,
    n,
    metered,
    flats,
    src,
):
    """One strip for this block from `src`, its samples through its dynamics (flat):
    cue taps, pan, fader, meter and sends. `metered`: its meter is kept (see
    arena.K_UNMETERED)."""
    flat = flats[0]
    shape = flat[SCR_RAMP]
    kind = plan_strip[p, s, S_KIND]
    tgt = strip_p[TARGET, s]
    cur = strip_p[CUR, s]

    # Pre-fader cue taps take the strip before its own pan, with the cue's pan.
    # Post-fader taps (cues, sends) follow fader and mute but not solo: soloing a
    # track never changes a cue mix, and soloing an effect return keeps it fed.
    fader_on0 = cur[P_POST_CUE]
    fader_on1 = tgt[P_FADER] * (1.0 - tgt[P_MUTE])
    for c in range(ncues):
        ct = cue_p[TARGET, c, s]
        cc = cue_p[CUR, c, s]
        if ct[C_PAN] == cc[C_PAN]:
            # The kernel keeps C_PAN_L and C_PAN_R as pan_gains(C_PAN): no sin and cos
            # per cue and strip while the cue's pan is held.
            l1, r1 = cc[C_PAN_L], cc[C_PAN_R]
        else:
            l1, r1 = pan_gains(ct[C_PAN])
        lv0 = cc[C_LEVEL] if ct[C_PRE] != 0.0 else cc[C_LEVEL] * fader_on0
        lv1 = ct[C_LEVEL] if ct[C_PRE] != 0.0 else ct[C_LEVEL] * fader_on1
        if lv0 != 0.0 or lv1 != 0.0:
            _acc_pan(src, flats[2], c, n, cc[C_PAN_L], cc[C_PAN_R], l1, r1, lv0, lv1,
                     shape)
        cc[C_LEVEL] = ct[C_LEVEL]
        cc[C_PAN] = ct[C_PAN]
        cc[C_PAN_L] = l1
        cc[C_PAN_R] = r1
    cur[P_POST_CUE] = fader_on1

    # Tracks pan with the constant-power law; buses and the master carry a stereo
    # image already, so their pan is a balance (unity at centre).
    # P_PAN_L and P_PAN_R are kept as the gains of P_PAN (the compiler starts a fresh
    # strip so): no sin and cos while the pan is held.
    if tgt[P_PAN] == cur[P_PAN]:
        l1, r1 = cur[P_PAN_L], cur[P_PAN_R]
    elif kind == KIND_AUDIO:
        l1, r1 = pan_gains(tgt[P_PAN])
    else:
        l1, r1 = balance_gains(tgt[P_PAN])
    is_master = kind == KIND_MASTER
    audible = 1.0 - tgt[P_MUTE]
    if solo_mode == SOLO_IN_PLACE and any_solo and not is_master:
        if cur[P_SOLO] == 0.0 and tgt[P_SOLO_ISOLATE] == 0.0:
            audible = 0.0
    soloed = tgt[P_SOLO] != 0.0 and not is_master
    dest = plan_strip[p, s, S_OUTPUT]
    # A strip that also sends to the bus it feeds adds its sends there first.
    late = is_master or dest < 0
    for k in range(MAX_SENDS):
        if plan_send[p, s, k, SEND_BUS] == dest:
            late = True
    if late:
        dest = -1
    _pan_fader(src, flat, flats[1], n, cur[P_PAN_L], cur[P_PAN_R], l1, r1,
               cur[P_FADER] * cur[P_AUDIBLE], tgt[P_FADER] * audible, dest, shape)
    if metered:
        _meter(meters, s, flat[SCR_POST], 2 * n)
    cur[P_PAN_L] = l1
    cur[P_PAN_R] = r1
    cur[P_PAN] = tgt[P_PAN]
    cur[P_FADER] = tgt[P_FADER]
    cur[P_AUDIBLE] = audible
    cur[P_MUTE] = tgt[P_MUTE]

    if soloed and solo_mode == SOLO_PFL:
        _acc_ramp(flat[SCR_PANNED], flat, SCR_SOLO, n, 1.0, 1.0, shape)
    # The sends, pre-fader ones first, each pair in one pass over the panned samples
    # (`_acc_ramp2`); a send that adds nothing is left out, as `_acc_ramp` would.
    held = -1
    held0 = held1 = 0.0
    for j in range(2 * MAX_SENDS):
        pre = j < MAX_SENDS
        k = j if pre else j - MAX_SENDS
        bus = plan_send[p, s, k, SEND_BUS]
        if bus < 0 or (plan_send[p, s, k, SEND_PRE] != 0) != pre:
            continue
        g0 = cur[P_SENDS + k] if pre else cur[P_SENDS + k] * fader_on0
        g1 = tgt[P_SENDS + k] if pre else tgt[P_SENDS + k] * fader_on1
        if g0 == 0.0 and g1 == 0.0:
            continue
        if held < 0:
            held, held0, held1 = bus, g0, g1
        else:
            _acc_ramp2(flat[SCR_PANNED], flats[1], held, held0, held1, bus, g0, g1, n, shape)
            held = -1
    if held >= 0:
        _acc_ramp(flat[SCR_PANNED], flats[1], held, n, held0, held1, shape)
    for k in range(MAX_SENDS):
        cur[P_SENDS + k] = tgt[P_SENDS + k]

    post = scratch[SCR_POST]
    if soloed and solo_mode == SOLO_AFL:
        _acc_ramp(flat[SCR_POST], flat, SCR_SOLO, n, 1.0, 1.0, shape)
    if is_master:
        main = scratch[SCR_MAIN]
        for i in range(n):
            main[i, 0] = post[i, 0]
            main[i, 1] = post[i, 1]
    elif late and plan_strip[p, s, S_OUTPUT] >= 0:
        _acc_ramp(flat[SCR_POST], flats[1], plan_strip[p, s, S_OUTPUT], n, 1.0, 1.0, shape)


# Without numba's runtime, as `_process_strip`: every view the block passes down (the
# flat views among them) would otherwise take atomic reference counts at each call.
@njit(nogil=True, cache=True, _nrt=False)
def process_block(
    dims,
    strip_p,
    cue_p,
    cuehead_p,
    cr_p,
    plan_head,
    plan_strip,
    plan_send,
    plan_cue,
    plan_order,
    ctl,
    cmd,
    fb,
    meters,
    rings,
    ring_ctl,
    dsp_state,
    bus_acc,
    cue_acc,
    scratch,
    capture,
    loud_state,
    loud_hist,
    tp_state,
    fx_state,
    room_state,
    plan_lanes,
    plan_points,
    capture_pos,
    auto,
    lane_seg,
    batch,
    inp,
    out,
    flags,
    device_time_us,
    pipe=None,
    pipe_at=0,
):
    """Run one block: inp (n, device inputs) float32 -> out (n, device outputs) float32.

    n (the rows of out) must not exceed the arena's MAX_BLOCK; with n == 0 it only takes
    the pending commands. `flags` is the device's status word (non-zero: an under- or
    overflow happened), `device_time_us` the device clock at the block (0 when there is
    none), used to count late cycles. `pipe` (a render's, see `render_front`): the
    samples, source through dynamics, of the audio tracks at the first pipe.shape[0]
    plan positions, this block's from frame pipe_at on; the block takes those tracks
    from there instead of running them.
    """
    n = out.shape[0]
    for i in range(n):
        for ch in range(out.shape[1]):
            out[i, ch] = 0.0
    _apply_commands(ctl, cmd, fb, ring_ctl)
    if n == 0:
        return
    _capture(capture, inp, fb[F_FRAMES], n)
    if ctl[K_METER_RESET] != fb[F_METER_ACK]:
        meters[:, :] = 0.0
        fb[F_METER_ACK] = ctl[K_METER_RESET]

    sr = cr_p[TARGET, CR_SAMPLE_RATE]
    if flags != 0:
        fb[F_XRUNS] += 1
        fb[F_LAST_FLAGS] = flags
        fb[A.F_XRUN_FRAME] = fb[F_FRAMES]
    if device_time_us > 0:
        last = fb[F_DEVICE_TIME]
        if last > 0 and device_time_us - last > 1.5e6 * n / sr:
            fb[F_LATE] += 1
        fb[F_DEVICE_TIME] = device_time_us

    p = ctl[K_PLAN_INDEX]
    fb[F_PLAN_ACK] = p
    ns = plan_head[p, H_STRIPS]
    ncues = min(plan_head[p, H_CUES], cue_acc.shape[0])
    playing = fb[F_PLAYING] != 0
    recording = fb[F_RECORDING] != 0
    ready = ring_ctl[R_READY_GEN] == fb[F_GEN]
    rolling = playing and ready
    fb[F_WAITING] = 1 if playing and not ready else 0
    _mark_timeline(capture_pos, fb, fb[F_FRAMES], fb[F_CONSUMED], n, rolling)
    punch_in = ctl[A.K_PUNCH_IN]
    punch_out = ctl[A.K_PUNCH_OUT] if recording and rolling else punch_in

    # Only buses and the master sum what strips send them; clearing a track's row too
    # would write 2 kB a track and block for nothing.
    for k in range(ns):
        s = plan_order[p, k]
        if plan_strip[p, s, S_KIND] != KIND_AUDIO:
            for i in range(n):
                bus_acc[s, i, 0] = 0.0
                bus_acc[s, i, 1] = 0.0
    for c in range(ncues):
        for i in range(n):
            cue_acc[c, i, 0] = 0.0
            cue_acc[c, i, 1] = 0.0
    flats = flat_views(scratch, bus_acc, cue_acc, rings)
    solo_buf = scratch[SCR_SOLO]
    main = scratch[SCR_MAIN]
    ramp = scratch[SCR_RAMP]
    for i in range(n):
        ramp[i, 0] = ramp[i, 1] = (i + 1) / n
        solo_buf[i, 0] = 0.0
        solo_buf[i, 1] = 0.0
        main[i, 0] = 0.0
        main[i, 1] = 0.0

    # Automation sets this block's targets for where the block ends; the usual ramp
    # then carries each parameter there across the block. Stopped, it closes what was
    # being written.
    at = timeline_frame(fb, fb[F_CONSUMED] + n - 1) if rolling else -1
    lanes = plan_head[p, A.H_LANES]
    if lanes > 0:
        glide = A.GLIDE_SECONDS * sr
        _automate(
            plan_lanes[p], plan_points[p], lane_seg[p], lanes, at, n, strip_p, cue_p, auto, glide
        )

    metered = ctl[A.K_UNMETERED] == 0
    solo_mode = int(cr_p[TARGET, CR_SOLO_MODE])
    any_solo = _mark_solo_paths(p, ns, plan_order, plan_strip, strip_p)
    tempo = cr_p[TARGET, A.CR_TEMPO]
    frame = fb[F_FRAMES]
    k = 0
    while k < ns:
        # Tracks in a row have their filters run together, BATCH at a time; a render's
        # pipe holds them already run.
        run = _audio_run(p, k, ns, plan_order, plan_strip)
        ahead = _pipe_rows(pipe, k, run)
        batched = ahead == 0 and run >= BATCH_MIN
        if batched:
            _batch_filters(k, run, p, plan_order, rolling, playing, recording, strip_p,
                           plan_strip, fb, rings, ring_ctl, bus_acc, scratch, dsp_state,
                           fx_state, tempo, inp, n, sr, capture_pos, frame, punch_in,
                           punch_out, batch, flats)
        run = ahead if ahead > 0 else (run if batched else 1)
        for j in range(run):
            s = plan_order[p, k + j]
            src = flats[0][SCR_PRE]
            if pipe is not None:
                if ahead > 0:
                    src = pipe[k + j, 2 * pipe_at : 2 * (pipe_at + n)]
            if batched:
                _batch_dynamics(j, s, batch, strip_p, dsp_state, scratch[SCR_PRE], n, sr)
            elif ahead == 0:
                _strip_front(s, p, rolling, playing, recording, strip_p, plan_strip, fb, rings,
                             ring_ctl, bus_acc, scratch, dsp_state, fx_state, tempo, inp, n, sr,
                             capture_pos, frame, punch_in, punch_out, flats)
            _process_strip(s, p, solo_mode, any_solo, strip_p, cue_p, plan_strip, plan_send,
                           ncues, meters, scratch, n, metered, flats, src)
        k += run

    start = fb[F_CONSUMED]
    if rolling and start == 0:
        fb[F_ROLL_FRAME] = fb[F_FRAMES]
    if rolling:
        avail = ring_ctl[R_WRITTEN] - start
        if avail < n:
            fb[F_UNDERRUNS] += n - max(0, avail)
    counting_in = cr_p[TARGET, A.CR_COUNT_IN] != 0.0 and timeline_frame(fb, start) < punch_in
    click_on = rolling and (cr_p[TARGET, CR_CLICK_ON] != 0.0 or counting_in)
    click = scratch[SCR_PRE]
    if click_on:
        _click_block(fb, start, n, cr_p, sr, click)

    nin = inp.shape[1]
    tb_held = cr_p[TARGET, CR_TALKBACK_HELD] != 0.0
    tb_in = int(cr_p[TARGET, CR_TALKBACK_INPUT])
    tb_gain = cr_p[TARGET, CR_TALKBACK_GAIN]
    for c in range(ncues):
        acc = cue_acc[c]
        ht = cuehead_p[TARGET, c]
        hc = cuehead_p[CUR, c]
        if click_on and ht[CH_CLICK] != 0.0:
            _ramp_add(click, acc, n, ht[CH_CLICK], ht[CH_CLICK])
        if tb_held and ht[CH_TALKBACK] != 0.0 and 0 <= tb_in < nin:
            for i in range(n):
                v = inp[i, tb_in] * tb_gain
                acc[i, 0] += v
                acc[i, 1] += v
        _ramp_mul(acc, n, hc[CH_MASTER], ht[CH_MASTER])
        hc[CH_MASTER] = ht[CH_MASTER]
        _scrub(acc, n)
        _limit(acc, n, cuehead_p, c)
        if metered:
            _meter(meters, strip_p.shape[1] + c, flats[2][c], 2 * n)

    crb = scratch[SCR_CR]
    source = int(cr_p[TARGET, CR_SOURCE])
    if any_solo and (solo_mode == SOLO_AFL or solo_mode == SOLO_PFL):
        src = solo_buf
    elif 0 <= source < ncues:
        src = cue_acc[source]
    else:
        src = main
    for i in range(n):
        crb[i, 0] = src[i, 0]
        crb[i, 1] = src[i, 1]
    if source == SOURCE_EXT and not (any_solo and solo_mode != SOLO_IN_PLACE):
        ext = int(cr_p[TARGET, CR_EXT_INPUT])
        for i in range(n):
            crb[i, 0] = inp[i, ext] if 0 <= ext < nin else 0.0
            crb[i, 1] = inp[i, ext + 1] if 0 <= ext + 1 < nin else 0.0
    mono1 = cr_p[TARGET, CR_MONO]
    mono0 = cr_p[CUR, CR_MONO_MIX]
    if mono0 != 0.0 or mono1 != 0.0:
        step = (mono1 - mono0) / n
        for i in range(n):
            m = mono0 + step * (i + 1)
            mid = 0.5 * (crb[i, 0] + crb[i, 1])
            crb[i, 0] = (1.0 - m) * crb[i, 0] + m * mid
            crb[i, 1] = (1.0 - m) * crb[i, 1] + m * mid
    cr_p[CUR, CR_MONO_MIX] = mono1
    _small_speaker(room_state, cr_p[TARGET, A.CR_SMALL_SPEAKER] != 0.0, crb, n, sr)
    if click_on:
        _ramp_add(click, crb, n, cr_p[TARGET, CR_CLICK_GAIN], cr_p[TARGET, CR_CLICK_GAIN])
    gain = cr_p[TARGET, CR_LEVEL]
    if cr_p[TARGET, CR_DIM] != 0.0:
        gain *= cr_p[TARGET, CR_DIM_GAIN]
    if cr_p[TARGET, CR_CUT] != 0.0:
        gain = 0.0
    if tb_held:
        gain *= TALKBACK_DIM
    _ramp_mul(crb, n, cr_p[CUR, CR_GAIN], gain)
    cr_p[CUR, CR_GAIN] = gain

    cr_out = plan_head[p, H_CR_OUT]
    main_out = plan_head[p, H_MAIN_OUT]
    if metered:
        if ctl[A.K_LOUDNESS_RESET] != fb[A.F_LOUDNESS_ACK] or loud_state[0] != sr:
            # A new rate starts the true-peak interpolator afresh; a reset only forgets
            # the held peak, since zeroing the history mid-signal is a step whose
            # interpolated overshoot would read as a peak that was never there.
            if loud_state[0] != sr:
                tp_state[:, :] = 0.0
            loudness_reset(loud_state, loud_hist, sr)
            tp_state[:, TP_HELD] = 0.0
            fb[A.F_LOUDNESS_ACK] = ctl[A.K_LOUDNESS_RESET]
        loudness_process(loud_state, loud_hist, main, 2, n)
        truepeak_process(tp_state, main, 2, n)

    if main_out != cr_out:
        _write_pair(out, main_out, main, n)
    for c in range(ncues):
        q = plan_cue[p, c, Q_OUT]
        if q != cr_out and q != main_out:
            _write_pair(out, q, cue_acc[c], n)
    _write_pair(out, cr_out, crb, n)
    test_out = int(cr_p[TARGET, A.CR_TEST_OUT])
    test_at = int(cr_p[TARGET, A.CR_TEST_FRAME]) - fb[F_FRAMES]
    if 0 <= test_out < out.shape[1] and 0 <= test_at < n:
        out[test_at, test_out] = CALIBRATION_LEVEL

    if rolling:
        fb[F_CONSUMED] = start + n
        fb[F_POSITION] = timeline_frame(fb, start + n)
    fb[F_BLOCKS] += 1
    fb[F_FRAMES] += n


@njit(nogil=True, cache=True)
def render_blocks(args, fb, ring_ctl, inp, out, n, pipe=None):
    """process_block over out's rows in blocks of n frames, for an offline render.

    args: the arena's kernel arrays (fb and ring_ctl among them); inp holds at least n
    rows. The first block always runs; each later one only while the playback rings
    already hold all its frames, so a butler serviced before every call leaves the
    output the same as servicing it before every block. `pipe`: what `render_front`
    made of these frames. Returns the frames done.
    """
    total = out.shape[0]
    done = 0
    while done < total:
        m = min(n, total - done)
        if done > 0:
            if ring_ctl[R_READY_GEN] != fb[F_GEN] or ring_ctl[R_WRITTEN] - fb[F_CONSUMED] < m:
                break
        process_block(*args, inp[:m], out[done : done + m], 0, 0, pipe, done)
        done += m
    return done


# Without numba's runtime, as process_block: the views flat_views returns hold no
# references of their own, which the runtime would release at the end.
@njit(nogil=True, cache=True, _nrt=False)
def render_front(args, fb, written, scratch, batch, inp, pipe, total, n):
    """The input, filters and dynamics of the audio tracks at the first pipe.shape[0]
    plan positions for up to `total` frames in blocks of n, into pipe[plan position,
    2 * frame + channel]: the part of `render_blocks` that depends on nothing but the
    track, run a chunk ahead on a render's second thread (see backends.OfflineBackend).

    args: the arena's kernel arrays; fb: a copy of the feedback block as the kernel
    will stand at the chunk's first frame, which this advances; written: the frames the
    playback rings hold; scratch and batch: this thread's own, shaped as the arena's;
    inp: n rows of no device inputs. Blocks stop where render_blocks would stop them.
    Returns the frames done.
    """
    (_, strip_p, _, _, cr_p, plan_head, plan_strip, _, _, plan_order, ctl, _, _, _,
     rings, ring_ctl, dsp_state, bus_acc, cue_acc, _, _, _, _, _, fx_state, _, _, _,
     capture_pos, _, _, _) = args
    p = ctl[K_PLAN_INDEX]
    ns = plan_head[p, H_STRIPS]
    sr = cr_p[TARGET, CR_SAMPLE_RATE]
    tempo = cr_p[TARGET, A.CR_TEMPO]
    flats = flat_views(scratch, bus_acc, cue_acc, rings)
    ramp = scratch[SCR_RAMP]
    ahead = min(ns, pipe.shape[0])
    done = 0
    while done < total:
        m = min(n, total - done)
        if done > 0 and (ring_ctl[R_READY_GEN] != fb[F_GEN] or written - fb[F_CONSUMED] < m):
            break
        for i in range(m):
            ramp[i, 0] = ramp[i, 1] = (i + 1) / m
        playing = fb[F_PLAYING] != 0
        recording = fb[F_RECORDING] != 0
        rolling = playing and ring_ctl[R_READY_GEN] == fb[F_GEN]
        punch_in = ctl[A.K_PUNCH_IN]
        punch_out = ctl[A.K_PUNCH_OUT] if recording and rolling else punch_in
        k = 0
        while k < ahead:
            run = _audio_run(p, k, ahead, plan_order, plan_strip)
            batched = run >= BATCH_MIN
            if batched:
                _batch_filters(k, run, p, plan_order, rolling, playing, recording, strip_p,
                               plan_strip, fb, rings, ring_ctl, bus_acc, scratch, dsp_state,
                               fx_state, tempo, inp[:m], m, sr, capture_pos, fb[F_FRAMES],
                               punch_in, punch_out, batch, flats)
            for j in range(run):
                s = plan_order[p, k + j]
                dst = pipe[k + j, 2 * done : 2 * (done + m)]
                if batched:
                    _batch_dynamics(j, s, batch, strip_p, dsp_state, dst.reshape(m, 2), m, sr)
                    continue
                _strip_front(s, p, rolling, playing, recording, strip_p, plan_strip, fb, rings,
                             ring_ctl, bus_acc, scratch, dsp_state, fx_state, tempo, inp[:m], m,
                             sr, capture_pos, fb[F_FRAMES], punch_in, punch_out, flats)
                own = flats[0][SCR_PRE]
                for i in range(2 * m):
                    dst[i] = own[i]
            k += max(run, 1)
        if rolling:
            fb[F_CONSUMED] += m
        fb[F_FRAMES] += m
        done += m
    return done


@njit(nogil=True, cache=True)
def carry_over(old, new):
    """Copy the kernel-owned state of the arena being replaced into the new one.

    `old` and `new` are the arenas' arrays in arena.ARRAYS order. Run by whoever calls
    the kernel, on its first block over a new arena, so smoothed values, filter and
    effect states, meters, loudness and the transport continue without a jump.
    """
    s = min(old[1].shape[1], new[1].shape[1])
    c = min(old[2].shape[1], new[2].shape[1])
    new[1][CUR, :s] = old[1][CUR, :s]
    new[2][CUR, :c, :s] = old[2][CUR, :c, :s]
    new[3][CUR, :c] = old[3][CUR, :c]
    new[4][CUR] = old[4][CUR]
    new[12][:] = old[12]
    new[13][:s] = old[13][:s]
    new[16][:s] = old[16][:s]
    new[21][:] = old[21]
    new[22][:] = old[22]
    new[23][:] = old[23]
    fx = min(old[24].shape[0], new[24].shape[0])
    new[24][:fx] = old[24][:fx]
    new[25][:] = old[25]
    # The Engine copied the capture ring before the swap; the last frames since then
    # come over here, so a take recording across the growth loses nothing.
    old_cap = old[20]
    new_cap = new[20]
    if old_cap.shape[0] == new_cap.shape[0]:
        mask = old_cap.shape[0] - 1
        channels = min(old_cap.shape[1], new_cap.shape[1])
        end = old[12][F_FRAMES]
        for k in range(max(0, end - CAPTURE_CARRY), end):
            j = k & mask
            for ch in range(channels):
                new_cap[j, ch] = old_cap[j, ch]
            new[28][j] = old[28][j]
    # What is being written carries on; the ring's unread records stay in the old
    # arena, which the collector finishes reading before it moves to the new one.
    rows = 1 + s * A.PARAMS_PER_STRIP
    new[29][1:rows, A.AF_WRITING :] = old[29][1:rows, A.AF_WRITING :]


def _kernel_fingerprint() -> int:
    """A number that changes whenever the source of any compiled engine code changes.

    numba re-validates a cached function only against its own file, so machine code
    cached for callback.py would keep running an old mixer.py, arena.py (offsets) or
    dsp kernel. Each module compares this with the value it was compiled with.
    """
    engine = Path(__file__).resolve().parent
    files = [engine / "arena.py", engine / "mixer.py", engine / "callback.py"]
    files += sorted((engine.parent / "dsp").glob("*.py"))
    digest = 0
    for path in files:
        digest = zlib.crc32(path.name.encode() + path.read_bytes(), digest)
    return digest


KERNEL_FINGERPRINT = _kernel_fingerprint()


@njit(nogil=True, cache=True)
def compiled_fingerprint():
    """The kernel fingerprint this module's cached machine code was built for."""
    return KERNEL_FINGERPRINT


def discard_stale_cache(namespace: dict, stamp: Dispatcher) -> bool:
    """Drop the numba cache of a module's kernels if it predates the current sources.

    Call before any kernel of the module runs. Returns whether anything was stale.
    """
    if stamp() == KERNEL_FINGERPRINT:
        return False
    for value in namespace.values():
        if isinstance(value, Dispatcher) and value.py_func.__module__ == namespace["__name__"]:
            value._cache.flush()
    stamp.recompile()
    return True


discard_stale_cache(globals(), compiled_fingerprint)
