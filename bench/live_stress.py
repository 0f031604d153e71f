"""Live stress: 64 tracks through the cfunc callback on a JACK dummy server at 128 frames,
while a second Python thread spins a busy pure-Python loop.

Prints, once per 10 s and at the end: late cycles (JACK's xrun count from a JACK-Client
xrun callback, the kernel's own late-cycle and status-flag counts), ring underruns and
PortAudio's DSP load. Runs 10 minutes; 60 s with GLASSROOM_BENCH_SHORT=1.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
from _jackd import start_server, stop_jack, watch_xruns
from _sessions import busy_strip, write_sources

RATE = 48000
PERIOD = 128
TRACKS = 64
SOURCES = 8
SOURCE_SECONDS = 10


def make_session(folder: Path):
    from app.session import store
    from app.session.model import Clip, Track, TrackKind

    project = store.create_project(folder)
    media = write_sources(folder, project, SOURCES, SOURCE_SECONDS, RATE)
    reverb, delay = Track("Reverb", TrackKind.BUS), Track("Delay", TrackKind.BUS)
    for i in range(TRACKS):
        t = Track(f"Track {i + 1}")
        t.clips.append(Clip(media[i % SOURCES].id, 0, RATE * SOURCE_SECONDS, fade_in=480))
        busy_strip(t, i, reverb, delay)
        project.tracks.append(t)
    project.tracks += [reverb, delay]
    project.loop.start, project.loop.end, project.loop.enabled = 0, RATE * SOURCE_SECONDS, True
    return project


def busy(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(2000))


def main() -> int:
    if shutil.which("jackd") is None:
        print("jackd is not installed: skipped")
        return 0
    seconds = 60 if os.environ.get("GLASSROOM_BENCH_SHORT") else 600
    name = f"glassroom-bench-{uuid.uuid4().hex[:6]}"
    server, realtime = start_server(name, RATE, PERIOD)
    if server is None:
        print("jackd would not start")
        return 1
    print(f"JACK dummy server {name}: {'real-time' if realtime else 'no real-time'} scheduling")
    os.environ["JACK_DEFAULT_SERVER"] = name
    from app.engine.engine import Engine

    xruns: list[float] = []
    watcher = watch_xruns("glassroom-bench-xruns", name, xruns)
    stop = threading.Event()
    engine = Engine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "Stress.glassroom"
        project = make_session(folder)
        t0 = time.monotonic()
        engine.open(
            "portaudio",
            blocksize=PERIOD,
            progress=lambda text, f: print(f"  {text} ({f:.0%})", flush=True),
        )
        print(f"engine open in {time.monotonic() - t0:.1f} s; latency {engine.backend.latency}")
        engine.load(project, folder)
        engine.play()
        spinner = threading.Thread(target=busy, args=(stop,), daemon=True)
        spinner.start()
        start_fb = engine.read_feedback()
        xruns_at_start = len(xruns)
        loads = []
        started = time.monotonic()
        next_report = started + 10
        try:
            while time.monotonic() - started < seconds:
                time.sleep(0.25)
                fb = engine.read_feedback()
                loads.append(fb.dsp_load)
                if time.monotonic() >= next_report:
                    next_report += 10
                    late = fb.late_cycles - start_fb.late_cycles
                    print(
                        f"  {time.monotonic() - started:5.0f} s: jack xruns "
                        f"{len(xruns) - xruns_at_start}, late {late}, "
                        f"flags {fb.xruns - start_fb.xruns}, underruns {fb.underrun_frames}, "
                        f"dsp {fb.dsp_load:.1%}",
                        flush=True,
                    )
        finally:
            stop.set()
            fb = engine.read_feedback()
            engine.close()
            stop_jack(server, watcher)
    blocks = fb.blocks - start_fb.blocks
    print(
        f"live_stress: {TRACKS} tracks, {PERIOD} frames, {seconds} s with a busy Python thread: "
        f"{blocks} blocks, JACK xruns {len(xruns) - xruns_at_start}, "
        f"kernel late cycles {fb.late_cycles - start_fb.late_cycles}, "
        f"status-flag blocks {fb.xruns - start_fb.xruns}, ring underrun frames "
        f"{fb.underrun_frames}, DSP load mean {np.mean(loads):.1%} max {np.max(loads):.1%}"
    )
    print(f"backend at the end: {fb.backend}; fallback: {fb.fallback_reason}")
    return 0 if fb.backend == "portaudio" else 1


if __name__ == "__main__":
    sys.exit(main())
