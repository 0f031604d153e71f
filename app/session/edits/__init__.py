"""Undoable edits: the only way anything changes a Project.

Every change (a fader move, a clip drag, a new marker) is an `Edit` applied through an
`EditHistory`, which is the undo stack. Where to look:

- `base`: the protocol (Edit, Compound, EditError) every edit follows
- `history`: EditHistory, the undo stack, and the Change its listeners receive
- `params`: strip parameters; a fader move is a SetParam on `fader_db`, an EQ point
  dragged in frequency and gain a SetStripParams
- `routing`: outputs into buses and the loop check; `sends`: adding and removing sends
- `control_room`: what the engineer hears (source, dim, mono, cut, solo mode, talkback)
- `tracks`, `clips` (and the media pool), `takes` (comping), `timeline` (markers,
  tempo, meter, loop, punch), `automation`, `cues` (headphone mixes)
- `midi`: hardware control mappings learned for parameters (MIDI learn)
- `checks`: the value checks and lookups the edits share

Import edits from here: `from app.session.edits import SetParam`.
"""

from app.session.edits.automation import (
    AddAutomationLane,
    AddAutomationPoint,
    MoveAutomationPoint,
    RemoveAutomationLane,
    RemoveAutomationPoint,
    SetAutomationMode,
    SetAutomationPoints,
)
from app.session.edits.base import Compound, Edit, EditError
from app.session.edits.clips import (
    AddClip,
    AddMedia,
    MoveClip,
    RemoveClip,
    RenameClip,
    SetClipFades,
    SetClipGain,
    SetClipMute,
    SplitClip,
    TrimClipEnd,
    TrimClipStart,
)
from app.session.edits.control_room import SetControlRoom
from app.session.edits.cues import (
    AddCue,
    RemoveCue,
    RenameCue,
    SetCueOutput,
    SetCueParam,
    SetCueSend,
)
from app.session.edits.history import Change, EditHistory
from app.session.edits.midi import (
    TRANSPORT,
    TRANSPORT_ACTIONS,
    AddMidiMapping,
    RemoveMidiMapping,
    check_mapping,
    same_control,
)
from app.session.edits.params import SetParam, SetStripParams, check_param_value, param_label
from app.session.edits.routing import SetTrackOutput, downstream
from app.session.edits.sends import AddSend, RemoveSend
from app.session.edits.takes import AddTake, CompTake, RemoveTake, SetComp, comp_with
from app.session.edits.timeline import (
    AddMarker,
    MoveMarker,
    RemoveMarker,
    RenameMarker,
    SetClick,
    SetLoop,
    SetMeter,
    SetPunch,
    SetTempo,
)
from app.session.edits.tracks import (
    AddTrack,
    DuplicateTrack,
    RemoveTrack,
    RenameTrack,
    ReorderTrack,
    SetArmed,
    SetInput,
    SetMonitor,
    SetRecordSafe,
    SetTrackColour,
    SetTrackView,
    import_track_edit,
)

__all__ = [
    "EditError",
    "Edit",
    "Compound",
    "Change",
    "EditHistory",
    "param_label",
    "check_param_value",
    "downstream",
    # tracks
    "AddTrack",
    "RemoveTrack",
    "RenameTrack",
    "ReorderTrack",
    "DuplicateTrack",
    "SetTrackColour",
    "SetTrackView",
    "import_track_edit",
    "SetArmed",
    "SetRecordSafe",
    "SetMonitor",
    "SetInput",
    "SetParam",
    "SetStripParams",
    # routing and sends
    "SetTrackOutput",
    "AddSend",
    "RemoveSend",
    # control room
    "SetControlRoom",
    # media and clips
    "AddMedia",
    "AddClip",
    "RemoveClip",
    "MoveClip",
    "TrimClipStart",
    "TrimClipEnd",
    "SplitClip",
    "SetClipFades",
    "SetClipGain",
    "SetClipMute",
    "RenameClip",
    # takes
    "AddTake",
    "RemoveTake",
    "SetComp",
    "CompTake",
    "comp_with",
    # timeline
    "AddMarker",
    "RemoveMarker",
    "RenameMarker",
    "MoveMarker",
    "SetClick",
    "SetTempo",
    "SetMeter",
    "SetLoop",
    "SetPunch",
    # automation
    "AddAutomationLane",
    "RemoveAutomationLane",
    "AddAutomationPoint",
    "MoveAutomationPoint",
    "RemoveAutomationPoint",
    "SetAutomationPoints",
    "SetAutomationMode",
    # cue mixes
    "AddCue",
    "RemoveCue",
    "RenameCue",
    "SetCueOutput",
    "SetCueParam",
    "SetCueSend",
    # hardware control
    "AddMidiMapping",
    "RemoveMidiMapping",
    "check_mapping",
    "same_control",
    "TRANSPORT",
    "TRANSPORT_ACTIONS",
]
