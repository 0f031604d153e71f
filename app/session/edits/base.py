"""The edit protocol: EditError, Edit, Compound, and the `_SetFields` helper.

An Edit is a small record of one change, holding ids and values (never references to
objects inside the project, which undo and redo replace). `do(project)` first checks
that the change is possible and raises EditError with a sentence for the user before
touching anything; `undo(project)` puts back exactly what `do` changed. An edit's first
`do` fixes its outcome (new ids, clamped fades, the sorted position of a point), so a
redo after an undo gives the same project again.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, ClassVar

from app.session.model import (
    Project,
)


class EditError(Exception):
    """An edit that cannot be made; the message says why, and nothing was changed."""


class Edit:
    """One undoable change. Subclasses implement do and undo; see the module docstring."""

    label: str = "Edit"
    # Whether consecutive edits of one kind and target may merge into one undo step.
    mergeable: ClassVar[bool] = False

    @property
    def structural(self) -> bool:
        """False when only a parameter value changed, which the engine follows without
        rebuilding its plan (fader, pan, levels); True otherwise."""
        return True

    def do(self, project: Project) -> None:
        raise NotImplementedError

    def undo(self, project: Project) -> None:
        raise NotImplementedError

    def merge(self, other: Edit) -> bool:
        """Absorb `other`, done right after this edit; True when it was absorbed."""
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label!r}>"


class Compound(Edit):
    """Several edits as one undo step; if one is refused, the ones before it are undone."""

    def __init__(self, label: str, edits: Iterable[Edit]) -> None:
        self.label = label
        self.edits = list(edits)

    @property
    def structural(self) -> bool:
        return any(e.structural for e in self.edits)

    def do(self, project: Project) -> None:
        done: list[Edit] = []
        try:
            for edit in self.edits:
                edit.do(project)
                done.append(edit)
        except EditError:
            for edit in reversed(done):
                edit.undo(project)
            raise

    def undo(self, project: Project) -> None:
        for edit in reversed(self.edits):
            edit.undo(project)


class _SetFields(Edit):
    """Sets some attributes of one object found by id; remembers the old values.

    Subclasses say how to find the object (`_target`), compute and check the new values
    (`_compute`, called on the first do only) and what identifies the target (`_key`).
    """

    def __init__(self) -> None:
        self._new: dict[str, Any] | None = None
        self._old: dict[str, Any] = {}

    def _target(self, project: Project) -> Any:
        raise NotImplementedError

    def _compute(self, project: Project, target: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _key(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def do(self, project: Project) -> None:
        target = self._target(project)
        new = self._compute(project, target) if self._new is None else self._new
        self._old = {k: copy.deepcopy(getattr(target, k)) for k in new}
        for k, v in new.items():
            setattr(target, k, copy.deepcopy(v))
        self._new = new

    def undo(self, project: Project) -> None:
        target = self._target(project)
        for k, v in self._old.items():
            setattr(target, k, copy.deepcopy(v))

    def merge(self, other: Edit) -> bool:
        if not (self.mergeable and type(other) is type(self)):
            return False
        assert isinstance(other, _SetFields)
        if other._key() != self._key() or self._new is None or other._new is None:
            return False
        for k, v in other._old.items():
            self._old.setdefault(k, v)
        self._new = {**self._new, **other._new}
        return True
