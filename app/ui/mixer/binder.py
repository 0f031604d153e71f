"""Binder: tells the engine about every change in the edit history, done, undone or redone.

The path of a fader move: the Fader widget emits `moved(db)`; the strip applies
`SetParam(track, "fader_db", db)` to the EditHistory (merged while the mouse is down,
closed on release); the history calls this binder; the binder reads the value now in
the project and calls `Engine.set_param`, which writes one number into the arena; the
kernel glides to it within a block. Undo and redo arrive here the same way, so the
engine always plays what the project says.

Live values (strip parameters, cue levels and pans, cue masters, the control room) go
straight to the engine. Anything that changes structure (routing, inputs, tracks, cues,
a send's pre/post) needs a new plan: with a project folder given, the binder reloads
the engine once per event-loop turn however many such edits came in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from app.engine.engine import Engine, PlanError
from app.session import edits as E
from app.session.edits import (
    Change,
    Edit,
    EditHistory,
    SetAutomationMode,
    SetControlRoom,
    SetStripParams,
)
from app.session.model import Project, get_path

# Edits that change nothing the engine plays.
_SILENT = (
    E.RenameTrack,
    E.SetTrackColour,
    E.RenameCue,
    E.RenameMarker,
    E.RenameClip,
    SetAutomationMode,
    E.AddMidiMapping,
    E.RemoveMidiMapping,
)


def once(fn: Callable[[], object]) -> Callable[..., None]:
    """`fn` made safe to call more than once (by hand, then again on destruction)."""
    done: list[bool] = []

    def call(*_args: object) -> None:
        if not done:
            done.append(True)
            fn()

    return call


class EngineBinder(QObject):
    """Follows `history` and keeps `engine` in step with the project."""

    problem = Signal(str)  # a change the engine could not take, in words

    def __init__(
        self,
        history: EditHistory,
        engine: Engine,
        folder: str | Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.history = history
        self.engine = engine
        self.folder = Path(folder) if folder is not None else None
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(0)
        self._reload.timeout.connect(self.reload)
        self._unsubscribe = once(history.subscribe(self._follow))
        self.destroyed.connect(self._unsubscribe)

    @property
    def project(self) -> Project:
        return self.history.project

    def detach(self) -> None:
        """Stop following the history."""
        self._unsubscribe()

    def reload(self) -> None:
        """Give the engine the project's structure again (after structural edits)."""
        if self.folder is None:
            return
        try:
            for warning in self.engine.load(self.project, self.folder):
                self.problem.emit(warning)
        except PlanError as e:
            self.problem.emit(f"The engine could not take the change: {e}")

    def _follow(self, change: Change) -> None:
        if change.edit is not None and change.action in ("do", "undo", "redo"):
            self.forward(change.edit)

    def forward(self, edit: Edit) -> None:
        """Send what `edit` changed (as the project now has it) to the engine."""
        try:
            self._forward(edit)
        except PlanError as e:
            if self.folder is not None:
                self._reload.start()  # not a live value: a new plan carries it
            else:
                self.problem.emit(f"The engine could not take the change: {e}")

    def _forward(self, edit: Edit) -> None:
        project = self.project
        if isinstance(edit, E.Compound):
            for part in edit.edits:
                self._forward(part)
        elif isinstance(edit, E.SetParam | SetStripParams):
            paths = edit.paths if isinstance(edit, SetStripParams) else [edit.path]
            track = project.track(edit.track_id)
            for path in paths:
                self.engine.set_param(track.id, path, get_path(track.strip, path))
        elif isinstance(edit, E.SetCueSend):
            send = project.cue(edit.cue_id).sends.get(edit.track_id)
            if edit.pre is not None:
                raise PlanError("a cue send's pre/post is part of the plan")
            self.engine.set_cue_send(edit.cue_id, edit.track_id,
                                     pan=send.pan if send is not None else 0.0)
        elif isinstance(edit, E.SetCueParam) and edit.name != "talkback":
            cue = project.cue(edit.cue_id)
            self.engine.set_cue_master(cue.id, master_db=cue.master_db, click_db=cue.click_db)
        elif isinstance(edit, SetControlRoom):
            self.engine.set_control_room()
        elif not isinstance(edit, _SILENT):
            raise PlanError(f"{edit.label} changes the plan")
