"""File > Export: choose what, which range, format and loudness; export off the GUI thread.

The export runs as a cancellable Task on a QThreadPool over a snapshot of the project,
so the window stays usable and later edits do not leak into the files. Files that
already exist are only replaced after the user says so. When it ends, the loudness
report of every file is shown in the dialog (and was written next to the files).
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.engine import (
    BIT_DEPTHS,
    DEFAULT_CEILING,
    FORMATS,
    REPORT_SUFFIX,
    TARGETS,
    ExportError,
    ExportResult,
    ExportSettings,
    export_project,
    plan_files,
    resolve_range,
)
from app.session.model import Project, TrackKind
from app.ui.workers import Task, TaskRunner

RATES = (44100, 48000, 88200, 96000)
RANGES = (("session", "Whole session"), ("loop", "Loop"), ("selection", "Selection"),
          ("markers", "Between markers"))


class ExportDialog(QDialog):
    """The export dialog; `engine` is the app's Engine (its render is used offline)."""

    def __init__(
        self,
        project: Project,
        folder: Path,
        engine: object,
        selection: tuple[int, int] | None = None,
        out_dir: Path | None = None,
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.project = project
        self.folder = Path(folder)
        self.engine = engine
        self.selection = selection
        self.runner = runner or TaskRunner(parent=self)
        self.task: Task | None = None
        self.result: ExportResult | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._what_box())
        layout.addWidget(self._range_box())
        layout.addWidget(self._format_box(out_dir or self.folder.parent))
        layout.addWidget(self._loudness_box())
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.report_view = QPlainTextEdit(readOnly=True)
        self.report_view.setMinimumHeight(140)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.report_view)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.export_button = QPushButton("Export", default=True)
        self.cancel_button = QPushButton("Close")
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self._format_changed()
        self._range_changed()
        self._target_changed()

    # -- building ----------------------------------------------------------------------

    def _what_box(self) -> QGroupBox:
        box = QGroupBox("What")
        form = QVBoxLayout(box)
        self.master_check = QCheckBox("Master mix", checked=True)
        form.addWidget(self.master_check)
        form.addWidget(QLabel("Stems:"))
        self.stem_list = QListWidget()
        for t in self.project.tracks:
            if t.kind is TrackKind.AUDIO:
                self._checkable(self.stem_list, t.name, t.id)
        form.addWidget(self.stem_list)
        form.addWidget(QLabel("Cue mixes:"))
        self.cue_list = QListWidget()
        for c in self.project.cues:
            self._checkable(self.cue_list, c.name, c.id)
        form.addWidget(self.cue_list)
        for lst in (self.stem_list, self.cue_list):
            lst.setMaximumHeight(90)
        return box

    @staticmethod
    def _checkable(lst: QListWidget, text: str, ident: str) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, ident)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        lst.addItem(item)

    def _range_box(self) -> QGroupBox:
        box = QGroupBox("Range")
        form = QFormLayout(box)
        self.range_combo = QComboBox()
        for key, label in RANGES:
            self.range_combo.addItem(label, key)
        self.range_combo.currentIndexChanged.connect(self._range_changed)
        form.addRow("Export", self.range_combo)
        self.marker_a = QComboBox()
        self.marker_b = QComboBox()
        for m in sorted(self.project.markers, key=lambda m: m.position):
            self.marker_a.addItem(m.name, m.id)
            self.marker_b.addItem(m.name, m.id)
        if self.marker_b.count() > 1:
            self.marker_b.setCurrentIndex(1)
        markers = QHBoxLayout()
        markers.addWidget(self.marker_a)
        markers.addWidget(QLabel("to"))
        markers.addWidget(self.marker_b)
        form.addRow("Markers", markers)
        self.range_label = QLabel("")
        form.addRow("", self.range_label)
        for w in (self.marker_a, self.marker_b):
            w.currentIndexChanged.connect(self._range_changed)
        return box

    def _format_box(self, out_dir: Path) -> QGroupBox:
        box = QGroupBox("Files")
        form = QFormLayout(box)
        self.format_combo = QComboBox()
        for f in FORMATS:
            self.format_combo.addItem(f.upper(), f)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        form.addRow("Format", self.format_combo)
        self.depth_combo = QComboBox()
        form.addRow("Bit depth", self.depth_combo)
        self.rate_combo = QComboBox()
        self.rate_combo.addItem(f"Project rate ({self.project.sample_rate} Hz)", None)
        for r in RATES:
            if r != self.project.sample_rate:
                self.rate_combo.addItem(f"{r} Hz", r)
        form.addRow("Sample rate", self.rate_combo)
        self.name_edit = QLineEdit(self.project.name)
        form.addRow("File name", self.name_edit)
        self.dir_edit = QLineEdit(str(out_dir))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.dir_edit)
        row.addWidget(browse)
        form.addRow("Folder", row)
        return box

    def _loudness_box(self) -> QGroupBox:
        box = QGroupBox("Loudness")
        form = QFormLayout(box)
        self.target_combo = QComboBox()
        self.target_combo.addItem("Off (no normalisation)", None)
        self.target_combo.addItem(f"Broadcast ({TARGETS['broadcast']:g} LUFS)",
                                  TARGETS["broadcast"])
        self.target_combo.addItem(f"Streaming ({TARGETS['streaming']:g} LUFS)",
                                  TARGETS["streaming"])
        self.target_combo.addItem("Custom", "custom")
        self.target_combo.currentIndexChanged.connect(self._target_changed)
        form.addRow("Normalise to", self.target_combo)
        self.custom_spin = QDoubleSpinBox(minimum=-70.0, maximum=0.0, decimals=1, value=-16.0,
                                          suffix=" LUFS", singleStep=0.5)
        form.addRow("Custom target", self.custom_spin)
        self.ceiling_spin = QDoubleSpinBox(minimum=-20.0, maximum=0.0, decimals=1,
                                           value=DEFAULT_CEILING, suffix=" dBTP", singleStep=0.1)
        form.addRow("True-peak ceiling", self.ceiling_spin)
        return box

    # -- reacting ----------------------------------------------------------------------

    def _format_changed(self) -> None:
        fmt = self.format_combo.currentData()
        self.depth_combo.clear()
        labels = {16: "16-bit (dithered)", 24: "24-bit (dithered)", 32: "32-bit float"}
        for d in BIT_DEPTHS[fmt]:
            self.depth_combo.addItem(labels[d], d)
        if self.depth_combo.count():
            self.depth_combo.setCurrentIndex(min(1, self.depth_combo.count() - 1))
        self.depth_combo.setEnabled(self.depth_combo.count() > 0)

    def _range_changed(self) -> None:
        key = self.range_combo.currentData()
        for w in (self.marker_a, self.marker_b):
            w.setEnabled(key == "markers")
        try:
            start, end = self._range()
        except ExportError as e:
            self.range_label.setText(str(e))
            return
        rate = self.project.sample_rate
        self.range_label.setText(f"{start / rate:.3f} s to {end / rate:.3f} s "
                                 f"({(end - start) / rate:.3f} s)")

    def _target_changed(self) -> None:
        data = self.target_combo.currentData()
        self.custom_spin.setEnabled(data == "custom")
        self.ceiling_spin.setEnabled(data is not None)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export to", self.dir_edit.text())
        if chosen:
            self.dir_edit.setText(chosen)

    def _range(self) -> tuple[int, int]:
        markers = (self.marker_a.currentData(), self.marker_b.currentData())
        return resolve_range(self.project, self.range_combo.currentData(), self.selection,
                             markers if None not in markers else None)

    @staticmethod
    def _checked(lst: QListWidget) -> list[str]:
        return [lst.item(i).data(Qt.ItemDataRole.UserRole) for i in range(lst.count())
                if lst.item(i).checkState() == Qt.CheckState.Checked]

    def settings(self) -> ExportSettings:
        """The settings the dialog shows (raises ExportError for an empty range)."""
        target = self.target_combo.currentData()
        if target == "custom":
            target = self.custom_spin.value()
        return ExportSettings(
            master=self.master_check.isChecked(),
            stems=self._checked(self.stem_list),
            cues=self._checked(self.cue_list),
            range=self._range(),
            format=self.format_combo.currentData(),
            bit_depth=self.depth_combo.currentData() or 24,
            rate=self.rate_combo.currentData(),
            normalize=target,
            ceiling=self.ceiling_spin.value() if target is not None else None,
            name=self.name_edit.text().strip(),
        )

    def ask_overwrite(self, existing: list[Path]) -> bool:
        """Ask before replacing files; True to replace them."""
        names = "\n".join(p.name for p in existing[:10])
        answer = QMessageBox.question(
            self, "Replace files?",
            f"These files already exist in {existing[0].parent}:\n{names}\n\nReplace them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # -- running -----------------------------------------------------------------------

    def start(self) -> Task | None:
        """Start exporting with the current settings; None if refused or declined."""
        if self.task is not None:
            return None
        out_dir = Path(self.dir_edit.text()).expanduser()
        try:
            settings = self.settings()
            settings.check()
            files = plan_files(self.project, out_dir, settings)
        except ExportError as e:
            self._show_problem(str(e))
            return None
        existing = [p for *_r, path in files
                    for p in (path, path.with_name(path.name + REPORT_SUFFIX)) if p.exists()]
        if existing:
            if not self.ask_overwrite(existing):
                self.status.setText("Export not started: nothing was replaced.")
                return None
            settings.overwrite = True
        snapshot = copy.deepcopy(self.project)
        engine, folder = self.engine, self.folder

        def work(progress, cancelled):
            return export_project(engine, snapshot, folder, out_dir, settings, progress,
                                  cancelled)

        self.result = None
        self.report_view.clear()
        self.progress.setValue(0)
        self.status.setText("Exporting…")
        self.export_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        task = Task(work, "Export")
        task.signals.progress.connect(lambda f: self.progress.setValue(int(f * 1000)))
        task.signals.finished.connect(self._finished)
        task.signals.failed.connect(self._failed)
        task.signals.cancelled.connect(self._cancelled)
        self.task = task
        return self.runner.start(task)

    def _cancel_or_close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def _done(self) -> None:
        self.task = None
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")

    def _finished(self, result: ExportResult) -> None:
        self._done()
        self.result = result
        self.progress.setValue(1000)
        notes = [d for d in result.files if d.note]
        count = len(result.files)
        self.status.setText(f"Exported {count} file{'s' if count != 1 else ''}"
                            + (f"; {len(notes)} with a note, see below." if notes else "."))
        self.report_view.setPlainText("\n".join(result.lines()))

    def _failed(self, message: str) -> None:
        self._done()
        self._show_problem(f"Export failed: {message}. Nothing was written.")

    def _cancelled(self) -> None:
        self._done()
        self.progress.setValue(0)
        self.status.setText("Export cancelled; nothing was written.")

    def _show_problem(self, text: str) -> None:
        self.status.setText(text)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.task is not None:
            self.task.cancel()
        super().closeEvent(event)
