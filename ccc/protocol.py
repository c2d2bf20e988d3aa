"""The CCC wire protocol: event names, payload models, limits and error codes.

Shared by the hub and the presenter station, so it imports neither Flask nor anything of theirs.
Every client-to-hub event is answered through the Socket.IO acknowledgement with either
``{"ok": true, ...}`` or ``{"ok": false, "error": {"code": ..., "message": ...}}``.
"""
from __future__ import annotations

import math
import re
import time
import unicodedata
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

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

MAX_TEXT = 2000
MAX_LANG = 12  # a language code: "pt", "pt-BR", "zh-Hant"
LANG_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
MAX_NAME = 60
MAX_ID = 64
MAX_CODE = 16
MAX_PIN = 32
MAX_PASSWORD = 64  # a private room's read password
MAX_TOKEN = 64  # a resumeToken the hub issued (32 characters today)
MAX_WORDS = 1000
# A room's vocabulary (names and terms for the recognizer, and replacements applied to finals).
MAX_TERMS = 200
MAX_TERM = 60
MAX_REPLACEMENTS = 200
MAX_REPLACE_FROM = 100
MAX_REPLACE_TO = 100
MAX_WORD = 50
# Presenters waiting for the floor in one room (raised hands).
MAX_QUEUE = 20
# Sequence numbers stay within what a browser's Number holds exactly.
MAX_SEQ = 2**53 - 1
# Recognizers give one word timing per word of the text; a few more (fillers) are tolerated, no more.
EXTRA_WORDS = 10
# Every number on the wire is finite. Caption times are epoch ms within this many ms of the hub's clock
# (a PC whose clock is a few years off still works; 1e300 or a 1970 clock does not).
TIME_WINDOW_MS = 5 * 365 * 24 * 3600 * 1000
# One utterance (a push-to-talk hold) lasts at most this long; word times may overhang it by a little.
MAX_UTTERANCE_MS = 30 * 60 * 1000
WORD_SLACK_MS = 5_000
# Epoch ms are above this (1973); smaller word times are offsets from the utterance start.
EPOCH_MS_FLOOR = 1e11
# Stored times outside [0, this] (year 5138) are read back as missing, so no export or join breaks.
MAX_STORED_MS = 1e14
# A room code uses letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# End-to-end encrypted rooms (docs/security.md): caption text is an envelope the hub cannot open. Its size
# bounds the plaintext (text and word timings as JSON) to about 17,900 bytes: 2,000 characters of any script
# with their word timings fit; a station drops the timings of an utterance whose envelope would not.
E2E_PREFIX = "e2e1."
MAX_ENVELOPE = 24_000
_ENVELOPE = re.compile(r"^e2e1\.[A-Za-z0-9_-]{38,}$")  # 12-byte nonce + 16-byte tag at the least
E2E_REQUIRED = ("this room is end-to-end encrypted: caption text must be an e2e1 envelope sealed with the "
                "room key (see docs/security.md), never plain text")


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
    UNAVAILABLE = "unavailable"  # the database failed (disk full, server restarting): send it again later


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


