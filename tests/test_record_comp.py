"""Comping: a take lane's comp is what a track plays and renders, crossfaded where
ranges meet, checked against a numpy reference built from the takes' files."""

from __future__ import annotations

import math

import numpy as np
from test_engine_offline import noise, pan_law, render, wav_media

from app.engine.engine import Engine
from app.session import store
from app.session.model import Clip, CompRange, Take, Track

TOTAL = 60000


def comped(tmp_path, crossfade: int):
    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    a = noise(48000, 1, 51)
    b = noise(48000, 2, 52)
    ma = wav_media(project, folder, "take1", a)
    mb = wav_media(project, folder, "take2", b)
    track = Track("Vox")
    ta, tb = Take(ma.id, 1000, 48000), Take(mb.id, 3000, 45000, source_offset=3000)
    track.takes.takes += [ta, tb]
    # Recording leaves each take as a clip as well: with a comp they do not play.
    track.clips += [Clip(ma.id, 1000, 48000), Clip(mb.id, 3000, 45000, 3000)]
    track.takes.comp = [
        CompRange(ta.id, 2000, 20000),
        CompRange(tb.id, 20000, 40000),
        CompRange(ta.id, 45000, 47000),
    ]
    track.takes.crossfade = crossfade
    project.tracks.append(track)
    return project, folder, a, b


def reference(a: np.ndarray, b: np.ndarray, crossfade: int) -> np.ndarray:
    out = np.zeros((TOTAL, 2))
    sa = np.repeat(a, 2, axis=1).astype(np.float64)
    sb = b.astype(np.float64)
    h = crossfade // 2
    f = 2 * h
    i = np.arange(f)
    fade_in = np.sin(i / f * math.pi / 2) if f else np.zeros(0)
    fade_out = np.sin((f - 1 - i) / f * math.pi / 2) if f else np.zeros(0)
    # Take 1 (timeline t is its frame t - 1000) from 2000 to 20000 + h, fading out.
    ga = np.ones(18000 + h)
    if f:
        ga[-f:] = fade_out
    out[2000 : 20000 + h] += sa[1000 : 19000 + h] * ga[:, None]
    # Take 2 (timeline t is its file frame t - 3000 + 3000 = t) from 20000 - h to 40000.
    gb = np.ones(20000 + h)
    if f:
        gb[:f] = fade_in
    out[20000 - h : 40000] += sb[20000 - h : 40000] * gb[:, None]
    # Take 1 again, alone: hard edges.
    out[45000:47000] += sa[44000:46000]
    left, right = pan_law(0.0)
    return out * np.array([left, right])


def test_the_comp_plays_with_crossfades_and_not_the_clips(tmp_path):
    engine = Engine()
    project, folder, a, b = comped(tmp_path, 480)
    mixed = render(engine, project, folder, TOTAL)
    np.testing.assert_allclose(mixed, reference(a, b, 480), rtol=1e-6, atol=1e-7)
    # Equal power across the crossfade: no dip in level where the takes meet.
    span = slice(20000 - 240, 20000 + 240)
    assert np.abs(mixed[span]).max() > 0.5 * np.abs(mixed[19000:19500]).max()


def test_without_a_crossfade_the_comp_cuts_and_without_a_comp_the_clips_play(tmp_path):
    engine = Engine()
    project, folder, a, b = comped(tmp_path, 0)
    np.testing.assert_allclose(
        render(engine, project, folder, TOTAL), reference(a, b, 0), rtol=1e-6, atol=1e-7
    )
    project.tracks[0].takes.comp = []
    clips = render(engine, project, folder, TOTAL)
    left, right = pan_law(0.0)
    expected = np.zeros((TOTAL, 2))
    expected[1000:49000] += np.repeat(a, 2, axis=1) * [left, right]
    expected[3000:48000] += b[3000:48000] * [left, right]
    np.testing.assert_allclose(clips, expected, rtol=1e-6, atol=1e-7)
