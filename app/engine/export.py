"""Export and loudness delivery: rendered mixes become files ready for their destination.

The pipeline for each delivered file is render (Engine.render, bit-identical to
playback) -> loudness measure -> gain to the target -> true-peak ceiling -> sample-rate
conversion (soxr) -> TPDF dither when reducing to 16 or 24 bits -> encode (soundfile).
The ceiling is kept without clipping: when the gain would push the true peak past it,
the look-ahead limiter from app.dsp.limiter runs on the signal, and everything after the
gain is measured again on what will actually be written (decoded back for MP3 and OGG),
at 4x with app.dsp.truepeak. Gain and limiter ceiling are corrected and the tail of the
pipeline rerun until the file is within TOLERANCE_LU of the target and at or under the
ceiling. When the target needs more than `max_limiting_db` of limiting, the file is
still delivered and its `note` says how far it got.

How it runs on a few cores: one pass over the source measures its loudness and builds
the limiter's side chain (every frame's largest sample or interpolated peak), whose
largest value is the true peak. While the gain is searched under limiting, each pass
only meters loudness, the limiter running from the side chain on the other core. The
final pass dithers and quantises in memory, and measures those values while the encoder
runs: for WAV and FLAC, what was quantised is exactly what the file decodes to.

Nothing is written in place: every file is staged as a hidden temp file in the target
folder and renamed when the whole export has succeeded, so a failure or a cancel leaves
only what was there before. Existing files are replaced only when the caller asked.
A loudness report (integrated, range, maximum momentary and short-term, true and sample
peak) is written next to each file as `<name>.loudness.json`.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from app.dsp.limiter import (
    limiter_apply,
    limiter_gains,
    limiter_init,
    limiter_state_size,
    lookahead_frames,
)
from app.dsp.loudness import (
    HIST_BINS,
    LOUDNESS_STATE_SIZE,
    integrated_lufs,
    loudness_process,
    loudness_range,
    loudness_reset,
)
from app.dsp.truepeak import to_dbtp, truepeak_envelope
from app.session.media import Cancelled
from app.session.model import Project

Progress = Callable[[float], None]
Cancel = Callable[[], bool]
Source = Callable[[int, int, np.ndarray], np.ndarray]  # frames [start, stop) into a buffer

FORMATS = ("wav", "flac", "mp3", "ogg")
BIT_DEPTHS = {"wav": (16, 24, 32), "flac": (16, 24), "mp3": (), "ogg": ()}
TARGETS = {"broadcast": -23.0, "streaming": -14.0}
DEFAULT_CEILING = -1.0
TOLERANCE_LU = 0.02
NOTE_LU = 0.05  # further off than this, the file's note says where it ended up
LIMIT_MARGIN_DB = 0.05  # first limiter ceiling sits this far under the true-peak ceiling
LIMITER_RELEASE_MS = 80.0
MAX_PASSES = 10
CHUNK = 1 << 16
LOW_DISK_BYTES = 64 << 20
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
DITHER_SEED = 0x61A55  # fixed so the same export gives the same bytes
WORKERS = max(2, min(4, os.cpu_count() or 2))
REPORT_SUFFIX = ".loudness.json"


class ExportError(Exception):
    """An export that cannot be done as asked, with a sentence saying why."""


# -- loudness report --------------------------------------------------------------------


@dataclass
class LoudnessReport:
    """What a delivery engineer checks; levels in LUFS / LU / dBTP / dBFS, -inf for silence."""

    integrated: float
    loudness_range: float
    max_momentary: float
    max_short_term: float
    true_peak: float
    sample_peak: float
    sample_rate: int
    channels: int
    frames: int

    def to_json(self) -> dict:
        """Plain JSON data; -inf (silence) is written as the string "-inf"."""
        return {k: ("-inf" if isinstance(v, float) and v == -math.inf else v)
                for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> LoudnessReport:
        return cls(**{k: (-math.inf if v == "-inf" else v) for k, v in data.items()
                      if k in cls.__dataclass_fields__})

    def lines(self) -> list[str]:
        """The report as aligned text lines for a terminal or a dialog."""
        def level(v: float, unit: str) -> str:
            return f"-inf {unit}" if v == -math.inf else f"{v:.1f} {unit}"

        return [
            f"integrated      {level(self.integrated, 'LUFS')}",
            f"loudness range  {self.loudness_range:.1f} LU",
            f"max momentary   {level(self.max_momentary, 'LUFS')}",
            f"max short-term  {level(self.max_short_term, 'LUFS')}",
            f"true peak       {level(self.true_peak, 'dBTP')}",
            f"sample peak     {level(self.sample_peak, 'dBFS')}",
        ]


def _as_frames(audio: np.ndarray) -> np.ndarray:
    """(frames, channels), at most two, contiguous; float32 stays float32 (kernels take both)."""
    a = np.asarray(audio)
    if a.ndim == 1:
        a = a[:, None]
    dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.float64
    return np.ascontiguousarray(a[:, :2], dtype=dtype)


def _spans(n: int, first: int = 0) -> list[tuple[int, int]]:
    """[start, stop) pieces of CHUNK frames over [0, n), the first one `first` longer."""
    edges = [0, *range(min(n, CHUNK + first), n, CHUNK), n] if n else [0]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _check(cancel: Cancel | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("export cancelled")


def _gather(jobs: list[Callable[[], object]]) -> list[object]:
    """Run the jobs on the machine's cores and return their results in order.

    Every kernel and libsndfile release the GIL, so threads share the cores. Jobs are
    started in list order: put the longest first.
    """
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(job) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _run_loudness(a: np.ndarray, fs: int, cancel: Cancel | None) -> tuple[float, ...]:
    state = np.zeros(LOUDNESS_STATE_SIZE)
    hist = np.zeros((4, HIST_BINS))
    loudness_reset(state, hist, float(fs))
    for i in range(0, a.shape[0], CHUNK):
        _check(cancel)
        part = a[i:i + CHUNK]
        loudness_process(state, hist, part, a.shape[1], part.shape[0])
    return integrated_lufs(hist), loudness_range(hist), state[7], state[8]


def _peak_jobs(
    a: np.ndarray, env: np.ndarray | None, cancel: Cancel | None,
) -> list[Callable[[], tuple[float, float]]]:
    """Jobs giving (true peak, sample peak) of each piece of `a`, filling env if given."""

    def job(start: int, stop: int) -> Callable[[], tuple[float, float]]:
        def run() -> tuple[float, float]:
            _check(cancel)
            out = env[start:stop] if env is not None else np.empty(stop - start)
            return truepeak_envelope(a, a.shape[1], start, stop, out)
        return run

    return [job(start, stop) for start, stop in _spans(a.shape[0])]


def _measure(
    a: np.ndarray, fs: int, cancel: Cancel | None, env: np.ndarray | None = None,
    first: Callable[[], object] | None = None,
) -> LoudnessReport:
    """measure() of (frames, channels) audio, also filling the limiter's side chain `env`;
    `first` is another job to run on the same cores (its result is dropped)."""
    jobs: list[Callable[[], object]] = [] if first is None else [first]
    jobs.append(lambda: _run_loudness(a, fs, cancel))
    jobs += _peak_jobs(a, env, cancel)
    done = _gather(jobs)[0 if first is None else 1:]
    integrated, lra, mom, short = done[0]
    true_peak = max((tp for tp, _sp in done[1:]), default=0.0)
    sample_peak = max((sp for _tp, sp in done[1:]), default=0.0)
    return LoudnessReport(
        integrated=float(integrated),
        loudness_range=float(lra),
        max_momentary=float(mom),
        max_short_term=float(short),
        true_peak=float(to_dbtp(true_peak)),
        sample_peak=20.0 * math.log10(sample_peak) if sample_peak > 0.0 else -math.inf,
        sample_rate=int(fs),
        channels=int(a.shape[1]),
        frames=int(a.shape[0]),
    )


def measure(audio: np.ndarray, fs: int, cancel: Cancel | None = None) -> LoudnessReport:
    """BS.1770 loudness, EBU loudness range and 4x true peak of (frames, channels) audio."""
    a = _as_frames(audio)
    report = _measure(a, fs, cancel)
    report.channels = int(np.asarray(audio).shape[1] if np.asarray(audio).ndim == 2 else 1)
    return report


def _read(path: Path, dtype: str = "float64") -> tuple[np.ndarray, int]:
    try:
        data, fs = sf.read(str(path), dtype=dtype, always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as e:
        raise ExportError(f"cannot read {path}: {e}") from None
    return data, fs


def loudness_report(path: str | os.PathLike[str], cancel: Cancel | None = None) -> LoudnessReport:
    """The loudness report of an audio file on disk."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path} is not a file")
    data, fs = _read(path)
    if data.shape[0] == 0:
        raise ExportError(f"{path} holds no audio")
    return measure(data, fs, cancel)


