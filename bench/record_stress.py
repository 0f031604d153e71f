"""Record stress: 16 inputs recording while 64 tracks play, on a JACK dummy server at
128 frames (16 capture ports), while the real MainWindow scrolls its arrange view on a
timer in an offscreen QApplication.

The window records takes of TAKE_SECONDS one after another, as an engineer would, and
each finished take is checked: every armed track's file must hold exactly the frames
the kernel captured for the take (its stream-frame span), none of them silence put in
for an overrun. Prints, every 10 s and at the end:

- samples lost: frames missing from the takes' files against their captured spans,
  plus frames written as silence because the disk fell behind, plus frames the kernel
  did not process against the device's own frame counter (JACK's frame time);
- late cycles: JACK's xruns (from a JACK-Client callback) and the kernel's own late
  cycles and status flags.

Goal: 0 and 0 over 10 minutes. GLASSROOM_BENCH_SHORT=1 runs 60 s (CI).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import soundfile as sf
from _jackd import start_server, stop_jack, watch_xruns
from _sessions import busy_strip, write_sources

RATE = 48000
PERIOD = 128
TRACKS = 64
INPUTS = 16
SOURCES = 8
SOURCE_SECONDS = 10
TAKE_SECONDS = 20
SCROLL_MS = 16


def make_session(folder: Path, seconds: int):
    from app.session import store
    from app.session.model import Clip, MonitorMode, Track, TrackKind

    project = store.create_project(folder)
    media = write_sources(folder, project, SOURCES, SOURCE_SECONDS, RATE)
    reverb, delay = Track("Reverb", TrackKind.BUS), Track("Delay", TrackKind.BUS)
    for i in range(TRACKS):
        t = Track(f"Track {i + 1}")
        for k in range(0, seconds + 120, SOURCE_SECONDS):  # no loop: passes would split takes
            t.clips.append(Clip(media[(i + k) % SOURCES].id, k * RATE, RATE * SOURCE_SECONDS))
        busy_strip(t, i, reverb, delay)
        project.tracks.append(t)
    for i in range(INPUTS):
        t = Track(f"Input {i + 1}", armed=True, monitor=MonitorMode.OFF)
        t.input.channels = [i]
        project.tracks.append(t)
    project.tracks += [reverb, delay]
    store.save_project(project, folder)
    return project


class Stats:
    def __init__(self) -> None:
        self.takes = 0
        self.files = 0
        self.missing = 0  # frames absent from files against the captured span
        self.bad = 0  # files that could not be read back at their length


def check_takes(window, folder: Path, span: tuple[int, int], stats: Stats) -> None:
    """Every armed track's last take holds the whole captured span; then its files go
    (this is a scratch session: ten minutes of 16 inputs would fill the disk)."""
    expected = span[1] - span[0]
    for track in window.project.tracks:
        if not track.armed or not track.takes.takes:
            continue
        take = track.takes.takes[-1]
        media = window.project.media[take.media]
        path = folder / media.path
        stats.files += 1
        stats.missing += max(0, expected - take.length)
        try:
            if sf.info(str(path)).frames != take.length:
                stats.bad += 1
        except RuntimeError:
            stats.bad += 1
        path.unlink(missing_ok=True)
        Path(str(path) + ".take.json").unlink(missing_ok=True)
    stats.takes += 1


def main() -> int:
    if shutil.which("jackd") is None:
        print("jackd is not installed: skipped")
        return 0
    seconds = 60 if os.environ.get("GLASSROOM_BENCH_SHORT") else 600
    name = f"glassroom-rec-{uuid.uuid4().hex[:6]}"
    server, realtime = start_server(name, RATE, PERIOD, INPUTS)
    if server is None:
        print("jackd would not start")
        return 1
    print(f"JACK dummy server {name} ({INPUTS} in): "
          f"{'real-time' if realtime else 'no real-time'} scheduling")
    os.environ["JACK_DEFAULT_SERVER"] = name
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.engine.engine import Engine
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    xruns: list[float] = []
    watcher = watch_xruns("glassroom-rec-xruns", name, xruns)
    engine = Engine()
    stats = Stats()
    code = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "Record.glassroom"
        make_session(folder, seconds)
        t0 = time.monotonic()
        engine.open("portaudio", blocksize=PERIOD, inputs=INPUTS,
                    progress=lambda text, f: print(f"  {text} ({f:.0%})", flush=True))
        print(f"engine open in {time.monotonic() - t0:.1f} s: {engine.backend.inputs} inputs, "
              f"latency {engine.backend.latency}")
        if engine.backend.inputs < INPUTS:
            print(f"the device offers {engine.backend.inputs} inputs, not {INPUTS}")
            code = 1
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(engine=engine, settings=settings)
        window.resize(1400, 900)
        window.show()
        window.open_folder(folder)
        view = window.arrange
        scale = view.scale

        def scroll() -> None:
            scale.set_origin(scale.origin + scale.width * scale.frames_per_pixel * 0.02)
            if scale.x_of(scale.extent()) <= scale.width + 1:
                scale.set_origin(0)
            bar = view.scroll.verticalScrollBar()
            bar.setValue(bar.value() + 7 if bar.value() < bar.maximum() else 0)

        scroller = QTimer()
        scroller.timeout.connect(scroll)
        scroller.start(SCROLL_MS)

        def pump(duration: float) -> None:
            end = time.monotonic() + duration
            while time.monotonic() < end:
                app.processEvents()
                time.sleep(0.002)

        window.play_stop()
        pump(1.0)
        start_fb = engine.read_feedback()
        device0 = watcher.last_frame_time
        xruns0 = len(xruns)
        started = time.monotonic()
        next_report = started + 10
        try:
            while time.monotonic() - started < seconds:
                window.toggle_record()
                take_end = min(time.monotonic() + TAKE_SECONDS, started + seconds)
                while time.monotonic() < take_end:
                    pump(0.25)
                    if time.monotonic() >= next_report:
                        next_report += 10
                        fb = engine.read_feedback()
                        late = fb.late_cycles - start_fb.late_cycles
                        print(f"  {time.monotonic() - started:5.0f} s: takes {stats.takes}, "
                              f"lost {stats.missing + fb.capture_lost}, jack xruns "
                              f"{len(xruns) - xruns0}, late {late}, dsp {fb.dsp_load:.1%}",
                              flush=True)
                window.toggle_record()
                deadline = time.monotonic() + 10
                while window.feedback is None or window.feedback.recording:
                    pump(0.05)
                    if time.monotonic() > deadline:
                        break
                span = engine.read_feedback().take_span
                armed = [t for t in window.project.tracks if t.armed]
                deadline = time.monotonic() + 10
                while any(len(t.takes.takes) <= stats.takes for t in armed):
                    pump(0.05)
                    if time.monotonic() > deadline:
                        print("  a take did not arrive in the window in time")
                        stats.bad += 1
                        break
                check_takes(window, folder, span, stats)
        finally:
            scroller.stop()
            fb = engine.read_feedback()
            device1 = watcher.last_frame_time
            window.history.mark_clean()
            window.close()
            engine.close()
            stop_jack(server, watcher)
    processed = fb.frames - start_fb.frames
    device = (device1 - device0) % (1 << 32)
    # Both counters are read a moment apart: up to a period either way is not a loss.
    unprocessed = max(0, device - processed - PERIOD)
    lost = stats.missing + fb.capture_lost + unprocessed
    late = (len(xruns) - xruns0) + (fb.late_cycles - start_fb.late_cycles)
    print(
        f"record_stress: {INPUTS} inputs recording, {TRACKS} tracks playing, {PERIOD} frames, "
        f"{seconds} s with the arrange view scrolling: {stats.takes} takes, {stats.files} files "
        f"({stats.bad} unreadable); samples lost {lost} (missing from files "
        f"{stats.missing}, overrun silence {fb.capture_lost}, unprocessed device frames "
        f"{unprocessed} of {device}); late cycles {late} (JACK xruns {len(xruns) - xruns0}, "
        f"kernel late {fb.late_cycles - start_fb.late_cycles}, status flags "
        f"{fb.xruns - start_fb.xruns}); underruns {fb.underrun_frames}"
    )
    print(f"backend at the end: {fb.backend}; fallback: {fb.fallback_reason}")
    if fb.backend != "portaudio" or stats.bad or stats.takes == 0:
        code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
