"""Retention: delete the sessions (with their captions and revisions) that are older than their room keeps.

A room keeps transcripts for ``Room.retention_days`` days, or, when that is unset, for the hub-wide
``RETENTION_DAYS`` setting (environment ``CCC_RETENTION_DAYS``); both unset means forever. A session is due
when its last activity (its end, else its last caption, else its start) lies further back than that.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from .db import db
from .models import Caption, Room, TranscriptSession, now
from .sessions import delete_sessions

log = logging.getLogger("ccc.transcripts.retention")  # the name operators' log filters already use
DAY_S = 86_400
PURGE_EVERY_S = DAY_S


@dataclass
class Purged:
    """What a purge deleted: (room code, session number) pairs and how many captions."""

    sessions: list[tuple[str, int]] = field(default_factory=list)
    captions: int = 0


def default_days() -> int | None:
    """Return the hub-wide retention in days, or None to keep transcripts forever."""
    days = current_app.config.get("RETENTION_DAYS")
    return None if days in (None, "") else int(days)


def _last_activity(session: TranscriptSession) -> float:
    if session.ended_at is not None:
        return session.ended_at
    last = db.session.scalar(select(func.max(Caption.created_at)).where(Caption.session_id == session.id))
    return max(last or session.started_at, session.started_at)


def due_sessions(at: float | None = None) -> list[TranscriptSession]:
    """Return the sessions whose room's retention has run out at time ``at`` (default: now)."""
    at = now() if at is None else at
    fallback = default_days()
    due = []
    for room in db.session.scalars(select(Room)):
        days = room.retention_days if room.retention_days is not None else fallback
        if days is None:
            continue
        cutoff = at - days * DAY_S
        for session in db.session.scalars(select(TranscriptSession).where(TranscriptSession.room_id == room.id)):
            if _last_activity(session) < cutoff:
                due.append(session)
    return due


def purge(at: float | None = None) -> Purged:
    """Delete every session that is due, with its captions and revisions, and say what went."""
    due = due_sessions(at)
    result = Purged(sessions=[(s.room.code, s.number) for s in due])
    result.captions = delete_sessions([s.id for s in due])
    db.session.commit()
    if due:
        log.info("retention purge deleted %d sessions, %d captions", len(due), result.captions)
    return result
