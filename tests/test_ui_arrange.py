"""The arrange view driven with the mouse and keys on the real widgets: every gesture is
checked on the project, and where it changes what plays, on an offline render."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import shown_window
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.session import edits as E
from app.session import media, store
from app.session.model import FadeShape, Take, Track, TrackKind
from app.ui.arrange.ruler import MID
from app.ui.main_window import MainWindow

RATE = 48000
WAIT_MS = 30_000
L = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _tone(path: Path, seconds: float = 1.0, freq: float = 220.0) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    sf.write(path, 0.5 * np.sin(2 * np.pi * freq * t), RATE)
    return path


def make_session(folder: Path, tmp: Path, tracks: int = 2, seconds: float = 1.0) -> Path:
    """A project with `tracks` audio tracks, each with one tone clip at 0, and a bus."""
    project = store.create_project(folder, name="Edit")
    history = E.EditHistory(project)
    for i in range(tracks):
        res = media.import_audio(_tone(tmp / f"t{i}.wav", seconds, 220 * (i + 1)), folder, RATE)
        history.apply(E.import_track_edit(project, res.media, 0))
    history.apply(E.AddTrack(Track("FX", kind=TrackKind.BUS, bus_effect="reverb")))
    store.save_project(project, folder)
    return folder


@pytest.fixture
def window(qtbot, engine, tmp_path):
    with shown_window(qtbot, engine, tmp_path, (1300, 800)) as win:
        win.activateWindow()
        qtbot.waitUntil(win.isActiveWindow)
        yield win
    win.deleteLater()


@pytest.fixture
def session(window, tmp_path):
    folder = make_session(tmp_path / "Edit.glassroom", tmp_path)
    assert window.open_folder(folder)
    window.arrange.zoom_to_range(0, 4 * RATE)
    window.arrange.editor.snap_on = False
    return window


def render(win: MainWindow, tmp_path: Path, seconds: float = 3.0) -> np.ndarray:
    """What the engine plays for the project now (mono sum), offline."""
    out = tmp_path / f"render{len(list(tmp_path.glob('render*.wav')))}.wav"
    win.engine.render(win.project, win.folder, out, range=(0, int(seconds * RATE)))
    return sf.read(out, dtype="float32")[0].sum(axis=1)


def loud(x: np.ndarray, a: float, b: float) -> float:
    """RMS of the render between seconds a and b."""
    seg = x[int(a * RATE):int(b * RATE)]
    return float(np.sqrt(np.mean(seg**2))) if len(seg) else 0.0


def x_of(win: MainWindow, frame: float) -> int:
    return int(round(win.arrange.scale.x_of(frame)))


def _mouse(widget, kind, pos: QPoint, buttons, mods) -> None:
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(pos)), L if kind != MOVE else
                        Qt.MouseButton.NoButton, buttons, mods)
    QApplication.sendEvent(widget, event)


MOVE = QEvent.Type.MouseMove


def drag(widget, start: QPoint, end: QPoint, mods=NONE) -> None:
    """Press, move and release on `widget`, as Qt delivers a drag to the widget that took
    the press even when the pointer leaves it (onto another lane or header)."""
    _mouse(widget, QEvent.Type.MouseButtonPress, start, L, mods)
    for k in range(1, 5):
        _mouse(widget, MOVE, start + (end - start) * k / 4, L, mods)
    _mouse(widget, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton, mods)


def key(win: MainWindow, k, mods=NONE) -> None:
    """A key pressed in the window, as a user would (shortcuts need the active window)."""
    if not win.isActiveWindow():
        win.activateWindow()
        assert QTest.qWaitForWindowActive(win)
    QTest.keyClick(win, k, mods)


def test_drag_moves_a_clip_and_the_engine_plays_it_later(session, tmp_path) -> None:
    win = session
    lane = win.arrange.lanes()[0]
    clip = lane.track.clips[0]
    win.push(E.SetParam(win.project.tracks[1].id, "mute", True))
    before = render(win, tmp_path)
    assert loud(before, 0.1, 0.9) > 0.05 and loud(before, 1.1, 1.9) < 1e-4
    y = lane.height() // 2
    drag(lane, QPoint(x_of(win, RATE * 0.5), y), QPoint(x_of(win, RATE * 1.5), y))
    assert clip.position == pytest.approx(RATE, abs=win.arrange.scale.frames_per_pixel * 2)
    after = render(win, tmp_path)
    assert loud(after, 0.1, 0.9) < 1e-4 and loud(after, 1.1, 1.9) > 0.05
    win.undo_action.trigger()
    assert clip.position == 0 and "Move" in win.redo_action.text()


def test_drag_to_another_track_and_rubber_band(session) -> None:
    win = session
    first, second = win.arrange.lanes()[:2]
    clip = first.track.clips[0]
    y0 = first.height() // 2
    second_y = first.mapFromGlobal(second.mapToGlobal(QPoint(0, second.height() // 2))).y()
    drag(first, QPoint(x_of(win, RATE * 0.5), y0), QPoint(x_of(win, RATE * 0.5), second_y))
    assert win.project.find_clip(clip.id)[0] is second.track
    # rubber band across both lanes from empty space selects both clips there
    second = win.arrange.lanes()[1]
    start = QPoint(x_of(win, RATE * 1.5), 5)
    other = win.arrange.lanes()[0]
    end = other.mapFromGlobal(second.mapToGlobal(QPoint(x_of(win, RATE * 0.2),
                                                        second.height() - 5)))
    drag(other, start, end)
    assert win.arrange.editor.selection.clips == {c.id for t in win.project.tracks
                                                  for c in t.clips}
    # a click on one clip selects it alone; shift+click adds
    QTest.mouseClick(second, L, NONE, QPoint(x_of(win, RATE * 0.5), 50))
    assert len(win.arrange.editor.selection.clips) == 2  # both clips are on that lane now
    QTest.mouseClick(second, L, NONE, QPoint(x_of(win, RATE * 3.0), 50))
    assert win.arrange.editor.selection.clips == set()


def test_trim_edges_fades_and_gain_by_handle(session, tmp_path) -> None:
    win = session
    lane = win.arrange.lanes()[0]
    clip = lane.track.clips[0]
    y = lane.height() // 2
    drag(lane, QPoint(x_of(win, clip.end) - 2, y), QPoint(x_of(win, RATE * 0.5), y))
    assert clip.end == pytest.approx(RATE * 0.5, abs=win.arrange.scale.frames_per_pixel * 2)
    drag(lane, QPoint(x_of(win, 0) + 2, y), QPoint(x_of(win, RATE * 0.1), y))
    assert clip.position == pytest.approx(RATE * 0.1, abs=win.arrange.scale.frames_per_pixel * 2)
    assert clip.source_offset == clip.position
    # the fade-in handle sits at the clip's top-left corner
    drag(lane, QPoint(x_of(win, clip.position) + 1, 3), QPoint(x_of(win, RATE * 0.25), 3))
    assert clip.fade_in == pytest.approx(RATE * 0.15, abs=win.arrange.scale.frames_per_pixel * 3)
    drag(lane, QPoint(x_of(win, clip.end) - 1, 3), QPoint(x_of(win, RATE * 0.4), 3))
    assert clip.fade_out == pytest.approx(RATE * 0.1, abs=win.arrange.scale.frames_per_pixel * 3)
    win.arrange.editor.set_fades(clip.id, in_shape=FadeShape.S_CURVE)
    assert clip.fade_in_shape is FadeShape.S_CURVE
    # the gain line: drag it down 40 px for -10 dB, and the render is quieter
    win.push(E.SetParam(win.project.tracks[1].id, "mute", True))
    loud_before = loud(render(win, tmp_path), 0.26, 0.39)
    body_top = 1.5
    gain_y = int(lane._gain_y(clip, QRectF_for(lane, clip, body_top)))
    mid_x = x_of(win, (clip.position + clip.end) / 2)
    drag(lane, QPoint(mid_x, gain_y), QPoint(mid_x, gain_y + 40))
    assert clip.gain_db == pytest.approx(-10.0, abs=0.6)
    assert loud(render(win, tmp_path), 0.26, 0.39) < loud_before * 0.4


def QRectF_for(lane, clip, top):  # noqa: N802 (mirrors the lane's body rectangle)
    from PySide6.QtCore import QRectF
    x0, x1 = lane.scale.x_of(clip.position), lane.scale.x_of(clip.end)
    return QRectF(x0 + 0.5, top, x1 - x0 - 1, lane.track.height - 4.0)


def test_split_delete_duplicate_copy_paste_nudge_mute_rename(session, tmp_path) -> None:
    win = session
    lane = win.arrange.lanes()[0]
    track = lane.track
    win.push(E.SetParam(win.project.tracks[1].id, "mute", True))
    win.arrange.editor.snap_on = True
    QTest.mouseClick(lane, L, NONE, QPoint(x_of(win, RATE * 0.5), lane.height() - 10))
    key(win, Qt.Key.Key_S)  # split at the edit cursor
    assert [c.length for c in track.clips] == [RATE // 2, RATE // 2]
    win.arrange.editor.snap_on = False
    right = track.clips[1]
    win.arrange.editor.select(right.id)
    key(win, Qt.Key.Key_Delete)
    assert len(track.clips) == 1
    x = render(win, tmp_path)
    assert loud(x, 0.1, 0.4) > 0.05 and loud(x, 0.6, 0.9) < 1e-4
    left = track.clips[0]
    win.arrange.editor.select(left.id)
    key(win, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [c.position for c in track.clips] == [0, RATE // 2]
    win.arrange.editor.select(left.id)
    key(win, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    win.locate(2 * RATE)
    key(win, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert sorted(c.position for c in track.clips) == [0, RATE // 2, 2 * RATE]
    pasted = next(c for c in track.clips if c.position == 2 * RATE)
    win.arrange.editor.select(pasted.id)
    win.arrange.editor.snap_on = True
    key(win, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert pasted.position == 2 * RATE + RATE // 8  # a quarter of a beat at 120 BPM
    key(win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert pasted.mute
    x = render(win, tmp_path, 3.0)
    assert loud(x, 2.2, 2.5) < 1e-4 and loud(x, 0.6, 0.9) > 0.05
    editor = win.arrange.start_rename(lane, left)
    editor.setText("Hook")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert left.name == "Hook"
    assert win.undo_action.text().endswith("Rename clip")


def test_overlap_after_a_move_becomes_a_crossfade(session) -> None:
    win = session
    first, second = win.project.tracks[0], win.project.tracks[1]
    c2 = second.clips[0]
    assert win.arrange.editor.move([c2.id], RATE // 2, -1)
    a, b = sorted(first.clips, key=lambda c: c.position)
    assert a.fade_out == RATE // 2 and b.fade_in == RATE // 2


def test_snap_to_beats_and_clip_edges_toggled_with_g(session) -> None:
    win = session
    ed = win.arrange.editor
    ed.snap_on = True
    fpp = win.arrange.scale.frames_per_pixel
    assert ed.snapped(RATE * 0.52, fpp) == RATE // 2  # the beat at 120 BPM
    ed.snap = ed.snap.BAR
    assert ed.snapped(RATE * 1.7, fpp) == 2 * RATE
    assert ed.snapped(RATE * 1.0 + 2 * fpp, fpp) == RATE  # the clip's end pulls
    key(win, Qt.Key.Key_G)
    assert not ed.snap_on
    assert ed.snapped(RATE * 0.52, fpp) == int(RATE * 0.52)


def test_markers_loop_and_punch_on_the_ruler(session) -> None:
    win = session
    ruler = win.arrange.ruler
    win.locate(RATE)
    key(win, Qt.Key.Key_Tab)
    assert [m.position for m in win.project.markers] == [RATE]
    marker = win.project.markers[0]
    drag(ruler, QPoint(x_of(win, RATE) + 4, 6), QPoint(x_of(win, 2 * RATE) + 4, 6))
    assert marker.position == pytest.approx(2 * RATE, abs=win.arrange.scale.frames_per_pixel * 2)
    QTest.mouseClick(ruler, L, NONE, QPoint(x_of(win, marker.position) + 4, 6))
    assert win.position() == marker.position  # a click on a marker jumps there
    editor = ruler.start_rename(marker)
    editor.setText("Bridge")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert marker.name == "Bridge"
    drag(ruler, QPoint(x_of(win, RATE * 0.5), MID + 4), QPoint(x_of(win, RATE * 1.5), MID + 4))
    loop = win.project.loop
    assert loop.enabled and loop.start == pytest.approx(RATE * 0.5, abs=200)
    assert loop.end == pytest.approx(RATE * 1.5, abs=200)
    win.engine.wait_commands()
    QTest.qWait(100)
    assert win.feedback.loop[0] and win.feedback.loop[1] == loop.start
    key(win, Qt.Key.Key_L)
    assert not win.project.loop.enabled
    drag(ruler, QPoint(x_of(win, RATE * 2), MID + 15), QPoint(x_of(win, RATE * 3), MID + 15))
    assert win.project.punch.enabled and win.project.punch.end > win.project.punch.start


def test_track_headers_edit_the_tracks(session, tmp_path) -> None:
    win = session
    header = win.arrange.headers()[0]
    track = header.track
    header.arm.click()
    assert track.armed and "1 armed" in win.transport.armed_label.text()
    header.mute.click()
    assert track.strip.mute
    x = render(win, tmp_path, 1.0)
    assert loud(x, 0.1, 0.9) < loud(render_unmuted(win, tmp_path), 0.1, 0.9)
    header.solo.click()
    assert track.strip.solo
    header.monitor.setCurrentIndex(2)
    header.monitor.activated.emit(2)
    assert track.monitor.value == "off"
    header.input.setCurrentIndex(1)
    header.input.activated.emit(1)
    assert track.input.channels == [0]
    # resize by dragging the bottom edge, then undo
    h0 = track.height
    drag(header, QPoint(50, header.height() - 2), QPoint(50, header.height() + 38))
    assert track.height == h0 + 40
    assert win.arrange.lanes()[0].height() == h0 + 40
    win.undo_action.trigger()
    assert track.height == h0
    # the bus folds
    bus_header = win.arrange.headers()[-1]
    bus_header.fold.click()
    assert bus_header.track.folded and win.arrange.lanes()[-1].height() < 40


def render_unmuted(win, tmp_path):
    win.undo_action.trigger()
    x = render(win, tmp_path, 1.0)
    win.redo_action.trigger()
    return x


def test_reorder_add_duplicate_remove_tracks(session) -> None:
    win = session
    names = [t.name for t in win.project.tracks]
    first, second = win.arrange.headers()[:2]
    below = first.mapFromGlobal(second.mapToGlobal(QPoint(10, second.height() - 5)))
    drag(first, QPoint(60, 20), below)
    assert [t.name for t in win.project.tracks] == [names[1], names[0], *names[2:]]
    win.arrange.focus_track(win.project.tracks[0].id)
    key(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | SHIFT)
    assert win.project.tracks[1].name.startswith("Audio")
    key(win, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | SHIFT)
    assert len(win.project.tracks) == 5
    key(win, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier | SHIFT)
    assert len(win.project.tracks) == 4
    assert len(win.arrange.lanes()) == 4


def test_take_lanes_swipe_to_comp(session, tmp_path) -> None:
    win = session
    track = win.project.tracks[0]
    res = media.import_audio(_tone(tmp_path / "take.wav", 2.0, 330), win.folder, RATE)
    win.push(E.Compound("Add takes", [
        E.AddMedia(res.media),
        E.AddTake(track.id, Take(res.media.id, 0, 2 * RATE, name="Take 1")),
        E.AddTake(track.id, Take(res.media.id, 0, 2 * RATE, name="Take 2")),
    ]))
    header = win.arrange.headers()[0]
    assert header.takes_button.isEnabled()
    header.takes_button.click()
    lane = win.arrange.lanes()[0]
    assert lane.takes_open and lane.height() == track.height + 2 * 30
    take2 = track.takes.takes[1]
    y = track.height + 30 + 15
    drag(lane, QPoint(x_of(win, RATE * 0.5), y), QPoint(x_of(win, RATE * 1.0), y))
    comp = track.takes.comp
    assert len(comp) == 1 and comp[0].take == take2.id
    assert comp[0].start == pytest.approx(RATE * 0.5, abs=200)
    win.audition(track.id, take2)
    assert win.position() == take2.position
    win.stop()


def test_zoom_keys_extremes_and_a_growing_clip(session) -> None:
    win = session
    scale = win.arrange.scale
    before = scale.frames_per_pixel
    key(win, Qt.Key.Key_Plus)
    assert scale.frames_per_pixel == pytest.approx(before / 2)
    key(win, Qt.Key.Key_Minus)
    assert scale.frames_per_pixel == pytest.approx(before)
    win.arrange.editor.select(win.project.tracks[0].clips[0].id)
    key(win, Qt.Key.Key_Z)
    start, end = scale.visible_range()
    assert start <= 0 + scale.frames_per_pixel and RATE <= end < 1.2 * RATE
    win.arrange.zoom(1e-9)
    assert scale.frames_per_pixel == 1.0
    for lane in win.arrange.lanes():
        lane.grab()
    win.arrange.zoom(1e12)
    win.arrange.fit()
    assert scale.visible_range()[0] == 0
    lane = win.arrange.lanes()[0]
    win.arrange.show_growing_clip(lane.track.id, RATE, RATE // 2)
    assert lane.growing == (RATE, RATE // 2)
    win.arrange.show_growing_clip(lane.track.id, RATE, None)
    assert lane.growing is None


def test_editing_while_playing_moves_what_is_heard(session) -> None:
    win = session
    clip = win.project.tracks[0].clips[0]
    win.play_stop()
    QTest.qWait(200)
    assert win.arrange.editor.move([clip.id], RATE)
    QTest.qWait(100)
    assert win.playing() and clip.position == RATE
    win.stop()


def test_the_view_pages_to_follow_the_playhead_unless_told_not_to(session) -> None:
    win = session
    scale = win.arrange.scale
    win.arrange.zoom_to_range(0, RATE)
    beyond = int(scale.frame_at(scale.width * 0.95))
    win.arrange.set_playhead(beyond, following=True)
    assert scale.origin > 0 and 0 <= scale.x_of(beyond) < scale.width * 0.2
    key(win, Qt.Key.Key_F)
    assert not win.arrange.follow
    origin = scale.origin
    win.arrange.set_playhead(int(scale.frame_at(scale.width * 1.5)), following=True)
    assert scale.origin == origin
