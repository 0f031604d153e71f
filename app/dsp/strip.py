"""Fused stereo kernels for a channel strip: the hot path of the mixer.

The one-channel kernels in biquad.py and dynamics.py are the references; these do the
same work for an interleaved (frames, 2) float64 buffer with both channels in one loop,
which is what lets a whole console's strips fit in a fraction of a block:

- `biquads_batch`: the same cascade for BATCH strips at once, each strip's two
  channels side by side in a (frames, BATCH_WIDTH) buffer. A biquad's recursion keeps
  one channel waiting on its last sample, but BATCH_WIDTH channels of different strips
  do not wait on each other, so the loop over them runs on vector registers; taking
  four frames per pass keeps each channel's state in registers too. About three times
  the throughput of `biquads_stereo` per strip.
- `biquads_stereo`: up to five biquads in cascade, several sections per pass so their
  recursions overlap instead of waiting on each other. Coefficients and states sit in
  one flat float64 array (a strip's DSP state row) at offsets the caller gives: the five
  coefficients of a section at `r + coefs_at`, its state (left z1, z2, right z1, z2) at
  `r + state_at`. Transposed direct form II, as `biquad_process`, with fused
  multiply-adds (so it matches `biquad_process` to rounding, not bit for bit). States
  are flushed to zero once tiny every FLUSH_FRAMES frames rather than every frame: a
  tail decaying slowly enough to linger among subnormals is caught long before, and
  one decaying fast passes through them in a frame or two.
- `gate_stereo`: `gate_process` for two channels with its settings prepared once by
  `gate_settings` (same per-frame behaviour).
- `comp_stereo`: a feed-forward compressor whose gain computer (the log, the static
  curve, the attack smoothing and the exp) runs at a control rate of CONTROL_FRAMES,
  with a per-frame peak detector and the gain ramped linearly between control points,
  as hardware consoles do. The control phase carries across blocks, so the result does
  not depend on how the stream is cut into blocks.
- `gate_comp_stereo`: the two above in one pass, with the same result.
- `drive_stereo`: `drive_process` on both channels in one pass.
"""

import math

import numpy as np
from numba import njit

from app.dsp.drive import drive_gains, soft_clip
from app.dsp.dynamics import _pole
from app.dsp.safe import DENORMAL_FLOOR, clamp, clamp_rate, sanitize

FLUSH_FRAMES = 64
BATCH = 8  # strips in a `biquads_batch`
# Its channels: two a strip. LLVM vectorises a loop of at least 16 iterations (a
# shorter one is unrolled and left scalar), so eight stereo strips, not four.
BATCH_WIDTH = 2 * BATCH
SECTIONS = 5  # the high-pass and four EQ bands
# Fused multiply-add only: it rounds once where a multiply and an add round twice, and
# shortens each section's recursion, the loop's critical path. Nothing else is relaxed.
FMA = {"contract"}
CONTROL_FRAMES = 16

# Settings prepared for `gate_stereo`: open level, close level, closed gain, attack
# pole, release pole, hold frames.
GATE_SETTINGS = 6
# Compressor state used by `comp_stereo` beyond `dynamics.comp_process`'s three
# (envelope, reduction dB, largest reduction of the last block):
#   [3] gain     linear gain reached at the frame last processed
#   [4] step     per-frame gain step toward the next control point
#   [5] phase    frames left until the next control point
# An all-zero state is a compressor at rest (gain 0 marks that it has not started).
COMP_STEREO_STATE = 6
DB_PER_NEPER = 20.0 / math.log(10.0)  # 20 log10(x) == DB_PER_NEPER * ln(x)


@njit(nogil=True, cache=True, fastmath=False)
def _flush_pair(st, z):
    if abs(st[z]) + abs(st[z + 1]) < DENORMAL_FLOOR:
        st[z] = 0.0
        st[z + 1] = 0.0


