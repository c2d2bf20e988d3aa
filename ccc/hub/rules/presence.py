"""Room rules over the database: who is present (join, resume, leave, participant lists) and who may present.

Plain functions that know nothing of sockets or requests; a participant row is shared by every hub process.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from ccc import protocol
from ccc.hub.access import pins
from ccc.protocol import ErrorCode, ProtocolError
from ccc.store.db import db
from ccc.store.models import Participant, Room, now, person_wire

from .names import name_keys


@dataclass(frozen=True)
class Joined:
    """The outcome of a join: who joined, the connection it replaced, and a new participant's resume token."""

    participant: Participant
    replaced_sid: str | None
    resume_token: str | None = None


RESERVED_NAMES = {"admin", "administrator"}  # compared as name_key reads them; only the signed-in admin uses them


def join(room: Room, data: protocol.Join, sid: str, is_admin: bool = False, pin_proved: bool = False,
         admin_session: str | None = None) -> Joined:
    """Add or re-attach a participant to a room; a presenter needs the room's PIN when it has one.

    ``admin_session`` is the hash of the admin session an admin joined with (kept to spare it from lock-outs).
    """
    # With verification on, a presenter who gives no PIN may still join: it waits for approval.
    asks = room.verify_presenters and not data.pin and not pin_proved
    pin_ok = data.role == "presenter" and room.has_pin and not asks and (
        pin_proved or pins.check_presenter_pin(room, data.pin))
    name = data.name or ("Presenter" if data.role == "presenter" else "")
    _check_name(room, data, name, verified=pin_ok, is_admin=is_admin)
    participant, token = _claim(room, data)
    replaced = participant.sid if participant.sid and participant.sid != sid else None
    participant.name, participant.role, participant.sid = name, data.role, sid
    participant.pin_ok, participant.connected_at, participant.disconnected_at = pin_ok, now(), None
    participant.admin_session = admin_session if is_admin else None
    if is_admin and data.role == "presenter" and room.verify_presenters:  # the operator vouches for itself
        participant.approved = True
    db.session.commit()
    return Joined(participant, replaced, token)


def _check_name(room: Room, data: protocol.Join, name: str, verified: bool, is_admin: bool) -> None:
    """Refuse the operator's names to others, and anything reading as a verified presenter's name to the rest.

    "Reading as" is names.name_keys: case, spacing, punctuation, accents and look-alike letters do not count.
    """
    if name_keys(name) & RESERVED_NAMES and not is_admin:
        raise ProtocolError(ErrorCode.FORBIDDEN, f"the name {name!r} is kept for the hub's operator; choose another")
    if verified or not name:
        return
    keys = name_keys(name) - {""}
    rows = db.session.execute(
        select(Participant.name).where(
            Participant.room_id == room.id, Participant.sid.is_not(None), Participant.role == "presenter",
            or_(Participant.pin_ok.is_(True), Participant.approved.is_(True)),
            Participant.participant_id != (data.participantId or ""),
        )
    )
    taken = next((other for (other,) in rows if keys & name_keys(other)), None)
    if taken is not None:
        raise ProtocolError(ErrorCode.FORBIDDEN, f"a verified presenter here is called {taken!r}; "
                                                 "choose another name")


def _claim(room: Room, data: protocol.Join) -> tuple[Participant, str | None]:
    """Return a new participant with its resume token, or the existing one whose token the joiner proved."""
    if data.participantId is None:
        participant = Participant(room_id=room.id, participant_id=uuid.uuid4().hex)
        token = participant.issue_token()
        db.session.add(participant)
        return participant, token
    participant = find_participant(room.id, data.participantId)
    if participant is None or not participant.holds_token(data.resumeToken):
        # Unknown, expired or someone else's: the same answer, so ids cannot be probed.
        raise ProtocolError(ErrorCode.FORBIDDEN, "cannot resume this participantId (no matching resumeToken); "
                                                 "join without participantId to get a new one")
    return participant, None


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


def forget_departed(ttl_s: float, late_final_s: float) -> int:
    """Delete participants disconnected longer than ``ttl_s`` (not holding the floor, no late final due).

    Return how many went. Their clients' resume tokens stop working: they join afresh as someone new.
    """
    cutoff = now() - ttl_s
    holds_floor = select(Room.id).where(Room.id == Participant.room_id,
                                        Room.floor_holder_id == Participant.participant_id).exists()
    gone = db.session.execute(
        delete(Participant).where(
            Participant.sid.is_(None), Participant.disconnected_at < cutoff, ~holds_floor,
            or_(Participant.hold_released_at.is_(None), Participant.hold_released_at < now() - late_final_s),
        ).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return gone


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
    verify_room = bool(db.session.scalar(select(Room.verify_presenters).where(Room.id == room_id)))
    rows = db.session.execute(
        select(Participant.participant_id, Participant.name, Participant.role, Participant.pin_ok,
               Participant.approved)
        .where(Participant.room_id == room_id, Participant.sid.is_not(None),
               or_(Participant.role != "audience", Participant.name != ""))
        .order_by(Participant.id)
    )
    return [person_wire(pid, name, role, bool(pin_ok), bool(approved), verify_room)
            for pid, name, role, pin_ok, approved in rows]


def audience_count(room_id: int) -> int:
    """Return how many audience members are connected to the room."""
    return db.session.scalar(
        select(func.count()).select_from(Participant).where(
            Participant.room_id == room_id, Participant.role == "audience", Participant.sid.is_not(None)
        )
    )


def require_presenter(room: Room, participant: Participant) -> None:
    """Refuse anyone but a presenter, and in a PIN room a presenter who has not proved the current PIN."""
    if participant.role != "presenter":
        raise ProtocolError(ErrorCode.FORBIDDEN, "only presenters can take the floor")
    if room.verify_presenters and not participant.verified:
        raise ProtocolError(ErrorCode.FORBIDDEN, "waiting for approval: the admin or a presenter with the "
                                                 "room's PIN must approve you first")
    if room.has_pin and not participant.verified:
        raise ProtocolError(ErrorCode.FORBIDDEN, "this room's presenter PIN has changed: join again with the PIN")
