"""The audio callback: a numba `@cfunc` with PortAudio's callback signature.

PortAudio calls it on the audio thread with `userData` = the address of the Root
holder. Each block it reads the current pointer table from the root, rebuilds numpy
views of the arena with `numba.carray`, carries the kernel state over when the root
points at a new arena, and runs `mixer.process_block` over the device buffers
(interleaved float32) in pieces of at most MAX_BLOCK frames. It never enters the
Python interpreter: no GIL, no allocation, no lock.

`build_callback` compiles it (about a second cold; numba's cache makes the next start
fast) and must run before the stream opens, never on the audio thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
from numba import carray, njit, types
from numba.core import cgutils, sigutils
from numba.core.ccallback import CFunc
from numba.extending import intrinsic

from app.engine import arena as A
from app.engine.mixer import KERNEL_FINGERPRINT, carry_over, discard_stale_cache, process_block

PA_CONTINUE = 0
COLD_COMPILE_SECONDS = 22.0  # measured here with an empty cache; only shapes the estimate

# int callback(const void *input, void *output, unsigned long frameCount,
#              const PaStreamCallbackTimeInfo *timeInfo,
#              PaStreamCallbackFlags statusFlags, void *userData)
PA_CALLBACK_SIG = types.intc(
    types.voidptr, types.voidptr, types.ulong, types.voidptr, types.ulong, types.voidptr
)


@intrinsic
def _address_as_pointer(typingctx, address):
    """An int64 address as a void pointer, for numba.carray."""
    sig = types.voidptr(address)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return sig, codegen


@njit(nogil=True, cache=True)
def _views(table_address):
    """The arena arrays behind a pointer table, in arena.ARRAYS order."""
    tbl = carray(_address_as_pointer(table_address), len(A.ARRAYS), dtype=np.int64)
    dims = carray(_address_as_pointer(tbl[0]), A.DIMS, dtype=np.int64)
    s = dims[A.D_STRIPS]
    t = dims[A.D_TRACKS]
    c = dims[A.D_CUES]
    ring = dims[A.D_RING]
    mb = dims[A.D_MAX_BLOCK]
    f8 = np.float64
    i8 = np.int64
    return (
        dims,
        carray(_address_as_pointer(tbl[1]), (2, s, A.PARAMS_PER_STRIP), dtype=f8),
        carray(_address_as_pointer(tbl[2]), (2, c, s, A.CUE_PARAMS), dtype=f8),
        carray(_address_as_pointer(tbl[3]), (2, c, A.CUEHEAD_PARAMS), dtype=f8),
        carray(_address_as_pointer(tbl[4]), (2, A.CR_PARAMS), dtype=f8),
        carray(_address_as_pointer(tbl[5]), (2, A.PLAN_HEAD), dtype=i8),
        carray(_address_as_pointer(tbl[6]), (2, s, A.PLAN_STRIP), dtype=i8),
        carray(_address_as_pointer(tbl[7]), (2, s, A.MAX_SENDS, A.PLAN_SEND), dtype=i8),
        carray(_address_as_pointer(tbl[8]), (2, c, A.PLAN_CUE), dtype=i8),
        carray(_address_as_pointer(tbl[9]), (2, s), dtype=i8),
        carray(_address_as_pointer(tbl[10]), A.CTL_SIZE, dtype=i8),
        carray(_address_as_pointer(tbl[11]), (A.CMD_CAPACITY, A.CMD_FIELDS), dtype=f8),
        carray(_address_as_pointer(tbl[12]), A.FB_SIZE, dtype=i8),
        carray(_address_as_pointer(tbl[13]), (s + c, A.METERS), dtype=f8),
        carray(_address_as_pointer(tbl[14]), (t, ring, 2), dtype=np.float32),
        carray(_address_as_pointer(tbl[15]), A.RING_CTL, dtype=i8),
        carray(_address_as_pointer(tbl[16]), (s, A.DSP_STATE_PER_STRIP), dtype=f8),
        carray(_address_as_pointer(tbl[17]), (s, mb, 2), dtype=f8),
        carray(_address_as_pointer(tbl[18]), (c, mb, 2), dtype=f8),
        carray(_address_as_pointer(tbl[19]), (A.SCRATCH_ROWS, mb, 2), dtype=f8),
        carray(_address_as_pointer(tbl[20]), (ring, dims[A.D_INPUTS]), dtype=np.float32),
        carray(_address_as_pointer(tbl[21]), A.LOUDNESS_STATE_SIZE, dtype=f8),
        carray(_address_as_pointer(tbl[22]), (4, A.HIST_BINS), dtype=f8),
        carray(_address_as_pointer(tbl[23]), (2, A.TP_STATE_SIZE), dtype=f8),
        carray(_address_as_pointer(tbl[24]), (dims[A.D_FX], dims[A.D_FX_SIZE]), dtype=f8),
        carray(_address_as_pointer(tbl[25]), A.ROOM_STATE, dtype=f8),
        carray(_address_as_pointer(tbl[26]), (2, dims[A.D_LANES], A.PLAN_LANE), dtype=i8),
        carray(_address_as_pointer(tbl[27]), (2, dims[A.D_POINTS], 3), dtype=f8),
        carray(_address_as_pointer(tbl[28]), ring, dtype=i8),
        carray(
            _address_as_pointer(tbl[29]),
            (1 + s * A.PARAMS_PER_STRIP + c * s * A.CUE_PARAMS + A.AUTO_RING, A.AUTO_FIELDS),
            dtype=f8,
        ),
        carray(_address_as_pointer(tbl[30]), (2, dims[A.D_LANES], A.LANE_SEG), dtype=f8),
        carray(_address_as_pointer(tbl[31]), A.BATCH_SIZE, dtype=f8),
    )


@njit(nogil=True, cache=True)
def _take_over(old_address, new_address):
    carry_over(_views(old_address), _views(new_address))


@njit(nogil=True, cache=True)
def run_root(root, inp, out, flags, device_time_us):
    """One device buffer over the arena the root points at (the callback's body)."""
    table = root[0]
    if root[1] != table:
        _take_over(root[1], table)
        root[1] = table
    v = _views(table)
    n = out.shape[0]
    mb = v[0][A.D_MAX_BLOCK]
    done = 0
    while done < n:
        m = min(mb, n - done)
        process_block(
            v[0],
            v[1],
            v[2],
            v[3],
            v[4],
            v[5],
            v[6],
            v[7],
            v[8],
            v[9],
            v[10],
            v[11],
            v[12],
            v[13],
            v[14],
            v[15],
            v[16],
            v[17],
            v[18],
            v[19],
            v[20],
            v[21],
            v[22],
            v[23],
            v[24],
            v[25],
            v[26],
            v[27],
            v[28],
            v[29],
            v[30],
            v[31],
            inp[done : done + m],
            out[done : done + m],
            flags,
            device_time_us,
        )
        flags = 0
        done += m


def warm_kernel(progress: Callable[[str, float], None] | None = None, share: float = 1.0) -> None:
    """Compile the kernel (or load it from numba's cache) by running it once from Python.

    Run it before any real-time use: a cold compile takes about 20 s on these
    machines (a fraction of a second from the cache), and must never happen on the
    audio thread. While it runs, `progress` is called about twice a second from a
    helper thread with an estimate (so a UI must hand it to its own thread).
    """
    done = threading.Event()

    def tick() -> None:
        started = time.monotonic()
        while not done.wait(0.5):
            elapsed = time.monotonic() - started
            fraction = min(0.95, 0.05 + elapsed / COLD_COMPILE_SECONDS)
            progress(f"Compiling the audio engine ({elapsed:.0f} s)", fraction * share)

    ticker = None
    if progress is not None:
        progress("Compiling the audio engine", 0.05 * share)
        ticker = threading.Thread(target=tick, name="glassroom-compile-progress", daemon=True)
        ticker.start()
    try:
        warm = A.Arena(A.Capacity(strips=2, tracks=1, cues=1, ring_frames=A.MAX_BLOCK))
        root = A.Root(warm)
        inp = np.zeros((16, 2), np.float32)
        out = np.zeros((16, 2), np.float32)
        run_root(root.array, inp, out, 0, 0)
        process_block(*warm.kernel_args(), inp, out, 0, 0)
    finally:
        done.set()
        if ticker is not None:
            ticker.join()
    if progress is not None:
        progress("Audio engine mixer ready", share)


def build_callback(progress: Callable[[str, float], None] | None = None):
    """Compile the PortAudio callback; returns the numba cfunc (use `.address`)."""
    started = time.monotonic()
    warm_kernel(progress, 0.6)
    if progress is not None:
        progress("Compiling the audio engine: callback", 0.6)
    callback = _compile_cfunc()
    if progress is not None:
        progress(f"Audio engine ready ({time.monotonic() - started:.1f} s)", 1.0)
    return callback


def _compile_cfunc():
    def pa_callback(inp_ptr, out_ptr, frames, time_info, status, user_data):
        root = carray(user_data, 2, dtype=np.int64)
        table = carray(_address_as_pointer(root[0]), len(A.ARRAYS), dtype=np.int64)
        ctl = carray(_address_as_pointer(table[10]), A.CTL_SIZE, dtype=np.int64)
        inp = carray(inp_ptr, (frames, ctl[A.K_IN_CHANNELS]), dtype=np.float32)
        out = carray(out_ptr, (frames, ctl[A.K_OUT_CHANNELS]), dtype=np.float32)
        stamp = carray(time_info, 3, dtype=np.float64)
        run_root(root, inp, out, np.int64(status), np.int64(stamp[1] * 1e6))
        return PA_CONTINUE

    signature = sigutils.normalize_signature(PA_CALLBACK_SIG)
    callback = CFunc(pa_callback, signature, locals={}, options={"nopython": True})
    callback.enable_caching()
    if _STALE:
        callback._cache.flush()
    callback.compile()
    return callback


@njit(nogil=True, cache=True)
def compiled_fingerprint():
    """The kernel fingerprint this module's cached machine code was built for."""
    return KERNEL_FINGERPRINT


_STALE = discard_stale_cache(globals(), compiled_fingerprint)