# -- settings ---------------------------------------------------------------------------


@dataclass
class ExportSettings:
    """What to export and how; see the module docstring for the pipeline."""

    master: bool = True
    stems: list[str] = field(default_factory=list)  # audio track ids
    cues: list[str] = field(default_factory=list)  # cue mix ids
    range: tuple[int, int] | None = None  # frames; None is the whole session
    format: str = "wav"
    bit_depth: int = 24  # WAV 16/24/32 (32 is float), FLAC 16/24; ignored for MP3/OGG
    rate: int | None = None  # None keeps the project rate
    normalize: float | None = None  # target LUFS
    ceiling: float | None = DEFAULT_CEILING  # dBTP; None leaves peaks alone
    name: str = ""  # base file name; the project name when empty
    output: Path | None = None  # exact path of the master (or the only cue mix) file
    stems_dir: Path | None = None  # stems there as "<track>.<ext>" instead of beside the mix
    overwrite: bool = False
    max_limiting_db: float = 12.0

    def check(self) -> None:
        """Raise ExportError for settings that cannot give a valid file."""
        if self.format not in FORMATS:
            raise ExportError(f"unknown format {self.format!r}; choose one of {', '.join(FORMATS)}")
        depths = BIT_DEPTHS[self.format]
        if depths and self.bit_depth not in depths:
            raise ExportError(f"{self.format.upper()} files can be "
                              f"{' or '.join(map(str, depths))} bit, not {self.bit_depth}")
        if self.rate is not None and not 8000 <= self.rate <= 384000:
            raise ExportError(f"sample rate {self.rate} Hz is outside 8000..384000 Hz")
        if self.format == "mp3" and self.rate is not None and self.rate not in MP3_RATES:
            raise ExportError(f"MP3 cannot be {self.rate} Hz; use one of "
                              f"{', '.join(map(str, MP3_RATES))}")
        if self.normalize is not None and not -70.0 <= self.normalize <= 0.0:
            raise ExportError(f"loudness target {self.normalize} LUFS is outside -70..0")
        if self.ceiling is not None and not -20.0 <= self.ceiling <= 0.0:
            raise ExportError(f"true-peak ceiling {self.ceiling} dBTP is outside -20..0")
        if not (self.master or self.stems or self.cues):
            raise ExportError("nothing chosen to export: pick the master, stems or a cue mix")


