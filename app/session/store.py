"""The project folder on disk: JSON, schema version, atomic save, backups, autosave, recovery.

A project is a folder `Song.glassroom/` holding `project.json`, `audio/`, `peaks/`,
`backups/` and `recovery/`. Saving never leaves a half-written project.json: it writes
a temp file, fsyncs it, and renames it over the old one, after copying the old one to
`backups/`. Opening never changes the folder: bad files are refused with a ProjectError,
and media that is missing or no longer matches is reported and played as silence, while
its clips stay in the project.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import soundfile as sf

from app.session import model
from app.session.codec import ProjectError, from_json, to_json
from app.session.model import MediaFile, Project, TrackKind

__all__ = [
    "ProjectError",
    "OpenResult",
    "Autosaver",
    "Migrations",
    "PROJECT_FILE",
    "SUBFOLDERS",
    "KEEP_BACKUPS",
    "AUTOSAVE_SECONDS",
    "create_project",
    "save_project",
    "open_project",
    "write_recovery",
    "read_recovery",
    "recovery_newer",
    "resolve_media",
    "check_media_path",
    "validate",
    "migrate",
    "project_to_text",
    "project_from_text",
]

PROJECT_FILE = "project.json"
SUBFOLDERS = ("audio", "peaks", "backups", "recovery")
KEEP_BACKUPS = 20
AUTOSAVE_SECONDS = 60.0

# version -> function turning a project dict of that version into one of the next version
Migrations = Mapping[int, Callable[[dict], dict]]

_BACKUP_NAME = re.compile(r"project-\d{8}-\d{6}-\d{6}\.json")
_TEMP_PREFIX = ".project-"
_TEMP_SUFFIX = ".tmp"


# -- text <-> project ---------------------------------------------------------


def migrate(
    data: dict,
    migrations: Migrations | None = None,
    current: int = model.SCHEMA_VERSION,
    source: str = PROJECT_FILE,
) -> dict:
    """Bring a decoded project.json object up to schema `current`, or refuse it.

    `migrations[v]` turns a version-v dict into a version v+1 dict; they run in order.
    """
    version = data.get("schema_version")
    if version is None:
        raise ProjectError(f"{source}: no schema_version, so this is not a Glassroom project.")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ProjectError(f"{source}: schema_version should be a whole number, got {version!r}.")
    if version > current:
        raise ProjectError(
            f"{source}: made by a newer Glassroom (schema {version}; "
            f"this one reads up to {current}). Open it with a newer Glassroom."
        )
    steps = migrations or {}
    while version < current:
        step = steps.get(version)
        if step is None:
            raise ProjectError(
                f"{source}: schema {version} is too old for this Glassroom "
                f"(no migration from schema {version} to {version + 1})."
            )
        data = step(data)
        if not isinstance(data, dict):
            raise ProjectError(f"{source}: the migration from schema {version} failed.")
        version += 1
        data["schema_version"] = version
    return data


def project_from_text(
    text: str | bytes,
    source: str = PROJECT_FILE,
    migrations: Migrations | None = None,
) -> tuple[Project, list[str]]:
    """Parse, migrate, decode and validate a project.json; returns the project and warnings."""
    try:
        data = json.loads(text)
    except UnicodeDecodeError as e:
        raise ProjectError(f"{source}: not a text file ({e.reason} at byte {e.start}).") from None
    except json.JSONDecodeError as e:
        raise ProjectError(
            f"{source}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})."
        ) from None
    except RecursionError:
        raise ProjectError(f"{source}: not a project (nested too deeply).") from None
    if not isinstance(data, dict):
        raise ProjectError(
            f"{source}: expected a JSON object at the top, got {_json_kind(data)}."
        )
    data = migrate(data, migrations, source=source)
    project, warnings = from_json(Project, data, source)
    validate(project, source)
    return project, warnings


def project_to_text(project: Project) -> str:
    """The project.json text for `project`; ProjectError if the project is not valid."""
    validate(project, "project")
    data = to_json(Project, project, "project")
    data["schema_version"] = model.SCHEMA_VERSION
    # compact: indenting makes json use its pure-Python encoder, several times slower
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return "a number"


# -- validation ---------------------------------------------------------------


def check_media_path(path: str) -> PurePosixPath:
    """The media path as a relative POSIX path that stays inside the folder, or ProjectError."""
    if not isinstance(path, str) or not path:
        raise ProjectError(f"media path {path!r} is empty.")
    if "\\" in path or "\0" in path:
        raise ProjectError(f"media path {path!r} must use / and no special characters.")
    pure = PurePosixPath(path)
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", path):
        raise ProjectError(f"media path {path!r} is absolute; it must be inside the project.")
    if ".." in pure.parts:
        raise ProjectError(f"media path {path!r} leads outside the project folder.")
    return pure


def validate(project: Project, source: str = "project") -> None:
    """Refuse a project whose contents break the rules the engine and edits rely on."""
    problems: list[str] = []

    def bad(message: str) -> None:
        problems.append(message)

    if not model.MIN_RATE <= project.sample_rate <= model.MAX_RATE:
        bad(
            f"sample_rate {project.sample_rate} is outside "
            f"{model.MIN_RATE}..{model.MAX_RATE} Hz"
        )
    if project.schema_version != model.SCHEMA_VERSION:
        bad(f"schema_version is {project.schema_version}, expected {model.SCHEMA_VERSION}")
    if not project.tempo > 0:
        bad(f"tempo {project.tempo} must be above 0")
    if project.meter_num < 1 or project.meter_den < 1:
        bad(f"meter {project.meter_num}/{project.meter_den} must be at least 1/1")
    for label, span in (("loop", project.loop), ("punch", project.punch)):
        if span.start < 0 or span.end < span.start:
            bad(f"{label} range {span.start}..{span.end} must start at 0 or later and not end "
                "before it starts")

    for key, media in project.media.items():
        if media.id != key:
            bad(f'media["{key}"] has id {media.id!r}; the key and the id must match')
        try:
            check_media_path(media.path)
        except ProjectError as e:
            bad(f'media["{key}"]: {e}'.rstrip("."))
        if media.frames < 0 or media.channels < 1 or media.sample_rate < 1:
            bad(f'media["{key}"] has impossible frames/channels/rate '
                f"({media.frames}, {media.channels}, {media.sample_rate})")

    if project.master.kind is not TrackKind.MASTER:
        bad(f"master has kind {project.master.kind.value!r}; it must be 'master'")
    for i, track in enumerate(project.tracks):
        if track.kind not in (TrackKind.AUDIO, TrackKind.BUS):
            bad(f"tracks[{i}] ({track.name!r}) has kind {track.kind.value!r}; tracks must be "
                "'audio' or 'bus' (the one master track is `master`)")

    for kind, ids in (
        ("track", [t.id for t in project.all_tracks()]),
        ("clip", [c.id for t in project.tracks for c in t.clips]),
        ("take", [k.id for t in project.tracks for k in t.takes.takes]),
        ("cue", [c.id for c in project.cues]),
        ("marker", [m.id for m in project.markers]),
    ):
        seen: set[str] = set()
        for item_id in ids:
            if item_id in seen:
                bad(f"{kind} id {item_id!r} is used more than once")
            seen.add(item_id)

    for i, marker in enumerate(project.markers):
        if marker.position < 0:
            bad(f"markers[{i}].position {marker.position} is before the start")
    for i, track in enumerate(project.tracks):
        where = f"tracks[{i}]"
        for j, clip in enumerate(track.clips):
            at = f"{where}.clips[{j}]"
            if clip.length < 1:
                bad(f"{at}.length {clip.length} must be at least 1")
            if clip.position < 0:
                bad(f"{at}.position {clip.position} is before the start")
            if clip.source_offset < 0:
                bad(f"{at}.source_offset {clip.source_offset} is negative")
            if clip.fade_in < 0 or clip.fade_out < 0:
                bad(f"{at} has a negative fade")
            if clip.media not in project.media:
                bad(f"{at} refers to media {clip.media!r}, which is not in the project")
        take_ids = set()
        for j, take in enumerate(track.takes.takes):
            at = f"{where}.takes.takes[{j}]"
            take_ids.add(take.id)
            if take.length < 0 or take.position < 0 or take.source_offset < 0:
                bad(f"{at} has a negative position, length or source_offset")
            if take.media not in project.media:
                bad(f"{at} refers to media {take.media!r}, which is not in the project")
        for j, comp in enumerate(track.takes.comp):
            if comp.take not in take_ids:
                bad(f"{where}.takes.comp[{j}] refers to take {comp.take!r}, not on this track")
            if comp.start < 0 or comp.end < comp.start:
                bad(f"{where}.takes.comp[{j}] range {comp.start}..{comp.end} is impossible")

    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more problems)" if len(problems) > 5 else ""
        raise ProjectError(f"{source}: {shown}{more}.")


# -- media --------------------------------------------------------------------


def resolve_media(folder: str | os.PathLike[str], media: MediaFile) -> Path:
    """The absolute path of a media file, refusing paths that lead outside the folder.

    Symlinks are followed, so a link inside audio/ that points elsewhere is refused too.
    The file itself need not exist.
    """
    pure = check_media_path(media.path)
    root = Path(folder).resolve()
    try:
        target = root.joinpath(*pure.parts).resolve()
    except (OSError, RuntimeError) as e:  # a symlink loop
        raise ProjectError(f"media path {media.path!r} cannot be followed ({e}).") from None
    if not target.is_relative_to(root):
        raise ProjectError(
            f"media path {media.path!r} ({media.name or media.id}) resolves to {target}, "
            f"outside the project folder {root}."
        )
    return target


# -- atomic writing -----------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(
    target: Path, data: bytes, before_replace: Callable[[], None] | None = None
) -> None:
    """Write `data` to `target` so that target is always either the old or the new bytes."""
    fd, tmp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=target.parent)
    tmp = Path(tmp_name)
    try:
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _fsync_dir(target.parent)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _backup_name(folder: Path) -> Path:
    stamp = datetime.now(UTC)
    while True:
        path = folder / f"project-{stamp:%Y%m%d-%H%M%S-%f}.json"
        if not path.exists():
            return path
        stamp += timedelta(microseconds=1)


def _keep_backup(folder: Path) -> None:
    """Copy the current project.json into backups/ and prune backups/ to the newest few."""
    current = folder / PROJECT_FILE
    try:
        old = current.read_bytes()
    except FileNotFoundError:
        return
    backups = folder / "backups"
    backups.mkdir(exist_ok=True)
    _atomic_write(_backup_name(backups), old)
    names = sorted(p.name for p in backups.iterdir() if _BACKUP_NAME.fullmatch(p.name))
    for name in names[:-KEEP_BACKUPS]:
        (backups / name).unlink(missing_ok=True)


def _ensure_layout(folder: Path) -> None:
    for name in SUBFOLDERS:
        (folder / name).mkdir(exist_ok=True)


def _require_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ProjectError(f"{folder} is not a folder.")


# -- public operations --------------------------------------------------------


def create_project(
    folder: str | os.PathLike[str],
    sample_rate: int = model.DEFAULT_RATE,
    name: str | None = None,
) -> Project:
    """Make a new project folder with an empty project and return the project."""
    folder = Path(folder)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not (
        model.MIN_RATE <= sample_rate <= model.MAX_RATE
    ):
        raise ProjectError(
            f"sample rate {sample_rate!r} is not supported; "
            f"choose a whole number of Hz from {model.MIN_RATE} to {model.MAX_RATE}."
        )
    if folder.exists():
        if not folder.is_dir():
            raise ProjectError(f"{folder} already exists and is not a folder.")
        if any(folder.iterdir()):
            raise ProjectError(f"{folder} already exists and is not empty; choose a new folder.")
    if name is None:
        name = folder.name.removesuffix(".glassroom") or "Untitled"
    project = Project(name=name, sample_rate=sample_rate)
    folder.mkdir(parents=True, exist_ok=True)
    save_project(project, folder)
    return project


def save_project(project: Project, folder: str | os.PathLike[str]) -> None:
    """Save atomically, keeping the previous project.json in backups/; clears recovery/.

    A missing folder is created (Save As); the project is validated first, so nothing
    is written for a project that could not be opened again.
    """
    folder = Path(folder)
    data = project_to_text(project).encode("utf-8")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _ensure_layout(folder)
        _atomic_write(folder / PROJECT_FILE, data, before_replace=lambda: _keep_backup(folder))
    except OSError as e:
        raise ProjectError(
            f"Could not save to {folder} ({e.strerror or e}); the previous save is unchanged."
        ) from e
    recovery = folder / "recovery" / PROJECT_FILE
    try:
        recovery.unlink()
    except FileNotFoundError:
        return
    _fsync_dir(recovery.parent)


def write_recovery(project: Project, folder: str | os.PathLike[str]) -> None:
    """Write the autosave copy recovery/project.json atomically (no backups)."""
    folder = Path(folder)
    data = project_to_text(project).encode("utf-8")
    _require_folder(folder)
    try:
        (folder / "recovery").mkdir(exist_ok=True)
        _atomic_write(folder / "recovery" / PROJECT_FILE, data)
    except OSError as e:
        raise ProjectError(f"Could not write the autosave in {folder} ({e.strerror or e}).") from e


def recovery_newer(folder: str | os.PathLike[str]) -> bool:
    """True when an autosave exists that was written no earlier than the last save.

    Equal timestamps count as newer: file times are coarse, and offering a recovery
    that turns out identical is harmless, while hiding a real one loses work.
    """
    folder = Path(folder)
    try:
        recovered = (folder / "recovery" / PROJECT_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return False
    try:
        saved = (folder / PROJECT_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return True
    return recovered >= saved


def read_recovery(
    folder: str | os.PathLike[str], migrations: Migrations | None = None
) -> Project:
    """The project in recovery/project.json (ProjectError if absent or unreadable)."""
    path = Path(folder) / "recovery" / PROJECT_FILE
    source = f"recovery/{PROJECT_FILE}"
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{Path(folder)} has no autosaved project to recover.") from None
    project, _ = project_from_text(text, source, migrations)
    return project


@dataclass
class OpenResult:
    """A project as opened, with what the user should be told about it."""

    project: Project
    report: list[str] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)  # media ids whose file is absent
    mismatched: set[str] = field(default_factory=set)  # media ids whose file changed
    recovery_available: bool = False

    @property
    def placeholders(self) -> set[str]:
        """Media ids the engine and UI treat as silence."""
        return self.missing | self.mismatched


def open_project(
    folder: str | os.PathLike[str], migrations: Migrations | None = None
) -> OpenResult:
    """Read a project folder without changing anything in it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ProjectError(f"{folder} is not a Glassroom project (not a folder).")
    path = folder / PROJECT_FILE
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{folder} is not a Glassroom project (it has no {PROJECT_FILE}).") \
            from None
    except IsADirectoryError:
        raise ProjectError(f"{folder}: {PROJECT_FILE} is a folder, not a file.") from None
    except OSError as e:
        raise ProjectError(f"{path} cannot be read ({e.strerror}).") from None
    project, warnings = project_from_text(text, PROJECT_FILE, migrations)
    result = OpenResult(project=project, report=list(warnings))
    _check_media(folder, result)
    result.recovery_available = recovery_newer(folder)
    if result.recovery_available:
        result.report.append(
            "An autosaved version newer than the last save is in recovery/; "
            "it can be recovered."
        )
    return result


