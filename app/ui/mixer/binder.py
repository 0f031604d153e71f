"""Binder: tells the engine about every change in the edit history, done, undone or redone.

The path of a fader move: the Fader widget emits `moved(db)`; the strip first offers it
to `ride` here. While the engine writes that parameter (`Engine.writing`: rolling, a
writing mode, a planned lane) the move is automation only: the binder touches the
parameter and calls `Engine.set_param`, which writes one number into the arena, and
the kernel plays and records it; the project's static value is left alone, and the
finished pass is the one undo step. Otherwise the strip applies
`SetParam(track, "fader_db", db)` to the EditHistory (merged while the mouse is down,
closed on release); the history calls this binder; the binder reads the value now in
the project and calls `Engine.set_param`; the kernel glides to it within a block. Undo
and redo arrive here the same way, so the engine always plays what the project says.

Touch travels beside the moves: a Fader or Knob says `touched(True)` on mouse down and
`touched(False)` on release; the strip calls `touch` here, and the binder calls
`Engine.touch`, which sets the parameter's touch flag in the arena that the kernel reads
each block (Touch, Latch and Trim write while it is set). A change that arrives without
a touch (a wheel step, a typed value, a MIDI CC) counts as touched from that change
until `NUDGE_SECONDS` pass without another; a ride is touched before its value is set,
so Trim measures even the first wheel step from the static value.

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

NUDGE_SECONDS = 0.5  # how long a change made without touch counts as held

# Edits that change nothing the engine plays.
_SILENT = (
    E.RenameTrack,
    E.SetTrackColour,
    E.RenameCue,
    E.RenameMarker,
    E.RenameClip,
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
        self._held: set[tuple[str, str, str]] = set()  # (cue id or "", track id, param)
        self._nudged: dict[tuple[str, str, str], QTimer] = {}
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
            if change.action == "do":
                self._nudge_all(change.edit)
            self.forward(change.edit)

    # -- touch ----------------------------------------------------------------------

    def touch(self, track_id: str, path: str, touched: bool) -> None:
        """A strip control is held (True) or let go (False) by a hand or a touch fader."""
        self._set_touch(("", track_id, path), touched)

    def touch_cue(self, cue_id: str, track_id: str, param: str, touched: bool) -> None:
        """A strip's "level_db" or "pan" control in a cue mix is held or let go."""
        self._set_touch((cue_id, track_id, param), touched)

    def ride(self, track_id: str, path: str, value: object) -> bool:
        """A strip control moved to `value` by a hand or a controller. True: the engine is
        writing that parameter, so the move went to it as automation (touched first);
        False: the caller makes it an edit as usual."""
        if not self.engine.writing(track_id, path):
            return False
        self._nudge(("", track_id, path))
        try:
            self.engine.set_param(track_id, path, value)
        except PlanError as e:
            self.problem.emit(f"The engine could not take the change: {e}")
        return True

    def heard(self, track_id: str, path: str) -> float | None:
        """The value the engine plays now for a strip parameter (None: not loaded)."""
        try:
            return self.engine.current_value(track_id, path)
        except (PlanError, KeyError):
            return None

    def _set_touch(self, key: tuple[str, str, str], touched: bool) -> None:
        timer = self._nudged.pop(key, None)
        if timer is not None:
            timer.stop()
            timer.deleteLater()
        if touched:
            self._held.add(key)
        else:
            self._held.discard(key)
        self._engine_touch(key, touched)

    def _engine_touch(self, key: tuple[str, str, str], touched: bool) -> None:
        cue_id, track_id, param = key
        try:
            if cue_id:
                self.engine.touch_cue_send(cue_id, track_id, param, touched)
            else:
                self.engine.touch(track_id, param, touched)
        except PlanError:
            pass  # not a live parameter, or not loaded yet: nothing there to write

    def _nudge_all(self, edit: Edit) -> None:
        if isinstance(edit, E.Compound):
            for part in edit.edits:
                self._nudge_all(part)
        elif isinstance(edit, E.SetParam):
            self._nudge(("", edit.track_id, edit.path))
        elif isinstance(edit, E.SetCueSend):
            for param, value in (("level_db", edit.level_db), ("pan", edit.pan)):
                if value is not None:
                    self._nudge((edit.cue_id, edit.track_id, param))

    def _nudge(self, key: tuple[str, str, str]) -> None:
        """A change without a touch: held from now until it rests for NUDGE_SECONDS."""
        if key in self._held:
            return
        timer = self._nudged.get(key)
        if timer is None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(round(NUDGE_SECONDS * 1000))
            timer.timeout.connect(lambda k=key: self._set_touch(k, False))
            self._nudged[key] = timer
            self._engine_touch(key, True)
        timer.start()

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
        elif isinstance(edit, SetAutomationMode):
            self._reload.start()  # the plan carries each strip's mode (no folder: no plan)
        elif not isinstance(edit, _SILENT):
            raise PlanError(f"{edit.label} changes the plan")
