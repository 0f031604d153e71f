"""Live stress: 64 tracks through the cfunc callback on a JACK dummy server at 128 frames,
while a second Python thread spins a busy pure-Python loop.

Prints, once per 10 s and at the end: late cycles (JACK's xrun count from a JACK-Client
xrun callback, the kernel's own late-cycle and status-flag counts), ring underruns and
PortAudio's DSP load. Runs 10 minutes; 60 s with GLASSROOM_BENCH_SHORT=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000
PERIOD = 128
TRACKS = 64
SOURCES = 8
SOURCE_SECONDS = 10


def start_jack(name: str, realtime: bool) -> subprocess.Popen[bytes] | None:
    scheduling = ["-R", "-P", "70"] if realtime else ["--no-realtime"]
    server = subprocess.Popen(
        ["jackd", "-n", name, *scheduling, "-d", "dummy", "-r", str(RATE), "-p", str(PERIOD)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        probe = subprocess.run(["jack_lsp", "-s", name], capture_output=True)
        if probe.returncode == 0:
            return server
        if server.poll() is not None:
            return None
        time.sleep(0.05)
    server.kill()
    server.wait()
    return None


def make_session(folder: Path):
    from app.session import store
    from app.session.model import Clip, MediaFile, Send, Track, TrackKind

    project = store.create_project(folder)
    rng = np.random.default_rng(7)
    media = []
    for i in range(SOURCES):
        data = (rng.standard_normal((RATE * SOURCE_SECONDS, 2)) * 0.05).astype(np.float32)
        sf.write(folder / "audio" / f"src{i}.wav", data, RATE, subtype="FLOAT")
        m = MediaFile(f"audio/src{i}.wav", data.shape[0], 2, RATE)
        project.media[m.id] = m
        media.append(m)
    reverb, delay = Track("Reverb", TrackKind.BUS), Track("Delay", TrackKind.BUS)
    for i in range(TRACKS):
        t = Track(f"Track {i + 1}")
        t.clips.append(Clip(media[i % SOURCES].id, 0, RATE * SOURCE_SECONDS, fade_in=480))
        t.strip.pan = (i % 9 - 4) / 4
        t.strip.eq_on = True
        t.strip.eq[1].gain_db = 3.0
        t.strip.comp_on = True
        t.strip.sends = [Send(reverb.id, -12.0), Send(delay.id, -18.0)]
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
    # A real-time server (as a studio runs it) where the system allows, so the figures
    # measure the engine rather than the scheduler; otherwise an ordinary one.
    realtime = True
    server = start_jack(name, realtime=True)
    if server is None:
        realtime = False
        server = start_jack(name, realtime=False)
    if server is None:
        print("jackd would not start")
        return 1
    print(f"JACK dummy server {name}: {'real-time' if realtime else 'no real-time'} scheduling")
    os.environ["JACK_DEFAULT_SERVER"] = name
    import jack

    from app.engine.engine import Engine

    xruns = []
    watcher = jack.Client("glassroom-bench-xruns", no_start_server=True, servername=name)
    watcher.set_xrun_callback(lambda delay: xruns.append(delay))
    watcher.activate()
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
            import sounddevice

            sounddevice._terminate()  # PortAudio must leave JACK before the server stops
            watcher.deactivate()
            watcher.close()
            server.terminate()
            server.wait(timeout=10)
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
