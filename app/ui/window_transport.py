"""The main window's engine and transport: starting and attaching the engine, the feedback
timer, the playhead, play/stop (Space), record, locate, loop, punch, click, markers,
finished takes and automation passes, latency calibration and the audio settings dialog.

The engine's feedback is read in exactly one place (`_read_feedback`, about 30 times a
second), because each read restarts the meters' hold; the playhead moves at the display
rate by extrapolating from the last read with the clock (`position`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from app.engine.engine import Engine, Feedback
from app.session import edits
from app.session.model import Clip, Take, TrackKind
from app.session.recovery import DiscardTake
from app.ui.audio_settings import AudioSettingsDialog, engine_status
from app.ui.automation_pass import pass_edit
from app.ui.workers import Task

FEEDBACK_MS = 33
DISPLAY_MS = 16
DEFAULT_LOOP_BARS = 4


class WindowTransport:
    """A part of MainWindow (app/ui/main_window.py).

    The engine, the transport and the playhead.
    """

    def start_engine(self, engine: Engine, **options) -> Task:
        """Compile and open `engine` ("auto": a device, else the clock; `options` go to
        `Engine.open`) on a worker (the first compile takes about 20 s), with progress
        in the status bar; the window is usable meanwhile and takes the engine over
        when it is running."""
        self.engine_label.setText("Preparing the audio engine…")
        self.transport.show_device("Starting audio…", False)

        def work(progress, cancelled):
            engine.prepare(lambda _text, fraction: progress(fraction))
            engine.open("auto", **options)
            return engine

        task = Task(work, "Preparing the audio engine")
        task.signals.progress.connect(
            lambda f: self.engine_label.setText(f"Preparing the audio engine… {f:.0%}"))
        task.signals.finished.connect(self.attach_engine)
        task.signals.failed.connect(
            lambda why: self._tell("The audio engine could not start", why,
                                   QMessageBox.Icon.Critical))
        return self.runner.start(task)

    def attach_engine(self, engine: Engine) -> None:
        """Play, meter and record through `engine` from now on (it is open)."""
        self.engine = engine
        self.feedback_timer.start(FEEDBACK_MS)
        self.display_timer.start(DISPLAY_MS)
        self._show_engine()
        if engine.fallback_reason:
            self.say(f"No audio device: running on the internal clock ({engine.fallback_reason})")
        if self.project is not None:
            if engine.backend is not None:
                self.arrange.inputs = engine.backend.inputs
            self._load_engine()

    def _show_engine(self) -> None:
        if self.engine is None:
            return
        text, ok = engine_status(self.engine)
        self.engine_label.setText(text)
        self.engine_label.setMinimumWidth(self.engine_label.sizeHint().width())
        self.transport.show_device(text if ok else "No audio device · internal clock", ok)

    def _read_feedback(self) -> None:
        if self.engine is None:
            return
        fb = self.engine.read_feedback()
        now = time.monotonic()
        dt = min(now - self._last_fb_time, 0.5)
        self._last_fb_time = now
        self.feedback = fb
        self.transport.show_feedback_values(fb.dsp_load, fb.late_cycles)
        self.transport.show_transport(fb.playing, fb.recording)
        for header in self.arrange.headers():
            m = fb.meters.get(header.track.id)
            header.meter.set_peak(m.peak if m is not None else 0.0, dt)
        if self.mixer is not None and self.mixer.isVisible():
            self.mixer.show_feedback(fb, dt)
            for strip in self.mixer.strips.values():
                strip.show_automation(fb.position if fb.playing else None)
        if self._locate is not None and (abs(fb.position - self._locate[0]) < fb.sample_rate
                                         or now - self._locate[1] > 0.5):
            self._locate = None
        self._follow_recording(fb, now)
        self._follow_automation(fb)
        notes = getattr(self.engine, "messages", [])
        if len(notes) > self._notes_seen:
            self._notes_seen = len(notes)
            self.say(notes[-1][:1].upper() + notes[-1][1:])

    def touch(self, track_id: str, path: str, on: bool) -> None:
        """A strip control is held or let go (the mixer's, or a touch-sensing fader)."""
        if self.binder is not None:
            self.binder.touch(track_id, path, on)

    def ride(self, track_id: str, path: str, value: object) -> bool:
        """A strip control moved: True when the engine took it as automation being
        written (no edit then; see EngineBinder.ride)."""
        return self.binder is not None and self.binder.ride(track_id, path, value)

    def heard(self, track_id: str, path: str) -> float | None:
        """What the engine plays now for a strip parameter (None: nothing loaded)."""
        return self.binder.heard(track_id, path) if self.binder is not None else None

    def _follow_automation(self, fb: Feedback) -> None:
        """Show the pass being written on its lanes; a finished pass is one undo step."""
        preview = getattr(self.engine, "pass_preview", None)
        if preview is None or self.project is None:
            return
        if not fb.playing:
            for automation_pass in self.engine.finished_passes():
                edit = pass_edit(self.project, automation_pass)
                if edit is not None and self.undo is not None:
                    self.undo.close_merge()  # its own step, never merged into the ride's
                    self.push(edit)
        shown = preview() if fb.playing or self._previewing else {}
        if shown or self._previewing:
            for row in self.arrange.automation_rows():
                row.lane.show_provisional(shown.get((row.track.id, row.param)))
        self._previewing = bool(shown)

    def _follow_recording(self, fb: Feedback, now: float) -> None:
        """Grow the clips being recorded; when takes finish, put them in the project."""
        if self._recording is not None:
            start, track_ids = self._recording
            for track_id in track_ids:
                if any(t.id == track_id for t in self.project.tracks):
                    self.arrange.show_growing_clip(track_id, start, max(0, fb.position - start))
            if not fb.recording and now > self._collect_until:
                for track_id in track_ids:
                    if any(t.id == track_id for t in self.project.tracks):
                        self.arrange.show_growing_clip(track_id, start, None)
                self._recording = None
                self._collect_until = now + 3.0
        finished = getattr(self.engine, "finished_takes", None)
        if finished is None or (self._recording is None and now > self._collect_until):
            return
        for take in finished():
            self.add_recorded_take(take)

    def add_recorded_take(self, rec) -> bool:
        """A finished take becomes a clip on its track and a take in its take lane, one
        undo step; its audio file stays whatever happens."""
        if self.project is None or not any(t.id == rec.track_id for t in self.project.tracks):
            return False
        name = Path(rec.media.name or rec.media.path).stem
        clip = Clip(rec.media.id, rec.position, rec.length, rec.source_offset, name=name)
        take = Take(rec.media.id, rec.position, rec.length, rec.source_offset,
                                name=name, xruns=list(rec.xruns),
                                overruns=list(rec.overruns))
        done = self.push(edits.Compound("Record", [edits.AddClip(rec.track_id, clip, rec.media),
                                                   edits.AddTake(rec.track_id, take)]))
        if done:
            self._last_takes.append((rec.track_id, take.id))
            if rec.overruns or rec.xruns:
                self.say(f"{name}: {len(rec.overruns)} dropout(s) from the disk and "
                         f"{len(rec.xruns)} from the device are marked on the take")
        return done

    def discard_last_take(self) -> None:
        """The last recording's takes go to trash/ in the project folder (undoable)."""
        if self.project is None or not self._last_takes:
            self.say("No take to discard")
            return
        steps = [DiscardTake(self.folder, track_id, take_id)
                 for track_id, take_id in self._last_takes]
        if self.push(edits.Compound("Discard take", steps)):
            self._last_takes = []
            self.say("Last take moved to trash/ in the project folder (Undo brings it back)")

    def calibrate_latency(self) -> None:
        """Measure output 1 -> input 1 (patched together) on a worker; say the result."""
        if self.engine is None:
            return
        engine = self.engine
        result: list[str] = []

        def run() -> None:
            try:
                result.append(f"Round trip measured: {engine.calibrate(0, 0)} frames")
            except Exception as e:  # the engine says why (nothing came back, no device)
                result.append(f"Calibration failed: {e}")

        threading.Thread(target=run, name="glassroom-calibrate", daemon=True).start()
        poll = QTimer(self)

        def check() -> None:
            if result:
                poll.stop()
                poll.deleteLater()
                self.say(result[0])

        poll.timeout.connect(check)
        poll.start(50)

    def position(self) -> int:
        """Where the playhead is now: the last read, moved on by the clock while playing."""
        if self._locate is not None:
            return self._locate[0]
        fb = self.feedback
        if fb is None:
            return 0
        if not fb.playing or fb.waiting:
            return fb.position
        rate = fb.sample_rate or (self.project.sample_rate if self.project else 48000)
        pos = fb.position + int((time.monotonic() - fb.time) * rate)
        on, start, end = fb.loop
        if on and end > start and pos >= end:
            pos = start + (pos - start) % (end - start)
        if self._shown - rate // 4 < pos < self._shown:
            return self._shown  # a read a little behind the guess: hold, never step back
        return pos

    def _move_playhead(self) -> None:
        if self.project is None:
            return
        pos = self.position()
        self._shown = pos
        playing = self.feedback is not None and self.feedback.playing
        self.arrange.set_playhead(pos, following=playing)
        self.transport.show_position(pos)

    def playing(self) -> bool:
        return self.feedback is not None and self.feedback.playing

    def play_stop(self) -> None:
        if self.engine is None or self.project is None:
            return
        if self.playing() or self.transport.play_button.isChecked() and self.feedback is None:
            self.stop()
        else:
            self.engine.play()
            self.feedback = self.engine.read_feedback() if self.feedback is None \
                else self.feedback
            self.transport.show_transport(True, False)

    def stop(self) -> None:
        if self.engine is None:
            return
        if self.feedback is not None and self.feedback.recording:
            self.engine.record(False)
        self.engine.stop()
        self.transport.show_transport(False, False)

    def locate(self, frame: int) -> None:
        frame = max(0, int(frame))
        if self.engine is not None:
            self.engine.locate(frame)
        self._locate = (frame, time.monotonic())
        self._move_playhead()

    def toggle_record(self) -> None:
        if self.engine is None or self.project is None:
            return
        armed = [t for t in self.project.tracks if t.kind is TrackKind.AUDIO and t.armed]
        recording = self.feedback is not None and self.feedback.recording
        if recording:
            self.engine.record(False)
            self.say("Recording stopped")
            return
        if not armed:
            self.transport.record_button.setChecked(False)
            self.say("Nothing to record: arm a track first (the R button on its header).")
            return
        record = getattr(self.engine, "record", None)
        if record is None:
            self.transport.record_button.setChecked(False)
            self.say("Recording is not available in this version of the engine.")
            return
        bars = 2 * self.project.meter_num * 60.0 / self.project.tempo
        preroll = self.project.frames(bars) if self.count_in else 0
        try:
            record(True, preroll=preroll, count_in=True) if preroll else record(True)
        except Exception as e:  # the engine says why it cannot record (no input, ...)
            self.transport.record_button.setChecked(False)
            self.say(f"Cannot record: {e}")
            return
        self._recording = (self.position(), [t.id for t in armed])
        self._last_takes = []
        if not self.playing():
            self.engine.play()
        self.say(f"Recording on {len(armed)} armed track{'s' if len(armed) != 1 else ''}")

    def toggle_loop(self) -> None:
        pr = self.project
        if pr is None:
            return
        if pr.loop.end > pr.loop.start:
            self.push(edits.SetLoop(pr.loop.start, pr.loop.end, not pr.loop.enabled))
        else:
            start, end = self._default_range()
            self.push(edits.SetLoop(start, end, True))
        if self.undo is not None:
            self.undo.close_merge()

    def toggle_punch(self) -> None:
        pr = self.project
        if pr is None:
            return
        if pr.punch.end > pr.punch.start:
            start, end, on = pr.punch.start, pr.punch.end, not pr.punch.enabled
        else:
            (start, end), on = self._default_range(), True
        if on and self.engine is not None:
            try:
                self.engine.check_punch(start, end)
            except Exception as e:  # the engine says why (empty, outside the session)
                self.say(f"Cannot punch: {e}")
                return
        self.push(edits.SetPunch(start, end, on))
        if self.undo is not None:
            self.undo.close_merge()

    def _default_range(self) -> tuple[int, int]:
        rng = self.arrange.editor.selection_range()
        if rng is not None:
            return rng
        pr = self.project
        bar = pr.sample_rate * 60 / pr.tempo * 4 / pr.meter_den * pr.meter_num
        start = int(self.position() // bar * bar)
        return start, int(start + DEFAULT_LOOP_BARS * bar)

    def toggle_click(self) -> None:
        if self.project is not None:
            self.push(edits.SetClick(not self.project.click))

    def add_marker(self) -> None:
        if self.project is None:
            return
        n = len(self.project.markers) + 1
        self.push(edits.AddMarker(f"Marker {n}", self.position()))

    def jump_marker(self, direction: int) -> None:
        if self.project is None or not self.project.markers:
            return
        here = self.position()
        marks = sorted(m.position for m in self.project.markers)
        later = [m for m in marks if m > here] if direction > 0 else \
            [m for m in marks if m < here][::-1]
        if later:
            self.locate(later[0])

    def split(self) -> int:
        """S: split at the playhead while playing, else at the edit cursor if one was
        set by a click, else at the playhead."""
        ed = self.arrange.editor
        frame = self.position() if self.playing() or not ed.cursor else ed.cursor
        return ed.split(frame)

    def audition(self, track_id: str, take) -> None:
        """Play from the take's start; Space stops. (The engine plays clips, so what is
        heard is the track's clips there; the take itself plays once it is comped into a
        clip.)"""
        self.locate(take.position)
        if self.engine is not None:
            self.engine.play()
        self.say(f"Auditioning {take.name or 'the take'} from its start")

    def open_audio_settings(self) -> AudioSettingsDialog | None:
        if self.engine is None:
            self.say("There is no engine in this window.")
            return None
        dialog = AudioSettingsDialog(self.engine, self._engine_reopened, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _engine_reopened(self) -> None:
        if self.project is not None and self.engine is not None:
            try:
                self.engine.load(self.project, self.folder, self._placeholders)
            except Exception as e:  # keep editing even when the engine refuses
                self.say(f"The engine could not load the project: {e}")
        self._show_engine()
