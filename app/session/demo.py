"""The demo project: a one-minute song synthesised with numpy, so Glassroom opens on music.

`make_demo(folder)` writes four stems (drums, bass, keys and a sung-like lead) at
48 kHz, 120 BPM in 4/4, imports them through the normal media import, and lays them
out as a small mix: coloured tracks with strip settings, a reverb bus fed by the keys
and the lead, Verse and Chorus markers, and a "Vocal booth" cue mix with the lead up.
The output is deterministic: the same seed gives the same samples every time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from app.session import media, store
from app.session.model import (
    Clip,
    CueMix,
    CueSend,
    Marker,
    Project,
    Send,
    Track,
    TrackKind,
)

RATE = 48000
BPM = 120.0
BARS = 30
BEAT = int(RATE * 60 / BPM)
BAR = 4 * BEAT
LENGTH = BARS * BAR  # 60 s exactly
SEED = 20240611

VERSE_BAR = 4
CHORUS_BAR = 16

# One chord per bar: (bass root, keys voicing), MIDI note numbers.
_CHORDS = {
    "Am": (45, (57, 60, 64, 69)),
    "F": (41, (53, 57, 60, 65)),
    "C": (48, (55, 60, 64, 67)),
    "G": (43, (55, 59, 62, 67)),
}
_PROGRESSION = ["Am", "F", "C", "G"] * 4 + ["F", "G", "C", "Am"] * 3 + ["F", "C"]

# Lead phrases: (beat within the phrase, length in beats, MIDI note).
_VERSE_A = [(0, 1, 64), (1, 1, 67), (2, 2, 69), (4, 1.5, 69), (5.5, 0.5, 67), (6, 2, 65),
            (8, 1, 64), (9, 1, 65), (10, 2, 67), (12, 1, 67), (13, 1, 65), (14, 2, 62)]
_VERSE_B = [(0, 1, 69), (1, 1, 72), (2, 2, 71), (4, 1.5, 69), (5.5, 0.5, 67), (6, 2, 69),
            (8, 1, 67), (9, 1, 64), (10, 2, 67), (12, 3, 62)]
_CHORUS_A = [(0, 1.5, 72), (1.5, 0.5, 72), (2, 2, 74), (4, 1.5, 74), (5.5, 0.5, 72),
             (6, 2, 71), (8, 2, 72), (10, 1, 76), (11, 1, 74), (12, 4, 72)]
_CHORUS_B = [(0, 1, 69), (1, 1, 72), (2, 2, 77), (4, 1, 74), (5, 1, 76), (6, 2, 79),
             (8, 1.5, 76), (9.5, 0.5, 74), (10, 2, 72), (12, 4, 69)]
_ENDING = [(0, 2, 74), (2, 2, 72), (4, 4, 72)]
_LEAD = [(4, _VERSE_A), (8, _VERSE_B), (12, _VERSE_A),
         (16, _CHORUS_A), (20, _CHORUS_B), (24, _CHORUS_A), (28, _ENDING)]

# Formants (Hz) and bandwidths for a few sung vowels.
_VOWELS = {
    "a": ((800, 1150, 2900), (80, 90, 120)),
    "o": ((450, 800, 2830), (70, 80, 100)),
    "e": ((400, 2000, 2550), (60, 100, 120)),
    "u": ((350, 600, 2700), (50, 60, 170)),
}
_VOWEL_ORDER = "aoeaaueo"


def _hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * RATE)) / RATE


def _add(out: np.ndarray, sound: np.ndarray, at: int) -> None:
    """Mix `sound` into `out` starting at frame `at`, cut at the end of `out`."""
    if at >= len(out):
        return
    n = min(len(sound), len(out) - at)
    out[at:at + n] += sound[:n]


def _band(noise: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Noise limited to [lo, hi] Hz with soft edges, by shaping its spectrum."""
    spectrum = np.fft.rfft(noise)
    f = np.fft.rfftfreq(len(noise), 1 / RATE)
    gain = 1.0 / (1.0 + (lo / np.maximum(f, 1.0)) ** 4) / (1.0 + (f / hi) ** 4)
    return np.fft.irfft(spectrum * gain, len(noise))


