"""Benchmark: export of a multitrack project to loudness-normalised FLAC, against sox and ffmpeg.

Makes (once, cached under /tmp) 32 stereo tracks of 3 minutes at 48 kHz and a project
using them, then times Glassroom's export (offline render of the mix, measure, gain to
-16 LUFS with a -1 dBTP ceiling, 24-bit FLAC) and prints it in times realtime next to
`sox` (mixing the same files with -m, then a second pass with `gain -n -1`, sox's peak
normalisation: it has no loudness normalisation) and `ffmpeg` (amix + loudnorm) doing
the mixdown and normalisation of the same stems. The three take turns, REPEATS times,
and the medians are printed: the machine may be shared. GLASSROOM_BENCH_SHORT=1 uses
8 tracks of 20 s, once each.

Run: .venv/bin/python bench/export.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _sessions import make_stems, stems_project

from app.engine.engine import Engine
from app.engine.export import ExportSettings, export_project
from app.session import store

RATE = 48000
TARGET = -16.0
SHORT = bool(os.environ.get("GLASSROOM_BENCH_SHORT"))
TRACKS, SECONDS = (8, 20) if SHORT else (32, 180)
REPEATS = 1 if SHORT else 3
CACHE = Path(tempfile.gettempdir()) / "glassroom-bench" / f"export-{TRACKS}x{SECONDS}"


def make_project(stems: list[Path]) -> Path:
    folder = CACHE / "Bench.glassroom"
    if (folder / store.PROJECT_FILE).is_file():
        return folder
    project = stems_project(folder, stems, RATE, "Bench")
    store.save_project(project, folder)
    return folder


def run_ours(folder: Path, out: Path) -> tuple[float, float, float, float]:
    """(seconds in all, seconds rendering, delivered LUFS, delivered dBTP)."""
    project = store.open_project(folder).project
    engine = Engine()
    settings = ExportSettings(format="flac", bit_depth=24, normalize=TARGET, name="ours")
    # One second first, untimed, so numba's first-run cache load is not counted.
    warm = ExportSettings(format="flac", bit_depth=24, normalize=TARGET, name="warm",
                          range=(0, RATE))
    export_project(engine, project, folder, out, warm)
    rendered: list[float] = []

    def progress(f: float) -> None:
        # export_project reports rendering as the first half of its progress.
        if f >= 0.5 and not rendered:
            rendered.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    result = export_project(engine, project, folder, out, settings, progress)
    took = time.perf_counter() - t0
    engine.close()
    report = result.files[0].report
    return took, rendered[0], report.integrated, report.true_peak


def run_sox(stems: list[Path], out: Path) -> float | None:
    if shutil.which("sox") is None:
        return None
    mixed = out / "sox-mix.wav"
    t0 = time.perf_counter()
    subprocess.run(["sox", "-m", *map(str, stems), "-b", "32", "-e", "floating-point",
                    str(mixed)], check=True, capture_output=True)
    subprocess.run(["sox", str(mixed), "-b", "24", str(out / "sox.flac"), "gain", "-n", "-1"],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def run_ffmpeg(stems: list[Path], out: Path) -> float | None:
    if shutil.which("ffmpeg") is None:
        return None
    inputs = [a for p in stems for a in ("-i", str(p))]
    graph = (f"amix=inputs={len(stems)}:normalize=0,"
             f"loudnorm=I={TARGET}:TP=-1:LRA=20,aresample={RATE},"
             # amix leaves the layout unset, which the FLAC encoder refuses.
             "aformat=channel_layouts=stereo")
    t0 = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *inputs,
                    "-filter_complex", graph, "-sample_fmt", "s32", str(out / "ffmpeg.flac")],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    stems = make_stems(CACHE / "stems", TRACKS, SECONDS, RATE, tone=0.1, noise=0.01)
    folder = make_project(stems)
    print(f"{TRACKS} stereo tracks x {SECONDS} s at {RATE} Hz -> FLAC 24-bit at {TARGET} LUFS"
          f" (median of {REPEATS})")
    ours: list[tuple[float, float, float, float]] = []
    others: dict[str, list[float | None]] = {"sox": [], "ffmpeg": []}
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            ours.append(run_ours(folder, Path(tmp)))
            others["sox"].append(run_sox(stems, Path(tmp)))
            others["ffmpeg"].append(run_ffmpeg(stems, Path(tmp)))
    took = statistics.median(r[0] for r in ours)
    render = statistics.median(r[1] for r in ours)
    rest = statistics.median(r[0] - r[1] for r in ours)
    print(f"glassroom: {took:7.2f} s  {SECONDS / took:7.1f}x realtime  "
          f"(render {render:.2f} s, measure/normalise/limit/encode {rest:.2f} s; "
          f"delivered at {ours[-1][2]:.2f} LUFS, {ours[-1][3]:.2f} dBTP)  "
          f"runs {', '.join(f'{r[0]:.2f}' for r in ours)}")
    for name, times in others.items():
        if None in times:
            print(f"{name}: not installed")
            continue
        t = statistics.median(times)
        print(f"{name + ':':<10} {t:7.2f} s  {SECONDS / t:7.1f}x realtime  "
              f"runs {', '.join(f'{x:.2f}' for x in times)}")


if __name__ == "__main__":
    main()
