"""Qt's view of the undo history: a QUndoStack that mirrors an EditHistory.

The EditHistory (app.session.edits) is the single source of truth: it owns the edits,
decides merging and the clean state, and tells the engine about changes, the same way
in the GUI, the CLI and the tests. The QUndoStack here only mirrors it so that Qt's
Edit menu actions, QUndoView and shortcuts work, and so that window titles can follow
`cleanChanged`. Why this way round: driving the history from QUndoStack would split the
logic (merging, clean marker, listeners) between Qt and the session, and the CLI and the
engine could not use it without Qt.

How the mirror stays exact:
- every history change is seen through `EditHistory.subscribe`: a "do" pushes a command
  whose first redo does nothing (QUndoStack.push calls redo, but the edit is already
  done), and merges into the top command exactly when the history merged it (every
  command has the same id, and `mergeWith` answers with the history's decision; both
  refuse to merge into the clean step, so they agree);
- undo and redo started from Qt (menu, shortcut, QUndoView) run the command, which calls
  the history; undo and redo started elsewhere are replayed on the stack with the
  commands switched off, so nothing is done twice.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.session.edits import Change, Edit, EditHistory

_MERGE_ID = 1


class EditCommand(QUndoCommand):
    """One undo step of the history, as Qt sees it."""

    def __init__(self, mirror: UndoMirror, edit: Edit) -> None:
        super().__init__(edit.label)
        self._mirror = mirror
        self.edit = edit
        self.merged_into_previous = False

    def id(self) -> int:
        return _MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt's name)
        if not (isinstance(other, EditCommand) and other.merged_into_previous):
            return False
        self.setText(self.edit.label)
        return True

    def redo(self) -> None:
        self._mirror._run(self._mirror.history.redo)

    def undo(self) -> None:
        self._mirror._run(self._mirror.history.undo)


class UndoMirror(QObject):
    """Keeps `stack` in step with `history`; make edits with `history.apply` or `push`."""

    def __init__(self, history: EditHistory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if history.count:
            raise ValueError("The undo mirror must start with an empty history.")
        self.history = history
        self.stack = QUndoStack(self)
        self._replaying = True  # commands do nothing while the stack replays the history
        self._from_qt = False
        self._unsubscribe = history.subscribe(self._follow)
        self._replaying = False
        self.destroyed.connect(self._unsubscribe)

    def push(self, edit: Edit) -> bool:
        """Apply an edit (EditError if refused); True when it merged into the last step."""
        return self.history.apply(edit)

    def close_merge(self) -> None:
        self.history.close_merge()

    def mark_clean(self) -> None:
        self.history.mark_clean()

    def _run(self, step: Callable[[], object]) -> None:
        if self._replaying:
            return
        self._from_qt = True
        try:
            step()
        finally:
            self._from_qt = False

    def _follow(self, change: Change) -> None:
        if change.action == "clean":
            self.stack.setClean()
            return
        if self._from_qt:
            return
        self._replaying = True
        try:
            if change.action == "do":
                assert change.edit is not None
                command = EditCommand(self, change.edit)
                command.merged_into_previous = change.merged
                self.stack.push(command)
            elif change.action == "undo":
                self.stack.undo()
            elif change.action == "redo":
                self.stack.redo()
        finally:
            self._replaying = False