@njit(nogil=True, cache=True, fastmath=FMA)
def _one(x, lo, hi, st, c, z):
    """One section over frames lo..hi of both channels."""
    b0, b1, b2, a1, a2 = st[c], st[c + 1], st[c + 2], st[c + 3], st[c + 4]
    l1, l2, r1, r2 = st[z], st[z + 1], st[z + 2], st[z + 3]
    for i in range(lo, hi):
        xl = x[i, 0]
        xr = x[i, 1]
        yl = b0 * xl + l1
        yr = b0 * xr + r1
        l1 = (b1 * xl + l2) - a1 * yl
        r1 = (b1 * xr + r2) - a1 * yr
        l2 = b2 * xl - a2 * yl
        r2 = b2 * xr - a2 * yr
        x[i, 0] = yl
        x[i, 1] = yr
    st[z], st[z + 1], st[z + 2], st[z + 3] = l1, l2, r1, r2
    _flush_pair(st, z)
    _flush_pair(st, z + 2)


@njit(nogil=True, cache=True, fastmath=FMA)
def _two(x, lo, hi, st, c, z, d, w):
    """Two sections in cascade over frames lo..hi of both channels."""
    b0, b1, b2, a1, a2 = st[c], st[c + 1], st[c + 2], st[c + 3], st[c + 4]
    e0, e1, e2, f1, f2 = st[d], st[d + 1], st[d + 2], st[d + 3], st[d + 4]
    l1, l2, r1, r2 = st[z], st[z + 1], st[z + 2], st[z + 3]
    m1, m2, s1, s2 = st[w], st[w + 1], st[w + 2], st[w + 3]
    for i in range(lo, hi):
        xl = x[i, 0]
        xr = x[i, 1]
        yl = b0 * xl + l1
        yr = b0 * xr + r1
        l1 = (b1 * xl + l2) - a1 * yl
        r1 = (b1 * xr + r2) - a1 * yr
        l2 = b2 * xl - a2 * yl
        r2 = b2 * xr - a2 * yr
        vl = e0 * yl + m1
        vr = e0 * yr + s1
        m1 = (e1 * yl + m2) - f1 * vl
        s1 = (e1 * yr + s2) - f1 * vr
        m2 = e2 * yl - f2 * vl
        s2 = e2 * yr - f2 * vr
        x[i, 0] = vl
        x[i, 1] = vr
    st[z], st[z + 1], st[z + 2], st[z + 3] = l1, l2, r1, r2
    st[w], st[w + 1], st[w + 2], st[w + 3] = m1, m2, s1, s2
    _flush_pair(st, z)
    _flush_pair(st, z + 2)
    _flush_pair(st, w)
    _flush_pair(st, w + 2)


@njit(nogil=True, cache=True, fastmath=FMA)
def _three(x, lo, hi, st, c, z, d, w, g, v):
    """Three sections in cascade over frames lo..hi of both channels."""
    b0, b1, b2, a1, a2 = st[c], st[c + 1], st[c + 2], st[c + 3], st[c + 4]
    e0, e1, e2, f1, f2 = st[d], st[d + 1], st[d + 2], st[d + 3], st[d + 4]
    h0, h1, h2, k1, k2 = st[g], st[g + 1], st[g + 2], st[g + 3], st[g + 4]
    l1, l2, r1, r2 = st[z], st[z + 1], st[z + 2], st[z + 3]
    m1, m2, s1, s2 = st[w], st[w + 1], st[w + 2], st[w + 3]
    n1, n2, t1, t2 = st[v], st[v + 1], st[v + 2], st[v + 3]
    for i in range(lo, hi):
        xl = x[i, 0]
        xr = x[i, 1]
        yl = b0 * xl + l1
        yr = b0 * xr + r1
        l1 = (b1 * xl + l2) - a1 * yl
        r1 = (b1 * xr + r2) - a1 * yr
        l2 = b2 * xl - a2 * yl
        r2 = b2 * xr - a2 * yr
        ul = e0 * yl + m1
        ur = e0 * yr + s1
        m1 = (e1 * yl + m2) - f1 * ul
        s1 = (e1 * yr + s2) - f1 * ur
        m2 = e2 * yl - f2 * ul
        s2 = e2 * yr - f2 * ur
        ol = h0 * ul + n1
        orr = h0 * ur + t1
        n1 = (h1 * ul + n2) - k1 * ol
        t1 = (h1 * ur + t2) - k1 * orr
        n2 = h2 * ul - k2 * ol
        t2 = h2 * ur - k2 * orr
        x[i, 0] = ol
        x[i, 1] = orr
    st[z], st[z + 1], st[z + 2], st[z + 3] = l1, l2, r1, r2
    st[w], st[w + 1], st[w + 2], st[w + 3] = m1, m2, s1, s2
    st[v], st[v + 1], st[v + 2], st[v + 3] = n1, n2, t1, t2
    _flush_pair(st, z)
    _flush_pair(st, z + 2)
    _flush_pair(st, w)
    _flush_pair(st, w + 2)
    _flush_pair(st, v)
    _flush_pair(st, v + 2)


