"""Benchmark: offline bounce of a multitrack project with the full strip chain.

Makes (once, cached under /tmp) 32 stereo float32 WAVs of 60 s at 48 kHz and a real
project folder using them, every strip with high-pass, 4 EQ bands with non-zero gains,
gate, compressor (compressing), pan, fader, two sends to aux buses and two cue sends
(configured as bench/engine_capacity.py does). Then prints times realtime for:

- ours: `Engine.render` of the whole project to a WAV (the offline backend over the
  live kernel, reading the project audio from disk), at 128-frame blocks (what the
  export uses, and what the ratios below compare) and at the largest block;
- sox (when installed): per file `sox in.wav tmp.wav highpass equalizer... compand
  remix` (the same filters, gate and compressor as a compand curve, pan and fader),
  then `sox -m` of the results, timing the whole;
- pedalboard (optional, not a project dependency): per file read, the per-track chain
  of bench/engine_capacity.py, pan and fader, summed into the mix, then written.

Each is timed ROUNDS times, interleaved round by round so that a slow spell of the
(shared) machine falls on all of them alike, and the median is printed.

Reach: >= 60x realtime, and >= 5x both. GLASSROOM_BENCH_SHORT=1: 8 tracks of 10 s.

Run: .venv/bin/python bench/bounce.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from _sessions import make_stems, stems_project
from engine_capacity import (
    COMP_ATTACK,
    COMP_MAKEUP,
    COMP_RATIO,
    COMP_RELEASE,
    COMP_THRESHOLD,
    EQ,
    GATE_THRESHOLD,
    HPF_HZ,
    add_routing,
    pedalboard_chain,
    pedalboard_module,
    strip_settings,
)

from app.engine.arena import MAX_BLOCK
from app.engine.engine import Engine
from app.session import store

RATE = 48000
SHORT = bool(os.environ.get("GLASSROOM_BENCH_SHORT"))
TRACKS, SECONDS = (8, 10) if SHORT else (32, 60)
ROUNDS = 3
CACHE = Path(tempfile.gettempdir()) / "glassroom-bench" / f"bounce-{TRACKS}x{SECONDS}"


def make_project(stems: list[Path]) -> Path:
    folder = CACHE / "Bounce.glassroom"
    if (folder / store.PROJECT_FILE).is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    rng = np.random.default_rng(0)
    project = stems_project(folder, stems, RATE, "Bounce",
                            dress=lambda track: strip_settings(track, rng))
    add_routing(project, list(project.tracks))
    store.save_project(project, folder)
    return folder


def run_ours(folder: Path, out_dir: Path, blocksize: int) -> float:
    project = store.open_project(folder).project
    engine = Engine()
    # One second first, untimed, so loading numba's cached machine code is not counted.
    warm = out_dir / f"warm{blocksize}.wav"
    engine.render(project, folder, warm, range=(0, RATE))
    out = out_dir / f"ours{blocksize}.wav"
    t0 = time.perf_counter()
    result = engine.render(project, folder, out, blocksize=blocksize)
    seconds = time.perf_counter() - t0
    warm.unlink()
    out.unlink()
    if result is None or result.frames < SECONDS * RATE:
        raise RuntimeError("the render did not cover the project")
    return seconds


def pan_gains(pan: float) -> tuple[float, float]:
    theta = (pan + 1.0) * np.pi / 4.0
    return float(np.cos(theta)), float(np.sin(theta))


def strips_of(folder: Path) -> list[tuple[Path, float, float, float]]:
    """(file, left gain, right gain, fader gain) of each track, from the project."""
    project = store.open_project(folder).project
    rows = []
    for t in project.tracks:
        if not t.clips:
            continue
        path = folder / project.media[t.clips[0].media].path
        left, right = pan_gains(t.strip.pan)
        rows.append((path, left, right, 10 ** (t.strip.fader_db / 20)))
    return rows


def run_sox(rows: list[tuple[Path, float, float, float]], out_dir: Path) -> float:
    eq = []
    for kind, freq, gain, q in EQ:
        if kind == "low_shelf":
            eq += ["bass", f"{gain:+g}", f"{freq:g}"]
        elif kind == "high_shelf":
            eq += ["treble", f"{gain:+g}", f"{freq:g}"]
        else:
            eq += ["equalizer", f"{freq:g}", f"{q:g}q", f"{gain:+g}"]
    # The gate as a downward expander under its threshold, the compressor above its own.
    top = COMP_THRESHOLD * (1 - 1 / COMP_RATIO)
    curve = (f"6:{GATE_THRESHOLD - 10:g},-120,{GATE_THRESHOLD:g},{GATE_THRESHOLD:g},"
             f"{COMP_THRESHOLD:g},{COMP_THRESHOLD:g},0,{top:g}")
    compand = ["compand", f"{COMP_ATTACK / 1000:g},{COMP_RELEASE / 1000:g}", curve,
               f"{COMP_MAKEUP:g}"]
    t0 = time.perf_counter()
    parts = []
    for k, (path, left, right, fader) in enumerate(rows):
        part = out_dir / f"sox{k:02d}.wav"
        remix = ["remix", f"1v{left * fader:.6f}", f"2v{right * fader:.6f}"]
        subprocess.run(["sox", "-V1", str(path), "-e", "floating-point", str(part), "highpass",
                        f"{HPF_HZ:g}", *eq, *compand, *remix], check=True)
        parts.append(str(part))
    subprocess.run(["sox", "-V1", "-m", *parts, "-e", "floating-point",
                    str(out_dir / "sox.wav")], check=True)
    return time.perf_counter() - t0


def run_pedalboard(pb, rows: list[tuple[Path, float, float, float]], out_dir: Path) -> float:
    t0 = time.perf_counter()
    mix = None
    for path, left, right, fader in rows:
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
        board = pedalboard_chain(pb)
        y = board(np.ascontiguousarray(audio.T), rate)
        y[0] *= left * fader
        y[1] *= right * fader
        mix = y if mix is None else mix + y
    sf.write(out_dir / "pedalboard.wav", mix.T, RATE, subtype="FLOAT")
    return time.perf_counter() - t0


def main() -> int:
    t_start = time.monotonic()
    stems = make_stems(CACHE / "stems", TRACKS, SECONDS, RATE, tone=0.4, noise=0.05)
    folder = make_project(stems)
    rows = strips_of(folder)
    print(f"{TRACKS} tracks x {SECONDS} s at {RATE} Hz, each with HPF, 4 EQ bands, gate, "
          "compressor, pan, fader (ours also 2 aux sends and 2 cue sends); "
          f"median of {ROUNDS} interleaved rounds")
    pb = pedalboard_module()
    has_sox = shutil.which("sox") is not None
    times: dict[str, list[float]] = {"ours": [], "big": [], "sox": [], "pedalboard": []}
    with tempfile.TemporaryDirectory(prefix="glassroom-bounce-") as tmp:
        out_dir = Path(tmp)
        for _ in range(ROUNDS):
            times["ours"].append(run_ours(folder, out_dir, 128))
            times["big"].append(run_ours(folder, out_dir, MAX_BLOCK))
            if has_sox:
                times["sox"].append(run_sox(rows, out_dir))
            if pb is not None:
                times["pedalboard"].append(run_pedalboard(pb, rows, out_dir))

    def speed(name: str) -> float:
        return SECONDS / float(np.median(times[name]))

    ours = speed("ours")
    print(f"ours (Engine.render, 128-frame blocks as export uses): {ours:7.1f}x realtime "
          f"(reach >= 60x: {'yes' if ours >= 60 else 'no'})")
    print(f"ours (Engine.render, {MAX_BLOCK}-frame blocks): {speed('big'):7.1f}x realtime")
    if not has_sox:
        print("sox: not installed")
    else:
        sox = speed("sox")
        print(f"sox (per file, then -m): {sox:7.1f}x realtime; ours is {ours / sox:.1f}x "
              f"(reach >= 5x: {'yes' if ours >= 5 * sox else 'no'})")
    if pb is None:
        print("pedalboard: not installed")
    else:
        ped = speed("pedalboard")
        print(f"pedalboard (per track, then sum): {ped:7.1f}x realtime; ours is "
              f"{ours / ped:.1f}x (reach >= 5x: {'yes' if ours >= 5 * ped else 'no'})")
    print(f"total {time.monotonic() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
