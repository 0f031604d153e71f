"""Test material the benchmarks share: stems on disk, projects made of them, and noise
sources with a busy mixer strip for the stress runs.

Not a benchmark itself: run_all.py skips modules whose name starts with "_".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from app.session import edits, media, store
from app.session.model import Clip, MediaFile, Project, Send, Track


def make_stems(folder: Path, tracks: int, seconds: int, rate: int, tone: float,
               noise: float) -> list[Path]:
    """Stereo float32 WAVs `stemNN.wav` (kept when already there): a decaying tone pattern
    of level `tone` over noise of level `noise`, different per track. Each is written under
    another name first, so an interrupted run never leaves a short stem behind."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(tracks):
        path = folder / f"stem{k:02d}.wav"
        paths.append(path)
        if path.exists():
            continue
        rng = np.random.default_rng(k)
        partial = path.with_suffix(".part")
        with sf.SoundFile(partial, "w", rate, 2, subtype="FLOAT", format="WAV") as f:
            for s in range(seconds):
                t = np.arange(rate) / rate + s
                env = np.exp(-4.0 * (t % 0.5))
                wave = tone * env * np.sin(2 * np.pi * (110 + 37 * k) * t)
                f.write((wave[:, None] + noise * rng.standard_normal((rate, 2)))
                        .astype(np.float32))
        partial.rename(path)
    return paths


def stems_project(folder: Path, stems: list[Path], rate: int, name: str,
                  dress: Callable[[Track], None] | None = None) -> Project:
    """A new project in `folder` with one track per stem holding it whole, imported as the
    app imports; `dress(track)` sets each track up before it is added. Not saved."""
    project = store.create_project(folder, sample_rate=rate, name=name)
    history = edits.EditHistory(project)
    for path in stems:
        mf = media.import_audio(path, folder, rate).media
        track = Track(path.stem)
        if dress is not None:
            dress(track)
        clip = Clip(mf.id, 0, mf.frames, name=path.stem)
        history.apply(edits.Compound("import", [edits.AddTrack(track),
                                                edits.AddClip(track.id, clip, mf)]))
    return project


def write_sources(folder: Path, project: Project, sources: int, seconds: int,
                  rate: int) -> list[MediaFile]:
    """`sources` stereo noise files of `seconds` in the project's audio/, in its media pool."""
    rng = np.random.default_rng(7)
    pool = []
    for i in range(sources):
        data = (rng.standard_normal((rate * seconds, 2)) * 0.05).astype(np.float32)
        sf.write(folder / "audio" / f"src{i}.wav", data, rate, subtype="FLOAT")
        m = MediaFile(f"audio/src{i}.wav", data.shape[0], 2, rate)
        project.media[m.id] = m
        pool.append(m)
    return pool


def busy_strip(track: Track, i: int, reverb: Track, delay: Track) -> None:
    """The stress runs' strip for the i-th track: panned, EQ and compressor on, two sends."""
    track.strip.pan = (i % 9 - 4) / 4
    track.strip.eq_on = True
    track.strip.eq[1].gain_db = 3.0
    track.strip.comp_on = True
    track.strip.sends = [Send(reverb.id, -12.0), Send(delay.id, -18.0)]