@njit(nogil=True, cache=True, fastmath=FMA)
def _section(xin, z1, z2, b0, b1, b2, a1, a2):
    """One sample through one section (transposed direct form II): (y, z1, z2)."""
    y = b0 * xin + z1
    return y, (b1 * xin + z2) - a1 * y, b2 * xin - a2 * y


@njit(nogil=True, cache=True, fastmath=FMA)
def _batch_frames(x, m, coefs, states, sections):
    """`_batch_run`, one frame at a time (for the frames after the last four)."""
    # Every index here is provably non-negative (loops from 0): an index that might be
    # negative gets numba's wrap-around check, and that alone keeps the loop over
    # channels off the vector registers.
    w = BATCH_WIDTH
    for i in range(m):
        o = i * w
        for k in range(sections):
            c = k * 5 * w
            z = k * 2 * w
            for ch in range(BATCH_WIDTH):
                x[o + ch], states[z + ch], states[z + w + ch] = _section(
                    x[o + ch], states[z + ch], states[z + w + ch], coefs[c + ch],
                    coefs[c + w + ch], coefs[c + 2 * w + ch], coefs[c + 3 * w + ch],
                    coefs[c + 4 * w + ch])


# Four frames at a time: a channel's coefficients and state are read once per four
# frames, and its recursion stays in registers between them. Frame by frame, each store
# to x or a state would make the next frame read everything again from memory (numba
# cannot tell x, coefs and states apart): this is about 45% faster, with the very same
# operations on each sample.
@njit(nogil=True, cache=True, fastmath=FMA)
def _batch_run(x, m, coefs, states, sections):
    w = BATCH_WIDTH
    quads = m // 4
    for q in range(quads):
        o = q * 4 * w
        for k in range(sections):
            c = k * 5 * w
            z = k * 2 * w
            for ch in range(BATCH_WIDTH):
                b0 = coefs[c + ch]
                b1 = coefs[c + w + ch]
                b2 = coefs[c + 2 * w + ch]
                a1 = coefs[c + 3 * w + ch]
                a2 = coefs[c + 4 * w + ch]
                z1 = states[z + ch]
                z2 = states[z + w + ch]
                y0, z1, z2 = _section(x[o + ch], z1, z2, b0, b1, b2, a1, a2)
                y1, z1, z2 = _section(x[o + w + ch], z1, z2, b0, b1, b2, a1, a2)
                y2, z1, z2 = _section(x[o + 2 * w + ch], z1, z2, b0, b1, b2, a1, a2)
                y3, z1, z2 = _section(x[o + 3 * w + ch], z1, z2, b0, b1, b2, a1, a2)
                x[o + ch] = y0
                x[o + w + ch] = y1
                x[o + 2 * w + ch] = y2
                x[o + 3 * w + ch] = y3
                states[z + ch] = z1
                states[z + w + ch] = z2
    done = quads * 4
    _batch_frames(x[done * w : m * w], m - done, coefs, states, sections)


