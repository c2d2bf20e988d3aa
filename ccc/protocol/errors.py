"""Error codes and the two answer shapes: {"ok": true, ...} or {"ok": false, "error": {code, message}}."""
from __future__ import annotations

from enum import Enum
from typing import Any


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


