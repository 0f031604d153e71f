"""Benchmark: waveform peak pyramid build rate and envelope query latency.

Makes (once, cached under /tmp) an hour of 48 kHz mono float32 WAV, then prints the warm
build rate next to np.sum over the same memory map (the memory-bandwidth ceiling), and
the p99 time of a 2000-pixel envelope at ten zooms from the whole file down to about one
frame per pixel. GLASSROOM_BENCH_SHORT=1 uses a 2-minute file and fewer iterations.

Run: .venv/bin/python bench/peaks.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from app.session.media import map_audio
from app.session.peaks import PeakPyramid, build_peaks

RATE = 48000
PIXELS = 2000
CACHE = Path(tempfile.gettempdir()) / "glassroom-bench"


def make_file(path: Path, seconds: int) -> None:
    """Write `seconds` of a noisy sine sweep in one-minute chunks (never whole in memory)."""
    if path.exists() and sf.info(str(path)).frames == seconds * RATE:
        return
    tmp = path.with_suffix(".tmp.wav")
    rng = np.random.default_rng(1)
    chunk = 60 * RATE
    with sf.SoundFile(str(tmp), "w", RATE, 1, subtype="FLOAT") as f:
        for s in range(0, seconds * RATE, chunk):
            n = min(chunk, seconds * RATE - s)
            t = (s + np.arange(n)) / RATE
            x = 0.5 * np.sin(2 * np.pi * (100 + t) * t) + 0.1 * rng.standard_normal(n)
            f.write(x.astype(np.float32))
    os.replace(tmp, path)


def timed(fn, repeats: int) -> float:
    """Best wall time of `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    short = os.environ.get("GLASSROOM_BENCH_SHORT") == "1"
    seconds = 120 if short else 3600
    calls = 50 if short else 300
    repeats = 2 if short else 3
    CACHE.mkdir(parents=True, exist_ok=True)
    audio = CACHE / f"peaks-{seconds}s.wav"
    make_file(audio, seconds)
    peaks = CACHE / f"peaks-{seconds}s.peaks"
    nbytes = audio.stat().st_size

    build_peaks(audio, peaks)  # warms the page cache and numba's compile cache
    build = timed(lambda: build_peaks(audio, peaks), repeats)
    mapped = map_audio(audio)
    np.sum(mapped, dtype=np.float64)
    total = timed(lambda: np.sum(mapped, dtype=np.float64), repeats)
    print(f"file: {seconds} s mono float32 at {RATE} Hz, {nbytes / 1e6:.0f} MB")
    print(
        f"peaks build: {nbytes / build / 1e9:.1f} GB/s ({build * 1e3:.0f} ms; "
        f"np.sum over the same map: {nbytes / total / 1e9:.1f} GB/s)"
    )

    pyr = PeakPyramid.open(peaks, audio)
    rng = np.random.default_rng(2)
    frames = pyr.frames
    worst = 0.0
    for spp in np.geomspace(frames / PIXELS, 1.0, 10):
        span = max(PIXELS, int(spp * PIXELS))
        starts = rng.integers(0, max(1, frames - span), calls)
        pyr.envelope(int(starts[0]), int(starts[0]) + span, PIXELS)
        times = []
        for s in starts:
            t = time.perf_counter()
            pyr.envelope(int(s), int(s) + span, PIXELS)
            times.append(time.perf_counter() - t)
        p99 = float(np.percentile(times, 99)) * 1e3
        worst = max(worst, p99)
        print(
            f"envelope {PIXELS} px at {span / PIXELS:>9.1f} frames/px: "
            f"p99 {p99:.3f} ms, median {np.median(times) * 1e3:.3f} ms ({calls} calls)"
        )
    print(f"envelope p99 worst over all zooms: {worst:.3f} ms")


if __name__ == "__main__":
    main()
