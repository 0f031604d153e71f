"""A track's header at the left of its lane: colour strip, name and a short description."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.session.model import Project, Track, TrackKind
from app.ui.theme import ui_font

HEADER_WIDTH = 200
STRIP_WIDTH = 5


def describe_track(project: Project, track: Track) -> str:
    """One line under the name: what the track is and holds."""
    fader = track.strip.fader_db
    level = "0.0 dB" if abs(fader) < 0.05 else f"{fader:+.1f} dB".replace("-", "\u2212")
    if track.kind is TrackKind.BUS:
        return f"Bus · {track.bus_effect or 'aux'} · {level}"
    n = len(track.clips)
    channels = {project.media[c.media].channels for c in track.clips if c.media in project.media}
    kind = "stereo" if channels == {2} else "mono" if channels == {1} else "audio"
    return f"{kind} · {n} clip{'s' if n != 1 else ''} · {level} · {pan_label(track.strip.pan)}"


def pan_label(pan: float) -> str:
    """C, or L/R with a percentage, as engineers read a pan pot."""
    percent = round(abs(pan) * 100)
    if percent == 0:
        return "C"
    return f"{'L' if pan < 0 else 'R'}{percent}"


class TrackHeader(QWidget):
    def __init__(self, project: Project, track: Track, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.track = track
        self.setObjectName("trackHeader")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setFixedSize(HEADER_WIDTH, track.height)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(STRIP_WIDTH + 12, 8, 10, 8)
        layout.setSpacing(2)
        self.name_label = QLabel(track.name)
        self.name_label.setObjectName("trackName")
        self.name_label.setFont(ui_font(10, ui_font().Weight.DemiBold))
        self.detail_label = QLabel(describe_track(project, track))
        self.detail_label.setObjectName("trackDetail")
        self.detail_label.setFont(ui_font(8.5))
        layout.addWidget(self.name_label)
        layout.addWidget(self.detail_label)
        layout.addStretch(1)
        self.setToolTip(track.name)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        p = QPainter(self)
        p.fillRect(0, 0, STRIP_WIDTH, self.height() - 1, QColor(self.track.colour))
        p.end()
