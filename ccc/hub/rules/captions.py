"""Final captions and corrections: storing each final exactly once, numbering, revisions, room state."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ccc import protocol
from ccc.protocol import ErrorCode, ProtocolError
from ccc.store.db import db
from ccc.store.models import (
    WIRE_COLUMNS,
    Caption,
    CaptionRevision,
    Participant,
    Room,
    TranscriptSession,
    caption_wire,
    now,
)

from . import floor, presence

SESSION_IDLE_S = 2 * 3600
# Finals per answer to a client catching up (see catch_up).
CATCH_UP_PAGE = 200


@dataclass(frozen=True)
class Stored:
    """A final as broadcast, and whether this call stored it (False for a resent duplicate)."""

    payload: dict[str, Any]
    created: bool

    @property
    def seq(self) -> int | None:
        """Return the caption's sequence number."""
        return self.payload["seq"]


def _find(room_id: int, utterance_id: str) -> Caption | None:
    return db.session.scalar(
        select(Caption).where(Caption.room_id == room_id, Caption.utterance_id == utterance_id)
    )


def _next(room_id: int, column) -> int:
    """Increment a room counter inside the current transaction and return its new value."""
    db.session.execute(update(Room).where(Room.id == room_id).values({column: column + 1}))
    return db.session.scalar(select(column).where(Room.id == room_id))


def current_session(room: Room) -> TranscriptSession:
    """Return the room's open transcript session, starting a new one when none is open or it went idle."""
    session = db.session.scalar(
        select(TranscriptSession)
        .where(TranscriptSession.room_id == room.id, TranscriptSession.ended_at.is_(None))
        .order_by(TranscriptSession.number.desc())
    )
    idle_s = current_app.config.get("SESSION_IDLE_S", SESSION_IDLE_S)
    if session is not None:
        last = db.session.scalar(
            select(Caption.created_at).where(Caption.session_id == session.id).order_by(Caption.seq.desc()).limit(1)
        )
        if now() - (last or session.started_at) <= idle_s:
            return session
        session.ended_at = last or session.started_at
    number = (db.session.scalar(
        select(TranscriptSession.number).where(TranscriptSession.room_id == room.id)
        .order_by(TranscriptSession.number.desc()).limit(1)
    ) or 0) + 1
    session = TranscriptSession(room_id=room.id, number=number, title=room.title, started_at=now())
    db.session.add(session)
    db.session.flush()
    return session


def store_final(room: Room, participant: Participant, data: protocol.Caption) -> Stored:
    """Store a final once and return it; a resent final returns the first copy, not a second."""
    existing = _find(room.id, data.utteranceId)
    if existing is not None:
        return _duplicate(existing, participant)
    if not data.text.strip():
        raise ProtocolError(ErrorCode.BAD_REQUEST, "a final caption needs text")
    if not floor.may_send_final(room, participant, data):
        raise ProtocolError(ErrorCode.NOT_SPEAKER, "you do not hold the floor")
    words = [w.model_dump(exclude_none=True) for w in data.words] if data.words else None
    if not room.save_transcripts:  # relayed and numbered, never stored
        seq = _next(room.id, Room.last_seq)
        db.session.commit()
        payload = Caption(seq=seq, utterance_id=data.utteranceId, speaker_id=participant.participant_id,
                          speaker_name=participant.name, text=data.text, rev=0, created_at=now(),
                          started_at=data.startedAt, ended_at=data.endedAt).wire()
        return Stored(payload, True)
    try:
        caption = Caption(
            room_id=room.id, session_id=current_session(room).id, seq=_next(room.id, Room.last_seq),
            utterance_id=data.utteranceId, speaker_id=participant.participant_id, speaker_name=participant.name,
            text=data.text, rev=0, started_at=data.startedAt, ended_at=data.endedAt, words=words, created_at=now(),
        )
        db.session.add(caption)
        db.session.commit()
    except IntegrityError:  # another process stored the same utterance first
        db.session.rollback()
        return _duplicate(_find(room.id, data.utteranceId), participant)
    return Stored(caption.wire(), True)


def _duplicate(caption: Caption, participant: Participant) -> Stored:
    if caption.speaker_id != participant.participant_id:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "utteranceId already belongs to another speaker's caption")
    return Stored(caption.wire(), False)


def can_edit(room: Room, caption: Caption, editor: Participant | None, is_admin: bool) -> bool:
    """Tell whether this editor may correct this caption: the admin, a PIN presenter, or its own speaker."""
    # The speaker's identity is proven by its resume token; in a PIN room only the current PIN counts.
    if is_admin:
        return True
    if editor is None:
        return False
    if room.has_pin:
        return editor.role == "presenter" and editor.pin_ok
    return editor.role == "presenter" and editor.participant_id == caption.speaker_id


