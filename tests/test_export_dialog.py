"""The export dialog, driven as a user would: choose, export off the GUI thread, cancel, replace."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from test_export import RATE, _music, make_project

from app.engine.engine import Engine
from app.engine.export import REPORT_SUFFIX
from app.session.model import Marker
from app.ui.export_dialog import ExportDialog

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    base = tmp_path_factory.mktemp("dialog")
    return make_project(base / "Song.glassroom", [_music(1, seconds=8), _music(2, seconds=8)])


@pytest.fixture(scope="module")
def engine():
    e = Engine()
    yield e
    e.close()


def _dialog(qtbot, song, engine, out: Path) -> ExportDialog:
    project, folder = song
    dialog = ExportDialog(project, folder, engine, out_dir=out)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_export_runs_off_the_gui_thread_and_shows_the_report(qtbot, song, engine,
                                                             tmp_path: Path) -> None:
    dialog = _dialog(qtbot, song, engine, tmp_path)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("flac"))
    dialog.target_combo.setCurrentIndex(dialog.target_combo.findData(-14.0))
    dialog.stem_list.item(1).setCheckState(Qt.CheckState.Checked)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    assert dialog.start() is not None
    assert not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.task is None, timeout=WAIT_MS)
    timer.stop()
    assert len(ticks) > 5  # the event loop kept turning while the export ran
    assert dialog.result is not None, dialog.status.text()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["Song - Track 1.flac", f"Song - Track 1.flac{REPORT_SUFFIX}",
                     "Song.flac", f"Song.flac{REPORT_SUFFIX}"]
    text = dialog.report_view.toPlainText()
    assert "integrated" in text and "true peak" in text
    saved = json.loads((tmp_path / f"Song.flac{REPORT_SUFFIX}").read_text())
    assert abs(saved["loudness"]["integrated"] + 14.0) <= 0.1
    assert dialog.progress.value() == 1000
    assert "Exported 2 files" in dialog.status.text()


def test_cancel_stops_the_export_and_writes_nothing(qtbot, song, engine, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, song, engine, tmp_path)
    for i in range(dialog.stem_list.count()):
        dialog.stem_list.item(i).setCheckState(Qt.CheckState.Checked)
    dialog.target_combo.setCurrentIndex(dialog.target_combo.findData(-23.0))
    dialog.start()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.task is None, timeout=WAIT_MS)
    assert "cancelled" in dialog.status.text()
    assert dialog.result is None
    assert list(tmp_path.iterdir()) == []


def _answer_when_asked(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(20, answer)


def test_existing_files_are_replaced_only_when_the_user_agrees(qtbot, song, engine,
                                                               tmp_path: Path) -> None:
    mine = tmp_path / "Song.wav"
    mine.write_bytes(b"keep")
    dialog = _dialog(qtbot, song, engine, tmp_path)
    seen: list[str] = []
    _answer_when_asked(QMessageBox.StandardButton.No, seen)
    assert dialog.start() is None
    assert "Song.wav" in seen[0]
    assert mine.read_bytes() == b"keep"
    assert "nothing was replaced" in dialog.status.text()
    _answer_when_asked(QMessageBox.StandardButton.Yes, seen)
    assert dialog.start() is not None
    qtbot.waitUntil(lambda: dialog.task is None, timeout=WAIT_MS)
    assert dialog.result is not None
    assert mine.read_bytes()[:4] == b"RIFF"


def test_bad_choices_are_explained_not_run(qtbot, song, engine, tmp_path: Path) -> None:
    project, _folder = song
    dialog = _dialog(qtbot, song, engine, tmp_path)
    dialog.range_combo.setCurrentIndex(dialog.range_combo.findData("loop"))
    assert "empty" in dialog.range_label.text()
    assert dialog.start() is None
    assert "empty" in dialog.status.text()
    dialog.range_combo.setCurrentIndex(0)
    dialog.master_check.setChecked(False)
    assert dialog.start() is None
    assert "nothing chosen" in dialog.status.text()
    dialog.master_check.setChecked(True)
    dialog.dir_edit.setText("/proc")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.task is None, timeout=WAIT_MS)
    assert "cannot write in /proc" in dialog.status.text()


def test_between_markers_exports_that_span(qtbot, song, engine, tmp_path: Path) -> None:
    project, folder = song
    project.markers = [Marker("Verse", RATE), Marker("Chorus", 3 * RATE)]
    try:
        dialog = _dialog(qtbot, song, engine, tmp_path)
        dialog.range_combo.setCurrentIndex(dialog.range_combo.findData("markers"))
        assert "2.000 s" in dialog.range_label.text()
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("wav"))
        dialog.depth_combo.setCurrentIndex(dialog.depth_combo.findData(16))
        dialog.rate_combo.setCurrentIndex(dialog.rate_combo.findData(44100))
        dialog.start()
        qtbot.waitUntil(lambda: dialog.task is None, timeout=WAIT_MS)
        info = sf.info(str(tmp_path / "Song.wav"))
        assert info.samplerate == 44100 and info.subtype == "PCM_16"
        assert np.isclose(info.frames, 2 * 44100, atol=2)
    finally:
        project.markers = []
