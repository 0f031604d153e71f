"""Audio import: every format soundfile writes, resampling, progress, cancel, and bad input."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.session import media
from app.session.media import Cancelled, MediaError, import_audio, map_audio, probe

RATE = 48000


def sine(seconds: float, rate: int = RATE, freq: float = 1000.0, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = 0.5 * np.sin(2 * np.pi * freq * t)
    cols = [x * (0.9**c) for c in range(channels)]
    return np.stack(cols, axis=1).astype(np.float32)


def wav_bytes(
    channels: int = 2,
    rate: int = RATE,
    bits: int = 16,
    tag: int = 1,
    data: bytes = b"",
    declared: int | None = None,
    block_align: int | None = None,
    before_fmt: bytes = b"",
) -> bytes:
    """A RIFF WAVE file built by hand, so headers can lie."""
    align = block_align if block_align is not None else (channels * bits // 8) & 0xFFFF
    fmt = struct.pack("<HHIIHH", tag, channels, rate, (rate * align) & 0xFFFFFFFF, align, bits)
    body = (
        b"WAVE"
        + before_fmt
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data) if declared is None else declared)
        + data
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pcm16(x: np.ndarray) -> bytes:
    return (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def audio_files(project: Path) -> list[str]:
    folder = project / "audio"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "Song.glassroom"
    folder.mkdir()
    return folder


def refused(src: Path, project: Path, *words: str) -> MediaError:
    before = digest(src) if src.is_file() else None
    with pytest.raises(MediaError) as info:
        import_audio(src, project, RATE)
    message = str(info.value)
    assert src.name in message
    for word in words:
        assert word.lower() in message.lower(), message
    assert audio_files(project) == []
    if before is not None:
        assert digest(src) == before
    return info.value


# --- bad input ----------------------------------------------------------------------


def test_zero_byte_file_is_refused(tmp_path, project):
    src = tmp_path / "empty.wav"
    src.write_bytes(b"")
    refused(src, project, "empty")


def test_random_bytes_are_refused(tmp_path, project):
    src = tmp_path / "noise.wav"
    src.write_bytes(np.random.default_rng(7).bytes(8192))
    refused(src, project, "not a readable audio file")


def test_header_only_file_is_refused(tmp_path, project):
    src = tmp_path / "header.wav"
    src.write_bytes(wav_bytes())
    assert probe(src).frames == 0
    refused(src, project, "no audio")


def test_file_shorter_than_10_ms_is_refused(tmp_path, project):
    src = tmp_path / "blip.wav"
    sf.write(src, sine(0.009), RATE)
    refused(src, project, "10 ms")


@pytest.mark.parametrize("rate", [0, 1, 4_000_000_000, 7999, 768_001])
def test_unsupported_sample_rates_are_refused(tmp_path, project, rate):
    src = tmp_path / f"rate{rate}.wav"
    src.write_bytes(wav_bytes(rate=rate, data=pcm16(sine(0.1))))
    refused(src, project, f"sample rate of {rate} Hz", "8000..768000")


def test_65535_channels_are_refused(tmp_path, project):
    src = tmp_path / "wide.wav"
    src.write_bytes(wav_bytes(channels=65535, data=bytes(65535 * 2 * 4)))
    refused(src, project, "65535 channels")


def test_more_than_64_channels_are_refused(tmp_path, project):
    src = tmp_path / "many.wav"
    sf.write(src, np.zeros((4800, 65), np.float32), RATE, subtype="PCM_16")
    refused(src, project, "65 channels")


def test_folder_is_refused(tmp_path, project):
    src = tmp_path / "a folder.wav"
    src.mkdir()
    refused(src, project, "folder")


def test_missing_file_is_refused(tmp_path, project):
    refused(tmp_path / "gone.wav", project, "does not exist")


def test_project_rate_out_of_range_is_a_value_error(tmp_path, project):
    src = tmp_path / "ok.wav"
    sf.write(src, sine(0.1), RATE)
    with pytest.raises(ValueError):
        import_audio(src, project, 1000)


# --- damaged but usable input ---------------------------------------------------------


def test_file_truncated_mid_frame_imports_what_is_there(tmp_path, project):
    x = sine(0.5)
    raw = wav_bytes(data=pcm16(x))
    src = tmp_path / "cut.wav"
    src.write_bytes(raw[:-3])
    result = import_audio(src, project, RATE)
    assert result.media.frames == len(x) - 1
    assert any("partway through a sample frame" in w for w in result.warnings)
    got, _ = sf.read(project / result.media.path, dtype="float32")
    want = np.frombuffer(pcm16(x), "<i2").reshape(-1, 2)[:-1] / 32768.0
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_data_chunk_longer_than_file_imports_what_is_there(tmp_path, project):
    x = sine(0.5)
    src = tmp_path / "liar.wav"
    src.write_bytes(wav_bytes(data=pcm16(x), declared=len(x) * 4 * 3))
    result = import_audio(src, project, RATE)
    assert result.media.frames == len(x)
    assert any("shorter than its header says" in w for w in result.warnings)
    assert any(str(len(x)) in w and str(3 * len(x)) in w for w in result.warnings)


def test_float_wav_full_of_nan_imports_as_silence(tmp_path, project):
    x = np.full((4800, 2), np.nan, np.float32)
    x[::7, 1] = np.inf
    src = tmp_path / "nan.wav"
    sf.write(src, x, RATE, subtype="FLOAT")
    result = import_audio(src, project, RATE)
    got, _ = sf.read(project / result.media.path, dtype="float32")
    assert got.shape == x.shape
    assert np.all(got == 0.0)
    assert any(f"{x.size} invalid samples" in w for w in result.warnings)


def test_some_nan_and_inf_are_zeroed_and_counted(tmp_path, project):
    x = sine(0.2)
    x[100, 0] = np.nan
    x[200, 1] = -np.inf
    x[300, 0] = np.inf
    src = tmp_path / "spiky.wav"
    sf.write(src, x, RATE, subtype="FLOAT")
    result = import_audio(src, project, RATE)
    got, _ = sf.read(project / result.media.path, dtype="float32")
    assert got[100, 0] == got[200, 1] == got[300, 0] == 0.0
    clean = np.isfinite(x)
    np.testing.assert_array_equal(got[clean], x[clean])
    assert any("3 invalid samples" in w for w in result.warnings)


# --- formats ------------------------------------------------------------------------

LOSSLESS = [
    ("WAV", "PCM_16", "wav"),
    ("WAV", "PCM_24", "wav"),
    ("WAV", "FLOAT", "wav"),
    ("RF64", "FLOAT", "rf64"),
    ("W64", "PCM_24", "w64"),
    ("AIFF", "PCM_16", "aiff"),
    ("FLAC", "PCM_24", "flac"),
]


@pytest.mark.parametrize(("fmt", "subtype", "ext"), LOSSLESS)
def test_lossless_round_trip_is_exact(tmp_path, project, fmt, subtype, ext):
    src = tmp_path / f"take.{ext}"
    sf.write(src, sine(0.5), RATE, format=fmt, subtype=subtype)
    want, _ = sf.read(src, dtype="float32", always_2d=True)
    result = import_audio(src, project, RATE)
    assert result.warnings == []
    assert result.media.path == "audio/take.wav"
    assert result.media.name == src.name
    assert (result.media.frames, result.media.channels) == want.shape
    assert result.media.sample_rate == RATE
    out = project / result.media.path
    assert sf.info(out).subtype == "FLOAT"
    got, rate = sf.read(out, dtype="float32", always_2d=True)
    assert rate == RATE
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.asarray(map_audio(out)), want)


LOSSY = [("OGG", "VORBIS", "ogg"), ("OGG", "OPUS", "opus"), ("MP3", "MPEG_LAYER_III", "mp3")]


def level_db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


@pytest.mark.parametrize(("fmt", "subtype", "ext"), LOSSY)
def test_lossy_round_trip_keeps_level_and_pitch(tmp_path, project, fmt, subtype, ext):
    x = sine(1.0)
    src = tmp_path / f"take.{ext}"
    sf.write(src, x, RATE, format=fmt, subtype=subtype)
    result = import_audio(src, project, RATE)
    got, _ = sf.read(project / result.media.path, dtype="float32", always_2d=True)
    assert got.shape[1] == 2
    assert abs(len(got) - len(x)) < 0.1 * RATE
    middle = got[len(got) // 4 : 3 * len(got) // 4]
    for c in range(2):
        assert abs(level_db(middle[:, c]) - level_db(x[:, c])) < 1.0
        assert abs(dominant_hz(middle[:, c], RATE) - 1000.0) < 5.0


def test_bwf_with_bext_chunk_imports(tmp_path, project):
    x = sine(0.3)
    bext = b"Glassroom test".ljust(256, b"\0") + bytes(602 - 256)
    chunk = b"bext" + struct.pack("<I", len(bext)) + bext
    src = tmp_path / "broadcast.wav"
    src.write_bytes(wav_bytes(data=pcm16(x), before_fmt=chunk))
    assert b"bext" in src.read_bytes()[:64]
    result = import_audio(src, project, RATE)
    assert result.warnings == []
    got, _ = sf.read(project / result.media.path, dtype="float32")
    want = np.frombuffer(pcm16(x), "<i2").reshape(-1, 2) / 32768.0
    np.testing.assert_allclose(got, want, atol=1e-6)


# --- conversion ------------------------------------------------------------------------


def test_resampling_44k1_to_48k_keeps_length_and_pitch(tmp_path, project):
    src = tmp_path / "cd.wav"
    sf.write(src, sine(2.0, rate=44100), 44100, subtype="FLOAT")
    result = import_audio(src, project, RATE)
    assert result.media.frames == 96000
    assert result.media.sample_rate == RATE
    got, rate = sf.read(project / result.media.path, dtype="float32")
    assert rate == RATE and len(got) == 96000
    assert abs(dominant_hz(got[:, 0], RATE) - 1000.0) < 1.0
    middle = got[RATE // 2 : -RATE // 2, 0]
    assert abs(np.max(np.abs(middle)) - 0.5) < 0.01


def test_progress_is_monotonic_and_ends_at_one(tmp_path, project):
    src = tmp_path / "long.flac"
    sf.write(src, sine(6.0, rate=44100), 44100)
    seen: list[float] = []
    import_audio(src, project, RATE, progress=seen.append)
    assert len(seen) > 3
    assert seen == sorted(seen)
    assert seen[0] >= 0.0 and seen[-1] == 1.0


def test_cancel_removes_the_temp_file_and_keeps_the_source(tmp_path, project):
    src = tmp_path / "long.wav"
    sf.write(src, sine(6.0), RATE)
    before = digest(src)
    calls = 0

    def cancel() -> bool:
        nonlocal calls
        calls += 1
        return calls > 2

    with pytest.raises(Cancelled):
        import_audio(src, project, RATE, cancel=cancel)
    assert calls == 3
    assert audio_files(project) == []
    assert digest(src) == before


def test_names_are_unique_and_existing_files_untouched(tmp_path, project):
    src = tmp_path / "vox.aiff"
    sf.write(src, sine(0.1), RATE, format="AIFF")
    (project / "audio").mkdir()
    mine = project / "audio" / "vox.wav"
    mine.write_bytes(b"the user's own file")
    first = import_audio(src, project, RATE)
    second = import_audio(src, project, RATE)
    assert first.media.path == "audio/vox-2.wav"
    assert second.media.path == "audio/vox-3.wav"
    assert first.media.id != second.media.id
    assert mine.read_bytes() == b"the user's own file"
    assert audio_files(project) == ["vox-2.wav", "vox-3.wav", "vox.wav"]


def test_large_output_switches_to_rf64(tmp_path, project, monkeypatch):
    monkeypatch.setattr(media, "RF64_THRESHOLD", 0)
    src = tmp_path / "big.wav"
    x = sine(0.25, channels=3)
    sf.write(src, x, RATE, subtype="FLOAT")
    result = import_audio(src, project, RATE)
    out = project / result.media.path
    assert out.read_bytes()[:4] == b"RF64"
    assert sf.info(out).format == "RF64"
    mapped = map_audio(out)
    assert mapped.shape == x.shape and not mapped.flags.writeable
    np.testing.assert_array_equal(np.asarray(mapped), x)


def test_output_outgrowing_wav_starts_over_as_rf64(tmp_path, project, monkeypatch):
    monkeypatch.setattr(media, "WAV_DATA_LIMIT", 100_000)
    src = tmp_path / "grows.flac"
    x = sine(3.0)
    sf.write(src, x, RATE)
    seen: list[float] = []
    result = import_audio(src, project, RATE, progress=seen.append)
    out = project / result.media.path
    assert out.read_bytes()[:4] == b"RF64"
    assert audio_files(project) == ["grows.wav"]
    got, _ = sf.read(out, dtype="float32", always_2d=True)
    np.testing.assert_array_equal(got, sf.read(src, dtype="float32", always_2d=True)[0])
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_map_audio_counts_frames_from_the_file_size_when_header_is_stale(tmp_path):
    x = sine(0.1).astype("<f4")
    path = tmp_path / "killed.wav"
    path.write_bytes(wav_bytes(bits=32, tag=3, data=x.tobytes(), declared=0))
    assert media.audio_data_offset(path)[1:] == (len(x), 2)
    np.testing.assert_array_equal(np.asarray(map_audio(path)), x)


def test_map_audio_refuses_non_float_files(tmp_path):
    path = tmp_path / "int.wav"
    path.write_bytes(wav_bytes(data=pcm16(sine(0.1))))
    with pytest.raises(MediaError, match="32-bit float"):
        map_audio(path)
