"""The main window's edits from the menus: tracks, takes, clipboard (clips or the focused
automation lane), snap and follow, the history dock and the mixer window. Every change
goes through `push`, so it is one undo step or a refusal said in the status bar.
"""

from __future__ import annotations

from app.session import edits
from app.session.model import Track, TrackKind
from app.ui.arrange.automation import AutomationLaneWidget
from app.ui.arrange.editor import Snap


class WindowEdits:
    """A part of MainWindow (app/ui/main_window.py).

    Edit, Track and View menu actions.
    """

    def push(self, edit: edits.Edit) -> bool:
        if self.undo is None:
            return False
        try:
            self.undo.push(edit)
        except edits.EditError as e:
            self.say(str(e))
            self.transport.refresh()
            return False
        return True

    def add_track(self, kind: TrackKind) -> None:
        if self.project is None:
            return
        n = sum(t.kind is kind for t in self.project.tracks) + 1
        name = f"Bus {n}" if kind is TrackKind.BUS else f"Audio {n}"
        colours = edits.tracks.TRACK_COLOURS
        track = Track(name, kind=kind, colour=colours[len(self.project.tracks) % len(colours)])
        current = self.arrange.track_for_menu()
        index = (self.project.track_index(current.id) + 1) if current is not None else None
        if kind is TrackKind.AUDIO and index is None:
            index = max((i + 1 for i, t in enumerate(self.project.tracks)
                         if t.kind is TrackKind.AUDIO), default=0)
        self.push(edits.AddTrack(track, index))

    def remove_track(self) -> None:
        track = self.arrange.track_for_menu()
        if track is None:
            self.say("Click a track first to choose which one to remove.")
            return
        self.push(edits.RemoveTrack(track.id))

    def duplicate_track(self) -> None:
        track = self.arrange.track_for_menu()
        if track is None:
            self.say("Click a track first to choose which one to duplicate.")
            return
        self.push(edits.DuplicateTrack(track.id))

    def toggle_takes(self) -> None:
        track = self.arrange.track_for_menu()
        if track is None or not track.takes.takes:
            self.say("That track has no takes to show.")
            return
        self.arrange.header_edit(track.id, "takes", track.id not in self.arrange.takes_open)

    def _toggle_follow(self) -> None:
        self.arrange.follow = self.follow_action.isChecked()

    def _toggle_snap(self) -> None:
        self.arrange.editor.snap_on = self.snap_action.isChecked()
        self.say("Snap on" if self.arrange.editor.snap_on else "Snap off")

    def set_snap(self, snap: Snap) -> None:
        self.arrange.editor.snap = snap
        self.arrange.editor.snap_on = True
        self.snap_action.setChecked(True)
        for s, act in self.grid_actions.items():
            act.setChecked(s is snap)

    def toggle_history(self) -> None:
        self.history_dock.setVisible(not self.history_dock.isVisible())

    def open_mixer(self):
        if self.project is None or self.undo is None:
            return None
        if self.mixer is None:
            from app.ui.mixer.window import MixerWindow

            self.mixer = MixerWindow(self.project, self.undo, self.engine, folder=self.folder,
                                     poll=False, bind_engine=False)
            self.mixer.ctx.learn = self.midi_learn
            self.mixer.ctx.touch = self.touch
            self.mixer.ctx.ride = self.ride
            self.mixer.ctx.heard = self.heard
        self.mixer.show()
        self.mixer.raise_()
        return self.mixer

    def _focused_lane(self) -> AutomationLaneWidget | None:
        """The automation lane the user last clicked, while it has the keyboard."""
        widget = self.focusWidget()
        return widget if isinstance(widget, AutomationLaneWidget) else None

    def copy(self) -> None:
        lane = self._focused_lane()
        if lane is None:
            self.arrange.editor.copy()
        elif lane.copy_range() is None:
            self.say("Select a range of automation to copy first (drag along the lane).")

    def paste(self) -> None:
        lane = self._focused_lane()
        if lane is None:
            self.arrange.editor.paste(self.position())
        else:
            lane.paste(self.position())

    def delete(self) -> None:
        lane = self._focused_lane()
        if lane is None:
            self.arrange.editor.delete()
        elif not lane.delete_selection():
            self.say("Select automation points or a range to delete first.")

    def _toggle_move_automation(self) -> None:
        self.arrange.editor.move_automation = self.move_automation_action.isChecked()
