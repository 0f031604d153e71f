"""Hardware control in the window: a timer drains the MIDI queue into edits.

`ControlSurface` owns the MIDI ports (app.control) and a dispatcher bound to the
project's EditHistory. Every tick (about 60 Hz) it drains the queue, so however fast a
controller sends, each control costs at most one edit per tick, and sends motor-fader
and LED feedback. MIDI learn: call `learn(track_id, path)` when the user clicks a
control in learn mode; the next knob or fader moved is mapped, `learned` is emitted.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.control.dispatch import ControlDispatcher
from app.control.events import EventQueue
from app.control.ports import MidiPorts
from app.session.edits import EditHistory
from app.session.model import MidiMapping

TICK_MS = 16


class ControlSurface(QObject):
    """MIDI controllers and a Mackie Control surface driving `history`'s project."""

    learned = Signal(object)  # the MidiMapping just learned
    problem = Signal(str)  # a controller or mapping problem, in words
    transport = Signal(str)  # play, stop, record, rewind, forward or loop

    def __init__(
        self,
        history: EditHistory,
        device: str | None = None,
        client_name: str = "Glassroom",
        mackie: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.queue = EventQueue()
        self.ports = MidiPorts(self.queue, client_name=client_name, device=device)
        self.dispatcher = ControlDispatcher(
            history,
            send=self.ports.send,
            transport=self.transport.emit,
            report=self.problem.emit,
            mackie=mackie,
        )
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.drain)

    def start(self) -> None:
        """Open the MIDI ports and start draining; MidiPortsError without JACK."""
        self.ports.open()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.ports.close()
        self.dispatcher.close()

    def drain(self) -> None:
        """Apply everything the controller sent since the last tick."""
        events, statuses = self.queue.drain()
        self.dispatcher.process(events, statuses)

    # -- MIDI learn ---------------------------------------------------------

    @property
    def learning(self) -> bool:
        return self.dispatcher.learning is not None

    def learn(self, target: str, param: str) -> None:
        """Learn mode: map the next control moved to `param` of track `target` (or a
        transport action, with target "transport")."""
        self.dispatcher.learn(target, param, self._learned)

    def cancel_learn(self) -> None:
        self.dispatcher.cancel_learn()

    def _learned(self, mapping: MidiMapping) -> None:
        self.learned.emit(mapping)
