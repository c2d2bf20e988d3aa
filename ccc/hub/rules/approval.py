"""Approval of presenters: in a room with verification on, presenters without the PIN wait to be approved.

Plain rules over the database (the live side, who hears what, is ``ccc.hub.live.approval``). Approval is a
column of the participant, so it survives a resume with the resumeToken; a denied presenter is removed from
the room and may ask again only after ``CCC_DENY_COOLDOWN_S``, from the same address or under the same name.
"""
from __future__ import annotations

import threading

from flask import current_app

from ccc import protocol
from ccc.protocol import ErrorCode, ProtocolError
from ccc.store.db import db
from ccc.store.models import Participant, Room, now

from . import floor_queue
from .names import name_key
from .presence import find_participant

# Denials this process made: (room id, "address:..." or "name:...") -> until (epoch s). A hub of several
# processes shares a name's cooldown only where the denied presenter asks again through the same one.
_cooldowns: dict[tuple[int, str], float] = {}
_cooldowns_lock = threading.Lock()


def check_join(room: Room, data: protocol.Join, address: str) -> None:
    """Refuse a presenter who asks again too soon after a denial (same address or same name)."""
    if data.role != "presenter" or not room.verify_presenters or (room.has_pin and data.pin):
        return  # a PIN is checked (and its guessing locked out) as always
    moment = now()
    with _cooldowns_lock:
        for key in [k for k, until in _cooldowns.items() if until <= moment]:
            del _cooldowns[key]
        waits = [_cooldowns.get((room.id, f"address:{address}"), 0),
                 _cooldowns.get((room.id, f"name:{name_key(data.name)}"), 0) if data.name else 0]
    left = max(waits) - moment
    if left > 0:
        raise ProtocolError(ErrorCode.RATE_LIMITED, f"your request to present was denied; you may ask again "
                                                    f"in {int(left) + 1} s")


def require_manager(room: Room, participant: Participant | None, is_admin: bool) -> None:
    """Refuse anyone but the admin and, in a room with a PIN, presenters who proved it."""
    if is_admin or (participant is not None and participant.role == "presenter" and room.has_pin
                    and participant.pin_ok):
        return
    raise ProtocolError(ErrorCode.FORBIDDEN, "only the admin and presenters who joined with the room's PIN "
                                             "may approve presenters")


def waiting_presenter(room: Room, participant_id: str) -> Participant:
    """Return the presenter with this id in the room, or refuse with not_found."""
    target = find_participant(room.id, participant_id)
    if target is None or target.role != "presenter":
        raise ProtocolError(ErrorCode.NOT_FOUND, "no presenter with that id in this room")
    return target


def approve(room: Room, participant_id: str) -> Participant:
    """Make a waiting presenter verified; return it."""
    target = waiting_presenter(room, participant_id)
    if not target.approved:
        target.approved = True
        db.session.commit()
    return target


def refuse_verified(target: Participant) -> None:
    """Refuse to deny a presenter who is verified already."""
    if target.verified:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{target.name} is verified already; only a presenter who "
                                                   "waits for approval can be denied")


def start_cooldown(room: Room, target: Participant, address: str | None) -> None:
    """Keep a denied presenter's name (and address, when this process knows it) from asking again for a while."""
    until = now() + current_app.config["DENY_COOLDOWN_S"]
    with _cooldowns_lock:
        _cooldowns[(room.id, f"name:{name_key(target.name)}")] = until
        if address is not None:
            _cooldowns[(room.id, f"address:{address}")] = until


def withdraw(room: Room, target: Participant) -> bool:
    """Take a denied presenter out of the queue; return whether it was in it (or offered the floor)."""
    return floor_queue.withdraw(room.id, target.participant_id)


def remove(target: Participant) -> None:
    """Delete a denied presenter: its resume token dies with it, so asking again is a new identity."""
    db.session.delete(target)
    db.session.commit()


def set_verify(room: Room, on: bool) -> None:
    """Turn verification of presenters on or off."""
    room.verify_presenters = on
    db.session.commit()


def presenters_connected(room: Room) -> list[Participant]:
    """Return the room's connected presenters."""
    return list(db.session.scalars(db.select(Participant).where(
        Participant.room_id == room.id, Participant.role == "presenter", Participant.sid.is_not(None))))
