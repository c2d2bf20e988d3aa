"""Build a Transcript (the exporters' plain records) from the hub's database, and list a room's sessions."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ccc.protocol import MAX_STORED_MS, finite_or_none
from ccc.transcripts.model import CaptionRecord, Revision, SessionRecord, Transcript, Word

from .db import db
from .models import Caption, CaptionRevision, Room, TranscriptSession


class SessionNotFound(LookupError):
    """A session number the room does not have."""


def room_sessions(room: Room) -> list[TranscriptSession]:
    """Return the room's sessions in order, oldest first."""
    return list(db.session.scalars(
        select(TranscriptSession).where(TranscriptSession.room_id == room.id).order_by(TranscriptSession.number)
    ))


def caption_counts(room: Room) -> dict[int, int]:
    """Return how many saved captions each session of the room holds, by session id."""
    rows = db.session.execute(
        select(Caption.session_id, func.count()).where(Caption.room_id == room.id).group_by(Caption.session_id)
    )
    return {session_id: count for session_id, count in rows if session_id is not None}


def find_session(room: Room, number: int) -> TranscriptSession:
    """Return the room's session with this number or raise SessionNotFound."""
    found = db.session.scalar(
        select(TranscriptSession).where(TranscriptSession.room_id == room.id, TranscriptSession.number == number)
    )
    if found is None:
        raise SessionNotFound(f"room {room.code} has no session {number}")
    return found


def _word(raw: dict) -> Word | None:
    """Return a stored word timing as a Word, or None when a time is missing or not a sane number."""
    start, end = finite_or_none(raw.get("start")), finite_or_none(raw.get("end"))
    if start is None or end is None or end < start or "word" not in raw:
        return None
    return Word(str(raw["word"]), start, end, finite_or_none(raw.get("conf"), 0.0, 1.0))


def _caption(caption: Caption, revisions: list[CaptionRevision]) -> CaptionRecord:
    words = None
    if caption.words is not None:
        words = tuple(w for w in (_word(raw) for raw in caption.words if isinstance(raw, dict)) if w is not None)
    return CaptionRecord(
        seq=caption.seq, utterance_id=caption.utterance_id, speaker_id=caption.speaker_id,
        speaker_name=caption.speaker_name, text=caption.text,
        # Rows stored before times were checked may hold inf or 1e300: read them as missing, not as a crash.
        started_at=finite_or_none(caption.started_at), ended_at=finite_or_none(caption.ended_at),
        created_at=finite_or_none(caption.created_at, 0.0, MAX_STORED_MS / 1000) or 0.0, words=words,
        revisions=tuple(Revision(r.rev, r.edited_by, r.edited_at, r.before, r.after) for r in revisions),
    )


def build_transcript(room: Room, session_number: int | None = None) -> Transcript:
    """Return the room's transcript: every session in order, or only session ``session_number``."""
    sessions = room_sessions(room) if session_number is None else [find_session(room, session_number)]
    ids = [s.id for s in sessions]
    captions = list(db.session.scalars(
        select(Caption).where(Caption.session_id.in_(ids)).order_by(Caption.seq)
        .options(selectinload(Caption.revisions))
    )) if ids else []
    by_session: dict[int, list[CaptionRecord]] = defaultdict(list)
    for caption in captions:
        by_session[caption.session_id].append(_caption(caption, caption.revisions))
    return Transcript(
        room_code=room.code, room_title=room.title,
        sessions=tuple(
            SessionRecord(s.number, s.title, s.started_at, s.ended_at, tuple(by_session[s.id])) for s in sessions
        ),
    )
