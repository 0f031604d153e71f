"""A save killed at any moment leaves project.json as either the old or the new project.

Run as a script (`python tests/test_store_crash.py FOLDER`) this file is the child: it
builds two large projects, says "ready", and saves them alternately until killed.
"""

from __future__ import annotations

import os
import random
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.session import model as m
from app.session import store

REPO = Path(__file__).resolve().parents[1]
CLIPS_PER_TRACK = 400
TRACKS = 8
ITERATIONS = 25
READY_SECONDS = 60.0


def big_project(label: str) -> m.Project:
    """Thousands of clips with fixed ids, so parent and child build equal objects."""
    shift = 0 if label == "A" else 7
    project = m.Project(name=f"Crash {label}")
    project.master.id = "master"
    project.media["m1"] = m.MediaFile("audio/m1.wav", 10**8, 2, 48000, id="m1")
    for t in range(TRACKS):
        track = m.Track(f"Track {t} {label}", id=f"t{t}")
        track.clips = [
            m.Clip("m1", i * 1000 + shift, 900, gain_db=-0.5 * t, id=f"c{t}-{i}")
            for i in range(CLIPS_PER_TRACK)
        ]
        project.tracks.append(track)
    return project


def child(folder: Path) -> None:
    projects = [big_project("B"), big_project("A")]
    print("ready", flush=True)
    while True:
        for project in projects:
            store.save_project(project, folder)


def wait_ready(proc: subprocess.Popen, deadline: float) -> None:
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0, "the saving child never said it was ready"
        readable, _, _ = select.select([proc.stdout], [], [], left)
        if readable:
            chunk = os.read(proc.stdout.fileno(), 64)
            assert chunk, f"the child exited early with {proc.wait()}"
            line += chunk
    assert line == b"ready\n"


def test_killed_saves_leave_the_old_or_the_new_project(tmp_path):
    folder = tmp_path / "Crash.glassroom"
    folder.mkdir()
    a, b = big_project("A"), big_project("B")
    assert a != b
    store.save_project(a, folder)
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    seen = {a.name: 0, b.name: 0}
    for _ in range(ITERATIONS):
        proc = subprocess.Popen(
            [sys.executable, __file__, str(folder)], stdout=subprocess.PIPE, cwd=REPO, env=env
        )
        try:
            wait_ready(proc, time.monotonic() + READY_SECONDS)
            time.sleep(rng.uniform(0.0, 0.3))  # the random moment of the crash
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL, f"seed {seed}: the child stopped by itself"
        project = store.open_project(folder).project
        assert project == a or project == b, f"seed {seed}: project.json is neither version"
        seen[project.name] += 1

    # a killed save may leave its own temp files, but nothing else out of place
    temp = re.compile(r"\.project-.*\.tmp")
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        assert (
            str(rel) in {"project.json", *store.SUBFOLDERS}
            or temp.fullmatch(path.name)
            or (rel.parent.name == "backups" and re.fullmatch(r"project-[\d-]+\.json", path.name))
        ), f"unexpected {rel}"
    backups = sorted((folder / "backups").glob("project-*.json"))
    assert 1 <= len(backups) <= store.KEEP_BACKUPS
    for backup in backups:
        assert store.project_from_text(backup.read_bytes())[0] in (a, b)
    print(f"seed {seed}: project.json was A {seen[a.name]} times, B {seen[b.name]} times")


if __name__ == "__main__":
    child(Path(sys.argv[1]))
