"""The undo stack: EditHistory applies edits and tells listeners about each change.

It merges consecutive changes of one parameter (a fader drag becomes one undo step until
`close_merge`), keeps a clean marker for "saved", and tells subscribers about every
change so the UI and the engine can follow. It is pure Python; `app.ui.undo` mirrors it
into a QUndoStack for Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.session.edits.base import Edit, EditError
from app.session.model import (
    Project,
)


@dataclass(frozen=True)
class Change:
    """What a history listener is told: `action` is "do", "undo", "redo" or "clean";
    `edit` is the edit done or undone (None for "clean"); `merged` says a "do" was
    absorbed into the previous undo step."""

    action: str
    edit: Edit | None = None
    merged: bool = False


class EditHistory:
    """The undo stack of one project; every change to the project goes through `apply`."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._edits: list[Edit] = []
        self._index = 0  # edits[:index] are done
        self._clean: int | None = 0  # None when the saved state can no longer be reached
        self._merge_open = False
        self._listeners: list[Callable[[Change], None]] = []

    @property
    def project(self) -> Project:
        return self._project

    @property
    def index(self) -> int:
        """How many undo steps are done."""
        return self._index

    @property
    def count(self) -> int:
        """How many undo steps exist, done or undone."""
        return len(self._edits)

    def apply(self, edit: Edit) -> bool:
        """Do `edit` and record it; True when it merged into the previous step.

        Raises EditError, with the project and the history unchanged, if it is refused.
        """
        edit.do(self._project)
        del self._edits[self._index:]
        if self._clean is not None and self._clean > self._index:
            self._clean = None
        merged = (
            self._merge_open
            and self._index > 0
            and self._clean != self._index  # never change the saved step after the fact
            and self._edits[-1].merge(edit)
        )
        if not merged:
            self._edits.append(edit)
            self._index += 1
        self._merge_open = True
        self._notify(Change("do", edit, merged))
        return merged

    def undo(self) -> Edit:
        if not self.can_undo:
            raise EditError("There is nothing to undo.")
        edit = self._edits[self._index - 1]
        edit.undo(self._project)
        self._index -= 1
        self._merge_open = False
        self._notify(Change("undo", edit))
        return edit

    def redo(self) -> Edit:
        if not self.can_redo:
            raise EditError("There is nothing to redo.")
        edit = self._edits[self._index]
        edit.do(self._project)
        self._index += 1
        self._merge_open = False
        self._notify(Change("redo", edit))
        return edit

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._edits)

    @property
    def undo_label(self) -> str:
        """The label of the step undo would take back, or "" when there is none."""
        return self._edits[self._index - 1].label if self.can_undo else ""

    @property
    def redo_label(self) -> str:
        return self._edits[self._index].label if self.can_redo else ""

    def close_merge(self) -> None:
        """End the current step: the next edit starts a new one (call on mouse release)."""
        self._merge_open = False

    def mark_clean(self) -> None:
        """Remember the current state as saved."""
        self._clean = self._index
        self._merge_open = False
        self._notify(Change("clean"))

    @property
    def is_dirty(self) -> bool:
        return self._clean != self._index

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call `callback` after every change; returns a function that unsubscribes."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def _notify(self, change: Change) -> None:
        for callback in list(self._listeners):
            callback(change)
