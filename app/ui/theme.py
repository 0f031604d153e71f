"""The look of Glassroom: a dark control-room theme (palette, type, stylesheet, painter colours).

Widgets styled by the stylesheet pick their colours from `resources/glassroom.qss`;
widgets that paint themselves (lanes, the ruler) use the constants in COLOURS so both
stay in one family. Everything here is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
STYLESHEET = RESOURCES / "glassroom.qss"
FONT_FAMILIES = ["Inter", "Noto Sans", "DejaVu Sans", "Sans Serif"]
MONO_FAMILIES = ["JetBrains Mono", "Noto Sans Mono", "DejaVu Sans Mono", "Monospace"]


@dataclass(frozen=True)
class Colours:
    window: str = "#15171a"
    panel: str = "#1d2025"
    header: str = "#1f2227"
    lane: str = "#191b1f"
    lane_alt: str = "#1c1f23"
    lane_border: str = "#0f1113"
    grid_bar: str = "#2b3037"
    grid_beat: str = "#212429"
    text: str = "#d9dde3"
    text_dim: str = "#8e97a2"
    text_faint: str = "#5e6670"
    accent: str = "#e0a23c"
    missing: str = "#d9534f"
    clip_body_alpha: int = 64
    clip_title_alpha: int = 150


COLOURS = Colours()


def colour(name: str) -> QColor:
    return QColor(getattr(COLOURS, name))


def ui_font(point_size: float = 9.5, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(point_size)
    font.setWeight(weight)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def mono_font(point_size: float = 8.5) -> QFont:
    font = QFont()
    font.setFamilies(MONO_FAMILIES)
    font.setPointSizeF(point_size)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def _palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: COLOURS.window,
        QPalette.ColorRole.WindowText: COLOURS.text,
        QPalette.ColorRole.Base: "#111316",
        QPalette.ColorRole.AlternateBase: COLOURS.panel,
        QPalette.ColorRole.Text: COLOURS.text,
        QPalette.ColorRole.Button: "#2d323a",
        QPalette.ColorRole.ButtonText: COLOURS.text,
        QPalette.ColorRole.Highlight: COLOURS.accent,
        QPalette.ColorRole.HighlightedText: COLOURS.window,
        QPalette.ColorRole.ToolTipBase: "#2d323a",
        QPalette.ColorRole.ToolTipText: COLOURS.text,
        QPalette.ColorRole.PlaceholderText: COLOURS.text_faint,
    }
    for role, value in roles.items():
        p.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(COLOURS.text_faint))
    return p


def apply_theme(app: QApplication) -> None:
    """Style the whole application: Fusion, the dark palette, the font and the stylesheet."""
    app.setStyle("Fusion")
    app.setPalette(_palette())
    app.setFont(ui_font())
    try:
        app.setStyleSheet(STYLESHEET.read_text(encoding="utf-8"))
    except OSError:
        pass  # an install without resources/ still gets the dark palette and the fonts
