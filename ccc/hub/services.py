"""Room rules over the database: presence, the floor (speaker lock), captions and corrections.

Plain functions that know nothing of sockets or requests. State that several hub processes must agree on
(who holds the floor, caption and revision numbers) changes only through conditional or incrementing UPDATEs.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ccc import protocol
from ccc.protocol import ErrorCode, ProtocolError

from . import pins
from .extensions import db
from .models import Participant, Room, now


@dataclass(frozen=True)
class Joined:
    """The outcome of a join: who joined, and the connection it replaced, if any."""

    participant: Participant
    replaced_sid: str | None


@dataclass(frozen=True)
class Floor:
    """The answer to a request for the floor."""

    granted: bool
    holder_id: str | None
    holder_name: str | None
    changed: bool = False  # True when this request moved the floor to the asker

    def speaker(self) -> dict[str, str] | None:
        """Return the holder as the wire protocol shows a speaker."""
        return {"id": self.holder_id, "name": self.holder_name} if self.holder_id else None


# Presence ------------------------------------------------------------------------------------------------


def join(room: Room, data: protocol.Join, sid: str) -> Joined:
    """Add or re-attach a participant to a room; a presenter needs the room's PIN when it has one."""
    pin_ok = data.role == "presenter" and room.has_pin and pins.check_presenter_pin(room, data.pin)
    name = data.name or ("Presenter" if data.role == "presenter" else "")
    pid = data.participantId or uuid.uuid4().hex
    for _ in range(2):
        participant = find_participant(room.id, pid)
        replaced = participant.sid if participant and participant.sid != sid else None
        if participant is None:
            participant = Participant(room_id=room.id, participant_id=pid)
            db.session.add(participant)
        participant.name, participant.role, participant.sid = name, data.role, sid
        participant.pin_ok, participant.connected_at, participant.disconnected_at = pin_ok, now(), None
        try:
            db.session.commit()
            return Joined(participant, replaced)
        except IntegrityError:  # the same participantId joined twice at once: attach to the winner's row
            db.session.rollback()
    raise ProtocolError(ErrorCode.BAD_REQUEST, "participantId is being used by another connection")


def find_participant(room_id: int, participant_id: str) -> Participant | None:
    """Return the participant with this id in the room, or None."""
    return db.session.scalar(
        select(Participant).where(Participant.room_id == room_id, Participant.participant_id == participant_id)
    )


def participant_by_sid(sid: str) -> Participant | None:
    """Return the participant whose live connection is ``sid``, or None."""
    return db.session.scalar(select(Participant).where(Participant.sid == sid))


def disconnect(sid: str) -> Participant | None:
    """Mark the participant on this connection as gone (the floor is kept for the grace period)."""
    participant = participant_by_sid(sid)
    if participant is not None:
        participant.sid, participant.disconnected_at = None, now()
        db.session.commit()
    return participant


def leave(participant: Participant) -> bool:
    """Remove a participant from the room; return whether it held the floor (now released)."""
    released = release_floor(participant.room_id, participant.participant_id)
    db.session.delete(participant)
    db.session.commit()
    return released


def mark_all_disconnected() -> list[Room]:
    """Start every connection's grace period over (after a restart nobody is connected); return floor rooms."""
    db.session.execute(
        update(Participant).where(Participant.sid.is_not(None)).values(sid=None, disconnected_at=now())
    )
    db.session.commit()
    return list(db.session.scalars(select(Room).where(Room.floor_holder_id.is_not(None))))


def listed_participants(room_id: int) -> list[dict[str, Any]]:
    """Return the connected participants the list shows (presenters, projectors, named audience)."""
    # Filtered in SQL: loading every connected phone per join made a join storm cost O(N^2).
    rows = db.session.execute(
        select(Participant.participant_id, Participant.name, Participant.role)
        .where(Participant.room_id == room_id, Participant.sid.is_not(None),
               or_(Participant.role != "audience", Participant.name != ""))
        .order_by(Participant.id)
    )
    return [{"id": pid, "name": name, "role": role} for pid, name, role in rows]


def audience_count(room_id: int) -> int:
    """Return how many audience members are connected to the room."""
    return db.session.scalar(
        select(func.count()).select_from(Participant).where(
            Participant.room_id == room_id, Participant.role == "audience", Participant.sid.is_not(None)
        )
    )


# The floor -----------------------------------------------------------------------------------------------


def request_floor(room: Room, participant: Participant) -> Floor:
    """Grant the floor if nobody holds it (or the asker already does); otherwise name the holder."""
    if participant.role != "presenter":
        raise ProtocolError(ErrorCode.FORBIDDEN, "only presenters can take the floor")
    pid = participant.participant_id
    for _ in range(2):
        granted = db.session.execute(
            update(Room)
            .where(Room.id == room.id, Room.floor_holder_id.is_(None))
            .values(floor_holder_id=pid, floor_holder_name=participant.name, floor_since=now())
        ).rowcount == 1
        if granted:
            participant.hold_started_at, participant.hold_released_at = now(), None
            participant.hold_utterance_id = None
            db.session.commit()
            return Floor(True, pid, participant.name, changed=True)
        db.session.commit()
        db.session.refresh(room)
        if room.floor_holder_id == pid:
            return Floor(True, pid, room.floor_holder_name)
        if not release_if_abandoned(room):
            break
    return Floor(False, room.floor_holder_id, room.floor_holder_name)


def release_floor(room_id: int, participant_id: str) -> bool:
    """Release the floor if this participant holds it; return whether it did."""
    released = db.session.execute(
        update(Room)
        .where(Room.id == room_id, Room.floor_holder_id == participant_id)
        .values(floor_holder_id=None, floor_holder_name=None, floor_since=None)
    ).rowcount == 1
    if released:
        db.session.execute(
            update(Participant)
            .where(Participant.room_id == room_id, Participant.participant_id == participant_id)
            .values(hold_released_at=now())
        )
    db.session.commit()
    return released


def force_release(room: Room) -> str | None:
    """Take the floor from whoever holds it (an operator's action); return the former holder's id."""
    holder = room.floor_holder_id
    if holder is not None and not release_floor(room.id, holder):
        return None
    return holder


def release_if_abandoned(room: Room) -> bool:
    """Release the floor when its holder has been disconnected longer than the grace period."""
    holder = room.floor_holder_id
    if holder is None:
        return False
    participant = find_participant(room.id, holder)
    grace = current_app.config["FLOOR_GRACE_S"]
    gone = participant is None or (
        participant.sid is None and (participant.disconnected_at or 0) + grace <= now()
    )
    return gone and release_floor(room.id, holder)


def note_partial(participant: Participant, utterance_id: str) -> None:
    """Remember the utterance the floor holder is speaking, so its final may race key-up."""
    if participant.hold_utterance_id != utterance_id:
        participant.hold_utterance_id = utterance_id
        db.session.commit()


def may_send_final(room: Room, participant: Participant, caption: protocol.Caption) -> bool:
    """Tell whether this final comes from the floor holder, or was begun in a hold just released."""
    if room.floor_holder_id == participant.participant_id:
        return True
    started, released = participant.hold_started_at, participant.hold_released_at
    if started is None or released is None or now() - released > current_app.config["LATE_FINAL_S"]:
        return False
    if participant.hold_utterance_id == caption.utteranceId:
        return True
    return caption.startedAt is not None and started * 1000 <= caption.startedAt <= released * 1000
