"""Finding takes that a crash, a kill or a full disk left unfinished, to offer them back.

While recording, the engine writes each take as a float32 WAV in audio/ with a sidecar
`<file>.take.json` naming the track, the timeline position and the rate. A take that
became part of the project is referred to by its MediaFile; one that never did (the
program died first, or its recording was undone) is found here. Its length is taken
from the file size, not from the header, which may lag behind by up to a second or
have been cut off mid-refresh. Nothing is deleted or truncated: `repair_header` only
rewrites the two size fields of our own 44-byte header so any reader sees every
whole frame on disk.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from app.session.model import Clip, MediaFile, Project, Take, Track

SIDECAR = ".take.json"
HEADER_BYTES = 44


@dataclass
class RecoveredTake:
    """An unfinished take as found on disk; shaped like the engine's RecordedTake."""

    track_id: str
    track_name: str
    media: MediaFile
    position: int
    length: int
    source_offset: int = 0
    xruns: list[int] = field(default_factory=list)
    overruns: list[int] = field(default_factory=list)


def _frames_on_disk(path: Path, channels: int) -> int:
    """Whole frames after a float32 WAV header of ours; -1 when the file is not one."""
    with open(path, "rb") as f:
        head = f.read(HEADER_BYTES)
    if len(head) < HEADER_BYTES or head[:4] != b"RIFF" or head[8:16] != b"WAVEfmt ":
        return -1
    if head[36:40] != b"data" or struct.unpack("<H", head[22:24])[0] != channels:
        return -1
    return max(0, path.stat().st_size - HEADER_BYTES) // (4 * channels)


def find_unfinished_takes(project: Project, folder: str | os.PathLike[str]) -> list[RecoveredTake]:
    """Captured files in audio/ that no media of the project refers to, oldest first."""
    folder = Path(folder)
    audio = folder / "audio"
    if not audio.is_dir():
        return []
    known = {m.path for m in project.media.values()}
    found = []
    for side in sorted(audio.glob(f"*.wav{SIDECAR}"), key=lambda p: p.stat().st_mtime):
        wav = side.with_name(side.name[: -len(SIDECAR)])
        rel = wav.relative_to(folder).as_posix()
        if rel in known or not wav.is_file():
            continue
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
            channels = int(meta["channels"])
            rate = int(meta["sample_rate"])
            position = int(meta["position"])
            track_id = str(meta["track_id"])
            frames = _frames_on_disk(wav, channels) if channels > 0 else -1
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours, or unreadable: left alone
        if frames <= 0:
            continue
        media = MediaFile(rel, frames, channels, rate, name=wav.name)
        found.append(
            RecoveredTake(track_id, str(meta.get("track", "Recovered")), media, position, frames)
        )
    return found


def repair_header(folder: str | os.PathLike[str], take: RecoveredTake) -> None:
    """Make the file's header count every whole frame on disk (the sizes only)."""
    path = Path(folder) / take.media.path
    data = take.media.frames * 4 * take.media.channels
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, struct.pack("<I", min(36 + data, 0xFFFFFFFF)), 4)
        os.pwrite(fd, struct.pack("<I", min(data, 0xFFFFFFFF - 36)), 40)
        os.fsync(fd)
    finally:
        os.close(fd)


def restore_takes(
    project: Project, folder: str | os.PathLike[str], takes: list[RecoveredTake]
) -> list[Track]:
    """Put recovered takes back as clips and takes where they were recorded (not an
    undoable edit: for opening without a window). A take whose track is gone gets a
    new track. Returns the tracks that were created."""
    created: list[Track] = []
    for rec in takes:
        repair_header(folder, rec)
        try:
            track = project.track(rec.track_id)
        except KeyError:
            track = Track(rec.track_name, id=rec.track_id)
            project.tracks.append(track)
            created.append(track)
        project.media[rec.media.id] = rec.media
        name = Path(rec.media.name).stem
        track.clips.append(Clip(rec.media.id, rec.position, rec.length, name=name))
        track.takes.takes.append(Take(rec.media.id, rec.position, rec.length, name=name))
    return created