def _kick(rng: np.random.Generator) -> np.ndarray:
    t = _t(0.45)
    freq = 48.0 + 110.0 * np.exp(-t / 0.03)
    body = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t / 0.2)
    click = _band(rng.standard_normal(len(t)), 1500, 6000) * np.exp(-t / 0.003)
    return np.tanh(1.6 * (body + 0.4 * click)) / np.tanh(1.6)


def _snare(rng: np.random.Generator) -> np.ndarray:
    t = _t(0.35)
    tone = (np.sin(2 * np.pi * 185 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)) * np.exp(-t / 0.06)
    noise = _band(rng.standard_normal(len(t)), 1200, 9000)
    noise *= np.exp(-t / 0.11) / (np.abs(noise).max() + 1e-9)
    return 0.55 * tone + 0.9 * noise


def _hat(rng: np.random.Generator, decay: float) -> np.ndarray:
    t = _t(max(0.08, decay * 5))
    noise = _band(rng.standard_normal(len(t)), 7000, 16000)
    return noise / (np.abs(noise).max() + 1e-9) * np.exp(-t / decay)


def _drums(rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(LENGTH)
    kick, snare = _kick(rng), _snare(rng)
    closed, opened = _hat(rng, 0.025), _hat(rng, 0.16)

    def hit(sound: np.ndarray, bar: int, beat: float, level: float) -> None:
        jitter = int(rng.normal(0, 0.002) * RATE)  # a drummer is never on the grid
        at = max(0, bar * BAR + int(beat * BEAT) + jitter)
        _add(out, sound * level * (1 + rng.normal(0, 0.05)), at)

    for bar in range(BARS):
        intro, chorus = bar < VERSE_BAR, bar >= CHORUS_BAR
        for eighth in range(8):
            beat = eighth / 2
            if chorus and eighth % 2 == 1:
                hit(opened, bar, beat, 0.22)
            else:
                hit(closed, bar, beat, 0.28 if eighth % 2 == 0 else 0.17)
        hit(kick, bar, 0, 1.0)
        if intro:
            continue
        hit(kick, bar, 2, 0.9)
        if chorus:
            hit(kick, bar, 1.5, 0.7)
        hit(snare, bar, 1, 0.8)
        hit(snare, bar, 3, 0.8)
        if bar % 4 == 3:
            hit(snare, bar, 3.5, 0.45)
            hit(snare, bar, 3.75, 0.55)
    return out


def _envelope(n: int, attack: float, release: float) -> np.ndarray:
    env = np.ones(n)
    a, r = min(n, int(attack * RATE)), min(n, int(release * RATE))
    env[:a] = np.linspace(0, 1, a, endpoint=False)
    if r:
        env[n - r:] *= np.linspace(1, 0, r)
    return env


def _bass() -> np.ndarray:
    out = np.zeros(LENGTH)
    verse = [(0, 1.5, 0), (1.5, 0.5, 0), (2, 1, 12), (3, 0.5, 0), (3.5, 0.5, 7)]
    chorus = [(i / 2, 0.45, 12 if i in (3, 7) else 0) for i in range(8)]
    for bar in range(VERSE_BAR, BARS):
        root = _CHORDS[_PROGRESSION[bar]][0]
        for beat, length, interval in chorus if bar >= CHORUS_BAR else verse:
            f = _hz(root + interval)
            t = _t(length * 60 / BPM * 0.95)
            # A saw's first harmonics, rolled off like a closed low-pass.
            tone = sum(np.sin(2 * np.pi * k * f * t) / k / (1 + (k * f / 500) ** 2)
                       for k in range(1, 9))
            decay = 0.6 + 0.4 * np.exp(-t / 0.12)
            _add(out, tone * decay * _envelope(len(t), 0.004, 0.03), bar * BAR + int(beat * BEAT))
    return out


def _keys() -> np.ndarray:
    """A soft FM electric piano: a bar-long chord, struck again on the "and" of 3."""
    out = np.zeros(LENGTH)
    for bar in range(BARS):
        for beat, length, level in ((0, 4, 1.0), (2.5, 1.5, 0.55)):
            t = _t(length * 60 / BPM)
            env = np.exp(-t / 1.4) * _envelope(len(t), 0.004, 0.08)
            index = 1.6 * np.exp(-t / 0.35)
            for note in _CHORDS[_PROGRESSION[bar]][1]:
                w = 2 * np.pi * _hz(note) * t
                _add(out, level * env * np.sin(w + index * np.sin(w)), bar * BAR + int(beat * BEAT))
    return out


def _lead(rng: np.random.Generator) -> np.ndarray:
    """A vowel-like voice: harmonics of a gliding, vibrato'd pitch shaped by formants."""
    start = VERSE_BAR * BAR
    n = LENGTH - start
    hop = 64  # control rate for pitch, loudness and vowel: smooth enough, 64x cheaper
    m = n // hop + 1
    pitch = np.full(m, np.nan)
    amp = np.zeros(m)
    formants = np.tile(np.array(_VOWELS["a"][0], float), (m, 1))
    widths = np.tile(np.array(_VOWELS["a"][1], float), (m, 1))
    vib_age = np.zeros(m)
    count = 0
    for phrase_bar, phrase in _LEAD:
        for beat, length, note in phrase:
            a = ((phrase_bar - VERSE_BAR) * BAR + int(beat * BEAT)) // hop
            b = a + int(length * BEAT * 0.92) // hop
            pitch[a:b] = note
            shape = _envelope(b - a, 0.05 * RATE / hop, 0.09 * RATE / hop)
            amp[a:b] = shape * (0.8 + 0.2 * rng.random())
            f, w = _VOWELS[_VOWEL_ORDER[count % len(_VOWEL_ORDER)]]
            formants[a:b], widths[a:b] = f, w
            vib_age[a:b] = np.arange(b - a) * hop / RATE
            count += 1
    # Hold the last pitch through rests so the voice glides into each new note.
    idx = np.where(~np.isnan(pitch), np.arange(m), 0)
    np.maximum.accumulate(idx, out=idx)
    pitch, formants, widths = pitch[idx], formants[idx], widths[idx]
    pitch[np.isnan(pitch)] = 64
    glide = np.exp(-hop / (0.045 * RATE))
    smooth = np.empty(m)
    acc = pitch[0]
    for i in range(m):
        acc = pitch[i] + (acc - pitch[i]) * glide
        smooth[i] = acc
    ctrl_t = np.arange(m) * hop / RATE
    vibrato = 0.28 * np.clip((vib_age - 0.18) / 0.3, 0, 1) * np.sin(2 * np.pi * 5.4 * ctrl_t)
    f0 = 440.0 * 2.0 ** ((smooth + vibrato - 69) / 12.0)
    for k in range(3):
        formants[:, k] = np.convolve(formants[:, k], np.ones(40) / 40, mode="same")
    formants[:40], formants[-40:] = formants[40], formants[-41]

    def up(x: np.ndarray) -> np.ndarray:
        return np.interp(np.arange(n) / hop, np.arange(m), x)

    f0_audio = up(f0)
    phase = 2 * np.pi * np.cumsum(f0_audio) / RATE
    voice = np.zeros(n)
    for k in range(1, 17):
        fk = k * f0
        weight = np.zeros(m)
        for j in range(3):
            weight += (1.0, 0.6, 0.3)[j] / (1 + ((fk - formants[:, j]) / (widths[:, j] / 2)) ** 2)
        weight *= k ** -0.6 * (fk < 7000)
        voice += up(weight * amp) * np.sin(k * phase)
    breath = _band(rng.standard_normal(n), 2000, 8000) * up(amp) * 0.01
    out = np.zeros(LENGTH)
    out[start:] = voice + breath
    return out


def _normalise(x: np.ndarray, peak_db: float) -> np.ndarray:
    return (x * (10 ** (peak_db / 20) / (np.abs(x).max() + 1e-12))).astype(np.float32)


_STEMS: list[tuple[str, str, float, Callable[[np.random.Generator], np.ndarray]]] = [
    ("Drums", "#e0714f", -1.0, _drums),
    ("Bass", "#e8b94a", -3.0, lambda rng: _bass()),
    ("Keys", "#5fb58a", -4.0, lambda rng: _keys()),
    ("Lead Vox", "#5aa6e6", -2.0, _lead),
]


def render_stems(seed: int = SEED) -> dict[str, np.ndarray]:
    """The four demo stems as mono float32 arrays of LENGTH frames at RATE, by track name."""
    rng = np.random.default_rng(seed)
    return {name: _normalise(make(rng), peak) for name, _colour, peak, make in _STEMS}


def make_demo(folder: str | Path) -> Project:
    """Create the demo project in `folder` (which must not hold a project yet) and save it."""
    folder = Path(folder)
    project = store.create_project(folder, sample_rate=RATE, name="Demo")
    project.tempo = BPM
    project.meter_num, project.meter_den = 4, 4
    reverb = Track("Reverb", TrackKind.BUS, colour="#9a7fd1", bus_effect="reverb")
    reverb.strip.fader_db = -6.0
    stems = render_stems()
    tracks = {}
    with tempfile.TemporaryDirectory(prefix="glassroom-demo-") as tmp:
        for name, colour, _peak, _make in _STEMS:
            wav = Path(tmp) / f"{name}.wav"
            sf.write(wav, stems[name], RATE, subtype="FLOAT")
            imported = media.import_audio(wav, folder, RATE)
            mf = imported.media
            project.media[mf.id] = mf
            track = Track(name, colour=colour)
            track.clips.append(Clip(mf.id, 0, mf.frames, name=name))
            project.tracks.append(track)
            tracks[name] = track
    _mix(tracks, reverb)
    project.tracks.append(reverb)
    project.markers = [Marker("Verse", VERSE_BAR * BAR), Marker("Chorus", CHORUS_BAR * BAR)]
    booth = CueMix("Vocal booth", output=2)
    for t in project.tracks:
        if t.kind is TrackKind.AUDIO:
            booth.sends[t.id] = CueSend(level_db=-6.0)
    booth.sends[tracks["Lead Vox"].id] = CueSend(level_db=3.0)
    booth.sends[reverb.id] = CueSend(level_db=-10.0)
    project.cues.append(booth)
    store.save_project(project, folder)
    return project


def _mix(tracks: dict[str, Track], reverb: Track) -> None:
    """Strip settings a mix engineer might start from."""
    drums, bass, keys, lead = (tracks[n] for n in ("Drums", "Bass", "Keys", "Lead Vox"))
    drums.strip.fader_db = -4.0
    drums.strip.comp_on = True
    drums.strip.comp_threshold_db = -12.0
    drums.strip.comp_ratio = 3.0
    drums.strip.eq[0].gain_db = 2.0
    bass.strip.fader_db = -6.0
    bass.strip.hpf_on = True
    bass.strip.hpf_freq = 35.0
    bass.strip.comp_on = True
    keys.strip.fader_db = -9.0
    keys.strip.pan = -0.25
    keys.strip.hpf_on = True
    keys.strip.hpf_freq = 120.0
    keys.strip.sends.append(Send(reverb.id, level_db=-14.0))
    lead.strip.fader_db = -3.0
    lead.strip.pan = 0.05
    lead.strip.hpf_on = True
    lead.strip.hpf_freq = 100.0
    lead.strip.comp_on = True
    lead.strip.comp_threshold_db = -20.0
    lead.strip.eq[2].gain_db = 2.5
    lead.strip.sends.append(Send(reverb.id, level_db=-9.0))
