"""Audio import into a project folder, and memory-mapped access to the imported files.

Any file libsndfile reads (WAV, BWF, RF64, W64, AIFF, FLAC, OGG/Vorbis, Opus, MP3) is
converted, in streaming blocks, into a float32 WAV at the project rate inside the
project's `audio/` folder. The source is only ever read. Conversion writes a hidden temp
file and renames it to a fresh unique name at the end, so a cancelled or failed import
leaves nothing behind and never overwrites a file already there.

`map_audio` maps the samples of such a float32 WAV/RF64 file straight from disk (for the
waveform peak pyramid and close-up drawing) by parsing the RIFF chunk headers itself.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from app.session import model

MAX_CHANNELS = 64
MIN_SECONDS = 0.010
# Above this much float32 data the output is RF64: plain RIFF sizes are 32-bit, and some
# readers treat them as signed, so stay well clear of both limits.
RF64_THRESHOLD = 2**31
# libsndfile writes a WAV past 4 GiB without complaint but with a wrapped size field, so
# a conversion that outgrows its estimate starts over as RF64 before reaching this.
WAV_DATA_LIMIT = 2**32 - 2**16
AUDIO_DIR = "audio"

_WAVE_FORMAT_IEEE_FLOAT = 3
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_MAX_CHUNKS = 10_000


class MediaError(Exception):
    """A file cannot be imported or read; the message names the file and the problem."""


class Cancelled(Exception):
    """A long operation (import, peak build) was cancelled by its caller."""


@dataclass(frozen=True)
class SourceInfo:
    """What a source file holds, as libsndfile reports it."""

    frames: int
    channels: int
    sample_rate: int
    format: str
    subtype: str

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


@dataclass
class ImportResult:
    """The new media file (not yet in any Project) and anything the user should know."""

    media: model.MediaFile
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RiffLayout:
    """Where the samples sit in a RIFF/RF64 WAVE file, from its chunk headers."""

    container: str  # "RIFF" or "RF64"
    format_tag: int  # after resolving WAVE_FORMAT_EXTENSIBLE
    channels: int
    sample_rate: int
    bits: int
    block_align: int
    data_offset: int
    declared_bytes: int  # what the data chunk header (or ds64) claims
    available_bytes: int  # what the file actually holds after data_offset


def probe(path: Path) -> SourceInfo:
    """Describe an audio file, refusing anything the importer cannot use."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"Cannot import '{path}': the file does not exist.")
    if not path.is_file():
        raise MediaError(f"Cannot import '{path}': it is a folder, not an audio file.")
    if path.stat().st_size == 0:
        raise MediaError(f"Cannot import '{path.name}': the file is empty (0 bytes).")
    try:
        info = sf.info(str(path))
    except sf.LibsndfileError as e:
        # libsndfile's words for an impossible rate or channel count are cryptic
        # ("SF_INFO struct incomplete"); a WAVE header says plainly what is wrong.
        _explain_riff(path)
        reason = e.error_string.strip().rstrip(".") or "libsndfile could not open it"
        raise MediaError(
            f"Cannot import '{path.name}': not a readable audio file ({reason})."
        ) from e
    except (OSError, RuntimeError) as e:
        raise MediaError(f"Cannot import '{path.name}': {e}") from e
    _check_shape(path, info.samplerate, info.channels)
    return SourceInfo(
        frames=int(info.frames),
        channels=int(info.channels),
        sample_rate=int(info.samplerate),
        format=info.format,
        subtype=info.subtype,
    )


