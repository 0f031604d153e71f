"""The QUndoStack mirror of the edit history: Qt's undo actions and view drive real edits."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtWidgets import QUndoView

from app.session.edits import EditError, EditHistory, MoveClip, SetParam, SetTempo
from app.session.model import Clip, MediaFile, Project, Track
from app.ui.undo import UndoMirror


def make_project() -> Project:
    project = Project()
    project.media["m1"] = MediaFile("audio/a.wav", 48000, 1, 48000, id="m1")
    vocal = Track("Vocal", id="vocal")
    vocal.clips.append(Clip("m1", 0, 1000, id="c1"))
    project.tracks.append(vocal)
    return project


@pytest.fixture
def mirror(qtbot) -> UndoMirror:
    return UndoMirror(EditHistory(make_project()))


def test_push_does_the_edit_once_and_qt_actions_undo_it(mirror: UndoMirror) -> None:
    project = mirror.history.project
    before = copy.deepcopy(project)
    mirror.push(MoveClip("c1", 500))
    assert project.find_clip("c1")[1].position == 500  # done once, not twice by push's redo
    assert mirror.stack.count() == 1 and mirror.stack.undoText() == "Move clip"
    undo = mirror.stack.createUndoAction(mirror, "Undo")
    redo = mirror.stack.createRedoAction(mirror, "Redo")
    assert undo.text() == "Undo Move clip"
    undo.trigger()
    assert project == before and mirror.history.index == 0
    assert redo.isEnabled() and not undo.isEnabled()
    redo.trigger()
    assert project.find_clip("c1")[1].position == 500 and mirror.history.index == 1


def test_a_fader_drag_is_one_qt_step(mirror: UndoMirror) -> None:
    project = mirror.history.project
    for db in (-1.0, -2.0, -3.0):
        mirror.push(SetParam("vocal", "fader_db", db))
    assert mirror.stack.count() == mirror.history.count == 1
    assert mirror.stack.undoText() == "Set Vocal fader"
    mirror.close_merge()
    mirror.push(SetParam("vocal", "fader_db", -4.0))
    assert mirror.stack.count() == mirror.history.count == 2
    mirror.stack.undo()
    mirror.stack.undo()
    assert project.track("vocal").strip.fader_db == 0.0
    mirror.stack.redo()
    assert project.track("vocal").strip.fader_db == -3.0


def test_refused_edit_leaves_the_stack_alone(mirror: UndoMirror) -> None:
    mirror.push(SetTempo(100))
    with pytest.raises(EditError, match="tempo"):
        mirror.push(SetTempo(5))
    assert mirror.stack.count() == 1 and mirror.history.project.tempo == 100.0


def test_history_driven_elsewhere_is_mirrored(mirror: UndoMirror) -> None:
    history = mirror.history
    history.apply(SetTempo(90))
    history.apply(SetTempo(80))
    history.close_merge()
    history.apply(MoveClip("c1", 10))
    assert mirror.stack.count() == 2
    history.undo()
    assert mirror.stack.index() == 1 and history.project.tempo == 80.0
    history.redo()
    assert mirror.stack.index() == 2 and history.index == 2


def test_clean_state_follows_the_history(mirror: UndoMirror, qtbot) -> None:
    assert mirror.stack.isClean()
    mirror.push(SetTempo(100))
    assert not mirror.stack.isClean()
    with qtbot.waitSignal(mirror.stack.cleanChanged):
        mirror.mark_clean()
    assert mirror.stack.isClean() and not mirror.history.is_dirty
    mirror.push(SetTempo(101))  # a new step: never merged into the saved one
    assert mirror.stack.count() == 2
    mirror.stack.undo()
    assert mirror.stack.isClean() and not mirror.history.is_dirty


def test_undo_view_jumps_through_the_history(mirror: UndoMirror, qtbot) -> None:
    project = mirror.history.project
    view = QUndoView(mirror.stack)
    qtbot.addWidget(view)
    before = copy.deepcopy(project)
    mirror.push(SetTempo(100))
    mirror.close_merge()
    mirror.push(SetTempo(110))
    mirror.close_merge()
    mirror.push(MoveClip("c1", 99))
    after = copy.deepcopy(project)
    assert view.model().rowCount() == 4  # "<empty>" and three steps
    mirror.stack.setIndex(0)
    assert project == before and mirror.history.index == 0
    mirror.stack.setIndex(3)
    assert project == after and mirror.history.index == 3
