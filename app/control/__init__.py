"""Hardware control: MIDI controllers and Mackie Control surfaces driving the project.

No Qt here. `ports.MidiPorts` owns a JACK MIDI input and output (python-rtmidi) and a
thread that reads the input into an `events.EventQueue`, which keeps only the latest
value of each continuous control, so a flood costs a fixed amount of memory and the
reader never waits for the GUI. The GUI drains the queue on a timer into a
`dispatch.ControlDispatcher`, which turns events into edits through the EditHistory
(learned `MidiMapping`s first, then the Mackie Control protocol in `mackie`), and sends
motor-fader and LED feedback back when the project changes from elsewhere.
"""

from app.control.dispatch import ControlDispatcher
from app.control.events import ControlEvent, EventQueue, PortStatus
from app.control.mackie import MackieSurface
from app.control.ports import MidiPorts, MidiPortsError

__all__ = [
    "ControlDispatcher",
    "ControlEvent",
    "EventQueue",
    "MackieSurface",
    "MidiPorts",
    "MidiPortsError",
    "PortStatus",
]
