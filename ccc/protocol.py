"""The CCC wire protocol: event names, payload models, limits and error codes.

Shared by the hub and the presenter station, so it imports neither Flask nor anything of theirs.
Every client-to-hub event is answered through the Socket.IO acknowledgement with either
``{"ok": true, ...}`` or ``{"ok": false, "error": {"code": ..., "message": ...}}``.
"""
from __future__ import annotations

import unicodedata
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, field_validator

PROTOCOL_VERSION = 1

# Client to hub.
JOIN = "join"
REQUEST_SPEAK = "requestSpeak"
STOP_SPEAK = "stopSpeak"
CAPTION = "caption"
EDIT_CAPTION = "editCaption"
LEAVE = "leave"
PING = "ping"

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

MAX_TEXT = 2000
MAX_NAME = 60
MAX_ID = 64
MAX_CODE = 16
MAX_PIN = 32
MAX_TOKEN = 64  # a resumeToken the hub issued (32 characters today)
MAX_WORDS = 1000
# A room's vocabulary (names and terms for the recognizer, and replacements applied to finals).
MAX_TERMS = 200
MAX_TERM = 60
MAX_REPLACEMENTS = 200
MAX_REPLACE_FROM = 100
MAX_REPLACE_TO = 100
# A room code uses letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class ErrorCode(str, Enum):
    """The error codes a hub answers with."""

    BAD_REQUEST = "bad_request"
    TOO_LARGE = "too_large"
    ROOM_NOT_FOUND = "room_not_found"
    NOT_JOINED = "not_joined"
    FORBIDDEN = "forbidden"
    BAD_PIN = "bad_pin"
    FLOOR_TAKEN = "floor_taken"
    NOT_SPEAKER = "not_speaker"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"


class ProtocolError(Exception):
    """A request the hub refuses, carrying the code and message of the error ack."""

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def ack(self) -> dict[str, Any]:
        """Return the error acknowledgement for this error."""
        return error_ack(self.code, self.message)


def ok_ack(**fields: Any) -> dict[str, Any]:
    """Return a success acknowledgement carrying ``fields``."""
    return {"ok": True, **fields}


def error_ack(code: ErrorCode, message: str) -> dict[str, Any]:
    """Return an error acknowledgement."""
    return {"ok": False, "error": {"code": code.value, "message": message}}


def normalize_code(raw: str) -> str:
    """Return a room code as stored: upper case, with spaces and dashes removed."""
    return "".join(raw.split()).replace("-", "").upper()


class Payload(BaseModel):
    """Base of every client payload: strict types, unknown keys ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Word(Payload):
    """One recognized word with its times in milliseconds from the utterance start or the epoch."""

    word: str = Field(max_length=200)
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    conf: float | None = Field(default=None, ge=0, le=1)

    @field_validator("start", "end", "conf", mode="before")
    @classmethod
    def _int_is_float(cls, value: Any) -> Any:
        return float(value) if type(value) is int else value


class Join(Payload):
    """Join a room as a presenter, an audience member or a projector."""

    room: str = Field(min_length=1, max_length=MAX_CODE)
    role: Literal["presenter", "audience", "projector"]
    name: str = Field(default="", max_length=MAX_NAME)
    participantId: str | None = Field(default=None, min_length=1, max_length=MAX_ID)
    resumeToken: str | None = Field(default=None, min_length=1, max_length=MAX_TOKEN)
    pin: str | None = Field(default=None, max_length=MAX_PIN)
    since: int | None = Field(default=None, ge=0)
    sinceRev: int | None = Field(default=None, ge=0)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        return " ".join(value.split())


class Caption(Payload):
    """A partial or final caption of one utterance."""

    utteranceId: str = Field(min_length=1, max_length=MAX_ID)
    text: str = Field(max_length=MAX_TEXT)
    isFinal: bool
    startedAt: float | None = Field(default=None, ge=0)
    endedAt: float | None = Field(default=None, ge=0)
    words: list[Word] | None = Field(default=None, max_length=MAX_WORDS)

    @field_validator("startedAt", "endedAt", mode="before")
    @classmethod
    def _int_is_float(cls, value: Any) -> Any:
        return float(value) if type(value) is int else value


class EditCaption(Payload):
    """Replace the text of a stored final caption."""

    utteranceId: str = Field(min_length=1, max_length=MAX_ID)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


def _clean_text(value: Any) -> Any:
    """Return a string with its whitespace collapsed, refusing control characters; leave other types alone."""
    if not isinstance(value, str):
        return value  # strict validation then names the wrong type
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in value):
        raise ValueError("control characters are not allowed")
    return " ".join(value.split())


Term = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TERM), BeforeValidator(_clean_text)]


class Replacement(Payload):
    """One rule of a room's replacement table: ``from`` in a final becomes ``to`` (empty deletes it)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=True)

    source: Annotated[str, BeforeValidator(_clean_text)] = Field(
        alias="from", min_length=1, max_length=MAX_REPLACE_FROM)
    to: Annotated[str, BeforeValidator(_clean_text)] = Field(max_length=MAX_REPLACE_TO)

    def wire(self) -> dict[str, str]:
        """Return the rule as the wire protocol shows it."""
        return {"from": self.source, "to": self.to}


class Vocabulary(Payload):
    """A room's names and terms for the recognizer, and its replacement table; duplicates dropped."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    terms: list[Term] = Field(default_factory=list, max_length=MAX_TERMS)
    replacements: list[Replacement] = Field(default_factory=list, max_length=MAX_REPLACEMENTS)

    @field_validator("terms")
    @classmethod
    def _unique_terms(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("replacements")
    @classmethod
    def _one_rule_per_phrase(cls, value: list[Replacement]) -> list[Replacement]:
        first: dict[str, Replacement] = {}
        for rule in value:  # the first rule for a phrase wins, as a reader of the table expects
            first.setdefault(rule.source, rule)
        return list(first.values())

    def wire(self) -> dict[str, Any]:
        """Return the vocabulary as roomState and vocabularyUpdated carry it."""
        return {"terms": list(self.terms), "replacements": [rule.wire() for rule in self.replacements]}


class Empty(Payload):
    """A payload with nothing in it (requestSpeak, stopSpeak, leave)."""


_TOO_LARGE = {"string_too_long", "too_long"}


def parse(model: type[Payload], data: Any) -> Payload:
    """Validate ``data`` as ``model`` or raise a ProtocolError naming the first problem."""
    if data is None and model is Empty:
        data = {}
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "payload must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        code = ErrorCode.TOO_LARGE if first["type"] in _TOO_LARGE else ErrorCode.BAD_REQUEST
        raise ProtocolError(code, f"{where}: {first['msg']}") from None