# -- ranges -----------------------------------------------------------------------------


def resolve_range(
    project: Project,
    kind: str = "session",
    selection: tuple[int, int] | None = None,
    markers: tuple[str, str] | None = None,
) -> tuple[int, int]:
    """Frames [start, end) for "session", "loop", "selection" or "markers" (two marker ids)."""
    if kind == "session":
        start, end = 0, project.length()
    elif kind == "loop":
        start, end = project.loop.start, project.loop.end
    elif kind == "selection":
        if selection is None:
            raise ExportError("there is no selection to export")
        start, end = selection
    elif kind == "markers":
        by_id = {m.id: m.position for m in project.markers}
        if markers is None or not all(m in by_id for m in markers):
            raise ExportError("choose two markers to export between")
        start, end = sorted(by_id[m] for m in markers)
    else:
        raise ExportError(f"unknown range {kind!r}")
    if end <= start:
        raise ExportError(f"the {kind} range is empty ({start}..{end}); nothing to export")
    return int(start), int(end)


def parse_range(text: str, project: Project) -> tuple[int, int]:
    """Frames for "A:B" in seconds; an empty side is the session's start or end."""
    left, sep, right = text.partition(":")
    try:
        start = project.frames(float(left)) if left.strip() else 0
        end = project.frames(float(right)) if right.strip() else project.length()
    except ValueError:
        raise ExportError(f"cannot read the range {text!r}: write START:END in seconds") from None
    if not sep or start < 0:
        raise ExportError(f"cannot read the range {text!r}: write START:END in seconds")
    if end <= start:
        raise ExportError(f"the range {text} is empty; nothing to export")
    return start, end


def find_cue(project: Project, name: str) -> str:
    """The id of the cue mix called `name` (or with that id)."""
    for c in project.cues:
        if name in (c.name, c.id):
            return c.id
    known = ", ".join(c.name for c in project.cues) or "none"
    raise ExportError(f"there is no cue mix called {name!r} (cue mixes: {known})")


def settings_for_file(
    project: Project,
    out: Path,
    fmt: str | None = None,
    bit_depth: int | None = None,
    rate: int | None = None,
    normalize: float | None = None,
    ceiling: float | None = None,
    span: str | None = None,
    stems_dir: Path | None = None,
    cue: str | None = None,
    overwrite: bool = False,
) -> ExportSettings:
    """Settings for the command line: one mix to `out`, its format from the suffix if not
    given, stems (all audio tracks) into stems_dir, a -1 dBTP ceiling when normalising."""
    fmt = (fmt or out.suffix.lstrip(".") or "wav").lower()
    if out.suffix.lstrip(".").lower() != fmt:
        raise ExportError(f"the output {out.name} does not end in .{fmt}")
    if ceiling is None and normalize is not None:
        ceiling = DEFAULT_CEILING
    settings = ExportSettings(
        master=cue is None,
        stems=[t.id for t in project.tracks if t.kind.value == "audio"] if stems_dir else [],
        cues=[find_cue(project, cue)] if cue is not None else [],
        range=parse_range(span, project) if span else None,
        format=fmt,
        bit_depth=bit_depth or 24,
        rate=rate,
        normalize=normalize,
        ceiling=ceiling,
        name=out.stem,
        output=out,
        stems_dir=stems_dir,
        overwrite=overwrite,
    )
    settings.check()
    return settings


