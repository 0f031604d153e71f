"""Finding takes that a crash, a kill or a full disk left unfinished, to offer them back.

While recording, the engine writes each take as a float32 WAV in audio/ with a sidecar
`<file>.take.json` naming the track, the timeline position and the rate. A take that
became part of the project is referred to by its MediaFile; one that never did (the
program died first, or its recording was undone) is found here. Its length is taken
from the file size, not from the header, which may lag behind by up to a second or
have been cut off mid-refresh. Nothing is deleted or truncated: `repair_header` only
rewrites the two size fields of our own 44-byte header so any reader sees every
whole frame on disk.

Discarding a take (`DiscardTake`, an undoable edit) moves its file and sidecar into
the project's trash/ folder, never deleting them; the media entry follows the file
there, so an undo brings the take back playing from trash/.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from app.session.edits.base import Edit, EditError
from app.session.model import Clip, CompRange, MediaFile, Project, Take, Track

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


def move_to_trash(folder: str | os.PathLike[str], path: str) -> str:
    """Move a file of the project (and its sidecar) into trash/, never replacing
    anything there; returns its new relative path."""
    folder = Path(folder)
    src = folder / path
    trash = folder / "trash"
    trash.mkdir(exist_ok=True)
    dst = trash / src.name
    k = 2
    while True:
        try:
            os.link(src, dst)  # unlike a rename, refuses to replace a file
            break
        except FileExistsError:
            dst = trash / f"{src.stem} ({k}){src.suffix}"
            k += 1
    os.unlink(src)
    side = src.with_name(src.name + SIDECAR)
    if side.exists():
        try:
            os.link(side, dst.with_name(dst.name + SIDECAR))
            os.unlink(side)
        except FileExistsError:
            pass  # the sidecar stays in audio/; recovery skips media the project knows
    return dst.relative_to(folder).as_posix()


class DiscardTake(Edit):
    """Take a take off its lane, the comp and the timeline, its file into trash/."""

    def __init__(self, folder: str | os.PathLike[str], track_id: str, take_id: str) -> None:
        self.folder = Path(folder)
        self.track_id, self.take_id = track_id, take_id
        self.label = "Discard take"
        self._trash_path: str | None = None
        self._state: tuple[int, Take, list[CompRange], list[tuple[int, Clip]]] | None = None

    def do(self, project: Project) -> None:
        try:
            track = project.track(self.track_id)
        except KeyError:
            raise EditError("The take's track is gone.") from None
        lane = track.takes
        index = next((i for i, k in enumerate(lane.takes) if k.id == self.take_id), None)
        if index is None:
            raise EditError("That take is no longer on its track.")
        take = lane.takes[index]
        media = project.media.get(take.media)
        if media is None:
            raise EditError("The take's audio is not in the project.")
        if self._trash_path is None:
            if media.path.startswith("trash/"):
                self._trash_path = media.path
            else:
                try:
                    self._trash_path = move_to_trash(self.folder, media.path)
                except OSError as e:
                    raise EditError(f"The take could not be moved to trash/ ({e}).") from None
        clips = [(i, c) for i, c in enumerate(track.clips) if c.media == take.media]
        self._state = (index, take, lane.comp, clips)
        media.path = self._trash_path
        for i, _c in reversed(clips):
            track.clips.pop(i)
        lane.takes.pop(index)
        lane.comp = [r for r in lane.comp if r.take != self.take_id]

    def undo(self, project: Project) -> None:
        assert self._state is not None
        index, take, comp, clips = self._state
        track = project.track(self.track_id)
        track.takes.takes.insert(index, take)
        track.takes.comp = comp
        for i, c in clips:
            track.clips.insert(i, c)
