"""Event names of the wire protocol, both ways, and its version."""
from __future__ import annotations

PROTOCOL_VERSION = 1

# Client to hub.
JOIN = "join"
REQUEST_SPEAK = "requestSpeak"
STOP_SPEAK = "stopSpeak"
CAPTION = "caption"
EDIT_CAPTION = "editCaption"
LEAVE = "leave"
PING = "ping"
CATCH_UP = "catchUp"
RAISE_HAND = "raiseHand"
LOWER_HAND = "lowerHand"
QUEUE_REMOVE = "queueRemove"
QUEUE_MOVE = "queueMove"
APPROVE = "approve"
DENY = "deny"
SET_LANGUAGE = "setLanguage"  # a reader changes the language it reads captions in (null: the original)
STATION_AUDIO = "stationAudio"  # a station's audio advice; the hub relays it to the room's presenters

# Hub to clients.
ROOM_STATE = "roomState"
PARTICIPANT_JOINED = "participantJoined"
PARTICIPANT_LEFT = "participantLeft"
AUDIENCE_COUNT = "audienceCount"
SPEAKER_CHANGED = "speakerChanged"
SPEAKER_STOPPED = "speakerStopped"
SPEAK_DENIED = "speakDenied"
CAPTION_EDITED = "captionEdited"
ROOM_UPDATED = "roomUpdated"
VOCABULARY_UPDATED = "vocabularyUpdated"
FLOOR_QUEUE = "floorQueue"
APPROVAL_REQUESTED = "approvalRequested"  # to the admin and PIN presenters: a presenter waits for approval
APPROVAL_RESOLVED = "approvalResolved"  # to the same: someone approved or denied it
PARTICIPANT_UPDATED = "participantUpdated"  # to the room: a participant's entry changed (approved)
APPROVAL_DENIED = "approvalDenied"  # to a denied presenter, just before the hub disconnects it
ROOM_LOCKED = "roomLocked"  # to a reader a new room password shut out, just before the hub disconnects it

