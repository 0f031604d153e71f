"""The `glassroom` command: open the window, or work on a project folder from a terminal.

    glassroom [DIR]                      open DIR in the window (the demo project if none)
    glassroom new DIR [--rate 48000]     make an empty project
    glassroom import DIR FILE... [--at SECONDS]
                                         import audio files, each onto a new track
    glassroom info DIR [--json]          describe a project
    glassroom demo DIR                   make the demo project
    glassroom render DIR -o OUT [--range A:B] [--stems DIR] [--cue NAME] [--normalize LUFS]
                     [--ceiling DBTP] [--format F] [--bit-depth B] [--rate HZ] [--force]
                                         render (and deliver) the mix to a file
    glassroom loudness FILE...           print each file's loudness report

Expected failures (a bad project, a bad audio file, a disk error) print one line,
`glassroom: <message>`, on stderr and exit 1; usage errors exit 2. Subcommands live in
the COMMANDS table, one (configure, run) pair each, so a new one is one entry.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from app.session import edits, media, store
from app.session.model import Project, TrackKind

PROG = "glassroom"
EXPECTED_ERRORS = (store.ProjectError, media.MediaError, edits.EditError, OSError)
class _Usage(Exception):
    """A command line that cannot be run as given (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit; let main() decide
        raise _Usage(f"{message}\n{self.format_usage().strip()}")


def user_data_dir() -> Path:
    """Where Glassroom keeps per-user things such as the demo project (XDG_DATA_HOME)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "glassroom"


def default_demo_folder() -> Path:
    return user_data_dir() / "Demo.glassroom"


def ensure_demo(folder: Path) -> Path:
    """The demo project at `folder`, made first if it is not there yet."""
    if not (folder / store.PROJECT_FILE).is_file():
        from app.session.demo import make_demo

        print(f"Making the demo project in {folder} ...", file=sys.stderr)
        make_demo(folder)
    return folder


# -- progress ------------------------------------------------------------------


class ProgressBar:
    """A one-line text bar on a terminal; silent when the stream is not a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.width = width
        self.live = self.stream.isatty()
        self._shown = -1

    def __call__(self, fraction: float) -> None:
        if not self.live:
            return
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        if percent == self._shown:
            return
        self._shown = percent
        filled = percent * self.width // 100
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.label[:40]:<40} [{bar}] {percent:3d}%")
        self.stream.flush()

    def done(self) -> None:
        if self.live and self._shown >= 0:
            self.stream.write("\n")
            self.stream.flush()


# -- commands ------------------------------------------------------------------


def _configure_new(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="the new project folder (must not exist or be empty)")
    p.add_argument("--rate", type=int, default=48000, help="sample rate in Hz (default 48000)")


def _run_new(args: argparse.Namespace) -> int:
    project = store.create_project(args.dir, sample_rate=args.rate)
    print(f'Created "{project.name}" at {args.dir} ({project.sample_rate} Hz).')
    return 0


def _configure_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="the project folder")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="audio files")
    p.add_argument("--at", type=float, default=0.0, metavar="SECONDS",
                   help="timeline position of the new clips (default 0)")


def _run_import(args: argparse.Namespace) -> int:
    if args.at < 0:
        raise _Usage("--at must be zero or more seconds")
    opened = store.open_project(args.dir)
    project = opened.project
    history = edits.EditHistory(project)
    position = project.frames(args.at)
    failures = 0
    for src in args.files:
        bar = ProgressBar(f"Importing {src.name}")
        try:
            result = media.import_audio(src, args.dir, project.sample_rate, progress=bar)
        except EXPECTED_ERRORS as e:
            bar.done()
            _error(str(e))
            failures += 1
            continue
        bar.done()
        for warning in result.warnings:
            _error(f"warning: {warning}")
        edit = edits.import_track_edit(project, result.media, position)
        history.apply(edit)
        mf = result.media
        print(f'Imported {src.name} onto track "{edit.edits[0].track.name}" '
              f"({mf.frames / mf.sample_rate:.2f} s, {mf.channels} ch).")
    if failures < len(args.files):
        store.save_project(project, args.dir)
    if failures:
        _error(f"{failures} of {len(args.files)} files could not be imported.")
        return 1
    return 0


def _configure_info(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="the project folder")
    p.add_argument("--json", action="store_true", help="print the description as JSON")


def describe(opened: store.OpenResult) -> dict:
    """A plain-data description of an opened project (what `info --json` prints)."""
    project: Project = opened.project
    length = project.length()
    tracks = []
    for t in project.tracks:
        entry = {"name": t.name, "kind": t.kind.value, "colour": t.colour, "clips": len(t.clips)}
        if t.kind is TrackKind.BUS:
            entry["bus_effect"] = t.bus_effect
        tracks.append(entry)
    media_list = []
    for mid, mf in project.media.items():
        status = ("missing" if mid in opened.missing
                  else "changed" if mid in opened.mismatched else "ok")
        media_list.append({
            "id": mid, "path": mf.path, "name": mf.name, "frames": mf.frames,
            "channels": mf.channels, "sample_rate": mf.sample_rate,
            "seconds": round(mf.frames / mf.sample_rate, 3), "status": status,
        })
    return {
        "name": project.name,
        "sample_rate": project.sample_rate,
        "tempo": project.tempo,
        "meter": f"{project.meter_num}/{project.meter_den}",
        "length_frames": length,
        "length_seconds": round(project.seconds(length), 3),
        "tracks": tracks,
        "markers": [{"name": m.name, "seconds": round(project.seconds(m.position), 3)}
                    for m in project.markers],
        "cues": [c.name for c in project.cues],
        "media": media_list,
        "missing": sorted(opened.missing),
        "mismatched": sorted(opened.mismatched),
        "report": list(opened.report),
    }


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:06.3f}"


