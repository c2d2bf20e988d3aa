"""Sessions of a room, started and ended by hand (the admin or the CLI) or deleted with their captions."""
from __future__ import annotations

from sqlalchemy import delete, select

from .db import db
from .models import Caption, CaptionRevision, Participant, Room, TranscriptSession, now
from .transcripts import find_session


def open_session(room: Room) -> TranscriptSession | None:
    """Return the room's open session, or None."""
    return db.session.scalar(
        select(TranscriptSession)
        .where(TranscriptSession.room_id == room.id, TranscriptSession.ended_at.is_(None))
        .order_by(TranscriptSession.number.desc())
    )


def end_session(room: Room) -> TranscriptSession | None:
    """End the room's open session and return it; the next final starts a new one. None when none is open."""
    session = open_session(room)
    if session is not None:
        session.ended_at = now()
        db.session.commit()
    return session


def start_session(room: Room, title: str | None = None) -> TranscriptSession:
    """End the open session, if any, and start the next one, titled ``title`` or the room's title."""
    current = open_session(room)
    stamp = now()
    if current is not None:
        current.ended_at = stamp
    last = db.session.scalar(
        select(TranscriptSession.number).where(TranscriptSession.room_id == room.id)
        .order_by(TranscriptSession.number.desc()).limit(1)
    ) or 0
    title = " ".join((title or "").split()) or room.title
    session = TranscriptSession(room_id=room.id, number=last + 1, title=title[:120], started_at=stamp)
    db.session.add(session)
    db.session.commit()
    return session


def delete_sessions(session_ids: list[int]) -> int:
    """Delete these sessions with their captions and revisions (in this transaction); return captions gone."""
    if not session_ids:
        return 0
    caption_ids = select(Caption.id).where(Caption.session_id.in_(session_ids))
    db.session.execute(delete(CaptionRevision).where(CaptionRevision.caption_id.in_(caption_ids)))
    gone = db.session.execute(delete(Caption).where(Caption.session_id.in_(session_ids))).rowcount
    db.session.execute(delete(TranscriptSession).where(TranscriptSession.id.in_(session_ids)))
    return gone


def delete_session(room: Room, number: int) -> int:
    """Delete one session of the room with its captions; return how many captions were deleted."""
    gone = delete_sessions([find_session(room, number).id])
    db.session.commit()
    return gone


def delete_room(room: Room) -> int:
    """Delete a room with everything it holds: sessions, captions, revisions, participants; return captions gone."""
    ids = list(db.session.scalars(select(TranscriptSession.id).where(TranscriptSession.room_id == room.id)))
    gone = delete_sessions(ids)
    orphans = select(Caption.id).where(Caption.room_id == room.id)
    db.session.execute(delete(CaptionRevision).where(CaptionRevision.caption_id.in_(orphans)))
    gone += db.session.execute(delete(Caption).where(Caption.room_id == room.id)).rowcount
    db.session.execute(delete(Participant).where(Participant.room_id == room.id))
    db.session.expire(room)
    db.session.delete(room)
    db.session.commit()
    return gone