@njit(nogil=True, cache=True, fastmath=False)
def biquads_batch(x, n, coefs, states, sections):
    """Run the first n frames of x (flat: frame i's BATCH_WIDTH channels at
    i * BATCH_WIDTH) in place through `sections` biquads in cascade, each channel with
    its own coefficients and state.

    coefs is flat too: section k's coefficient j (b0, b1, b2, a1, a2) for channel ch at
    (k * 5 + j) * BATCH_WIDTH + ch; states likewise with (z1, z2) at
    (k * 2 + j) * BATCH_WIDTH + ch. A section with b0 = 1 and the rest 0 passes its
    channel through exactly, which is how a strip with fewer sections than the others
    takes part. The same transposed direct form II and fused multiply-adds as
    `biquads_stereo`, and the same flush of tiny states every FLUSH_FRAMES frames.
    """
    w = BATCH_WIDTH
    lo = 0
    while lo < n:
        hi = min(n, lo + FLUSH_FRAMES)
        _batch_run(x[lo * w : hi * w], hi - lo, coefs, states, sections)
        for k in range(sections):
            z = k * 2 * w
            for ch in range(w):
                if abs(states[z + ch]) + abs(states[z + w + ch]) < DENORMAL_FLOOR:
                    states[z + ch] = 0.0
                    states[z + w + ch] = 0.0
        lo = hi


@njit(nogil=True, cache=True, fastmath=False)
def biquads_stereo(x, n, st, count, r0, r1, r2, r3, r4, coefs_at, state_at):
    """Run x[:n, 0:2] in place through `count` (0..5) sections r0, r1, ... in order.

    Each r is the offset of a section's record in st (see the module docstring).
    """
    if count <= 0:
        return
    c, z = coefs_at, state_at
    lo = 0
    while lo < n:
        hi = min(n, lo + FLUSH_FRAMES)
        if count == 1:
            _one(x, lo, hi, st, r0 + c, r0 + z)
        elif count == 2:
            _two(x, lo, hi, st, r0 + c, r0 + z, r1 + c, r1 + z)
        elif count == 3:
            _three(x, lo, hi, st, r0 + c, r0 + z, r1 + c, r1 + z, r2 + c, r2 + z)
        elif count == 4:
            _two(x, lo, hi, st, r0 + c, r0 + z, r1 + c, r1 + z)
            _two(x, lo, hi, st, r2 + c, r2 + z, r3 + c, r3 + z)
        else:
            _three(x, lo, hi, st, r0 + c, r0 + z, r1 + c, r1 + z, r2 + c, r2 + z)
            _two(x, lo, hi, st, r3 + c, r3 + z, r4 + c, r4 + z)
        lo = hi


@njit(nogil=True, cache=True, fastmath=False)
def gate_settings(
    out: np.ndarray,
    fs: float,
    threshold_db: float,
    range_db: float,
    attack_ms: float,
    release_ms: float,
    hold_ms: float,
    hysteresis_db: float,
) -> None:
    """Prepare `gate_stereo`'s settings into out[:GATE_SETTINGS], clamped as the gate does."""
    fs = clamp_rate(sanitize(fs, 48000.0))
    thr_db = clamp(sanitize(threshold_db, -50.0), -120.0, 0.0)
    hyst = clamp(sanitize(hysteresis_db, 4.0), 0.0, 40.0)
    out[0] = math.pow(10.0, thr_db / 20.0)
    out[1] = math.pow(10.0, (thr_db - hyst) / 20.0)
    out[2] = math.pow(10.0, clamp(sanitize(range_db, -80.0), -120.0, 0.0) / 20.0)
    out[3] = _pole(attack_ms, fs)
    out[4] = _pole(release_ms, fs)
    out[5] = clamp(sanitize(hold_ms, 20.0), 0.0, 2000.0) * fs / 1000.0


