"""Benchmark: the mixer's meters, 128 strips at 30 Hz, fed by a running engine.

Builds a 128-track project whose clips all play one 20-second file (a pulsing noise,
each track at its own offset and fader, so every meter moves), opens the engine on the
clock backend, plays it in a loop and shows the MixerWindow (1600 x 900). Then it runs
the Qt event loop for 10 s (3 s with GLASSROOM_BENCH_SHORT=1) with wide strips, then
again with narrow ones (more meters on screen), and prints the GUI thread's CPU share
(time.thread_time over wall time), the meter ticks per second and the cost of one tick.
Reach: at most 20% of one core.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/mixer_meters.py
(under `xvfb-run -a` without QT_QPA_PLATFORM to paint into a real X server).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app.engine.engine import Engine
from app.session import media, store
from app.session.edits import EditHistory
from app.session.model import Clip, Project, Track
from app.ui.mixer import MixerWindow
from app.ui.theme import apply_theme

RATE = 48000
STRIPS = 128
FILE_SECONDS = 20
REACH = 0.20


def make_project(folder: Path) -> Project:
    project = store.create_project(folder, sample_rate=RATE, name="Meters")
    rng = np.random.default_rng(7)
    n = FILE_SECONDS * RATE
    t = np.arange(n) / RATE
    pulse = 0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t) ** 2
    audio = (0.3 * rng.standard_normal(n) * pulse).astype(np.float32)
    src = folder.parent / "pulse.wav"
    sf.write(src, audio, RATE, subtype="FLOAT")
    mf = media.import_audio(src, folder, RATE).media
    project.media[mf.id] = mf
    length = (FILE_SECONDS - 2) * RATE
    for i in range(STRIPS):
        track = Track(f"Track {i + 1}")
        offset = int(rng.integers(0, 2 * RATE))
        track.clips.append(Clip(mf.id, 0, length, source_offset=offset))
        track.strip.fader_db = float(rng.uniform(-20.0, 0.0))
        track.strip.pan = float(rng.uniform(-1.0, 1.0))
        project.tracks.append(track)
    project.loop.start, project.loop.end, project.loop.enabled = 0, length, True
    return project


def run_for(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main() -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    seconds = 3.0 if os.environ.get("GLASSROOM_BENCH_SHORT") else 10.0
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    with tempfile.TemporaryDirectory(prefix="glassroom-meters-") as tmp:
        folder = Path(tmp) / "Meters.glassroom"
        project = make_project(folder)
        engine = Engine()
        engine.load(project, folder)
        engine.open("clock")
        engine.play()
        win = MixerWindow(project, EditHistory(project), engine, folder=folder)
        win.resize(1600, 900)
        win.show()
        ticks = [0]
        win.meter_timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
        # Let the window settle (first layout and paint) before measuring.
        run_for(1.0)
        moving = sum(1 for s in win.strips.values() if s.meter.peak_text() != "-inf")
        results = {}
        for narrow in (False, True):
            win.set_narrow(narrow)
            run_for(0.5)
            visible = sum(1 for s in win.strips.values() if not s.visibleRegion().isEmpty())
            ticks[0] = 0
            wall0, cpu0 = time.monotonic(), time.thread_time()
            run_for(seconds)
            wall, cpu = time.monotonic() - wall0, time.thread_time() - cpu0
            results["narrow" if narrow else "wide"] = (visible, ticks[0] / wall, cpu / wall)
        t0 = time.thread_time()
        for _ in range(30):
            win.tick()
        per_tick = (time.thread_time() - t0) / 30
        fb = engine.read_feedback()
        engine.close()
        win.close()
    print(f"strips: {len(win.strips)}, meters with signal: {moving}; "
          f"engine: {fb.backend}, late cycles {fb.late_cycles}")
    print(f"one tick (read feedback + {len(win.strips)} meters, no paint): "
          f"{per_tick * 1000:.2f} ms")
    for name, (visible, rate, share) in results.items():
        print(f"{name} strips ({visible} on screen), {rate:.1f} meter ticks/s over {seconds:g} s: "
              f"GUI thread CPU {share * 100:.1f}% of one core (reach <= {REACH * 100:.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