# -- one file ---------------------------------------------------------------------------


@dataclass
class Delivery:
    """One delivered file and how it came out."""

    path: Path
    report_path: Path
    kind: str  # "master", "stem" or "cue"
    label: str
    report: LoudnessReport
    gain_db: float = 0.0
    limited: bool = False
    note: str = ""  # set when the target or ceiling could not be met as asked


def tpdf(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Triangular dither of +-1 LSB: the difference of two uniform LSBs (float32 uniforms
    have 24 bits, far finer than the LSB, and their difference is exact)."""
    u = rng.random((2, *shape), dtype=np.float32)
    return np.subtract(u[0], u[1], out=u[0])


def _subtype(settings: ExportSettings) -> str:
    if settings.format == "mp3":
        return "MPEG_LAYER_III"
    if settings.format == "ogg":
        return "VORBIS"
    return {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}[settings.bit_depth]


class _Shape:
    """Gain, then (with a ceiling for it) the true-peak limiter, over pieces of x.

    The limiter's gains follow from the side chain alone (app.dsp.limiter.limiter_gains):
    the side chain is every frame's largest sample or interpolated peak, so one linked
    gain keeps both the samples and the metered true peak under the ceiling.
    """

    def __init__(self, x: np.ndarray, env: np.ndarray | None, fs: int, gain_db: float,
                 limit_db: float | None) -> None:
        self.x, self.env, self.fs = x, env, fs
        self.gain_db, self.limit_db = gain_db, limit_db
        self.g = 10.0 ** (gain_db / 20.0)
        self.look = lookahead_frames(fs)
        self.gains: np.ndarray | None = None  # per input frame, delayed by the look-ahead

    def same(self, gain_db: float, limit_db: float | None) -> bool:
        return gain_db == self.gain_db and limit_db == self.limit_db

    def limiter_jobs(self) -> list[Callable[[], None]]:
        """Jobs filling self.gains piece by piece; they carry the limiter's state, so run
        them in order. The k-th completes what the k-th piece of _spans(n) needs."""
        assert self.env is not None and self.limit_db is not None
        n, look = self.x.shape[0], self.look
        self.gains = gains = np.empty(n + look)
        state = np.zeros(limiter_state_size(0, look))
        limiter_init(state, 0, look)
        env, g, fs, limit_db = self.env, self.g, float(self.fs), self.limit_db

        def job(start: int, stop: int) -> Callable[[], None]:
            def run() -> None:
                peak = np.zeros(stop - start)
                inside = max(0, min(stop, n) - start)
                np.multiply(env[start:start + inside], g, out=peak[:inside])
                limiter_gains(state, peak, stop - start, fs, limit_db, LIMITER_RELEASE_MS,
                              gains[start:stop])
            return run

        return [job(start, stop) for start, stop in _spans(n + look, look)]

    def piece(self, start: int, stop: int, out: np.ndarray) -> np.ndarray:
        """Frames [start, stop) shaped, in float64 into out[:stop - start], which it
        returns (the limiter's gains must be there)."""
        x = self.x[start:stop]
        y = out[:stop - start]
        if self.limit_db is None:
            return np.multiply(x, self.g, out=y, dtype=np.float64)
        assert self.gains is not None
        limiter_apply(x, self.gains[start + self.look:stop + self.look], x.shape[1],
                      stop - start, self.g, self.limit_db, y)
        return y

    def prepare(self, cancel: Cancel | None) -> None:
        """Work out the limiter's gains, if it has any to apply and has not yet."""
        if self.limit_db is not None and self.gains is None:
            for job in self.limiter_jobs():
                _check(cancel)
                job()

    def loudness(self, cancel: Cancel | None) -> float:
        """Integrated loudness of the shaped signal. The other core runs the limiter and
        shapes the pieces, up to two ahead of the meter."""
        x = self.x
        nch = x.shape[1]
        spans = _spans(x.shape[0])
        steps: list[Callable[[], None] | None] = [None] * len(spans)
        if self.limit_db is not None and self.gains is None:
            steps = list(self.limiter_jobs())
        ring = np.empty((3, CHUNK, nch))

        def produce(k: int) -> np.ndarray:
            step = steps[k]
            if step is not None:
                step()
            return self.piece(*spans[k], ring[k % 3])

        state = np.zeros(LOUDNESS_STATE_SIZE)
        hist = np.zeros((4, HIST_BINS))
        loudness_reset(state, hist, float(self.fs))
        with ThreadPoolExecutor(max_workers=1) as pool:
            ahead = [pool.submit(produce, k) for k in range(min(2, len(spans)))]
            try:
                for k, (start, stop) in enumerate(spans):
                    _check(cancel)
                    y = ahead[k].result()
                    if k + 2 < len(spans):
                        # It takes the ring slot of piece k - 1, whose metering is done.
                        ahead.append(pool.submit(produce, k + 2))
                    loudness_process(state, hist, y, nch, stop - start)
            except BaseException:
                for f in ahead:
                    f.cancel()
                self.gains = None
                raise
        return float(integrated_lufs(hist))

    def whole(self, cancel: Cancel | None) -> np.ndarray:
        """The whole signal shaped, for the resampler."""
        self.prepare(cancel)
        y = np.empty(self.x.shape)
        for start, stop in _spans(self.x.shape[0]):
            _check(cancel)
            self.piece(start, stop, y[start:])
        return y


def _quantise_jobs(
    source: Source, n: int, nch: int, out: np.ndarray, value: np.ndarray, bits: int,
    dither: bool, cancel: Cancel | None,
) -> list[Callable[[], None]]:
    """Jobs writing the file's integers into `out` (int32; 24-bit values shifted up, as
    soundfile expects) and what they stand for into `value` (float32, exact)."""
    scale = float(1 << (bits - 1))
    # One work buffer per thread: fresh megabytes every piece cost more in page faults
    # than the arithmetic on them.
    local = threading.local()

    def job(k: int, start: int, stop: int) -> Callable[[], None]:
        def run() -> None:
            _check(cancel)
            if not hasattr(local, "buf"):
                local.buf = np.empty((CHUNK, nch))
            q = source(start, stop, local.buf)
            q *= scale
            if dither:
                # Seeded per piece: the same export gives the same bytes, in any order.
                q += tpdf(np.random.default_rng((DITHER_SEED, k)), q.shape)
            q += 0.5
            np.floor(q, out=q)
            np.clip(q, -scale, scale - 1.0, out=q)
            np.multiply(q, 1.0 / scale, out=value[start:stop], casting="same_kind")
            ints = out[start:stop]
            np.copyto(ints, q, casting="unsafe")
            ints <<= 32 - bits
        return run

    return [job(k, start, stop) for k, (start, stop) in enumerate(_spans(n))]


def _float_jobs(source: Source, n: int, nch: int, out: np.ndarray,
                cancel: Cancel | None) -> list[Callable[[], None]]:
    local = threading.local()

    def job(start: int, stop: int) -> Callable[[], None]:
        def run() -> None:
            _check(cancel)
            if not hasattr(local, "buf"):
                local.buf = np.empty((CHUNK, nch))
            out[start:stop] = source(start, stop, local.buf)
        return run

    return [job(start, stop) for start, stop in _spans(n)]


def _slices(y: np.ndarray) -> Source:
    def piece(start: int, stop: int, buf: np.ndarray) -> np.ndarray:
        part = buf[:stop - start]
        part[:] = y[start:stop]
        return part
    return piece


def _encode(
    data: np.ndarray, rate: int, settings: ExportSettings, cancel: Cancel | None,
) -> io.BytesIO:
    # Encoded in memory first: libsndfile reports a full disk only as "System error",
    # while a plain write says which error it was.
    encoded = io.BytesIO()
    try:
        with sf.SoundFile(encoded, "w", rate, data.shape[1], subtype=_subtype(settings),
                          format=settings.format.upper()) as f:
            for i in range(0, data.shape[0], CHUNK * 4):
                _check(cancel)
                f.write(data[i:i + CHUNK * 4])
    except (sf.LibsndfileError, RuntimeError) as e:
        raise ExportError(f"could not encode {settings.format.upper()}: {e}") from None
    return encoded


def _store(tmp: Path, encoded: io.BytesIO) -> None:
    try:
        with open(tmp, "wb") as out:
            out.write(encoded.getbuffer())
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        raise ExportError(f"could not write {_shown(tmp)} in {tmp.parent}: {_reason(e)}; "
                          "the unfinished file was removed") from None


def _finish(
    shape: _Shape, settings: ExportSettings, tmp: Path, silent: bool, cancel: Cancel | None,
) -> tuple[LoudnessReport, io.BytesIO | None]:
    """Rate conversion, dither and encoding of the shaped signal, and the report of what
    the file holds. Lossless files come back encoded in memory, still to be stored;
    lossy ones are written to tmp and decoded back to be measured."""
    fs, nch = shape.fs, shape.x.shape[1]
    rate = settings.rate or fs
    n = shape.x.shape[0]
    source = shape.piece
    if rate != fs:
        resampled = soxr.resample(shape.whole(cancel), fs, rate, quality="VHQ")
        n = resampled.shape[0]
        source = _slices(resampled)
    else:
        shape.prepare(cancel)
    if settings.format in ("mp3", "ogg"):
        data = np.empty((n, nch), np.float32)
        _gather(_float_jobs(source, n, nch, data, cancel))
        _store(tmp, _encode(data, rate, settings, cancel))
        decoded, rate = _read(tmp, "float32")
        return _measure(_as_frames(decoded), rate, cancel), None
    value = np.empty((n, nch), np.float32)
    if settings.bit_depth in (16, 24):
        data = np.empty((n, nch), np.int32)
        _gather(_quantise_jobs(source, n, nch, data, value, settings.bit_depth, not silent,
                               cancel))
    else:
        data = value
        _gather(_float_jobs(source, n, nch, data, cancel))
    encoded: list[io.BytesIO] = []
    report = _measure(value, rate, cancel,
                      first=lambda: encoded.append(_encode(data, rate, settings, cancel)))
    return report, encoded[0]


def _shown(tmp: Path) -> str:
    """The name the user chose, for a staged temp file (see _stage)."""
    return tmp.name[1:].rsplit(".", 2)[0] if tmp.name.endswith(".partial") else tmp.name


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return f"the disk is full or the file too large ({e.strerror})"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e)


def deliver(
    audio: np.ndarray,
    fs: int,
    tmp: Path,
    settings: ExportSettings,
    gain_db: float | None = None,
    cancel: Cancel | None = None,
    progress: Progress | None = None,
) -> tuple[LoudnessReport, float, bool, str]:
    """Process `audio` into the file `tmp` per settings; (report, gain, limited, note).

    `gain_db` fixes the gain instead of normalising (stems take the master's gain so
    they still add up to it). The report is measured on the data written.
    """
    x = _as_frames(audio)
    ceiling = settings.ceiling
    env = np.empty(x.shape[0]) if ceiling is not None else None
    source = _measure(x, fs, cancel, env)
    target = settings.normalize if gain_db is None else None
    silent = source.integrated == -math.inf and source.sample_peak == -math.inf
    if gain_db is None:
        gain_db = 0.0
        if target is not None and source.integrated > -math.inf:
            gain_db = target - source.integrated
    note = ""
    if silent:
        gain_db = 0.0
        if settings.normalize is not None:
            note = "silence: nothing to normalise"
    cap = math.inf
    if ceiling is not None and source.true_peak > -math.inf:
        cap = ceiling - source.true_peak + settings.max_limiting_db
    capped = False
    limit_db: float | None = None
    last: tuple[float, float] | None = None  # (gain, loudness) of the pass before
    shape: _Shape | None = None

    def step(loudness: float) -> float:
        # Under limiting loudness grows slower than gain: step along the measured slope.
        nonlocal last
        slope = 1.0
        if last is not None and gain_db != last[0]:
            slope = min(1.0, max(0.1, (loudness - last[1]) / (gain_db - last[0])))
        last = (gain_db, loudness)
        return gain_db + (target - loudness) / slope

    for attempt in range(MAX_PASSES):
        _check(cancel)
        if progress is not None:
            # Most files need one to three passes; the bar slows rather than stalls.
            progress(1.0 - 0.75 ** (attempt + 1))
        if gain_db > cap:
            gain_db, capped = cap, True
        if (ceiling is not None and limit_db is None
                and source.true_peak + gain_db > ceiling - LIMIT_MARGIN_DB):
            limit_db = ceiling - LIMIT_MARGIN_DB
        if shape is None or not shape.same(gain_db, limit_db):
            shape = _Shape(x, env, fs, gain_db, limit_db)
        if target is not None and not silent and limit_db is not None and (
                attempt < MAX_PASSES - 1):
            # Limiting bends loudness against gain: find the gain on loudness alone (cheap),
            # then finish and measure everything.
            quick = shape.loudness(cancel)
            if abs(target - quick) > TOLERANCE_LU and not (capped and quick < target):
                gain_db = step(quick)
                continue
        report, encoded = _finish(shape, settings, tmp, silent, cancel)
        over = ceiling is not None and report.true_peak > ceiling
        error = 0.0 if target is None or silent else target - report.integrated
        if not over and (abs(error) <= TOLERANCE_LU or (capped and error > 0)):
            break
        if over:
            excess = report.true_peak - ceiling
            limit_db = (limit_db if limit_db is not None else ceiling) - excess - 0.02
        if target is not None and not silent:
            gain_db = step(report.integrated)
    else:
        if over:
            raise ExportError(f"could not bring {_shown(tmp)} under {ceiling} dBTP "
                              f"(it measured {report.true_peak:.2f} dBTP)")
    if target is not None and not silent and abs(target - report.integrated) > NOTE_LU:
        note = (f"reached {report.integrated:.1f} LUFS, {target - report.integrated:.1f} LU "
                f"short of the {target:g} LUFS target")
        if capped:
            note += (f": more would need over {settings.max_limiting_db:g} dB of limiting "
                     f"under the {ceiling:g} dBTP ceiling")
    if encoded is not None:
        _store(tmp, encoded)
    return report, gain_db, limit_db is not None, note


# -- the whole export -------------------------------------------------------------------


@dataclass
class ExportResult:
    files: list[Delivery]
    range: tuple[int, int]

    def lines(self) -> list[str]:
        out: list[str] = []
        for d in self.files:
            out.append(f"{d.path}")
            out += [f"  {line}" for line in d.report.lines()]
            if d.note:
                out.append(f"  note: {d.note}")
        return out


def safe_name(name: str) -> str:
    """A file-name-safe version of a track, cue or project name."""
    cleaned = "".join(ch if ch.isalnum() or ch in " -_." else "_" for ch in name).strip(" .")
    return cleaned or "export"


def plan_files(project: Project, out_dir: Path, settings: ExportSettings) -> list[tuple]:
    """(kind, id, label, path) for each file the export will make."""
    base = safe_name(settings.name or project.name)
    ext = settings.format
    files: list[tuple] = []
    main = settings.output
    if settings.master:
        files.append(("master", None, "Master", main or out_dir / f"{base}.{ext}"))
    tracks = {t.id: t for t in project.tracks}
    for tid in settings.stems:
        if tid not in tracks:
            raise ExportError(f"there is no track with id {tid!r} to export as a stem")
        name = tracks[tid].name
        path = (settings.stems_dir / f"{safe_name(name)}.{ext}" if settings.stems_dir
                else out_dir / f"{base} - {safe_name(name)}.{ext}")
        files.append(("stem", tid, name, path))
    cues = {c.id: c for c in project.cues}
    for cid in settings.cues:
        if cid not in cues:
            raise ExportError(f"there is no cue mix with id {cid!r}")
        name = cues[cid].name
        path = out_dir / f"{base} - {safe_name(name)}.{ext}"
        if main is not None and not settings.master and len(settings.cues) == 1:
            path = main
        files.append(("cue", cid, name, path))
    paths = [f[3] for f in files]
    if len(set(paths)) != len(paths):
        raise ExportError("two of the chosen stems or cues have the same name; rename one")
    return files


def _check_targets(files: list[tuple], overwrite: bool) -> None:
    if overwrite:
        return
    for *_rest, path in files:
        for p in (path, path.with_name(path.name + REPORT_SUFFIX)):
            if p.exists():
                raise ExportError(f"{p} already exists and was left as it is")


def _stage(out_dir: Path, name: str) -> Path:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=out_dir)
    except OSError as e:
        raise ExportError(f"cannot write in {out_dir}: {_reason(e)}") from None
    os.close(fd)
    return Path(tmp)