@njit(nogil=True, cache=True, fastmath=FMA)
def gate_stereo(st: np.ndarray, at: int, x: np.ndarray, n: int, settings_at: int) -> None:
    """Gate x[:n, 0:2] in place, frame for frame as `dynamics.gate_process` would.

    The gate's state (as gate_process's) is st[at:at + 4], its settings (from
    `gate_settings`) st[settings_at:settings_at + GATE_SETTINGS]: offsets into one
    array rather than slices, which cost more than the work here when run per strip.
    """
    open_lvl = st[settings_at]
    close_lvl = st[settings_at + 1]
    floor = st[settings_at + 2]
    att = st[settings_at + 3]
    rel = st[settings_at + 4]
    hold_frames = st[settings_at + 5]
    g = clamp(st[at], 0.0, 1.0)
    is_open = st[at + 1] > 0.5
    hold = st[at + 2]
    open_rest = 1.0 - att  # as gate_process: one fused multiply-add a frame
    closed_rest = floor * (1.0 - rel)
    for i in range(n):
        p = max(abs(x[i, 0]), abs(x[i, 1]))
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
        x[i, 0] *= g
        x[i, 1] *= g
    st[at] = g
    st[at + 1] = 1.0 if is_open else 0.0
    st[at + 2] = hold
    st[at + 3] = -20.0 * math.log10(max(g, 1e-6))


@njit(nogil=True, cache=True, fastmath=False)
def comp_stereo_reset(state: np.ndarray) -> None:
    """A compressor at rest; its first control point comes at the next frame."""
    for k in range(COMP_STEREO_STATE):
        state[k] = 0.0


# Without numba's runtime: the frame loop takes a view of x per control period, and the
# runtime's atomic reference counts on it would cost more than the view saves.
@njit(nogil=True, cache=True, fastmath=FMA, _nrt=False)
def _dynamics(st, at, gate_at, settings_at, x, n, fs, threshold_db, ratio, knee_db, attack_ms,
              release_ms, makeup_db):
    """The compressor, preceded in the same loop by the gate when gate_at >= 0."""
    gated = gate_at >= 0
    fs = clamp_rate(sanitize(fs, 48000.0))
    thr = clamp(sanitize(threshold_db, -18.0), -80.0, 0.0)
    ratio = clamp(sanitize(ratio, 4.0), 1.0, 100.0)
    knee = clamp(sanitize(knee_db, 0.0), 0.0, 48.0)
    makeup = clamp(sanitize(makeup_db, 0.0), -48.0, 48.0)
    rel = _pole(release_ms, fs)
    att = _pole(attack_ms, fs / CONTROL_FRAMES)  # the attack pole over a control period
    # Under the knee's lower edge the curve is flat: no log needed to know that.
    quiet = math.exp((thr - 0.5 * knee) / DB_PER_NEPER)
    env = st[at]
    gr = st[at + 1]
    g = st[at + 3]
    step = st[at + 4]
    phase = int(st[at + 5])
    gr_max = 0.0
    s = max(settings_at, 0)
    open_lvl = st[s]
    close_lvl = st[s + 1]
    floor = st[s + 2]
    g_att = st[s + 3]
    g_rel = st[s + 4]
    hold_frames = st[s + 5]
    g_open_rest = 1.0 - g_att  # as gate_process: one fused multiply-add a frame
    g_closed_rest = floor * (1.0 - g_rel)
    q = max(gate_at, 0)
    gg = clamp(st[q], 0.0, 1.0)
    is_open = st[q + 1] > 0.5
    hold = st[q + 2]
    i = 0
    while i < n:
        if phase <= 0:
            if env <= quiet:
                target = 0.0
            else:
                target = comp_curve(DB_PER_NEPER * math.log(env), thr, ratio, knee)
            gr = target + (gr - target) * att if target > gr else target
            want = math.exp((makeup - gr) / DB_PER_NEPER)
            if g <= 0.0:
                g = want
                step = 0.0
            else:
                step = (want - g) / CONTROL_FRAMES
            phase = CONTROL_FRAMES
        if gr > gr_max:
            gr_max = gr
        run = min(phase, n - i)
        # A slice, so that every index is known to be >= 0 (see _batch_run).
        seg = x[i : i + run]
        for j in range(run):
            xl = seg[j, 0]
            xr = seg[j, 1]
            p = max(abs(xl), abs(xr))
            if gated:
                # gate_stereo, frame for frame
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
                    gg = gg * g_att + g_open_rest
                else:
                    gg = gg * g_rel + g_closed_rest
                xl *= gg
                xr *= gg
                p *= gg  # the gated peak: rounding is monotonic, so exactly max(|xl|, |xr|)
            env = p if p > env else env * rel
            g += step
            seg[j, 0] = xl * g
            seg[j, 1] = xr * g
        if env < DENORMAL_FLOOR:
            env = 0.0
        phase -= run
        i += run
    st[at] = env
    st[at + 1] = gr
    st[at + 2] = gr_max
    st[at + 3] = g
    st[at + 4] = step
    st[at + 5] = phase
    if gated:
        st[q] = gg
        st[q + 1] = 1.0 if is_open else 0.0
        st[q + 2] = hold
        st[q + 3] = -20.0 * math.log10(max(gg, 1e-6))


