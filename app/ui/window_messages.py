"""The main window's messages and progress: status-bar lines, the progress bar shared by
import, save and waveform building, and message boxes that never block the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

STATUS_MS = 6000


class WindowMessages:
    """A part of MainWindow (app/ui/main_window.py).

    Status-bar messages, progress, and non-blocking message boxes.
    """

    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MS)

    def _show_progress(self, fraction: float, label: str) -> None:
        self.progress_label.setText(label)
        self.progress_bar.setValue(int(fraction * 1000))
        self.progress_label.show()
        self.progress_bar.show()

    def _hide_progress(self) -> None:
        if self.importing() or self.waveforms.building():
            return
        self.progress_label.hide()
        self.progress_bar.hide()

    def _on_peaks_progress(self, fraction: float, label: str) -> None:
        if not self.importing():
            self._show_progress(fraction, label)

    def _on_peaks_idle(self) -> None:
        self._hide_progress()

    def _tell(self, title: str, text: str, icon: QMessageBox.Icon) -> QMessageBox:
        """A message that does not block: the window keeps working while it is shown."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        self.last_message = box
        return box

    def _ask(self, title: str, text: str, on_yes) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.accepted.connect(on_yes)
        box.show()
        self.last_question = box
        return box