def edit_caption(room: Room, editor: Participant | None, data: protocol.EditCaption,
                 is_admin: bool = False, editor_name: str | None = None) -> dict[str, Any]:
    """Correct a final's text, keeping the old text as a revision; return the captionEdited payload."""
    caption = _find(room.id, data.utteranceId)
    if caption is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, "no saved caption with this utteranceId")
    if not can_edit(room, caption, editor, is_admin):
        raise ProtocolError(ErrorCode.FORBIDDEN, "you may not correct this caption")
    if data.text == caption.text:  # nothing to correct: no new revision
        return {"utteranceId": caption.utterance_id, "seq": caption.seq, "text": caption.text, "rev": caption.rev,
                "editedBy": None, "timestamp": None, "unchanged": True}
    rev = _next(room.id, Room.last_rev)
    revision = CaptionRevision(
        room_id=room.id, caption_id=caption.id, rev=rev, edited_at=now(), before=caption.text, after=data.text,
        edited_by=editor_name or (editor.name if editor else "admin"),
        edited_by_id=editor.participant_id if editor else None,
    )
    caption.text, caption.rev = data.text, rev
    db.session.add(revision)
    db.session.commit()
    return _edited(caption, revision)


def _edited(caption: Caption, revision: CaptionRevision) -> dict[str, Any]:
    return {
        "utteranceId": caption.utterance_id, "seq": caption.seq, "text": revision.after, "rev": revision.rev,
        "editedBy": revision.edited_by, "timestamp": int(revision.edited_at * 1000),
    }


def catch_up(room: Room, since: int, since_rev: int | None = None) -> dict[str, Any]:
    """Return one page of what a client missed: finals after ``since`` and edits above ``since_rev``.

    At most CATCH_UP_PAGE of each, so a client 20,000 captions behind never gets one giant frame (those
    failed in browsers and stalled the hub for seconds); ``more`` says to ask again from the last seq and
    rev received. Small pages keep each turn on the event loop short, so other clients are served between.
    """
    limit = min(CATCH_UP_PAGE, current_app.config["RECENT_CAPTIONS"])
    captions = db.session.execute(
        select(*WIRE_COLUMNS).where(Caption.room_id == room.id, Caption.seq > since).order_by(Caption.seq)
        .limit(limit + 1)
    ).all()
    more = len(captions) > limit
    edits: list[dict[str, Any]] = []
    if since_rev is not None:
        revisions = list(db.session.scalars(
            select(CaptionRevision).join(Caption)
            .where(CaptionRevision.room_id == room.id, CaptionRevision.rev > since_rev, Caption.seq <= since)
            .order_by(CaptionRevision.rev).limit(limit + 1).options(contains_eager(CaptionRevision.caption))
        ))
        more = more or len(revisions) > limit
        edits = [_edited(r.caption, r) for r in revisions[:limit]]
    return {"captions": [caption_wire(*row) for row in captions[:limit]], "edits": edits, "more": more,
            "lastSeq": room.last_seq, "lastRev": room.last_rev}


def recent(room: Room, limit: int) -> list[dict[str, Any]]:
    """Return the room's last ``limit`` finals with their current text, oldest first."""
    query = select(*WIRE_COLUMNS).where(Caption.room_id == room.id).order_by(Caption.seq.desc()).limit(limit)
    return [caption_wire(*row) for row in db.session.execute(query).all()[::-1]]


def room_state(room: Room, since: int | None = None, since_rev: int | None = None) -> dict[str, Any]:
    """Return the roomState a joiner gets: people, speaker, captions after ``since`` and edits since then."""
    if since is None:
        page = {"captions": recent(room, current_app.config["RECENT_CAPTIONS"]), "edits": [],
                "more": False, "lastSeq": room.last_seq, "lastRev": room.last_rev}
    else:
        page = catch_up(room, since, since_rev)
    speaker = {"id": room.floor_holder_id, "name": room.floor_holder_name} if room.floor_holder_id else None
    return {
        "room": room.summary(),
        "participants": presence.listed_participants(room.id),
        "audienceCount": presence.audience_count(room.id),
        "speaker": speaker,
        **page,
    }


@dataclass(frozen=True)
class PartialSender:
    """What relaying a partial needs of its room and sender, read in one query instead of two ORM loads."""

    code: str
    archived: bool
    floor_holder_id: str | None
    row_id: int | None  # the participant's primary key; None when it is no longer in the room
    sid: str | None
    name: str
    hold_utterance_id: str | None


def partial_sender(room_id: int, participant_id: str) -> PartialSender | None:
    """Return the room and the sender of a partial, or None when the room is gone."""
    # Read on every partial, never cached: another hub process may have moved the floor a moment ago.
    row = db.session.execute(
        select(Room.code, Room.archived_at, Room.floor_holder_id, Participant.id, Participant.sid,
               Participant.name, Participant.hold_utterance_id)
        .outerjoin(Participant, (Participant.room_id == Room.id) & (Participant.participant_id == participant_id))
        .where(Room.id == room_id)
    ).one_or_none()
    if row is None:
        return None
    return PartialSender(row[0], row[1] is not None, row[2], row[3], row[4], row[5] or "", row[6])


def note_partial(sender: PartialSender, utterance_id: str) -> None:
    """Remember the utterance the floor holder is speaking, so its final may race key-up (one UPDATE when new)."""
    if sender.hold_utterance_id != utterance_id:
        db.session.execute(update(Participant).where(Participant.id == sender.row_id)
                           .values(hold_utterance_id=utterance_id))
        db.session.commit()