def _commit(staged: list[tuple[Path, Path]], overwrite: bool) -> None:
    done: list[Path] = []
    for tmp, dest in staged:
        try:
            if overwrite:
                os.replace(tmp, dest)
            else:
                os.link(tmp, dest)  # unlike a rename, never replaces a file
                tmp.unlink()
        except OSError as e:
            for p in done:
                p.unlink(missing_ok=True)
            raise ExportError(f"could not put {dest.name} in place: {_reason(e)}") from None
        if not overwrite:
            done.append(dest)


def export_project(
    engine: object,
    project: Project,
    folder: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    settings: ExportSettings,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    placeholders: set[str] | frozenset[str] = frozenset(),
) -> ExportResult:
    """Render and deliver the chosen master, stems and cue mixes into out_dir.

    `engine` is an app.engine.engine.Engine; `placeholders` are ids of missing media,
    rendered as silence. Raises ExportError with a sentence for
    the user, Cancelled when `cancel()` turns true; either way nothing is left behind.
    """
    settings.check()
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ExportError(f"the output folder {out_dir} does not exist")
    start, end = settings.range if settings.range is not None else resolve_range(project)
    if end <= start:
        raise ExportError(f"the range {start}..{end} is empty; nothing to export")
    files = plan_files(project, out_dir, settings)
    if settings.stems_dir is not None and settings.stems:
        try:
            settings.stems_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ExportError(f"cannot make the stems folder {settings.stems_dir}: "
                              f"{_reason(e)}") from None
    for *_rest, dest in files:
        if not dest.parent.is_dir():
            raise ExportError(f"the output folder {dest.parent} does not exist")
    _check_targets(files, settings.overwrite)
    report = progress or (lambda f: None)
    try:
        work = Path(tempfile.mkdtemp(prefix=".glassroom-export-", dir=out_dir))
    except OSError as e:
        raise ExportError(f"cannot write in {out_dir}: {_reason(e)}") from None
    staged: list[tuple[Path, Path]] = []
    try:
        renders = _render_all(engine, project, folder, work, files, (start, end),
                              lambda f: report(0.5 * f), cancel, placeholders)
        deliveries: list[Delivery] = []
        master_gain: float | None = None
        for i, (kind, ident, label, dest) in enumerate(files):
            audio, fs = _read(renders[(kind, ident)], "float32")  # as rendered: exact
            gain = None
            if kind == "stem" and settings.normalize is not None:
                if master_gain is None:
                    master_gain = _normalise_gain(renders[("master", None)], settings, cancel)
                gain = master_gain
            tmp = _stage(dest.parent, dest.name)
            staged.append((tmp, dest))
            rep, gain_db, limited, note = deliver(
                audio, fs, tmp, settings, gain, cancel,
                lambda f, i=i: report(0.5 + 0.5 * (i + f) / len(files)))
            if kind == "master":
                master_gain = gain_db
            report_path = dest.with_name(dest.name + REPORT_SUFFIX)
            rtmp = _stage(dest.parent, report_path.name)
            staged.append((rtmp, report_path))
            _write_report(rtmp, dest, rep, settings, gain_db, limited, note)
            deliveries.append(Delivery(dest, report_path, kind, label, rep, gain_db, limited,
                                       note))
            report(0.5 + 0.5 * (i + 1) / len(files))
        if cancel is not None and cancel():
            raise Cancelled("export cancelled")
        _commit(staged, settings.overwrite)
        staged = []
        return ExportResult(deliveries, (start, end))
    finally:
        for tmp, _dest in staged:
            tmp.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def _normalise_gain(path: Path, settings: ExportSettings, cancel: Cancel | None) -> float:
    audio, fs = _read(path)
    integrated = measure(audio, fs, cancel).integrated
    if settings.normalize is None or integrated == -math.inf:
        return 0.0
    return settings.normalize - integrated


