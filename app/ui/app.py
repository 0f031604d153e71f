"""Start the Qt application: theme, main window, the project to open, the event loop."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme

DEFAULT_SIZE = (1600, 1000)


def run(folder: Path) -> int:
    """Open `folder` in the window and run until the window closes; the exit status."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Glassroom")
    app.setOrganizationName("Glassroom")
    apply_theme(app)
    window = MainWindow()
    screen = app.primaryScreen().availableGeometry()
    window.resize(min(DEFAULT_SIZE[0], screen.width()), min(DEFAULT_SIZE[1], screen.height()))
    window.show()
    window.open_folder(folder)
    # Ctrl+C or a polite kill: keep unsaved work in recovery/ and leave without asking.
    # The timer lets the interpreter run now and then, so Python signal handlers fire.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.shut_down())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    return app.exec()
