"""Rooms, participants, transcript sessions, final captions and their revisions.

Times are float seconds since the epoch (UTC); caption ``started_at``/``ended_at`` are milliseconds, as on the
wire. Nothing here is SQLite-only: the same models run on PostgreSQL.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ccc.protocol import MAX_CODE, MAX_ID, MAX_NAME, finite_or_none

from .db import db


def now() -> float:
    """Return the current time in epoch seconds."""
    return time.time()


class Room(db.Model):
    """A room: its code, title, presenter PIN, saved-transcript policy, and who holds the floor."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_CODE), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    pin_hash: Mapped[Optional[str]] = mapped_column(String(255))
    # A private room's read password (scrypt, like the PIN): audience, projector and transcripts need it.
    read_hash: Mapped[Optional[str]] = mapped_column(String(255))
    # An archived room's transcript is readable by anyone only once the admin publishes it.
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Presenters who did not prove the PIN wait until the admin or a PIN presenter approves them.
    verify_presenters: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[float] = mapped_column(Float, default=now)
    archived_at: Mapped[Optional[float]] = mapped_column(Float)
    save_transcripts: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    retention_days: Mapped[Optional[int]] = mapped_column(Integer)
    # Counters handed out atomically (UPDATE ... SET x = x + 1) so several hub processes agree.
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_rev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The floor: granted with a conditional UPDATE, so exactly one presenter holds it.
    floor_holder_id: Mapped[Optional[str]] = mapped_column(String(MAX_ID))
    floor_holder_name: Mapped[Optional[str]] = mapped_column(String(MAX_NAME))
    floor_since: Mapped[Optional[float]] = mapped_column(Float)
    # The floor offered to the first of the queue until offer_until; nobody else may take it meanwhile.
    offer_to_id: Mapped[Optional[str]] = mapped_column(String(MAX_ID))
    offer_to_name: Mapped[Optional[str]] = mapped_column(String(MAX_NAME))
    offer_until: Mapped[Optional[float]] = mapped_column(Float)
    # Terms and replacements for the stations' recognizers, as protocol.Vocabulary.wire() returns them.
    vocabulary: Mapped[Optional[dict]] = mapped_column(JSON)
    # End-to-end encrypted: caption text is an envelope sealed with a key the hub never sees (docs/security.md).
    e2e: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # PIN and password lockouts count per epoch: the operator lifts them by starting a new one (every process
    # of a campus sees it, unlike the in-memory counts).
    lockout_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    participants: Mapped[list[Participant]] = relationship(
        back_populates="room", cascade="all, delete-orphan", passive_deletes=True
    )
    captions: Mapped[list[Caption]] = relationship(
        back_populates="room", cascade="all, delete-orphan", passive_deletes=True
    )
    sessions: Mapped[list[TranscriptSession]] = relationship(
        back_populates="room", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def has_pin(self) -> bool:
        """Tell whether presenters need a PIN to join."""
        return self.pin_hash is not None

    def set_pin(self, pin: str | None) -> None:
        """Set the presenter PIN (stored hashed), or remove it with None or ''."""
        self.pin_hash = generate_password_hash(pin) if pin else None

    @property
    def is_private(self) -> bool:
        """Tell whether reading this room needs its password."""
        return self.read_hash is not None

    def set_password(self, password: str | None) -> None:
        """Set the read password (stored hashed), or remove it with None or ''."""
        self.read_hash = generate_password_hash(password) if password else None

    def secrets_fingerprint(self) -> str:
        """Return a short digest of the password and PIN hashes: read grants die when either changes."""
        return hash_token(f"{self.read_hash or ''}|{self.pin_hash or ''}")[:16]

    def check_pin(self, pin: str | None) -> bool:
        """Tell whether ``pin`` is this room's presenter PIN."""
        return self.pin_hash is not None and bool(pin) and check_password_hash(self.pin_hash, pin)

    def summary(self) -> dict[str, Any]:
        """Return the room as the wire protocol shows it."""
        summary = {"code": self.code, "title": self.title, "saving": self.save_transcripts}
        if self.e2e:  # only then, so ordinary rooms' payloads stay as they were
            summary["e2e"] = True
        return summary

    def vocabulary_wire(self) -> dict[str, Any]:
        """Return the room's vocabulary as presenters receive it (empty lists when none is set)."""
        return self.vocabulary or {"terms": [], "replacements": []}


class Participant(db.Model):
    """Someone in a room: a presenter, a projector or an audience member, and their current connection."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("room_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[str] = mapped_column(String(MAX_ID))
    name: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    role: Mapped[str] = mapped_column(String(16))
    # The Socket.IO session id of the live connection; None while disconnected.
    sid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    pin_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    # Approved by the admin or a PIN presenter (a room with verification on); kept across resumes.
    approved: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # SHA-256 of the resumeToken given to this participant's client alone; the public id is no credential.
    token_hash: Mapped[Optional[str]] = mapped_column(String(64))
    # Joined as the signed-in admin: the hash of that admin session (AdminSession.token_hash), so any hub
    # process can spare the admin when a new room password drops the readers.
    admin_session: Mapped[Optional[str]] = mapped_column(String(64))
    connected_at: Mapped[float] = mapped_column(Float, default=now)
    disconnected_at: Mapped[Optional[float]] = mapped_column(Float)
    # The last floor hold, to accept a final that races key-up.
    hold_started_at: Mapped[Optional[float]] = mapped_column(Float)
    hold_released_at: Mapped[Optional[float]] = mapped_column(Float)
    hold_utterance_id: Mapped[Optional[str]] = mapped_column(String(MAX_ID))

    room: Mapped[Room] = relationship(back_populates="participants")

    def issue_token(self) -> str:
        """Make a new resume token for this participant, keep only its hash, and return the token."""
        token = secrets.token_urlsafe(24)
        self.token_hash = hash_token(token)
        return token

    def holds_token(self, token: str | None) -> bool:
        """Tell whether ``token`` is the resume token this participant was issued."""
        # A 192-bit random token needs no slow hash; the comparison is constant-time all the same.
        return bool(token and self.token_hash) and hmac.compare_digest(self.token_hash, hash_token(token))

    @property
    def listed(self) -> bool:
        """Tell whether the participant list shows this person (the audience is only counted)."""
        return self.role != "audience" or bool(self.name)

    @property
    def verified(self) -> bool:
        """Tell whether the hub vouches for this name: a presenter who proved the room's PIN or was approved."""
        return self.role == "presenter" and bool(self.pin_ok or self.approved)

    @property
    def waiting(self) -> bool:
        """Tell whether this presenter waits for approval (in a room with verification on)."""
        return self.role == "presenter" and not self.verified and bool(self.room.verify_presenters)

    def public(self) -> dict[str, Any]:
        """Return the participant as the wire protocol shows it."""
        return person_wire(self.participant_id, self.name, self.role, bool(self.pin_ok), bool(self.approved),
                           bool(self.room.verify_presenters))


def person_wire(pid: str, name: str, role: str, pin_ok: bool, approved: bool, verify_room: bool) -> dict[str, Any]:
    """Return a participant list entry: verified (and how: ``pin`` or ``approval``), or waiting for approval."""
    presenter = role == "presenter"
    verified = presenter and (pin_ok or approved)
    return {"id": pid, "name": name, "role": role, "verified": verified,
            "verifiedBy": ("pin" if pin_ok else "approval") if verified else None,
            "waiting": presenter and not verified and verify_room}


def hash_token(token: str) -> str:
    """Return the SHA-256 of a random secret token, as stored (such a token needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


class QueueEntry(db.Model):
    """A presenter waiting for the floor (a raised hand); the room's queue is ordered by position, then id."""

    __tablename__ = "floor_queue"
    __table_args__ = (UniqueConstraint("room_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[str] = mapped_column(String(MAX_ID))
    name: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[float] = mapped_column(Float, default=now)


class AdminSession(db.Model):
    """A signed-in admin browser: the hash of the secret its cookie carries; signing out deletes it."""

    __tablename__ = "admin_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    expires_at: Mapped[float] = mapped_column(Float)


class TranscriptSession(db.Model):
    """One lecture or talk in a room: the captions between its start and end."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("room_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[float] = mapped_column(Float, default=now)
    ended_at: Mapped[Optional[float]] = mapped_column(Float)

    room: Mapped[Room] = relationship(back_populates="sessions")
    captions: Mapped[list[Caption]] = relationship(back_populates="session", order_by="Caption.seq")


class Caption(db.Model):
    """A final caption: what was said, by whom, when, with its current text."""

    __tablename__ = "captions"
    __table_args__ = (UniqueConstraint("room_id", "utterance_id"), UniqueConstraint("room_id", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[Optional[int]] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    utterance_id: Mapped[str] = mapped_column(String(MAX_ID))
    speaker_id: Mapped[str] = mapped_column(String(MAX_ID))
    speaker_name: Mapped[str] = mapped_column(String(MAX_NAME))
    text: Mapped[str] = mapped_column(Text)
    rev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[Optional[float]] = mapped_column(Float)
    ended_at: Mapped[Optional[float]] = mapped_column(Float)
    words: Mapped[Optional[list]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float, default=now)

    room: Mapped[Room] = relationship(back_populates="captions")
    session: Mapped[Optional[TranscriptSession]] = relationship(back_populates="captions")
    revisions: Mapped[list[CaptionRevision]] = relationship(
        back_populates="caption", order_by="CaptionRevision.rev", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def wire(self) -> dict[str, Any]:
        """Return the caption as the wire protocol's ``caption`` event carries it."""
        return caption_wire(*(getattr(self, column.key) for column in WIRE_COLUMNS))


def caption_wire(utterance_id: str, seq: int, speaker_id: str, speaker_name: str, text: str, rev: int,
                 created_at: float, started_at: float | None, ended_at: float | None) -> dict[str, Any]:
    """Return a caption's columns (WIRE_COLUMNS, in order) as the wire protocol's ``caption`` event."""
    return {
        "utteranceId": utterance_id,
        "seq": seq,
        "speakerId": speaker_id,
        "speakerName": speaker_name,
        "text": text,
        "isFinal": True,
        "rev": rev,
        "timestamp": int(finite_or_none(created_at * 1000) or 0),
        # Rows stored before times were checked may hold inf or 1e300: never broadcast what is not JSON.
        "startedAt": finite_or_none(started_at),
        "endedAt": finite_or_none(ended_at),
    }


# Read as plain rows when many captions are sent at once: three times faster than loading ORM objects.
WIRE_COLUMNS = (Caption.utterance_id, Caption.seq, Caption.speaker_id, Caption.speaker_name, Caption.text,
                Caption.rev, Caption.created_at, Caption.started_at, Caption.ended_at)


class CaptionRevision(db.Model):
    """One correction of a caption: who made it, when, the text before and after."""

    __tablename__ = "caption_revisions"
    __table_args__ = (UniqueConstraint("room_id", "rev"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    caption_id: Mapped[int] = mapped_column(ForeignKey("captions.id", ondelete="CASCADE"), index=True)
    rev: Mapped[int] = mapped_column(Integer)
    edited_by: Mapped[str] = mapped_column(String(MAX_NAME))
    edited_by_id: Mapped[Optional[str]] = mapped_column(String(MAX_ID))
    edited_at: Mapped[float] = mapped_column(Float, default=now)
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)

    caption: Mapped[Caption] = relationship(back_populates="revisions")

    def wire(self) -> dict[str, Any]:
        """Return the revision as the wire protocol's ``captionEdited`` event carries it."""
        return {
            "utteranceId": self.caption.utterance_id,
            "seq": self.caption.seq,
            "text": self.after,
            "rev": self.rev,
            "editedBy": self.edited_by,
            "timestamp": int(self.edited_at * 1000),
        }
