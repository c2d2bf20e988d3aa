"""Room rules over the database: the floor (speaker lock), who holds it, and who may still send a final.

Plain functions that know nothing of sockets or requests. Who holds the floor changes only through
conditional UPDATEs, so several hub processes sharing a room agree on it.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, update

from ccc import protocol
from ccc.store.db import db
from ccc.store.models import Participant, Room, now

from . import floor_queue
from .presence import find_participant, require_presenter


@dataclass(frozen=True)
class Floor:
    """The answer to a request for the floor."""

    granted: bool
    holder_id: str | None
    holder_name: str | None
    changed: bool = False  # True when this request moved the floor to the asker
    offered_id: str | None = None  # the floor is free but offered to this queued presenter
    offered_name: str | None = None
    queue_changed: bool = False  # the queue or its offer changed (announce floorQueue)

    def speaker(self) -> dict[str, str] | None:
        """Return the holder as the wire protocol shows a speaker."""
        return {"id": self.holder_id, "name": self.holder_name} if self.holder_id else None


def leave(participant: Participant) -> bool:
    """Take a participant out of the room; return whether it held the floor (now released).

    The row stays until the participant TTL is over, so the same client (a restarted station) can resume.
    """
    released = release_floor(participant.room_id, participant.participant_id)
    participant.sid, participant.disconnected_at = None, now()
    db.session.commit()
    return released


def demote_presenters(room: Room) -> str | None:
    """After the PIN was set or changed: nobody has proved it yet, so take presenter rights and the floor back.

    Return the former floor holder's id (to announce speakerStopped), or None. A presenter gets its rights
    back by joining again with the new PIN.
    """
    db.session.execute(update(Participant).where(Participant.room_id == room.id).values(pin_ok=False, approved=False))
    db.session.commit()
    return force_release(room)


def request_floor(room: Room, participant: Participant) -> Floor:
    """Grant the floor if nobody holds it or is offered it (or the asker is); otherwise name who has it."""
    require_presenter(room, participant)
    pid = participant.participant_id
    queue_changed = False
    for _ in range(2):
        queue_changed = floor_queue.settle(room.id) or queue_changed
        offer = floor_queue.offer_of(room.id)
        granted = db.session.execute(
            update(Room)
            .where(Room.id == room.id, Room.floor_holder_id.is_(None),
                   or_(Room.offer_to_id.is_(None), Room.offer_to_id == pid))
            .values(floor_holder_id=pid, floor_holder_name=participant.name, floor_since=now(),
                    **floor_queue.NO_OFFER)
        ).rowcount == 1
        if granted:
            queue_changed = floor_queue.took_floor(room.id, pid) or bool(offer) or queue_changed
            participant.hold_started_at, participant.hold_released_at = now(), None
            participant.hold_utterance_id = None
            db.session.commit()
            return Floor(True, pid, participant.name, changed=True, queue_changed=queue_changed)
        db.session.commit()
        db.session.refresh(room)
        if room.floor_holder_id == pid:
            return Floor(True, pid, room.floor_holder_name, queue_changed=queue_changed)
        if not release_if_abandoned(room):
            break
    return Floor(False, room.floor_holder_id, room.floor_holder_name, offered_id=room.offer_to_id,
                 offered_name=room.offer_to_name, queue_changed=queue_changed)


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


def may_send_final(room: Room, participant: Participant, caption: protocol.Caption) -> bool:
    """Tell whether this final comes from the floor holder, or was begun in a hold just released."""
    require_presenter(room, participant)
    if room.floor_holder_id == participant.participant_id:
        return True
    started, released = participant.hold_started_at, participant.hold_released_at
    if started is None or released is None or now() - released > current_app.config["LATE_FINAL_S"]:
        return False
    if participant.hold_utterance_id == caption.utteranceId:
        return True
    return caption.startedAt is not None and started * 1000 <= caption.startedAt <= released * 1000
