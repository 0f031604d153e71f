"""Start the Qt application: theme, engine, main window, the project to open, the loop.

Settings (window layout, recent projects) live in Qt's per-user settings, which follow
XDG_CONFIG_HOME; GLASSROOM_SETTINGS names an ini file to use instead (for tests).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app.engine.engine import Engine
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme

DEFAULT_SIZE = (1600, 1000)


def app_settings() -> QSettings:
    path = os.environ.get("GLASSROOM_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("Glassroom", "Glassroom")


def run(folder: Path) -> int:
    """Open `folder` in the window and run until the window closes; the exit status."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Glassroom")
    app.setOrganizationName("Glassroom")
    apply_theme(app)
    window = MainWindow(settings=app_settings())
    if not window.restore_layout():
        screen = app.primaryScreen().availableGeometry()
        window.resize(min(DEFAULT_SIZE[0], screen.width()),
                      min(DEFAULT_SIZE[1], screen.height()))
    window.show()
    window.open_folder(folder)
    engine = Engine()
    window.start_engine(engine)
    # Ctrl+C or a polite kill: keep unsaved work in recovery/ and leave without asking.
    # The timer lets the interpreter run now and then, so Python signal handlers fire.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.shut_down())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        return app.exec()
    finally:
        engine.close()
