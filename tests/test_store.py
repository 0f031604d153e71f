"""The project folder: JSON codec, schema versions, media paths, atomic save, backups, recovery."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.session import model as m
from app.session import store
from app.session.codec import from_json, to_json
from app.session.store import ProjectError


def write_wav(path: Path, frames: int, channels: int, rate: int = 48000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(frames, dtype=np.float32)[:, None] / rate
    data = 0.25 * np.sin(2 * np.pi * 220.0 * t) * np.ones((1, channels), np.float32)
    sf.write(path, data, rate, subtype="FLOAT")


def rich_project() -> m.Project:
    """A project that uses every kind of thing the model has, with fixed ids."""
    p = m.Project(name="Song ✓", sample_rate=48000, tempo=93.5, meter_num=7, meter_den=8)
    p.click = True
    p.loop = m.Range(48000, 96000, True)
    p.punch = m.Range(1000, 2000, False)
    p.markers = [m.Marker("Intro", 0, id="mk1"), m.Marker("Verse", 96000, id="mk2")]
    p.media = {
        "kick": m.MediaFile("audio/kick.wav", 4800, 1, 48000, name="Kick.wav", id="kick"),
        "gtr": m.MediaFile("audio/gtr.wav", 9600, 2, 48000, name="Gtr", id="gtr"),
        "take1": m.MediaFile("audio/take1.wav", 4000, 1, 48000, id="take1"),
        "take2": m.MediaFile("audio/take2.wav", 4000, 1, 48000, id="take2"),
    }
    reverb = m.Track("Verb", m.TrackKind.BUS, bus_effect="reverb", id="bus-verb")
    drums = m.Track("Drums", id="t-drums", colour="#ff0000", armed=True)
    drums.input = m.InputAssign([0])
    drums.monitor = m.MonitorMode.INPUT
    drums.clips = [
        m.Clip("kick", 0, 4800, name="Kick A", id="c1"),
        m.Clip(
            "kick", 10000, 2000, source_offset=100, gain_db=-3.5, fade_in=10,
            fade_in_shape=m.FadeShape.LOG, fade_out=20, fade_out_shape=m.FadeShape.S_CURVE,
            mute=True, name="Kick B", id="c2",
        ),
    ]
    drums.strip.eq[2].gain_db = 4.0
    drums.strip.comp_on = True
    drums.strip.pan = -0.25
    drums.strip.sends = [m.Send("bus-verb", -12.0, pre=True)]
    drums.automation = [
        m.AutomationLane(
            "fader_db",
            [m.AutomationPoint(0, -6.0), m.AutomationPoint(48000, 0.0, m.Interp.HOLD)],
        ),
        m.AutomationLane("eq.1.gain_db", [m.AutomationPoint(10, 2)], visible=False),
    ]
    drums.automation_mode = m.AutomationMode.TOUCH
    vox = m.Track("Vox", id="t-vox", output="bus-verb", height=140, folded=True)
    vox.clips = [m.Clip("gtr", 500, 9000, id="c3")]
    vox.takes = m.TakeLane(
        takes=[
            m.Take("take1", 0, 4000, name="Take 1", xruns=[10, 2000], overruns=[5], id="k1"),
            m.Take("take2", 0, 4000, name="Take 2", id="k2"),
        ],
        comp=[m.CompRange("k1", 0, 2000), m.CompRange("k2", 2000, 4000)],
        crossfade=240,
    )
    vox.automation = [m.AutomationLane("cue.cue1.level_db", [m.AutomationPoint(5, -3.0)])]
    p.tracks = [drums, vox, reverb]
    p.master.id = "master"
    p.master.strip.fader_db = -1.0
    p.cues = [
        m.CueMix(
            "Singer",
            output=4,
            sends={"t-drums": m.CueSend(-6.0, 0.5), "t-vox": m.CueSend(pre=False, enabled=False)},
            master_db=-2.0,
            click_db=-10.0,
            talkback=False,
            id="cue1",
        )
    ]
    p.control_room = m.ControlRoom(
        source="cue1", dim=True, mono=True, solo_mode=m.SoloMode.AFL, talkback_input=3
    )
    return p


def write_media(folder: Path, project: m.Project) -> None:
    for media in project.media.values():
        write_wav(folder / media.path, media.frames, media.channels, media.sample_rate)


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, m.Project]:
    """A rich project saved in a folder with all its media written."""
    folder = tmp_path / "Song.glassroom"
    store.create_project(folder)
    project = rich_project()
    write_media(folder, project)
    store.save_project(project, folder)
    return folder, project


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every path below `folder` with its bytes (files) or link target (symlinks)."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = path.read_bytes()
        else:
            out[rel] = "dir"
    return out


def rewrite(folder: Path, change) -> None:
    """Load project.json as a dict, let `change` edit it, write it back."""
    path = folder / "project.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def refused(folder: Path, *needles: str) -> str:
    """Open must fail with all `needles` in the message and leave the folder as it was."""
    before = snapshot(folder)
    with pytest.raises(ProjectError) as info:
        store.open_project(folder)
    message = str(info.value)
    for needle in needles:
        assert needle in message
    assert snapshot(folder) == before
    return message


# -- codec and round trip -----------------------------------------------------


def test_rich_project_round_trips_equal(saved):
    folder, project = saved
    result = store.open_project(folder)
    assert result.project == project
    assert result.report == []
    assert result.placeholders == set()
    assert not result.recovery_available
    assert result.project.tracks[0].clips[1].fade_in_shape is m.FadeShape.LOG
    assert isinstance(result.project.tracks[0].automation[1].points[0].value, float)
    # the JSON carries enums as values and is plain data
    data = json.loads((folder / "project.json").read_text())
    assert data["schema_version"] == m.SCHEMA_VERSION
    assert data["tracks"][2]["kind"] == "bus"
    assert data["cues"][0]["sends"]["t-drums"]["pan"] == 0.5


def test_codec_round_trips_nested_values_directly():
    project = rich_project()
    data = to_json(m.Project, project)
    again, warnings = from_json(m.Project, json.loads(json.dumps(data)))
    assert again == project
    assert warnings == []


def test_encoder_accepts_numpy_scalars_and_writes_plain_numbers():
    project = rich_project()
    project.tracks[0].clips[0].position = np.int64(7)
    project.tracks[0].clips[0].gain_db = np.float32(-1.5)
    project.tracks[0].clips[0].mute = np.bool_(True)
    data = to_json(m.Project, project)
    clip = data["tracks"][0]["clips"][0]
    assert (type(clip["position"]), type(clip["gain_db"]), type(clip["mute"])) == (
        int, float, bool,
    )


def test_missing_optional_fields_take_their_defaults(saved):
    folder, project = saved

    def strip_defaults(data):
        clip = data["tracks"][0]["clips"][0]
        for key in ("gain_db", "fade_in_shape", "mute", "name"):
            del clip[key]
        del data["tracks"][1]["strip"]
        del data["control_room"]

    rewrite(folder, strip_defaults)
    loaded = store.open_project(folder).project
    clip = loaded.tracks[0].clips[0]
    assert clip.fade_in_shape is m.FadeShape.EQUAL_POWER and clip.name == "" and not clip.mute
    assert loaded.tracks[1].strip == m.StripParams()
    assert loaded.control_room == m.ControlRoom()


def test_unknown_fields_are_ignored_with_a_warning(saved):
    folder, project = saved

    def add_extras(data):
        data["colour_scheme"] = "dark"
        data["tracks"][1]["clips"][0]["sparkle"] = 3

    rewrite(folder, add_extras)
    result = store.open_project(folder)
    assert result.project == project
    assert any("colour_scheme" in line and "unknown field" in line for line in result.report)
    assert any("tracks[1].clips[0].sparkle" in line for line in result.report)


# -- bad files ----------------------------------------------------------------


def test_not_json_is_refused(saved):
    folder, _ = saved
    (folder / "project.json").write_text('{"name": "x",')
    refused(folder, "project.json", "not valid JSON", "line 1")


def test_binary_garbage_is_refused(saved):
    folder, _ = saved
    (folder / "project.json").write_bytes(bytes(range(256)))
    refused(folder, "project.json")


@pytest.mark.parametrize(
    "text, kind", [("[1, 2]", "a list"), ('"hello"', "a string"), ("3", "a number")]
)
def test_json_that_is_not_an_object_is_refused(saved, text, kind):
    folder, _ = saved
    (folder / "project.json").write_text(text)
    refused(folder, "expected a JSON object", kind)


def test_future_schema_is_refused(saved):
    folder, _ = saved
    rewrite(folder, lambda d: d.update(schema_version=7))
    refused(folder, "made by a newer Glassroom (schema 7; this one reads up to 1)")


def test_missing_schema_version_is_refused(saved):
    folder, _ = saved
    rewrite(folder, lambda d: d.pop("schema_version"))
    refused(folder, "schema_version")


def test_folder_that_is_not_a_project_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    refused(tmp_path, "not a Glassroom project")
    with pytest.raises(ProjectError, match="not a Glassroom project"):
        store.open_project(tmp_path / "nowhere")


def _set(data, keys, value):
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


WRONG_TYPES = [
    (("name",), 5, "name: expected a string, got 5"),
    (("sample_rate",), "48000", 'sample_rate: expected an integer, got "48000"'),
    (("sample_rate",), 48000.0, "sample_rate: expected an integer, got 48000.0"),
    (("tempo",), True, "tempo: expected a number, got true"),
    (("click",), 1, "click: expected true or false, got 1"),
    (("tracks",), {}, "tracks: expected a list, got an object"),
    (("markers", 1), "verse", 'markers[1]: expected an object, got "verse"'),
    (
        ("tracks", 1, "clips", 0, "position"), "abc",
        'project.json: tracks[1].clips[0].position: expected an integer, got "abc"',
    ),
    (("tracks", 0, "clips", 1, "gain_db"), None, "tracks[0].clips[1].gain_db: expected a number"),
    (("tracks", 0, "strip", "eq", 2, "q"), "x", "tracks[0].strip.eq[2].q: expected a number"),
    (
        ("tracks", 0, "strip", "sends", 0, "level_db"), float("nan"),
        "tracks[0].strip.sends[0].level_db: expected a number, got NaN",
    ),
    (
        ("tracks", 0, "strip", "sends", 0, "pre"), "yes",
        "tracks[0].strip.sends[0].pre: expected true or false",
    ),
    (
        ("tracks", 1, "takes", "takes", 0, "xruns", 1), 1.5,
        "tracks[1].takes.takes[0].xruns[1]: expected an integer, got 1.5",
    ),
    (
        ("tracks", 0, "automation", 0, "points", 1, "value"), [1],
        "tracks[0].automation[0].points[1].value: expected a number, got a list",
    ),
    (
        ("cues", 0, "sends", "t-vox", "pan"), {},
        'cues[0].sends["t-vox"].pan: expected a number, got an object',
    ),
    (("media", "gtr", "frames"), "9600", 'media["gtr"].frames: expected an integer'),
    (("master", "strip", "fader_db"), False, "master.strip.fader_db: expected a number"),
    (("control_room", "talkback_input"), 3.0, "control_room.talkback_input: expected an integer"),
    (("loop", "end"), float("inf"), "loop.end: expected an integer, got Infinity"),
]


@pytest.mark.parametrize(
    "keys, value, needle", WRONG_TYPES, ids=[".".join(map(str, w[0])) for w in WRONG_TYPES]
)
def test_wrong_type_is_refused_naming_the_path(saved, keys, value, needle):
    folder, _ = saved
    rewrite(folder, lambda d: _set(d, keys, value))
    refused(folder, "project.json: ", needle)


@pytest.mark.parametrize(
    "keys, value, needle",
    [
        (("tracks", 0, "kind"), "midi", 'tracks[0].kind: expected one of "audio", "bus", "master"'),
        (("tracks", 0, "clips", 0, "fade_out_shape"), "wobbly", 'got "wobbly"'),
        (("control_room", "solo_mode"), "AFL", "control_room.solo_mode"),
        (("tracks", 1, "automation", 0, "points", 0, "interp"), 1, "expected one of"),
    ],
)
def test_unknown_enum_value_is_refused(saved, keys, value, needle):
    folder, _ = saved
    rewrite(folder, lambda d: _set(d, keys, value))
    refused(folder, needle)


def test_missing_required_field_is_refused(saved):
    folder, _ = saved
    rewrite(folder, lambda d: d["tracks"][0]["clips"][1].pop("media"))
    refused(folder, "tracks[0].clips[1].media: missing")


INVALID = [
    (("sample_rate",), 4000, "sample_rate 4000 is outside 8000..768000"),
    (("tracks", 0, "clips", 0, "length"), 0, "tracks[0].clips[0].length 0 must be at least 1"),
    (("tracks", 0, "clips", 0, "position"), -5, "tracks[0].clips[0].position -5"),
    (("tracks", 0, "clips", 1, "source_offset"), -1, "tracks[0].clips[1].source_offset -1"),
    (("tracks", 1, "clips", 0, "id"), "c1", "clip id 'c1' is used more than once"),
    (("tracks", 1, "id"), "t-drums", "track id 't-drums' is used more than once"),
    (("tracks", 0, "clips", 0, "media"), "nope", "refers to media 'nope'"),
    (("tracks", 1, "takes", "takes", 0, "media"), "nope", "refers to media 'nope'"),
    (("tracks", 1, "takes", "comp", 0, "take"), "k9", "refers to take 'k9'"),
    (("master", "kind"), "audio", "master has kind 'audio'"),
    (("tracks", 2, "kind"), "master", "tracks[2] ('Verb') has kind 'master'"),
    (("media", "gtr", "id"), "other", "the key and the id must match"),
]


@pytest.mark.parametrize(
    "keys, value, needle", INVALID, ids=[f"{'.'.join(map(str, w[0]))}={w[1]}" for w in INVALID]
)
def test_invalid_content_is_refused_on_open_and_on_save(saved, keys, value, needle):
    folder, _ = saved
    good = (folder / "project.json").read_bytes()
    rewrite(folder, lambda d: _set(d, keys, value))
    refused(folder, needle)

    (folder / "project.json").write_bytes(good)
    data = json.loads(good)
    _set(data, keys, value)
    project, _ = from_json(m.Project, data)
    before = snapshot(folder)
    with pytest.raises(ProjectError, match="^project: ") as info:
        store.save_project(project, folder)
    assert needle in str(info.value)
    assert snapshot(folder) == before


def test_save_refuses_wrong_python_types_and_keeps_the_file(saved):
    folder, project = saved
    before = snapshot(folder)
    project.tracks[1].clips[0].position = 1.5
    with pytest.raises(ProjectError, match=r"tracks\[1\]\.clips\[0\]\.position: expected an int"):
        store.save_project(project, folder)
    project.tracks[1].clips[0].position = 0
    project.tracks[0].strip.fader_db = float("nan")
    with pytest.raises(ProjectError, match=r"tracks\[0\]\.strip\.fader_db"):
        store.save_project(project, folder)
    assert snapshot(folder) == before


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _nodes(value, keys=()):
    """The keys of every node below a JSON value, the root included."""
    yield keys
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        items = ()
    for k, v in items:
        yield from _nodes(v, (*keys, k))


def _damage(data, st_data):
    """Replace or delete a few random nodes of a JSON value."""
    for _ in range(st_data.draw(st.integers(1, 3))):
        keys = st_data.draw(st.sampled_from(list(_nodes(data))))
        value = st_data.draw(JSON_VALUES)
        if not keys:
            data = value
            continue
        parent = data
        for key in keys[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and st_data.draw(st.booleans()):
            del parent[keys[-1]]
        else:
            parent[keys[-1]] = value
    return data


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st_data=st.data())
def test_any_damage_opens_or_is_refused_with_a_project_error(saved, st_data):
    folder, _ = saved
    path = folder / "project.json"
    good = path.read_bytes()
    text = json.dumps(_damage(json.loads(good), st_data))
    try:
        path.write_text(text)
        result = store.open_project(folder)
    except ProjectError:
        return
    finally:
        path.write_bytes(good)
    assert result.placeholders <= set(result.project.media)
    again, _ = store.project_from_text(store.project_to_text(result.project))
    assert again == result.project


# -- schema migration ---------------------------------------------------------


def test_migration_hook_upgrades_an_old_project(saved):
    folder, project = saved

    def make_old(data):
        data["schema_version"] = 0
        data["title"] = data.pop("name")

    def rename_title(data):
        data["name"] = data.pop("title")
        return data

    rewrite(folder, make_old)
    refused(folder, "no migration from schema 0 to 1")
    result = store.open_project(folder, migrations={0: rename_title})
    assert result.project == project
    assert result.report == []


def test_migrations_run_in_order_up_to_the_current_version():
    calls = []

    def step(version):
        def run(data):
            calls.append(version)
            data["trail"] = data.get("trail", "") + str(version)
            return data

        return run

    out = store.migrate(
        {"schema_version": 1}, {3: step(3), 1: step(1), 2: step(2), 0: step(0)}, current=4
    )
    assert calls == [1, 2, 3]
    assert out == {"schema_version": 4, "trail": "123"}


# -- media paths --------------------------------------------------------------


@pytest.mark.parametrize(
    "path, needle",
    [
        ("../outside.wav", "leads outside"),
        ("audio/../../outside.wav", "leads outside"),
        ("/etc/passwd", "is absolute"),
        ("C:/music/a.wav", "is absolute"),
        ("audio\\a.wav", "must use /"),
        ("", "empty"),
    ],
)
def test_bad_media_paths_are_refused(saved, path, needle):
    folder, _ = saved
    rewrite(folder, lambda d: _set(d, ("media", "gtr", "path"), path))
    refused(folder, needle)
    with pytest.raises(ProjectError, match=needle):
        store.resolve_media(folder, m.MediaFile(path, 1, 1, 48000))


def test_absolute_path_outside_is_refused_even_if_the_file_exists(saved, tmp_path):
    folder, _ = saved
    outside = tmp_path / "elsewhere.wav"
    write_wav(outside, 9600, 2)
    rewrite(folder, lambda d: _set(d, ("media", "gtr", "path"), str(outside)))
    refused(folder, "is absolute")


def test_symlink_pointing_outside_is_refused(saved, tmp_path):
    folder, _ = saved
    outside = tmp_path / "elsewhere"
    write_wav(outside / "gtr.wav", 9600, 2)
    (folder / "audio" / "gtr.wav").unlink()
    (folder / "audio" / "gtr.wav").symlink_to(outside / "gtr.wav")
    refused(folder, 'project.json: media["gtr"]: ', "outside the project folder")
    (folder / "audio" / "gtr.wav").unlink()
    (folder / "audio" / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ProjectError, match="outside the project folder"):
        store.resolve_media(folder, m.MediaFile("audio/linked/gtr.wav", 9600, 2, 48000))


def test_symlink_inside_the_folder_resolves(saved):
    folder, _ = saved
    (folder / "audio" / "alias.wav").symlink_to("kick.wav")
    target = store.resolve_media(folder, m.MediaFile("audio/alias.wav", 4800, 1, 48000))
    assert target == (folder / "audio" / "kick.wav").resolve()


def test_missing_media_becomes_a_placeholder_and_nothing_changes(saved):
    folder, project = saved
    (folder / "audio" / "kick.wav").unlink()
    before = snapshot(folder)
    result = store.open_project(folder)
    assert snapshot(folder) == before
    assert result.project == project  # the clips stay
    assert result.missing == {"kick"}
    assert result.mismatched == set()
    assert result.placeholders == {"kick"}
    (line,) = result.report
    assert "audio/kick.wav" in line and "missing" in line
    assert "Kick A" in line and "Kick B" in line and '"Drums"' in line


def test_media_paths_the_file_system_cannot_hold_are_missing(saved):
    folder, _ = saved
    (folder / "audio" / "dir.wav").mkdir()
    long_name = "audio/" + "x" * 300 + ".wav"

    def point_elsewhere(data):
        data["media"]["gtr"]["path"] = long_name
        data["media"]["kick"]["path"] = "audio/dir.wav"

    rewrite(folder, point_elsewhere)
    before = snapshot(folder)
    result = store.open_project(folder)
    assert snapshot(folder) == before
    assert result.missing == {"gtr", "kick"}
    text = "\n".join(result.report)
    assert "File name too long" in text and "something else is in its place" in text


def test_media_of_another_length_or_width_is_mismatched(saved):
    folder, project = saved
    write_wav(folder / "audio" / "gtr.wav", 9599, 2)
    write_wav(folder / "audio" / "take1.wav", 4000, 2)
    (folder / "audio" / "take2.wav").write_bytes(b"not audio at all")
    result = store.open_project(folder)
    assert result.project == project
    assert result.missing == set()
    assert result.mismatched == {"gtr", "take1", "take2"}
    assert result.placeholders == {"gtr", "take1", "take2"}
    text = "\n".join(result.report)
    assert "9599 frames" in text and "9600 frames" in text
    assert "takes Take 1" in text and "cannot be read" in text
    assert (folder / "audio" / "take2.wav").read_bytes() == b"not audio at all"


# -- create and save ----------------------------------------------------------


def test_create_project_makes_the_layout(tmp_path):
    folder = tmp_path / "New Song.glassroom"
    project = store.create_project(folder, sample_rate=44100)
    assert project.name == "New Song" and project.sample_rate == 44100
    assert sorted(p.name for p in folder.iterdir()) == [
        "audio", "backups", "peaks", "project.json", "recovery",
    ]
    assert store.open_project(folder).project == project
    named = store.create_project(tmp_path / "x", name="Other")
    assert named.name == "Other"


def test_create_project_refuses_non_empty_folders_and_bad_rates(tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not empty"):
        store.create_project(folder)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    for rate in (7999, 768001, 44100.0, True):
        with pytest.raises(ProjectError, match="sample rate"):
            store.create_project(tmp_path / "new", sample_rate=rate)
    assert not (tmp_path / "new").exists()
    store.create_project(tmp_path / "empty-but-there")
    (tmp_path / "empty").mkdir()
    store.create_project(tmp_path / "empty", sample_rate=m.MIN_RATE)


def test_backups_keep_the_previous_versions_and_are_pruned_to_20(saved):
    folder, project = saved
    backups = folder / "backups"
    (backups / "notes.txt").write_text("not a backup")
    (backups / "project-old.json").write_text("also not ours")
    written = [(folder / "project.json").read_bytes()]
    for i in range(24):
        project.name = f"Version {i}"
        store.save_project(project, folder)
        written.append((folder / "project.json").read_bytes())
    names = sorted(p.name for p in backups.iterdir())
    ours = [n for n in names if n.startswith("project-2")]
    assert len(ours) == 20
    assert {"notes.txt", "project-old.json"} <= set(names)
    # the newest 20 previous versions, oldest first
    assert [(backups / n).read_bytes() for n in ours] == written[-21:-1]
    assert store.open_project(folder).project.name == "Version 23"


def test_save_as_into_a_new_folder(saved, tmp_path):
    _, project = saved
    target = tmp_path / "deeper" / "Copy.glassroom"
    store.save_project(project, target)
    assert sorted(p.name for p in target.iterdir()) == [
        "audio", "backups", "peaks", "project.json", "recovery",
    ]
    result = store.open_project(target)
    assert result.project == project
    assert result.missing == set(project.media)  # the audio was not copied along


def test_save_leaves_no_temp_files(saved):
    folder, project = saved
    for _ in range(3):
        store.save_project(project, folder)
        store.write_recovery(project, folder)
    listing = {str(p.relative_to(folder)) for p in folder.rglob("*")}
    assert not [n for n in listing if n.endswith(".tmp") or "/." in n or n.startswith(".")]
    assert "recovery/project.json" in listing
    assert oct((folder / "project.json").stat().st_mode & 0o777) == "0o644"


def test_failed_save_keeps_the_previous_file(saved):
    folder, project = saved
    (folder / "backups").rename(folder / "moved-backups")
    (folder / "backups").write_text("a file where the backups folder belongs")
    before = snapshot(folder)
    project.name = "Changed"
    with pytest.raises(ProjectError, match="previous save is unchanged"):
        store.save_project(project, folder)
    assert snapshot(folder) == before


# -- recovery and autosave ----------------------------------------------------


def test_recovery_is_written_detected_read_and_cleared_by_save(saved):
    folder, project = saved
    assert not store.recovery_newer(folder)
    with pytest.raises(ProjectError, match="no autosaved project"):
        store.read_recovery(folder)
    project.tracks[0].clips[0].position = 12345
    store.write_recovery(project, folder)
    assert store.recovery_newer(folder)
    assert store.read_recovery(folder) == project
    result = store.open_project(folder)
    assert result.recovery_available
    assert result.project.tracks[0].clips[0].position == 0
    assert any("recovery" in line for line in result.report)
    store.save_project(project, folder)
    assert not (folder / "recovery" / "project.json").exists()
    assert not store.recovery_newer(folder)


def test_recovery_older_than_the_save_is_not_offered(saved):
    folder, project = saved
    store.write_recovery(project, folder)
    saved_at = (folder / "project.json").stat().st_mtime_ns
    os.utime(folder / "recovery" / "project.json", ns=(saved_at - 10**9, saved_at - 10**9))
    assert not store.recovery_newer(folder)
    assert not store.open_project(folder).recovery_available
    os.utime(folder / "recovery" / "project.json", ns=(saved_at + 10**9, saved_at + 10**9))
    assert store.recovery_newer(folder)


def test_damaged_recovery_is_refused_by_name(saved):
    folder, _ = saved
    (folder / "recovery" / "project.json").write_text("{")
    with pytest.raises(ProjectError, match="^recovery/project.json: not valid JSON"):
        store.read_recovery(folder)


def test_write_recovery_does_not_touch_backups_or_the_project(saved):
    folder, project = saved
    before = snapshot(folder)
    project.name = "Autosaved"
    store.write_recovery(project, folder)
    after = snapshot(folder)
    assert after.pop("recovery/project.json")
    assert after == before


def test_autosaver_writes_every_interval_while_dirty():
    saver = store.Autosaver()
    assert saver.interval == 60.0
    assert [saver.tick(t, dirty=False) for t in (0.0, 100.0, 200.0)] == [False] * 3
    assert not saver.tick(300.0, dirty=True)  # just became dirty
    assert not saver.tick(359.9, dirty=True)
    assert saver.tick(360.0, dirty=True)
    assert not saver.tick(400.0, dirty=True)
    assert saver.tick(420.0, dirty=True)
    assert not saver.tick(430.0, dirty=False)  # saved
    assert not saver.tick(500.0, dirty=True)
    assert not saver.tick(540.0, dirty=True)
    assert saver.tick(560.0, dirty=True)
    quick = store.Autosaver(interval=1.0)
    assert [quick.tick(t, True) for t in (0.0, 0.5, 1.0, 1.5, 2.0)] == [
        False, False, True, False, True,
    ]


def test_saved_text_is_stable_through_a_load(saved):
    folder, _ = saved
    text = (folder / "project.json").read_text()
    project, warnings = store.project_from_text(text)
    assert warnings == []
    assert store.project_to_text(project) == text