@njit(nogil=True, cache=True, fastmath=False)
def comp_stereo(
    st: np.ndarray,
    at: int,
    x: np.ndarray,
    n: int,
    fs: float,
    threshold_db: float,
    ratio: float,
    knee_db: float,
    attack_ms: float,
    release_ms: float,
    makeup_db: float,
) -> None:
    """Compress x[:n, 0:2] in place; its state (see above) is st[at:at + COMP_STEREO_STATE].

    Same static curve, detector and attack/release law as `dynamics.comp_process`, with
    the gain computed every CONTROL_FRAMES frames from the detector at that frame and
    ramped linearly to it over the following CONTROL_FRAMES frames.
    """
    _dynamics(st, at, -1, -1, x, n, fs, threshold_db, ratio, knee_db, attack_ms, release_ms,
              makeup_db)


@njit(nogil=True, cache=True, fastmath=False)
def gate_comp_stereo(
    st: np.ndarray,
    gate_at: int,
    settings_at: int,
    at: int,
    x: np.ndarray,
    n: int,
    fs: float,
    threshold_db: float,
    ratio: float,
    knee_db: float,
    attack_ms: float,
    release_ms: float,
    makeup_db: float,
) -> None:
    """`gate_stereo` then `comp_stereo` (same arguments) in one pass over x, same result."""
    _dynamics(st, at, gate_at, settings_at, x, n, fs, threshold_db, ratio, knee_db, attack_ms,
              release_ms, makeup_db)


@njit(nogil=True, cache=True, fastmath=False)
def comp_curve(level_db: float, threshold_db: float, ratio: float, knee_db: float) -> float:
    """Gain reduction in dB (>= 0) of the static curve; as `dynamics.comp_curve_db`."""
    over = level_db - threshold_db
    slope = 1.0 - 1.0 / ratio
    if knee_db > 0.0 and 2.0 * abs(over) <= knee_db:
        d = over + knee_db / 2.0
        return slope * d * d / (2.0 * knee_db)
    if over > 0.0:
        return slope * over
    return 0.0


@njit(nogil=True, cache=True, fastmath=False)
def drive_stereo(x: np.ndarray, n: int, drive_from_db: float, drive_to_db: float) -> None:
    """`drive.drive_process` on both channels of x[:n, 0:2] in one pass."""
    g0, c0 = drive_gains(drive_from_db)
    g1, c1 = drive_gains(drive_to_db)
    dg = (g1 - g0) / n if n > 0 else 0.0
    dc = (c1 - c0) / n if n > 0 else 0.0
    for i in range(n):
        k = i + 1
        g = g0 + dg * k
        c = c0 + dc * k
        xl = x[i, 0]
        xr = x[i, 1]
        if xl != xl:
            xl = 0.0
        if xr != xr:
            xr = 0.0
        x[i, 0] = soft_clip(g * xl) * c
        x[i, 1] = soft_clip(g * xr) * c