def _check_media(folder: Path, result: OpenResult) -> None:
    project = result.project
    for media_id, media in project.media.items():
        try:
            target = resolve_media(folder, media)
        except ProjectError as e:
            raise ProjectError(f'{PROJECT_FILE}: media["{media_id}"]: {e}') from None
        label = f"{media.path}" + (f' ("{media.name}")' if media.name else "")
        try:
            is_file = stat.S_ISREG(target.stat().st_mode)
        except OSError as e:  # absent, or a name the file system cannot hold
            is_file = False
            reason = "" if isinstance(e, FileNotFoundError) else f" ({e.strerror})"
        else:
            reason = "" if is_file else " (something else is in its place)"
        if not is_file:
            result.missing.add(media_id)
            problem = f"The audio file {label} is missing{reason}"
        else:
            try:
                info = sf.info(str(target))
            except (RuntimeError, OSError) as e:
                result.mismatched.add(media_id)
                problem = f"The audio file {label} cannot be read ({e})"
            else:
                if info.frames == media.frames and info.channels == media.channels:
                    continue
                result.mismatched.add(media_id)
                problem = (
                    f"The audio file {label} has changed: it has {info.frames} frames and "
                    f"{info.channels} channels, the project expects {media.frames} frames and "
                    f"{media.channels} channels"
                )
        result.report.append(f"{problem}. {_users_of(project, media_id)}")


def _users_of(project: Project, media_id: str) -> str:
    uses = []
    for track in project.tracks:
        clips = [c.name or c.id for c in track.clips if c.media == media_id]
        takes = [k.name or k.id for k in track.takes.takes if k.media == media_id]
        if clips:
            uses.append(f'clips {", ".join(clips)} on track "{track.name}"')
        if takes:
            uses.append(f'takes {", ".join(takes)} on track "{track.name}"')
    if not uses:
        return "No clip uses it."
    return "These play as silence until the file is back: " + "; ".join(uses) + "."


class Autosaver:
    """Decides when to write the recovery copy: every `interval` seconds while dirty.

    The UI calls `tick(now, dirty)` from a timer and writes recovery when it says so;
    becoming clean (a save) restarts the wait.
    """

    def __init__(self, interval: float = AUTOSAVE_SECONDS) -> None:
        self.interval = interval
        self._since: float | None = None

    def tick(self, now: float, dirty: bool) -> bool:
        if not dirty:
            self._since = None
            return False
        if self._since is None:
            self._since = now
            return False
        if now - self._since >= self.interval:
            self._since = now
            return True
        return False