def _render_all(
    engine: object,
    project: Project,
    folder: str | os.PathLike[str],
    work: Path,
    files: list[tuple],
    span: tuple[int, int],
    progress: Progress,
    cancel: Cancel | None,
    placeholders: set[str] | frozenset[str],
) -> dict[tuple, Path]:
    from app.engine.engine import RenderError

    cues = [ident for kind, ident, *_ in files if kind == "cue"]
    stems = any(kind == "stem" for kind, *_ in files)
    passes = 1 + len(cues)
    out: dict[tuple, Path] = {}
    try:
        master = work / "master.wav"
        result = engine.render(project, folder, master, range=span,
                               stems_dir=work / "stems" if stems else None,
                               progress=lambda f: progress(f / passes), cancel=cancel,
                               placeholders=placeholders)
        if result is None:
            raise Cancelled("export cancelled")
        out[("master", None)] = master
        for tid, path in result.stems.items():
            out[("stem", tid)] = path
        for i, cid in enumerate(cues):
            path = work / f"cue-{i}.wav"
            done = engine.render(project, folder, path, range=span, cue=cid,
                                 progress=lambda f, i=i: progress((i + 1 + f) / passes),
                                 cancel=cancel, placeholders=placeholders)
            if done is None:
                raise Cancelled("export cancelled")
            out[("cue", cid)] = path
    except RenderError as e:
        raise ExportError(str(e)) from None
    except (sf.LibsndfileError, RuntimeError, OSError) as e:
        reason = _reason(e)
        if shutil.disk_usage(work).free < LOW_DISK_BYTES:
            reason = f"the disk is full ({reason})"
        raise ExportError(f"rendering into {work.parent} failed: {reason}") from None
    return out


