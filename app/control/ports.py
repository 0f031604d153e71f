"""JACK MIDI ports for a controller, and the thread that reads them.

`MidiPorts` opens an input and an output through python-rtmidi's JACK API. Given a
`device` (part of the controller's port name), it connects to that device's ports and
keeps watching: when the device's ports vanish (unplugged, its client gone) it reports
so and closes its side; when they come back it connects again. Without a device it
opens virtual ports that anything can be connected to (with JACK's own tools).

Why a polling thread rather than rtmidi's callback: rtmidi calls a Python callback from
JACK's process thread, which would then wait for the GIL and could make the whole JACK
graph, audio included, miss its deadline. Without a callback rtmidi queues messages in
its own bounded ring inside the process thread, and our thread takes them out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import rtmidi

from app.control.events import EventQueue, PortStatus, decode

# rtmidi's own ring between JACK's process thread and ours; beyond it messages are
# dropped there. Large enough for a few hundred milliseconds of a flooding controller.
RTMIDI_QUEUE = 32768
POLL_IDLE_S = 0.001
WATCH_S = 0.2


class MidiPortsError(Exception):
    """The MIDI ports could not be opened; the message says why."""


class MidiPorts:
    """A controller's JACK MIDI input and output, read by a thread into `queue`."""

    def __init__(
        self,
        queue: EventQueue,
        client_name: str = "Glassroom",
        device: str | None = None,
        watch_interval: float = WATCH_S,
    ) -> None:
        self.queue = queue
        self.client_name = client_name
        self.device = device
        self.watch_interval = watch_interval
        self._in: rtmidi.MidiIn | None = None
        self._out: rtmidi.MidiOut | None = None
        self._out_lock = threading.Lock()
        self._connected = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        """Whether the device's ports are there (always True for virtual ports)."""
        return self._connected

    # rtmidi makes a JACK client per direction; JACK would rename a second client of the
    # same name, so each gets its own.
    @property
    def input_name(self) -> str:
        return f"{self.client_name} in:control"

    @property
    def output_name(self) -> str:
        return f"{self.client_name} out:control"

    def open(self) -> None:
        """Open the ports and start reading; MidiPortsError when JACK is not there."""
        try:
            self._in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, f"{self.client_name} in",
                                     RTMIDI_QUEUE)
            self._out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, f"{self.client_name} out")
        except (rtmidi.SystemError, RuntimeError) as e:
            raise MidiPortsError(f"MIDI control needs a running JACK server: {e}") from e
        self._in.ignore_types(sysex=True, timing=True, active_sense=True)
        if self.device is None:
            self._in.open_virtual_port("control")
            self._out.open_virtual_port("control")
            self._connected = True
        else:
            self._watch()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="midi-control", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the reader and close the ports."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        with self._out_lock:
            for port in (self._in, self._out):
                if port is not None:
                    port.close_port()
                    port.delete()
            self._in = self._out = None
        self._connected = False

    def send(self, messages: Sequence[Sequence[int]]) -> int:
        """Send raw messages to the controller; how many went (0 while it is away)."""
        with self._out_lock:
            if self._out is None or not self._connected or not self._out.is_port_open():
                return 0
            for message in messages:
                self._out.send_message(list(message))
            return len(messages)

    def _run(self) -> None:
        next_watch = time.monotonic() + self.watch_interval
        port = self._in
        assert port is not None
        while not self._stop.is_set():
            got = port.get_message()
            while got is not None:
                event = decode(got[0])
                if event is not None:
                    self.queue.put(event)
                got = port.get_message()
            if self.device is not None and time.monotonic() >= next_watch:
                next_watch = time.monotonic() + self.watch_interval
                self._watch()
            self._stop.wait(POLL_IDLE_S)

    def _find(self, names: list[str]) -> int | None:
        assert self.device is not None
        for i, name in enumerate(names):
            if self.device in name and not name.startswith(self.client_name + " "):
                return i
        return None

    def _watch(self) -> None:
        """Follow the device: report it gone, connect again when it is back. Its input
        port may show up a moment after its output, so each side connects on its own."""
        assert self._in is not None and self._out is not None
        source = self._find(self._in.get_ports())
        sink = self._find(self._out.get_ports())
        with self._out_lock:
            if self._connected and source is None:
                self._in.close_port()
                self._out.close_port()
                self._connected = False
                self.queue.put_status(PortStatus(
                    False, f"The MIDI controller {self.device!r} is gone (unplugged?); its "
                           "controls do nothing until it is back."))
                return
            if not self._connected and source is not None:
                self._in.open_port(source, "control")
                self._connected = True
                self.queue.put_status(PortStatus(
                    True, f"The MIDI controller {self.device!r} is connected."))
            if self._connected and sink is not None and not self._out.is_port_open():
                self._out.open_port(sink, "control")
