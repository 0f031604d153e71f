"""The main window's hardware control: the MIDI / Mackie control surface on JACK, MIDI
learn, and the transport keys a controller sends.
"""

from __future__ import annotations

from app.session import edits
from app.ui.control_surface import ControlSurface


class WindowSurface:
    """A part of MainWindow (app/ui/main_window.py).

    The control surface and MIDI learn.
    """

    def enable_control_surface(self, on: bool = True, client_name: str = "Glassroom") -> bool:
        """Open (or close) the MIDI control ports on JACK; True when they are open. Without a
        JACK server it says so in the status bar and carries on without."""
        if self.surface is not None:
            self.surface.stop()
            self.surface.deleteLater()
            self.surface = None
        if on and self.history is not None:
            surface = ControlSurface(self.history, client_name=client_name,
                                     mackie=self.mackie_action.isChecked(), parent=self)
            surface.dispatcher.touch = self.touch
            surface.dispatcher.ride = self.ride
            try:
                surface.start()
            except Exception as e:  # noqa: BLE001 (any failure to open MIDI is reported)
                surface.deleteLater()
                self.say(f"MIDI control is off: {e}")
                on = False
            else:
                surface.problem.connect(self.say)
                surface.transport.connect(self._surface_transport)
                surface.learned.connect(self._learned)
                self.surface = surface
                self.say("MIDI control is on: connect your controller to "
                         f"{surface.ports.input_name}.")
        self.surface_action.setChecked(self.surface is not None)
        return self.surface is not None

    def _restart_surface(self) -> None:
        if self.surface is not None:
            self.enable_control_surface(True)

    def midi_learn(self, target: str, param: str) -> bool:
        """MIDI learn: the next control moved on the controller drives `param` of track
        `target` (or a transport action with target "transport")."""
        if self.surface is None and not self.enable_control_surface(True):
            return False
        self.surface.learn(target, param)
        try:
            what = f"{self.project.track(target).name} {edits.param_label(param)}"
        except KeyError:
            what = param
        self.statusBar().showMessage(f"MIDI learn: move a knob, fader or button for {what}…")
        return True

    def cancel_midi_learn(self) -> None:
        if self.surface is not None and self.surface.learning:
            self.surface.cancel_learn()
            self.say("MIDI learn cancelled.")

    def remove_midi_mappings(self) -> None:
        if self.project is None or not self.project.midi_mappings:
            self.say("There are no MIDI mappings to remove.")
            return
        self.push(edits.Compound("Remove MIDI mappings", [
            edits.RemoveMidiMapping(m.id) for m in self.project.midi_mappings]))

    def _learned(self, mapping) -> None:
        self.say(f"MIDI learned: {mapping.kind.value} {mapping.number} on channel "
                 f"{mapping.channel + 1} now drives {edits.param_label(mapping.param)}.")

    def _surface_transport(self, action: str) -> None:
        rate = self.project.sample_rate if self.project is not None else 48000
        if action == "play" and not self.playing():
            self.play_stop()
        elif action == "stop":
            self.stop()
        elif action == "record":
            self.toggle_record()
        elif action == "loop":
            self.toggle_loop()
        elif action in ("rewind", "forward"):
            step = 5 * rate if action == "forward" else -5 * rate
            self.locate(self.position() + step)