def _write_report(
    tmp: Path, dest: Path, rep: LoudnessReport, settings: ExportSettings,
    gain_db: float, limited: bool, note: str,
) -> None:
    data = {
        "file": dest.name,
        "loudness": rep.to_json(),
        "target_lufs": settings.normalize,
        "ceiling_dbtp": settings.ceiling,
        "gain_db": round(gain_db, 3),
        "limited": limited,
        "note": note,
    }
    try:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
    except OSError as e:
        raise ExportError(f"could not write {dest.name}{REPORT_SUFFIX}: {_reason(e)}; "
                          "the unfinished file was removed") from None


def deliver_file(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    settings: ExportSettings,
    cancel: Cancel | None = None,
) -> Delivery:
    """Deliver an already rendered file as `dest` (with its report), staged and renamed."""
    settings.check()
    dest = Path(dest)
    if not dest.parent.is_dir():
        raise ExportError(f"the output folder {dest.parent} does not exist")
    report_path = dest.with_name(dest.name + REPORT_SUFFIX)
    _check_targets([("file", None, dest.name, dest)], settings.overwrite)
    audio, fs = _read(Path(src))
    if audio.shape[0] == 0:
        raise ExportError(f"{src} holds no audio; nothing to export")
    staged: list[tuple[Path, Path]] = []
    try:
        tmp = _stage(dest.parent, dest.name)
        staged.append((tmp, dest))
        rep, gain_db, limited, note = deliver(audio, fs, tmp, settings, None, cancel)
        rtmp = _stage(dest.parent, report_path.name)
        staged.append((rtmp, report_path))
        _write_report(rtmp, dest, rep, settings, gain_db, limited, note)
        _commit(staged, settings.overwrite)
        staged = []
    finally:
        for t, _d in staged:
            t.unlink(missing_ok=True)
    return Delivery(dest, report_path, "file", dest.stem, rep, gain_db, limited, note)