def finite_or_none(value: Any, low: float = 0.0, high: float = MAX_STORED_MS) -> float | None:
    """Return a stored number as a float when it is finite and within [low, high], else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and low <= value <= high else None


def _int_is_float(value: Any) -> Any:
    # Python ints are unbounded: 10**400 would overflow to inf, so it is refused as out of range instead.
    if type(value) is int:
        return float(value) if abs(value) <= MAX_STORED_MS else math.inf
    return value


class Word(Payload):
    """One recognized word with its times in milliseconds from the utterance start or the epoch."""

    word: str = Field(max_length=MAX_WORD)
    start: float = Field(ge=0, le=MAX_STORED_MS, allow_inf_nan=False)
    end: float = Field(ge=0, le=MAX_STORED_MS, allow_inf_nan=False)
    conf: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)

    _floats = field_validator("start", "end", "conf", mode="before")(_int_is_float)

    @model_validator(mode="after")
    def _ordered(self) -> "Word":
        if self.end < self.start:
            raise ValueError("a word cannot end before it starts")
        return self


class Join(Payload):
    """Join a room as a presenter, an audience member or a projector."""

    room: str = Field(min_length=1, max_length=MAX_CODE)
    role: Literal["presenter", "audience", "projector"]
    name: str = Field(default="", max_length=MAX_NAME)
    participantId: str | None = Field(default=None, min_length=1, max_length=MAX_ID)
    resumeToken: str | None = Field(default=None, min_length=1, max_length=MAX_TOKEN)
    pin: str | None = Field(default=None, max_length=MAX_PIN)
    password: str | None = Field(default=None, max_length=MAX_PASSWORD)  # a private room's read password
    since: int | None = Field(default=None, ge=0, le=MAX_SEQ)
    sinceRev: int | None = Field(default=None, ge=0, le=MAX_SEQ)
    lang: str | None = Field(default=None, max_length=MAX_LANG)  # read captions in this language (None: original)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        return clean_name(value)

    _lang = field_validator("lang")(lambda value: language_code(value))


def language_code(value: str | None) -> str | None:
    """Return a language code as the hub keeps it ("" and None mean the original), or refuse a malformed one."""
    if value is None or value == "":
        return None
    if not re.match(LANG_PATTERN, value):
        raise ValueError("must be a language code such as 'pt' or 'pt-BR'")
    return value


class SetLanguage(Payload):
    """Read captions in another language from now on (null or "": the room's original language)."""

    lang: str | None = Field(max_length=MAX_LANG)

    _lang = field_validator("lang")(lambda value: language_code(value))


class Caption(Payload):
    """A partial or final caption of one utterance."""

    utteranceId: str = Field(min_length=1, max_length=MAX_ID)
    text: str = Field(max_length=MAX_TEXT)
    isFinal: bool
    startedAt: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    endedAt: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    words: list[Word] | None = Field(default=None, max_length=MAX_WORDS)

    _floats = field_validator("startedAt", "endedAt", mode="before")(_int_is_float)

    @field_validator("startedAt", "endedAt")
    @classmethod
    def _near_now(cls, value: float | None) -> float | None:
        if value is not None and abs(value - time.time() * 1000) > TIME_WINDOW_MS:
            raise ValueError("must be epoch milliseconds within a few years of now")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Caption":
        start, end = self.startedAt, self.endedAt
        if start is not None and end is not None and not 0 <= end - start <= MAX_UTTERANCE_MS:
            raise ValueError(f"endedAt must follow startedAt by 0 to {MAX_UTTERANCE_MS} ms")
        if self.words:
            if len(self.words) > len(self.text.split()) + EXTRA_WORDS:
                raise PydanticCustomError("too_long", "more word timings than words in the text")
            _check_word_times(self.words, start, end)
        return self


def _check_word_times(words: list[Word], start: float | None, end: float | None) -> None:
    """Refuse word timings that lie outside their utterance (relative offsets or epoch ms alike)."""
    if all(w.end < EPOCH_MS_FLOOR for w in words):  # offsets from the utterance start
        span = end - start if start is not None and end is not None else MAX_UTTERANCE_MS
        if max(w.end for w in words) > span + WORD_SLACK_MS:
            raise ValueError("word timings lie beyond the end of the utterance")
        return
    low = (start if start is not None else time.time() * 1000 - TIME_WINDOW_MS) - WORD_SLACK_MS
    high = (end if end is not None else time.time() * 1000 + TIME_WINDOW_MS) + WORD_SLACK_MS
    if any(w.start < low or w.end > high for w in words):
        raise ValueError("word timings lie outside the utterance")


class CatchUp(Payload):
    """Ask for the next page of finals after ``since`` (and edits above ``sinceRev``) of the joined room."""

    since: int = Field(ge=0, le=MAX_SEQ)
    sinceRev: int | None = Field(default=None, ge=0, le=MAX_SEQ)


class EditCaption(Payload):
    """Replace the text of a stored final caption."""

    utteranceId: str = Field(min_length=1, max_length=MAX_ID)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


# Format characters a name keeps: the joiners some scripts (Devanagari, Persian) and emoji need.
_NAME_JOINERS = {"\u200c", "\u200d"}


def clean_name(value: str) -> str:
    """Return a name with its spacing collapsed and format characters (bidi overrides, invisibles) removed.

    "\u202eeeL rD" rendered as "Dr Lee": a right-to-left override turned the letters around on every page.
    """
    kept = "".join(ch for ch in value if unicodedata.category(ch) != "Cf" or ch in _NAME_JOINERS)
    return " ".join(kept.split())


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


class QueueRemove(Payload):
    """Take a presenter out of the room's queue for the floor (the admin or a PIN presenter)."""

    participantId: str = Field(min_length=1, max_length=MAX_ID)


class QueueMove(Payload):
    """Move a presenter to ``position`` (0 is next) in the room's queue (the admin or a PIN presenter)."""

    participantId: str = Field(min_length=1, max_length=MAX_ID)
    position: int = Field(ge=0, lt=MAX_QUEUE)


class Decide(Payload):
    """Approve or deny a presenter who waits for approval (the admin or a PIN presenter)."""

    participantId: str = Field(min_length=1, max_length=MAX_ID)


def is_envelope(text: Any) -> bool:
    """Tell whether ``text`` has the shape of an e2e1 envelope (the hub cannot tell more without the key)."""
    return isinstance(text, str) and len(text) <= MAX_ENVELOPE and bool(_ENVELOPE.match(text))


def _envelope(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_ENVELOPE:
        raise PydanticCustomError("too_long", f"an envelope has at most {MAX_ENVELOPE} characters")
    if isinstance(value, str) and not is_envelope(value):
        raise PydanticCustomError("e2e_required", E2E_REQUIRED)
    return value


Envelope = Annotated[str, BeforeValidator(_envelope)]


class E2ECaption(Caption):
    """A caption in an end-to-end encrypted room: its text (and word timings) sealed in an envelope."""

    text: Envelope  # type: ignore[assignment]
    words: None = None  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _no_plain_words(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("words") is not None:
            raise PydanticCustomError("e2e_required", "this room is end-to-end encrypted: word timings go "
                                                      "inside the envelope, never beside it")
        return data


class E2EEditCaption(EditCaption):
    """A correction in an end-to-end encrypted room: the new text sealed in an envelope."""

    text: Envelope  # type: ignore[assignment]


class Empty(Payload):
    """A payload with nothing in it (requestSpeak, stopSpeak, leave, raiseHand, lowerHand)."""


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
