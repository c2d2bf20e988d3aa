"""The queue for the floor: raised hands, first come first served, and the offer of a released floor.

Plain functions over the database, like presence.py and floor.py. The queue is rows of ``floor_queue``; the open offer is
three columns of the room row, set and cleared only by conditional UPDATEs, so several hub processes sharing
a room agree on who is offered the floor and until when. The offered presenter leaves the queue: taking the
floor, passing, or letting the offer lapse all hand it on to the next.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ccc import protocol
from ccc.protocol import ErrorCode, ProtocolError
from ccc.store.db import db
from ccc.store.models import Participant, QueueEntry, Room, now

from .presence import require_presenter

NO_OFFER = {"offer_to_id": None, "offer_to_name": None, "offer_until": None}


def entries(room_id: int) -> list[QueueEntry]:
    """Return the room's queue, next first."""
    return list(db.session.scalars(
        select(QueueEntry).where(QueueEntry.room_id == room_id).order_by(QueueEntry.position, QueueEntry.id)
    ))


def offer_of(room_id: int) -> tuple[str, str, float] | None:
    """Return the open offer (participant id, name, until) as the database has it now, or None."""
    row = db.session.execute(
        select(Room.offer_to_id, Room.offer_to_name, Room.offer_until).where(Room.id == room_id)
    ).first()
    return (row[0], row[1] or "", row[2] or 0.0) if row and row[0] else None


def wire(room_id: int) -> dict[str, Any]:
    """Return the queue and the open offer as ``floorQueue`` and roomState carry them."""
    offer = offer_of(room_id)
    offered = None
    if offer is not None:
        pid, name, until = offer
        offered = {"id": pid, "name": name, "until": int(until * 1000),
                   "remainingMs": max(0, int((until - now()) * 1000)),
                   "seconds": current_app.config["FLOOR_OFFER_S"]}
    return {"queue": [{"id": e.participant_id, "name": e.name} for e in entries(room_id)], "offer": offered}


def raise_hand(room: Room, participant: Participant) -> int:
    """Put a presenter at the end of the queue (once); return its place: 1 is next, 0 is offered the floor now."""
    require_presenter(room, participant)
    pid = participant.participant_id
    if room.floor_holder_id == pid:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "you hold the floor already")
    offer = offer_of(room.id)
    if offer and offer[0] == pid:
        return 0
    queue = entries(room.id)
    for index, entry in enumerate(queue):
        if entry.participant_id == pid:
            return index + 1
    if len(queue) >= protocol.MAX_QUEUE:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"the queue is full ({protocol.MAX_QUEUE} waiting)")
    last = db.session.scalar(select(func.max(QueueEntry.position)).where(QueueEntry.room_id == room.id))
    db.session.add(QueueEntry(room_id=room.id, participant_id=pid, name=participant.name,
                              position=(last if last is not None else -1) + 1, queued_at=now()))
    try:
        db.session.commit()
    except IntegrityError:  # the same presenter's hand raised at once through another process
        db.session.rollback()
    return [e.participant_id for e in entries(room.id)].index(pid) + 1


def withdraw(room_id: int, participant_id: str) -> bool:
    """Take a presenter out of the queue, or take back the offer made to it; return whether either was so."""
    gone = db.session.execute(
        delete(QueueEntry).where(QueueEntry.room_id == room_id, QueueEntry.participant_id == participant_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    declined = db.session.execute(
        update(Room).where(Room.id == room_id, Room.offer_to_id == participant_id).values(**NO_OFFER)
    ).rowcount
    db.session.commit()
    return bool(gone or declined)


def require_manager(room: Room, participant: Participant, is_admin: bool) -> None:
    """Refuse anyone but the admin and, in a room with a PIN, presenters who proved it."""
    if is_admin or (room.has_pin and participant.verified and participant.pin_ok):
        return
    raise ProtocolError(ErrorCode.FORBIDDEN, "only the admin and presenters who joined with the room's PIN "
                                             "may change the queue")


def remove(room: Room, participant_id: str) -> None:
    """Take someone else out of the queue (or take back their offer); not_found when they are in neither."""
    if not withdraw(room.id, participant_id):
        raise ProtocolError(ErrorCode.NOT_FOUND, "that presenter is not in the queue")


def move(room: Room, participant_id: str, position: int) -> None:
    """Move a queued presenter to ``position`` (0 is next; beyond the end is last)."""
    queue = entries(room.id)
    entry = next((e for e in queue if e.participant_id == participant_id), None)
    if entry is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, "that presenter is not in the queue")
    queue.remove(entry)
    queue.insert(min(position, len(queue)), entry)
    for index, each in enumerate(queue):
        each.position = index
    db.session.commit()


def prune_departed(room_id: int) -> bool:
    """Drop queued presenters gone longer than the floor's grace period, or who could no longer take the floor.

    That is: rejoined in another role, or not proved the PIN a room was given since they queued.
    """
    cutoff = now() - current_app.config["FLOOR_GRACE_S"]
    pin_room = select(Room.id).where(Room.id == room_id, Room.pin_hash.is_not(None)).exists()
    present = select(Participant.id).where(
        Participant.room_id == QueueEntry.room_id, Participant.participant_id == QueueEntry.participant_id,
        (Participant.sid.is_not(None)) | (Participant.disconnected_at > cutoff),
        Participant.role == "presenter", Participant.pin_ok.is_(True) | Participant.approved.is_(True) | ~pin_room,
    ).exists()
    gone = db.session.execute(
        delete(QueueEntry).where(QueueEntry.room_id == room_id, ~present).execution_options(synchronize_session=False)
    ).rowcount
    return bool(gone)


def settle(room_id: int) -> bool:
    """End a lapsed offer, drop departed hands, and offer a free floor to the next; return whether any changed."""
    moment = now()
    waiting = db.session.scalar(select(QueueEntry.id).where(QueueEntry.room_id == room_id).limit(1))
    if waiting is None and offer_of(room_id) is None:
        db.session.commit()  # end the read, as every other path here ends its writes
        return False  # the common case, read only: requestSpeak in a room nobody queues in takes no write lock
    changed = db.session.execute(
        update(Room).where(Room.id == room_id, Room.offer_to_id.is_not(None), Room.offer_until <= moment)
        .values(**NO_OFFER)
    ).rowcount == 1
    changed = prune_departed(room_id) or changed
    queue = entries(room_id)
    if queue:
        first = queue[0]
        offered = db.session.execute(
            update(Room).where(Room.id == room_id, Room.floor_holder_id.is_(None), Room.offer_to_id.is_(None))
            .values(offer_to_id=first.participant_id, offer_to_name=first.name,
                    offer_until=moment + current_app.config["FLOOR_OFFER_S"])
        ).rowcount == 1
        if offered:
            db.session.delete(first)
            changed = True
    db.session.commit()
    return changed


def took_floor(room_id: int, participant_id: str) -> bool:
    """Forget the queue place of a presenter just granted the floor (in the grant's transaction); tell if it had one."""
    return bool(db.session.execute(
        delete(QueueEntry).where(QueueEntry.room_id == room_id, QueueEntry.participant_id == participant_id)
        .execution_options(synchronize_session=False)
    ).rowcount)
