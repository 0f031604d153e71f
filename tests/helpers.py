"""What the GUI tests share: a main window, shown, that closes without asking anything."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.engine.engine import Engine
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme


@contextmanager
def shown_window(qtbot, engine: Engine | None = None, settings_dir: Path | None = None,
                 size: tuple[int, int] | None = None) -> Iterator[MainWindow]:
    """A MainWindow in the app's theme, shown and exposed, playing through `engine`, with its
    settings in `settings_dir`/settings.ini (the user's when None). On leaving, the project
    is marked clean so that closing asks nothing, then the window is closed (not through
    qtbot.addWidget: its close would come before the mark)."""
    apply_theme(QApplication.instance())
    settings = None if settings_dir is None else QSettings(
        str(settings_dir / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(engine=engine, settings=settings)
    if size is not None:
        win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.history is not None:
        win.history.mark_clean()
    win.close()
    win.deleteLater()