def _check_shape(path: Path, rate: int, channels: int) -> None:
    if not model.MIN_RATE <= rate <= model.MAX_RATE:
        raise MediaError(
            f"Cannot import '{path.name}': its sample rate of {rate} Hz is outside "
            f"the supported {model.MIN_RATE}..{model.MAX_RATE} Hz."
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise MediaError(
            f"Cannot import '{path.name}': it has {channels} channels; "
            f"at most {MAX_CHANNELS} are supported."
        )


def _explain_riff(path: Path) -> None:
    """Raise the plain reason a RIFF/RF64 file is unusable, if its header shows one."""
    try:
        layout = riff_layout(path)
    except MediaError:
        return
    _check_shape(path, layout.sample_rate, layout.channels)


def import_audio(
    src: Path,
    project_folder: Path,
    project_rate: int,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ImportResult:
    """Convert `src` into a float32 WAV at `project_rate` in `project_folder/audio/`.

    Raises MediaError for unusable input and Cancelled when `cancel()` turns true; in
    both cases nothing is left in audio/. The Project is not modified: the caller adds
    the returned MediaFile through an edit.
    """
    src = Path(src)
    project_folder = Path(project_folder)
    if not model.MIN_RATE <= project_rate <= model.MAX_RATE:
        raise ValueError(f"project rate {project_rate} Hz is outside the supported range")
    info = probe(src)
    warnings = _header_warnings(src, info)
    if info.frames == 0:
        raise MediaError(f"Cannot import '{src.name}': it contains no audio (0 frames).")
    if info.seconds < MIN_SECONDS:
        raise MediaError(
            f"Cannot import '{src.name}': it is only {info.frames} frames long "
            f"(under {MIN_SECONDS * 1000:.0f} ms)."
        )

    audio_dir = project_folder / AUDIO_DIR
    audio_dir.mkdir(parents=True, exist_ok=True)
    tmp = audio_dir / f".importing-{model.new_id()}.wav"
    try:
        expected_bytes = (info.frames * project_rate // info.sample_rate + 1) * info.channels * 4
        fmt = "RF64" if expected_bytes > RF64_THRESHOLD else "WAV"
        report = _Progress(progress)
        try:
            converted = _convert(src, tmp, info, project_rate, fmt, report, cancel)
        except _OutgrewWav:
            converted = _convert(src, tmp, info, project_rate, "RF64", report, cancel)
        frames_in, frames_out, nonfinite, read_error = converted
        if frames_in == 0:
            raise MediaError(f"Cannot import '{src.name}': no audio could be read from it.")
        if frames_in < MIN_SECONDS * info.sample_rate:
            raise MediaError(
                f"Cannot import '{src.name}': only {frames_in} frames could be read "
                f"(under {MIN_SECONDS * 1000:.0f} ms)."
            )
        if read_error:
            warnings.append(
                f"'{src.name}' could not be decoded to the end ({read_error}); imported the "
                f"first {frames_in / info.sample_rate:.2f} s."
            )
        elif frames_in < info.frames:
            warnings.append(
                f"'{src.name}' is shorter than its header says: imported {frames_in} of "
                f"{info.frames} frames."
            )
        if nonfinite:
            warnings.append(
                f"'{src.name}' contained {nonfinite} invalid samples (NaN or infinity); "
                "they were replaced by silence."
            )
        final = _claim_name(audio_dir, src.stem)
        try:
            os.replace(tmp, final)
        except OSError:
            final.unlink(missing_ok=True)
            raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    report(1.0)
    media = model.MediaFile(
        path=f"{AUDIO_DIR}/{final.name}",
        frames=frames_out,
        channels=info.channels,
        sample_rate=project_rate,
        name=src.name,
    )
    return ImportResult(media=media, warnings=warnings)


class _OutgrewWav(Exception):
    """The source decoded to more audio than its header promised, too much for WAV."""


class _Progress:
    """Forwards progress, never backwards; below 1 until the file is in place."""

    def __init__(self, sink: Callable[[float], None] | None) -> None:
        self._sink = sink
        self._done = 0.0

    def __call__(self, fraction: float) -> None:
        if self._sink is None:
            return
        self._done = max(self._done, fraction if fraction >= 1.0 else min(0.99, fraction))
        self._sink(self._done)


def _convert(
    src: Path,
    dst: Path,
    info: SourceInfo,
    rate: int,
    fmt: str,
    report: _Progress,
    cancel: Callable[[], bool] | None,
) -> tuple[int, int, int, str]:
    """Stream src into dst; returns (frames read, frames written, NaN/Inf count, error)."""
    ch = info.channels
    # About a second per block, but bounded in bytes for 768 kHz x 64 channel sources.
    block = max(4096, min(max(info.sample_rate, 65536), 8_388_608 // ch))
    resampler = (
        soxr.ResampleStream(info.sample_rate, rate, ch, dtype="float32", quality="HQ")
        if info.sample_rate != rate
        else None
    )
    frames_in = frames_out = nonfinite = 0
    read_error = ""
    try:
        with (
            sf.SoundFile(str(src)) as fin,
            sf.SoundFile(str(dst), "w", rate, ch, subtype="FLOAT", format=fmt) as fout,
        ):
            while True:
                if cancel is not None and cancel():
                    raise Cancelled(f"import of '{src.name}' cancelled")
                try:
                    x = fin.read(block, dtype="float32", always_2d=True)
                except sf.LibsndfileError as e:
                    read_error = e.error_string.strip().rstrip(".") or "read error"
                    x = np.zeros((0, ch), np.float32)
                last = len(x) < block
                if len(x):
                    bad = ~np.isfinite(x)
                    n_bad = int(np.count_nonzero(bad))
                    if n_bad:
                        x[bad] = 0.0
                        nonfinite += n_bad
                    frames_in += len(x)
                if resampler is not None:
                    x = resampler.resample_chunk(x, last=last)
                if len(x):
                    if fmt == "WAV" and (frames_out + len(x)) * ch * 4 > WAV_DATA_LIMIT:
                        raise _OutgrewWav
                    fout.write(x)
                    frames_out += len(x)
                if info.frames:
                    report(frames_in / info.frames)
                if last:
                    break
    except sf.LibsndfileError as e:
        raise MediaError(f"Cannot import '{src.name}': {e.error_string.strip()}") from e
    except OSError as e:
        raise MediaError(f"Cannot import '{src.name}': could not write the copy ({e}).") from e
    return frames_in, frames_out, nonfinite, read_error


def _header_warnings(src: Path, info: SourceInfo) -> list[str]:
    """Problems that libsndfile papers over silently in RIFF/RF64 headers."""
    if info.format not in ("WAV", "WAVEX", "RF64"):
        return []
    try:
        layout = riff_layout(src)
    except MediaError:
        return []
    out = []
    if layout.declared_bytes > layout.available_bytes:
        have = layout.available_bytes // layout.block_align
        want = layout.declared_bytes // layout.block_align
        out.append(
            f"'{src.name}' is shorter than its header says (truncated?): importing the "
            f"{have} of {want} frames that are there."
        )
    if min(layout.declared_bytes, layout.available_bytes) % layout.block_align:
        out.append(f"'{src.name}' ends partway through a sample frame; that frame was dropped.")
    return out


def _claim_name(audio_dir: Path, stem: str) -> Path:
    """Atomically reserve audio/<stem>.wav, or <stem>-2.wav ..., never reusing a name."""
    stem = re.sub(r'[\x00-\x1f<>:"/\\|?*]', "_", stem).strip().lstrip(".")[:100] or "audio"
    n = 1
    while True:
        path = audio_dir / (f"{stem}.wav" if n == 1 else f"{stem}-{n}.wav")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            return path
        except FileExistsError:
            n += 1


def riff_layout(path: Path) -> RiffLayout:
    """Parse the chunk headers of a RIFF or RF64 WAVE file up to its data chunk."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(12)
            if len(head) < 12 or head[8:12] != b"WAVE" or head[:4] not in (b"RIFF", b"RF64"):
                raise MediaError(f"'{path.name}' is not a RIFF/RF64 WAVE file.")
            container = head[:4].decode()
            ds64_data: int | None = None
            fmt: tuple[int, ...] | None = None
            pos = 12
            for _ in range(_MAX_CHUNKS):
                f.seek(pos)
                hdr = f.read(8)
                if len(hdr) < 8:
                    break
                cid, csize = hdr[:4], struct.unpack("<I", hdr[4:])[0]
                body = pos + 8
                if cid == b"ds64":
                    _, ds64_data = struct.unpack("<QQ", f.read(16))
                elif cid == b"fmt ":
                    fmt = _parse_fmt(f.read(min(csize, 40)), path)
                elif cid == b"data":
                    if fmt is None:
                        break
                    declared = csize
                    if container == "RF64" and csize == 0xFFFFFFFF and ds64_data is not None:
                        declared = ds64_data
                    tag, channels, rate, bits, align = fmt
                    return RiffLayout(
                        container,
                        tag,
                        channels,
                        rate,
                        bits,
                        align,
                        data_offset=body,
                        declared_bytes=declared,
                        available_bytes=max(0, size - body),
                    )
                pos = body + csize + (csize & 1)
    except OSError as e:
        raise MediaError(f"Cannot read '{path.name}': {e.strerror or e}.") from e
    except struct.error as e:
        raise MediaError(f"'{path.name}' has a damaged WAVE header.") from e
    raise MediaError(f"'{path.name}' has no format or data chunk.")


def _parse_fmt(body: bytes, path: Path) -> tuple[int, int, int, int, int]:
    tag, channels, rate, _, align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == _WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
        tag = struct.unpack("<H", body[24:26])[0]
    if channels == 0 or align == 0:
        raise MediaError(f"'{path.name}' has a damaged WAVE format chunk.")
    return tag, channels, rate, bits, align


def audio_data_offset(path: Path) -> tuple[int, int, int]:
    """(byte offset of the samples, frames, channels) of a float32 WAV/RF64 file.

    The frame count is what the file really holds: a header claiming more than that
    (a truncated file) or 0 (a writer killed before it refreshed the header) yields the
    frames present on disk.
    """
    layout = riff_layout(path)
    if layout.format_tag != _WAVE_FORMAT_IEEE_FLOAT or layout.bits != 32:
        raise MediaError(f"'{Path(path).name}' is not a 32-bit float WAV file.")
    nbytes = layout.declared_bytes
    if nbytes == 0 or nbytes > layout.available_bytes:
        nbytes = layout.available_bytes
    return layout.data_offset, nbytes // layout.block_align, layout.channels


def map_audio(path: Path) -> np.ndarray:
    """The samples of a float32 WAV/RF64 file, read-only, shape (frames, channels)."""
    offset, frames, channels = audio_data_offset(path)
    if frames == 0:
        return np.zeros((0, channels), np.float32)
    return np.memmap(path, np.float32, mode="r", offset=offset, shape=(frames, channels))
