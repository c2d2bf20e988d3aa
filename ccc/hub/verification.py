"""Verified presenters: in a room with verification on, presenters without the PIN wait for approval.

The admin and presenters who proved the room's PIN (the "managers", in the Socket.IO room ``managers:CODE``)
hear ``approvalRequested`` when one joins, and ``approve`` or ``deny`` it. Approval is a column of the
participant, so it survives a resume with the resumeToken; a denied presenter is removed from the room and
may ask again only after ``CCC_DENY_COOLDOWN_S``, from the same address or under the same name.
"""
from __future__ import annotations

import threading

from flask import current_app
from flask_socketio import join_room, leave_room

from ccc import protocol
from ccc.protocol import ErrorCode, ProtocolError, ok_ack

from . import adminauth, floor_queue, services
from .extensions import db, socketio
from .models import Participant, Room, now
from .names import name_key
from .sockets import Connection, _connections, _context, handler, room_key

# Denials this process made: (room id, "address:..." or "name:...") -> until (epoch s). A hub of several
# processes shares a name's cooldown only where the denied presenter asks again through the same one.
_cooldowns: dict[tuple[int, str], float] = {}
_cooldowns_lock = threading.Lock()


def managers_key(code: str) -> str:
    """Return the Socket.IO room of those who may approve presenters in a CCC room (admin, PIN presenters)."""
    return f"managers:{code}"


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


def after_join(room: Room, participant: Participant, sid: str, is_admin: bool) -> dict:
    """Put a manager in the room's managers channel; announce a presenter who waits. Return ack extras."""
    if is_admin or (participant.role == "presenter" and participant.pin_ok):
        join_room(managers_key(room.code), sid=sid)
    else:
        leave_room(managers_key(room.code), sid=sid)
    if not participant.waiting:
        return {}
    socketio.emit(protocol.APPROVAL_REQUESTED, {"id": participant.participant_id, "name": participant.name},
                  to=managers_key(room.code))
    return {"waiting": True}


def require_manager(room: Room, participant: Participant | None, is_admin: bool) -> None:
    """Refuse anyone but the admin and, in a room with a PIN, presenters who proved it."""
    if is_admin or (participant is not None and participant.role == "presenter" and room.has_pin
                    and participant.pin_ok):
        return
    raise ProtocolError(ErrorCode.FORBIDDEN, "only the admin and presenters who joined with the room's PIN "
                                             "may approve presenters")


def _waiting(room: Room, participant_id: str) -> Participant:
    target = services.find_participant(room.id, participant_id)
    if target is None or target.role != "presenter":
        raise ProtocolError(ErrorCode.NOT_FOUND, "no presenter with that id in this room")
    return target


def approve(room: Room, participant_id: str) -> Participant:
    """Make a waiting presenter verified; the room hears participantUpdated, the managers approvalResolved."""
    target = _waiting(room, participant_id)
    if not target.approved:
        target.approved = True
        db.session.commit()
    socketio.emit(protocol.PARTICIPANT_UPDATED, target.public(), to=room_key(room.code))
    socketio.emit(protocol.APPROVAL_RESOLVED, {"id": target.participant_id, "name": target.name,
                                               "approved": True}, to=managers_key(room.code))
    return target


def deny(room: Room, participant_id: str) -> Participant:
    """Remove a waiting presenter from the room and disconnect it; it may ask again after the cooldown."""
    target = _waiting(room, participant_id)
    if target.verified:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{target.name} is verified already; only a presenter who "
                                                   "waits for approval can be denied")
    until = now() + current_app.config["DENY_COOLDOWN_S"]
    sid = target.sid
    conn = _connections.get(sid) if sid else None
    with _cooldowns_lock:
        _cooldowns[(room.id, f"name:{name_key(target.name)}")] = until
        if conn is not None:
            _cooldowns[(room.id, f"address:{conn.address}")] = until
    public = target.public()
    if floor_queue.withdraw(room.id, target.participant_id):
        from .queue_events import announce_queue  # noqa: PLC0415 - imported where it is needed, like events'

        announce_queue(room.code, room.id)
    db.session.delete(target)  # its resume token dies with it: asking again is a new identity
    db.session.commit()
    if sid:
        socketio.emit(protocol.APPROVAL_DENIED, {"message": "your request to present was denied"}, to=sid)
        socketio.server.disconnect(sid, namespace="/")
    socketio.emit(protocol.PARTICIPANT_LEFT, public, to=room_key(room.code))
    socketio.emit(protocol.APPROVAL_RESOLVED, {"id": public["id"], "name": public["name"], "approved": False},
                  to=managers_key(room.code))
    return target


def set_verify(room: Room, on: bool) -> None:
    """Turn verification of presenters on or off, and tell the room's pages who is verified now."""
    room.verify_presenters = on
    db.session.commit()
    announce_room(room)


def announce_room(room: Room) -> None:
    """Tell a room's pages every presenter's entry again (after verification was turned on or off)."""
    for participant in db.session.scalars(db.select(Participant).where(
            Participant.room_id == room.id, Participant.role == "presenter", Participant.sid.is_not(None))):
        socketio.emit(protocol.PARTICIPANT_UPDATED, participant.public(), to=room_key(room.code))
        if participant.waiting:
            socketio.emit(protocol.APPROVAL_REQUESTED, {"id": participant.participant_id,
                                                        "name": participant.name}, to=managers_key(room.code))


@handler(protocol.APPROVE, protocol.Decide)
def on_approve(data: protocol.Decide, conn: Connection):
    """The admin or a PIN presenter approves a waiting presenter; the room hears participantUpdated."""
    room, participant = _context(conn)
    require_manager(room, participant, adminauth.valid(conn.admin_token))
    return ok_ack(participant=approve(room, data.participantId).public())


@handler(protocol.DENY, protocol.Decide)
def on_deny(data: protocol.Decide, conn: Connection):
    """The admin or a PIN presenter denies a waiting presenter: it is disconnected; the room hears participantLeft."""
    room, participant = _context(conn)
    require_manager(room, participant, adminauth.valid(conn.admin_token))
    deny(room, data.participantId)
    return ok_ack()
