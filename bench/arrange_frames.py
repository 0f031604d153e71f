"""Arrange window frame times: 32 tracks of an hour, all visible, while scrolling and
zooming without pause; then the event loop's lateness while a long import runs.

Builds (once, cached under /tmp) a project of 32 tracks, each tiled with 60 one-minute
clips cut from four distinct one-minute files, so an hour of audio is on every lane.
The window is 1600 x 1000 offscreen with lanes low enough that all 32 show. For 10 s
(3 s with GLASSROOM_BENCH_SHORT=1) it alternates zoom steps around the middle and
scroll steps, repainting the arrange view synchronously each time, and prints the p50
and p99 time to paint a frame. Then it imports a long stereo file through the window's
importer and measures how late a 1 ms QTimer fires meanwhile (p50, p99, max).

    python bench/arrange_frames.py
    GLASSROOM_BENCH_SHORT=1 python bench/arrange_frames.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.session import edits as E  # noqa: E402
from app.session import media, store  # noqa: E402
from app.session.model import Clip, Track  # noqa: E402

RATE = 48000
TRACKS = 32
CLIPS = 60  # one-minute clips: an hour per track
LANE_HEIGHT = 26
WINDOW = (1600, 1000)
FRAME_BUDGET_MS = 16.0
LATENCY_BUDGET_MS = 50.0
CACHE = Path(tempfile.gettempdir()) / "glassroom-bench-arrange"


def _short() -> bool:
    return bool(os.environ.get("GLASSROOM_BENCH_SHORT"))


def build_session() -> Path:
    folder = CACHE / "Hour32.glassroom"
    if (folder / "project.json").exists():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    project = store.create_project(folder, name="Hour32")
    history = E.EditHistory(project)
    rng = np.random.default_rng(7)
    t = np.arange(60 * RATE) / RATE
    files = []
    for k in range(4):
        beat = (np.sin(2 * np.pi * 2 * t) > 0.6).astype(np.float32)
        x = 0.4 * np.sin(2 * np.pi * (110 * (k + 1)) * t) * (0.3 + 0.7 * beat)
        x += 0.05 * rng.standard_normal(t.size)
        src = CACHE / f"src{k}.wav"
        sf.write(src, x.astype(np.float32), RATE)
        files.append(media.import_audio(src, folder, RATE).media)
    for mf in files:
        history.apply(E.AddMedia(mf))
    for i in range(TRACKS):
        track = Track(f"Track {i + 1}", colour=E.tracks.TRACK_COLOURS[i % 8], height=LANE_HEIGHT)
        history.apply(E.AddTrack(track))
        mf = files[i % 4]
        for c in range(CLIPS):
            history.apply(E.AddClip(track.id, Clip(mf.id, c * 60 * RATE, 60 * RATE,
                                                   name=f"T{i + 1}.{c + 1}")))
    store.save_project(project, folder)
    return folder


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def main() -> int:
    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from app.engine.engine import Engine
    from app.ui.arrange.header import HEADER_WIDTH
    from app.ui.arrange.waveforms import PeakState
    from app.ui.main_window import MainWindow
    from app.ui.theme import apply_theme

    folder = build_session()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    engine = Engine()
    engine.open("clock")
    settings = QSettings(str(CACHE / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(engine=engine, settings=settings)
    win.resize(*WINDOW)
    win.show()
    if not win.open_folder(folder):
        return 1
    deadline = time.monotonic() + 120
    while not all(win.waveforms.state(m) is PeakState.READY for m in win.project.media):
        app.processEvents()
        if time.monotonic() > deadline:
            print("peaks did not get ready in time")
            return 1
    win.arrange.fit()
    app.processEvents()
    view = win.arrange
    visible = sum(1 for lane in view.lanes() if not lane.visibleRegion().isEmpty())
    seconds = 3.0 if _short() else 10.0
    frames: list[float] = []
    end = time.monotonic() + seconds
    step = 0
    zoom_in = True
    scale = view.scale
    viewport = view.scroll.viewport()
    while time.monotonic() < end:
        if step % 2:
            if scale.frames_per_pixel <= 4:
                zoom_in = False
            elif scale.frames_per_pixel >= scale.max_zoom_out():
                zoom_in = True
            view.zoom(0.8 if zoom_in else 1.25, scale.width * 0.5)
        else:
            scale.set_origin(scale.origin + scale.width * scale.frames_per_pixel * 0.07)
            if scale.x_of(scale.extent()) <= scale.width + 1:
                scale.set_origin(0)
        t0 = time.perf_counter()
        # what a scroll or zoom repaints: the ruler and the lanes (headers stay)
        view.ruler.repaint()
        viewport.repaint(HEADER_WIDTH, 0, viewport.width() - HEADER_WIDTH, viewport.height())
        frames.append((time.perf_counter() - t0) * 1000)
        app.processEvents()
        step += 1
    p50, p99 = percentile(frames, 50), percentile(frames, 99)
    print(f"lanes visible: {visible} of {len(view.lanes())}, session "
          f"{win.project.length() / RATE / 3600:.2f} h, window {WINDOW[0]}x{WINDOW[1]}")
    print(f"paint while scrolling and zooming ({len(frames)} frames in {seconds:g} s): "
          f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {max(frames):.2f} ms  "
          f"(goal p99 <= {FRAME_BUDGET_MS:g} ms)")

    src_seconds = 60 if _short() else 300
    long_src = CACHE / f"long{src_seconds}.wav"
    if not long_src.exists():
        x = 0.2 * np.random.default_rng(1).standard_normal((src_seconds * 44100, 2))
        sf.write(long_src, x.astype(np.float32), 44100)  # resampled to 48 kHz on import
    lateness: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last[0]) * 1000 - 1.0))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    timer.start(1)
    started = time.monotonic()
    win.import_files([long_src])
    while win.importing() or win.waveforms.building():
        app.processEvents()
    took = time.monotonic() - started
    timer.stop()
    lat50, lat99 = percentile(lateness, 50), percentile(lateness, 99)
    print(f"event-loop lateness of a 1 ms timer while importing {src_seconds} s of stereo "
          f"44.1 kHz ({took:.1f} s, {len(lateness)} ticks): p50 {lat50:.2f} ms  "
          f"p99 {lat99:.2f} ms  max {max(lateness, default=0):.2f} ms  "
          f"(goal p99 <= {LATENCY_BUDGET_MS:g} ms)")
    if win.import_errors:
        print("import problems:", win.import_errors)
    win.history.undo()  # leave the cached session as it was
    win.history.mark_clean()
    win.close()
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
