"""Payload models of the wire protocol and their validation: bounded as they are read, finite numbers."""
from __future__ import annotations

import math
import re
import time
import unicodedata
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

from .errors import ErrorCode, ProtocolError
from .limits import (
    E2E_REQUIRED,
    ENVELOPE_PATTERN,
    EPOCH_MS_FLOOR,
    EXTRA_WORDS,
    LANG_PATTERN,
    MAX_CODE,
    MAX_ENVELOPE,
    MAX_ID,
    MAX_LANG,
    MAX_NAME,
    MAX_PASSWORD,
    MAX_PIN,
    MAX_QUEUE,
    MAX_REPLACE_FROM,
    MAX_REPLACE_TO,
    MAX_REPLACEMENTS,
    MAX_SEQ,
    MAX_STORED_MS,
    MAX_TERM,
    MAX_TERMS,
    MAX_TEXT,
    MAX_TOKEN,
    MAX_UTTERANCE_MS,
    MAX_WORD,
    MAX_WORDS,
    TIME_WINDOW_MS,
    WORD_SLACK_MS,
)


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
    # Keep hesitations ("uh", "um") in captions, for a verbatim transcript; stations leave them out by default.
    verbatim: bool = False

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
        """Return the vocabulary as roomState and vocabularyUpdated carry it ("verbatim" only when set)."""
        wire: dict[str, Any] = {"terms": list(self.terms), "replacements": [rule.wire() for rule in self.replacements]}
        if self.verbatim:  # stations from before the setting refuse a key they do not know: send it only when used
            wire["verbatim"] = True
        return wire


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
    return isinstance(text, str) and len(text) <= MAX_ENVELOPE and bool(ENVELOPE_PATTERN.match(text))


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
