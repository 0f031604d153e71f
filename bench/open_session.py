"""Opening a big session: 64 tracks over an hour at 48 kHz, shown whole in the main window.

Builds (once, cached under /tmp) a project whose 64 tracks each hold their own clips,
cut from four distinct one-hour mono files, and builds its peak pyramids. Then a fresh
process opens it, ensures the peaks, creates the main window offscreen, draws all 64
lanes at full zoom-out, and reports the times and its peak resident memory, which must
stay small because audio is memory-mapped, never loaded.

    python bench/open_session.py            # the full hour
    GLASSROOM_BENCH_SHORT=1 python bench/open_session.py   # 64 tracks x 2 minutes (CI)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 48000
TRACKS = 64
DISTINCT_FILES = 4
CLIPS_PER_TRACK = 12
RSS_BUDGET_MB = 400
WINDOW_SIZE = (1600, 1000)


def _config() -> tuple[str, int]:
    if os.environ.get("GLASSROOM_BENCH_SHORT"):
        return "short", 120
    return "full", 3600


def _write_long_file(path: Path, seconds: int, seed: int) -> int:
    """A mono float32 WAV of `seconds`: noise under a slowly changing loudness."""
    frames = seconds * RATE
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(RATE * 7).astype(np.float32) * 0.25
    block = RATE * 10
    tmp = path.with_suffix(".part")
    with sf.SoundFile(tmp, "w", RATE, 1, subtype="FLOAT", format="WAV") as f:
        for start in range(0, frames, block):
            n = min(block, frames - start)
            t = (start + np.arange(n)) / RATE
            envelope = 0.55 + 0.45 * np.sin(2 * np.pi * t / (23.0 + 7 * seed))
            chunk = np.resize(np.roll(noise, start % len(noise)), n) * envelope
            f.write(chunk.astype(np.float32))
    tmp.rename(path)
    return frames


def build(folder: Path, seconds: int) -> None:
    """Make the bench project in `folder` with its peaks, unless it is already complete."""
    from app.session import store
    from app.session.model import Clip, MediaFile, Track
    from app.session.peaks import ensure_peaks

    done = folder / ".complete"
    if done.exists():
        return
    if folder.exists():
        import shutil

        shutil.rmtree(folder)  # an unfinished cache of our own making
    t0 = time.perf_counter()
    project = store.create_project(folder, RATE, name="Bench")
    (folder / "audio").mkdir(exist_ok=True)
    media = []
    for i in range(DISTINCT_FILES):
        rel = f"audio/long-{i}.wav"
        frames = _write_long_file(folder / rel, seconds, i)
        mf = MediaFile(rel, frames, 1, RATE, name=f"long-{i}.wav")
        project.media[mf.id] = mf
        media.append(mf)
    t_audio = time.perf_counter() - t0
    length = seconds * RATE
    clip_len = length // CLIPS_PER_TRACK
    for n in range(TRACKS):
        track = Track(f"Track {n + 1}", colour=f"#{(n * 37) % 200 + 40:02x}90d0", height=48)
        for k in range(CLIPS_PER_TRACK):
            source = media[(n + k) % DISTINCT_FILES]
            offset = (n * 9973 + k * 4801) % (source.frames - clip_len + 1)
            gap = RATE // 2 if k else 0
            track.clips.append(Clip(source.id, k * clip_len + gap, clip_len - gap,
                                    source_offset=offset, name=f"{n + 1}.{k + 1}"))
        project.tracks.append(track)
    store.save_project(project, folder)
    t1 = time.perf_counter()
    for mf in media:
        ensure_peaks(folder, mf)
    t_peaks = time.perf_counter() - t1
    done.write_text(json.dumps({"audio_s": t_audio, "peaks_s": t_peaks}))
    print(f"built {TRACKS} tracks x {seconds} s from {DISTINCT_FILES} files: "
          f"audio written in {t_audio:.1f} s, peaks built in {t_peaks:.1f} s")


def measure(folder: Path) -> dict:
    """Runs in a fresh process: open, peaks, window, draw; the figures."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    from app.session import store
    from app.session.peaks import ensure_peaks
    from app.ui.arrange.waveforms import PeakState
    from app.ui.main_window import MainWindow
    from app.ui.theme import apply_theme

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    opened = store.open_project(folder)
    t_open = time.perf_counter() - t1
    t2 = time.perf_counter()
    for mf in opened.project.media.values():
        ensure_peaks(folder, mf)
    t_peaks = time.perf_counter() - t2

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    t3 = time.perf_counter()
    window = MainWindow()
    window.resize(*WINDOW_SIZE)
    window.show()
    if not window.open_folder(folder):
        raise SystemExit("the bench project did not open")
    deadline = time.monotonic() + 120
    rows = window.arrange.rows

    def settled() -> bool:
        ready = all(window.waveforms.state(m) is PeakState.READY for m in opened.project.media)
        return ready and rows.height() >= rows.minimumSizeHint().height() > 0

    while not settled():
        if time.monotonic() > deadline:
            raise SystemExit("peaks did not become ready within 120 s")
        app.processEvents()
        time.sleep(0.005)
    window.arrange.fit()
    t_window = time.perf_counter() - t3
    t4 = time.perf_counter()
    overview = rows.grab()  # every lane, visible or not, at full zoom-out
    t_draw = time.perf_counter() - t4
    lanes = window.arrange.lanes()
    drawn = sum(lane.drawn_waveforms for lane in lanes)
    t5 = time.perf_counter()
    window.grab()
    t_redraw = time.perf_counter() - t5
    result = {
        "tracks": len(lanes),
        "clips_drawn": drawn,
        "overview_px": [overview.width(), overview.height()],
        "imports_s": t_import,
        "open_project_ms": t_open * 1000,
        "ensure_peaks_ms": t_peaks * 1000,
        "window_ms": t_window * 1000,
        "draw_all_lanes_ms": t_draw * 1000,
        "redraw_window_ms": t_redraw * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    window.history.mark_clean()
    window.close()
    return result


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))))
        return 0
    mode, seconds = _config()
    folder = Path("/tmp/glassroom-bench") / f"open_session-{mode}" / "Bench.glassroom"
    if len(sys.argv) == 2 and sys.argv[1] == "--build":
        build(folder, seconds)
        return 0
    folder.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # Building runs in its own process: the child that measures is spawned from this one,
    # and Linux carries a parent's peak RSS over into the child's ru_maxrss.
    if subprocess.run([sys.executable, __file__, "--build"], env=env).returncode != 0:
        return 1
    child = subprocess.run([sys.executable, __file__, "--measure", str(folder)], env=env,
                           capture_output=True, text=True, timeout=900)
    if child.returncode != 0:
        print(child.stdout + child.stderr, file=sys.stderr)
        return 1
    r = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"open_session ({mode}): {r['tracks']} tracks x {seconds} s, "
          f"{r['clips_drawn']} clips drawn into {r['overview_px'][0]}x{r['overview_px'][1]} px")
    print(f"  open_project      {r['open_project_ms']:8.1f} ms")
    print(f"  ensure_peaks      {r['ensure_peaks_ms']:8.1f} ms")
    print(f"  window + open     {r['window_ms']:8.1f} ms")
    print(f"  draw all lanes    {r['draw_all_lanes_ms']:8.1f} ms")
    print(f"  redraw window     {r['redraw_window_ms']:8.1f} ms")
    print(f"  peak RSS          {r['peak_rss_mb']:8.1f} MB (budget {RSS_BUDGET_MB} MB)")
    if r["tracks"] != TRACKS or r["clips_drawn"] != TRACKS * CLIPS_PER_TRACK:
        print("open_session: not every lane drew its clips", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
