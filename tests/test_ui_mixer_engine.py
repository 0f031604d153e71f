"""The mixer window against the real engine: what a gesture does to what comes out.

Offline renders (the live kernel run over the project) and the clock backend (the live
arena, fed by the binder) are measured: a fader move changes the main by the dB the
strip shows, a cue change moves only that cue, AFL solo leaves the main and the cues
alone, talkback reaches the chosen cues and dims the control room, and a -12 dBFS
1 kHz tone reads -12.0 on its meter. Screenshots of the demo session are saved too.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QApplication
from test_ui_mixer import LEFT, drag, mouse

from app.engine.backends import ClockBackend
from app.engine.callback import run_root
from app.engine.engine import Engine
from app.session import media, store
from app.session.demo import make_demo
from app.session.edits import EditHistory
from app.session.model import Clip, CueMix, CueSend, Project, Track
from app.ui.mixer import MixerWindow
from app.ui.mixer.widgets import fader_pos
from app.ui.theme import apply_theme

RATE = 48000
SECONDS = 2.0
OUT = Path(os.environ.get("GLASSROOM_TEST_OUT", "/tmp/glassroom-test-out"))
WINDOW = (RATE // 2, RATE + RATE // 2)  # measure away from the edges


def tone(freq: float, dbfs: float, seconds: float = SECONDS) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def add_track(project: Project, folder: Path, name: str, audio: np.ndarray) -> Track:
    src = folder.parent / f"{name}-src.wav"
    sf.write(src, audio, RATE, subtype="FLOAT")
    mf = media.import_audio(src, folder, RATE).media
    project.media[mf.id] = mf
    track = Track(name)
    track.clips.append(Clip(mf.id, 0, mf.frames, name=name))
    project.tracks.append(track)
    return track


def new_project(tmp_path: Path) -> tuple[Project, Path]:
    folder = tmp_path / "Song.glassroom"
    return store.create_project(folder, sample_rate=RATE), folder


def open_mixer(qtbot, project: Project, engine: Engine, folder: Path) -> MixerWindow:
    apply_theme(QApplication.instance())
    win = MixerWindow(project, EditHistory(project), engine, folder=folder)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    qtbot.waitExposed(win)
    return win


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-30)


def render(engine: Engine, project: Project, folder: Path, name: str,
           cue: str | None = None) -> np.ndarray:
    out = folder.parent / "renders" / f"{name}.wav"
    engine.render(project, folder, out, range=(0, int(SECONDS * RATE)), cue=cue)
    data, _ = sf.read(out, dtype="float64")
    return data[WINDOW[0]:WINDOW[1]]


def type_level(qtbot, field, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_fader_move_changes_the_main_by_the_db_shown(tmp_path, qtbot) -> None:
    project, folder = new_project(tmp_path)
    track = add_track(project, folder, "Tone", tone(1000, -12))
    engine = Engine()
    engine.load(project, folder)
    win = open_mixer(qtbot, project, engine, folder)
    strip = win.strips[track.id]
    shown_before = float(strip.db_field.text())
    before = rms_db(render(engine, project, folder, "before"))
    start = QPointF(strip.fader.width() / 2, strip.fader._y(fader_pos(0.0)))
    drag(strip.fader, start, start + QPointF(0, 37))
    shown_after = float(strip.db_field.text())
    assert shown_after < -3.0
    after = rms_db(render(engine, project, folder, "after"))
    assert after - before == pytest.approx(shown_after - shown_before, abs=0.1)


class Capture:
    """Output blocks of a running backend, kept from its thread."""

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.lock = threading.Lock()

    def __call__(self, block: np.ndarray) -> None:
        with self.lock:
            self.blocks.append(block)

    def mark(self) -> int:
        with self.lock:
            return len(self.blocks)

    def since(self, mark: int, skip: int = 8) -> np.ndarray:
        with self.lock:
            return np.concatenate(self.blocks[mark + skip:])

    def wait(self, qtbot, mark: int, blocks: int) -> None:
        qtbot.waitUntil(lambda: self.mark() >= mark + blocks, timeout=10_000)


def test_live_fader_reaches_the_running_kernel_through_the_binder(tmp_path, qtbot) -> None:
    project, folder = new_project(tmp_path)
    track = add_track(project, folder, "Tone", tone(1000, -12, seconds=30.0))
    engine = Engine(cr_out=-2)  # outputs 1-2 carry the main mix alone
    engine.load(project, folder)
    capture = Capture()
    engine.open(ClockBackend(RATE, 256, outputs=2, sink=capture))
    try:
        engine.play()
        win = open_mixer(qtbot, project, engine, folder)
        qtbot.waitUntil(lambda: capture.mark() > 0 and np.abs(capture.blocks[-1]).max() > 0.1,
                        timeout=10_000)
        mark = capture.mark()
        capture.wait(qtbot, mark, 60)
        before = rms_db(capture.since(mark))
        type_level(qtbot, win.strips[track.id].db_field, "-9.5")
        mark = capture.mark()
        capture.wait(qtbot, mark, 60)
        after = rms_db(capture.since(mark))
        assert after - before == pytest.approx(-9.5, abs=0.1)
        win.history.undo()  # undo reaches the engine too
        mark = capture.mark()
        capture.wait(qtbot, mark, 60)
        assert rms_db(capture.since(mark)) == pytest.approx(before, abs=0.1)
    finally:
        engine.close()


def two_cue_project(tmp_path: Path, seconds: float = SECONDS
                    ) -> tuple[Project, Path, Track, Track]:
    project, folder = new_project(tmp_path)
    a = add_track(project, folder, "Voice", tone(440, -12, seconds))
    b = add_track(project, folder, "Guitar", tone(1000, -12, seconds))
    project.cues = [
        CueMix("Vocal booth", output=2, sends={a.id: CueSend(-6.0), b.id: CueSend(-6.0)}),
        CueMix("Drums", output=4, sends={a.id: CueSend(-6.0), b.id: CueSend(-6.0)}),
    ]
    return project, folder, a, b


def test_a_cue_change_moves_only_that_cue(tmp_path, qtbot) -> None:
    project, folder, voice, _guitar = two_cue_project(tmp_path)
    booth, drums = project.cues
    engine = Engine()
    engine.load(project, folder)
    win = open_mixer(qtbot, project, engine, folder)
    main0 = render(engine, project, folder, "main0")
    booth0 = render(engine, project, folder, "booth0", booth.id)
    drums0 = render(engine, project, folder, "drums0", drums.id)
    editor = win.open_cue(booth.id)
    type_level(qtbot, editor.strips[voice.id].field, "+2")
    assert booth.sends[voice.id].level_db == 2.0
    main1 = render(engine, project, folder, "main1")
    booth1 = render(engine, project, folder, "booth1", booth.id)
    drums1 = render(engine, project, folder, "drums1", drums.id)
    np.testing.assert_allclose(main1, main0, atol=1e-6)
    np.testing.assert_allclose(drums1, drums0, atol=1e-6)
    # The voice (440 Hz) in the booth came up 8 dB; the guitar stayed.
    spectrum0 = np.abs(np.fft.rfft(booth0[:, 0]))
    spectrum1 = np.abs(np.fft.rfft(booth1[:, 0]))
    f = np.fft.rfftfreq(len(booth0), 1 / RATE)
    at = {hz: int(np.argmin(np.abs(f - hz))) for hz in (440, 1000)}
    assert 20 * np.log10(spectrum1[at[440]] / spectrum0[at[440]]) == pytest.approx(8.0, abs=0.1)
    assert 20 * np.log10(spectrum1[at[1000]] / spectrum0[at[1000]]) == pytest.approx(0.0,
                                                                                   abs=0.05)


def test_afl_solo_leaves_main_and_cues_alone_but_solo_in_place_does_not(tmp_path,
                                                                        qtbot) -> None:
    project, folder, voice, _guitar = two_cue_project(tmp_path)
    booth = project.cues[0]
    engine = Engine()
    engine.load(project, folder)
    win = open_mixer(qtbot, project, engine, folder)
    main0 = render(engine, project, folder, "main0")
    booth0 = render(engine, project, folder, "booth0", booth.id)
    qtbot.mouseClick(win.control_room.solo_buttons["afl"], LEFT)
    qtbot.mouseClick(win.strips[voice.id].solo, LEFT)
    assert voice.strip.solo and project.control_room.solo_mode == "afl"
    np.testing.assert_allclose(render(engine, project, folder, "main1"), main0, atol=1e-6)
    np.testing.assert_allclose(render(engine, project, folder, "booth1", booth.id), booth0,
                               atol=1e-6)
    qtbot.mouseClick(win.control_room.solo_buttons["in_place"], LEFT)
    soloed = render(engine, project, folder, "main2")
    assert rms_db(soloed) < rms_db(main0) - 2.0  # only the voice is left in the main


class TalkbackMic(ClockBackend):
    """The clock backend with a talkback microphone: a 1 kHz tone on input 1."""

    def _run(self, root) -> None:
        inp = np.zeros((self.blocksize, self.inputs), np.float32)
        out = np.zeros((self.blocksize, self.outputs), np.float32)
        period = self.blocksize / self.samplerate
        n = np.arange(self.blocksize)
        frame = 0
        while not self._stop.is_set():
            inp[:, 0] = 0.1 * np.sin(2 * np.pi * 1000 * (frame + n) / self.samplerate)
            frame += self.blocksize
            run_root(root.array, inp, out, 0, 0)
            self.sink(out.copy())
            self._stop.wait(period)


def level_at(x: np.ndarray, hz: float) -> float:
    """The amplitude of the `hz` component of a mono signal (Hann window against leakage)."""
    t = np.arange(len(x)) / RATE
    w = np.hanning(len(x))
    return 2 * abs(np.sum(x * w * np.exp(-2j * np.pi * hz * t))) / np.sum(w)


def test_talkback_reaches_the_chosen_cues_and_dims_the_control_room(tmp_path, qtbot) -> None:
    project, folder, _voice, guitar = two_cue_project(tmp_path, seconds=30.0)
    # The guitar is a 1 kHz tone like the talkback mic: keep it out of everything.
    guitar.strip.mute = True
    booth, drums = project.cues
    for cue in project.cues:
        cue.sends[guitar.id].enabled = False
    drums.talkback = False
    project.control_room.talkback_input = 0
    engine = Engine(cr_out=0, main_out=6)
    engine.load(project, folder)
    capture = Capture()
    engine.open(TalkbackMic(RATE, 256, inputs=2, outputs=8, sink=capture))
    try:
        engine.play()
        win = open_mixer(qtbot, project, engine, folder)
        mark = capture.mark()
        capture.wait(qtbot, mark, 40)
        quiet = capture.since(mark)
        assert level_at(quiet[:, 2], 1000) < 1e-3
        room_before = rms_db(quiet[:, 0])
        talk = win.control_room.talk
        mouse(talk, QEvent.Type.MouseButtonPress, QPointF(5, 5))
        mark = capture.mark()
        capture.wait(qtbot, mark, 40)
        held = capture.since(mark)
        assert level_at(held[:, 2], 1000) == pytest.approx(0.1, rel=0.05)  # the booth hears it
        assert level_at(held[:, 4], 1000) < 1e-3  # the drummer was not chosen
        assert level_at(held[:, 6], 1000) < 1e-3  # nor the main mix
        assert rms_db(held[:, 0]) == pytest.approx(room_before - 20.0, abs=0.5)
        mouse(talk, QEvent.Type.MouseButtonRelease, QPointF(5, 5))
        mark = capture.mark()
        capture.wait(qtbot, mark, 40)
        after = capture.since(mark)
        assert level_at(after[:, 2], 1000) < 1e-3
        assert rms_db(after[:, 0]) == pytest.approx(room_before, abs=0.5)
    finally:
        engine.close()


def test_a_minus_12_dbfs_tone_reads_minus_12_on_its_meter(tmp_path, qtbot) -> None:
    project, folder = new_project(tmp_path)
    track = add_track(project, folder, "Tone", tone(1000, -12, seconds=30.0))
    track.strip.pan = -1.0  # all of it on the left, as recorded
    engine = Engine()
    engine.load(project, folder)
    engine.open("clock")
    try:
        win = open_mixer(qtbot, project, engine, folder)
        engine.play()
        meter = win.strips[track.id].meter
        qtbot.waitUntil(lambda: meter.peak_text() != "-inf", timeout=10_000)
        qtbot.wait(300)
        assert meter.peak_text() == "-12.0"
        assert not meter.clipped
        assert win.strips[project.master.id].meter.peak_text() == "-12.0"
    finally:
        engine.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mixer-demo") / "Demo.glassroom"
    make_demo(folder)
    return folder


def test_screenshots_of_the_demo_mixer_and_a_cue_editor(demo, tmp_path, qtbot) -> None:
    folder = tmp_path / "Demo.glassroom"
    shutil.copytree(demo, folder)
    project = store.open_project(folder).project
    engine = Engine()
    engine.load(project, folder)
    engine.open("clock")
    try:
        engine.locate(int(17 * 2 * RATE))  # into the chorus, where everything plays
        engine.play()
        win = open_mixer(qtbot, project, engine, folder)
        win.resize(1500, 900)
        lead = next(t for t in project.tracks if t.name == "Lead Vox")
        qtbot.waitUntil(lambda: win.strips[lead.id].meter.peak_text() != "-inf",
                        timeout=15_000)
        qtbot.wait(500)
        OUT.mkdir(parents=True, exist_ok=True)
        shot = win.grab()
        assert shot.width() == 1500
        assert shot.save(str(OUT / "mixer.png"))
        win.set_narrow(True)
        qtbot.wait(100)
        assert win.grab().save(str(OUT / "mixer_narrow.png"))
        win.set_narrow(False)
        editor = win.open_cue(project.cues[0].id)
        editor.resize(820, 560)
        qtbot.wait(100)
        assert editor.grab().save(str(OUT / "cue_editor.png"))
        eq = win.open_eq(lead.id)
        qtbot.wait(100)
        assert eq.grab().save(str(OUT / "eq_editor.png"))
    finally:
        engine.close()


def test_dim_and_cut_reach_the_control_room_output(tmp_path, qtbot) -> None:
    project, folder = new_project(tmp_path)
    add_track(project, folder, "Tone", tone(1000, -12, seconds=30.0))
    engine = Engine(cr_out=0, main_out=2)
    engine.load(project, folder)
    capture = Capture()
    engine.open(ClockBackend(RATE, 256, outputs=4, sink=capture))
    try:
        engine.play()
        win = open_mixer(qtbot, project, engine, folder)
        mark = capture.mark()
        capture.wait(qtbot, mark, 40)
        room0, main0 = rms_db(capture.since(mark)[:, 0]), rms_db(capture.since(mark)[:, 2])
        qtbot.mouseClick(win.control_room.dim, LEFT)
        mark = capture.mark()
        capture.wait(qtbot, mark, 40)
        dimmed = capture.since(mark)
        assert rms_db(dimmed[:, 0]) == pytest.approx(room0 + project.control_room.dim_db, abs=0.2)
        assert rms_db(dimmed[:, 2]) == pytest.approx(main0, abs=0.05)  # the main is untouched
        qtbot.mouseClick(win.control_room.cut, LEFT)
        mark = capture.mark()
        capture.wait(qtbot, mark, 40)
        assert np.abs(capture.since(mark)[:, 0]).max() == 0.0
        win.history.undo()
        win.history.undo()
        mark = capture.mark()
        capture.wait(qtbot, mark, 40)
        assert rms_db(capture.since(mark)[:, 0]) == pytest.approx(room0, abs=0.1)
    finally:
        engine.close()


def test_a_cue_on_a_pair_the_device_lacks_is_said_plainly(tmp_path, qtbot) -> None:
    project, folder, _voice, _guitar = two_cue_project(tmp_path)
    engine = Engine()
    engine.load(project, folder)
    engine.open(ClockBackend(RATE, 256, outputs=3))  # a device with an odd output count
    try:
        win = open_mixer(qtbot, project, engine, folder)
        booth, drums = project.cues
        booth_row, drums_row = win.cues.rows[booth.id], win.cues.rows[drums.id]
        assert "right side is lost" in booth_row.notice.text()
        assert not booth_row.notice.isHidden()
        assert "does not exist" in drums_row.notice.text()
        assert booth_row.output.currentText() == "Out 3-4 (mono)"
    finally:
        engine.close()