def _run_info(args: argparse.Namespace) -> int:
    info = describe(store.open_project(args.dir))
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['name']}  ({args.dir})")
    print(f"  {info['sample_rate']} Hz, {info['tempo']:g} BPM {info['meter']}, "
          f"length {_clock(info['length_seconds'])}")
    print(f"  tracks ({len(info['tracks'])}):")
    for t in info["tracks"]:
        kind = f"bus, {t.get('bus_effect') or 'no effect'}" if t["kind"] == "bus" else \
            f"{t['clips']} clip{'s' if t['clips'] != 1 else ''}"
        print(f"    {t['name']:<24} {kind}")
    if info["markers"]:
        print("  markers: " + ", ".join(f"{m['name']} {_clock(m['seconds'])}"
                                        for m in info["markers"]))
    if info["cues"]:
        print("  cue mixes: " + ", ".join(info["cues"]))
    print(f"  media ({len(info['media'])}):")
    for m in info["media"]:
        flag = "" if m["status"] == "ok" else f"  [{m['status'].upper()}]"
        print(f"    {m['path']:<32} {m['seconds']:8.2f} s  {m['channels']} ch{flag}")
    for line in info["report"]:
        print(f"  ! {line}")
    return 0


def _configure_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="the new project folder")


def _run_demo(args: argparse.Namespace) -> int:
    from app.session.demo import make_demo

    project = make_demo(args.dir)
    print(f'Created the demo project "{project.name}" at {args.dir} '
          f"({len(project.tracks)} tracks, {project.seconds(project.length()):.0f} s).")
    return 0


def _configure_render(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, help="the project folder")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                   help="the file to write (its suffix picks the format unless --format)")
    p.add_argument("--range", metavar="A:B", help="seconds, e.g. 10:70 (default: the session)")
    p.add_argument("--stems", type=Path, metavar="DIR",
                   help="also write each audio track alone into DIR")
    p.add_argument("--cue", metavar="NAME", help="render this cue mix instead of the main mix")
    p.add_argument("--normalize", type=float, metavar="LUFS",
                   help="loudness target, e.g. -23 (broadcast) or -14 (streaming)")
    p.add_argument("--ceiling", type=float, metavar="DBTP",
                   help="true-peak ceiling (default -1 when normalising)")
    p.add_argument("--format", choices=("wav", "flac", "mp3", "ogg"))
    p.add_argument("--bit-depth", type=int, choices=(16, 24, 32),
                   help="WAV 16/24/32 (float), FLAC 16/24; default 24, dithered when 16 or 24")
    p.add_argument("--rate", type=int, metavar="HZ", help="sample rate (default: the project's)")
    p.add_argument("--force", action="store_true", help="replace files that already exist")


def _run_render(args: argparse.Namespace) -> int:
    from app.engine import export
    from app.engine.engine import Engine

    opened = store.open_project(args.dir)
    for line in opened.report:
        _error(f"warning: {line}")
    bar = ProgressBar(f"Rendering {args.output.name}")
    engine = Engine()
    try:
        settings = export.settings_for_file(
            opened.project, args.output, args.format, args.bit_depth, args.rate, args.normalize,
            args.ceiling, args.range, args.stems, args.cue, args.force)
        result = export.export_project(engine, opened.project, args.dir,
                                       args.output.parent, settings, bar,
                                       placeholders=set(opened.missing))
    except export.ExportError as e:
        bar.done()
        message = str(e)
        if "already exists" in message:
            message += " (--force replaces it)"
        _error(message)
        return 1
    finally:
        engine.close()
    bar.done()
    print("\n".join(result.lines()))
    return 0


def _configure_loudness(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="audio files")


def _run_loudness(args: argparse.Namespace) -> int:
    from app.engine import export

    failures = 0
    for path in args.files:
        try:
            report = export.loudness_report(path)
        except export.ExportError as e:
            _error(str(e))
            failures += 1
            continue
        print(path)
        print("\n".join(f"  {line}" for line in report.lines()))
    return 1 if failures else 0


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {
    "new": ("make an empty project", _configure_new, _run_new),
    "import": ("import audio files, each onto a new track", _configure_import, _run_import),
    "info": ("describe a project", _configure_info, _run_info),
    "demo": ("make the demo project", _configure_demo, _run_demo),
    "render": ("render the mix to a file, normalised to a loudness target if asked",
               _configure_render, _run_render),
    "loudness": ("print the loudness report of audio files", _configure_loudness,
                 _run_loudness),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Glassroom: a digital audio workstation.",
                     epilog="With no command: glassroom [DIR] opens DIR, or the demo project.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (summary, configure, _run) in COMMANDS.items():
        configure(sub.add_parser(name, help=summary, description=summary))
    return parser


def _gui_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Open a project in the Glassroom window.")
    parser.add_argument("dir", type=Path, nargs="?", help="the project folder (default: demo)")
    return parser


def _error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _run_gui(folder: Path | None) -> int:
    if folder is None:
        folder = ensure_demo(default_demo_folder())
    else:
        store.open_project(folder)  # refuse a non-project here, before any window appears
    from app.ui.app import run

    return run(folder)


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default sys.argv[1:]); the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
            args = build_parser().parse_args(argv)
            return COMMANDS[args.command][2](args)
        args = _gui_parser().parse_args(argv)
        return _run_gui(args.dir)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    except _Usage as e:
        _error(str(e))
        return 2
    except EXPECTED_ERRORS as e:
        _error(str(e))
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
