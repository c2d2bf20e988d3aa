"""What the room hears about approval of presenters: who waits, who was approved or denied.

The admin and presenters who proved the room's PIN (the "managers", in the Socket.IO room ``managers:CODE``)
hear ``approvalRequested`` when one joins, and ``approve`` or ``deny`` it (the handlers are in ``events``;
the rules in ``ccc.hub.rules.approval``).
"""
from __future__ import annotations

from flask_socketio import join_room, leave_room

from ccc import protocol
from ccc.hub.extensions import socketio
from ccc.hub.rules import approval
from ccc.store.models import Participant, Room

from .queue import announce_queue
from .sockets import connection, managers_key, room_key


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


def approve(room: Room, participant_id: str) -> Participant:
    """Make a waiting presenter verified; the room hears participantUpdated, the managers approvalResolved."""
    target = approval.approve(room, participant_id)
    socketio.emit(protocol.PARTICIPANT_UPDATED, target.public(), to=room_key(room.code))
    socketio.emit(protocol.APPROVAL_RESOLVED, {"id": target.participant_id, "name": target.name,
                                               "approved": True}, to=managers_key(room.code))
    return target


def deny(room: Room, participant_id: str) -> Participant:
    """Remove a waiting presenter from the room and disconnect it; it may ask again after the cooldown."""
    target = approval.waiting_presenter(room, participant_id)
    approval.refuse_verified(target)
    sid = target.sid
    conn = connection(sid) if sid else None
    approval.start_cooldown(room, target, conn.address if conn is not None else None)
    public = target.public()
    if approval.withdraw(room, target):
        announce_queue(room.code, room.id)
    approval.remove(target)
    if sid:
        socketio.emit(protocol.APPROVAL_DENIED, {"message": "your request to present was denied"}, to=sid)
        socketio.server.disconnect(sid, namespace="/")
    socketio.emit(protocol.PARTICIPANT_LEFT, public, to=room_key(room.code))
    socketio.emit(protocol.APPROVAL_RESOLVED, {"id": public["id"], "name": public["name"], "approved": False},
                  to=managers_key(room.code))
    return target


def set_verify(room: Room, on: bool) -> None:
    """Turn verification of presenters on or off, and tell the room's pages who is verified now."""
    approval.set_verify(room, on)
    announce_room(room)


def announce_room(room: Room) -> None:
    """Tell a room's pages every presenter's entry again (after verification was turned on or off)."""
    for participant in approval.presenters_connected(room):
        socketio.emit(protocol.PARTICIPANT_UPDATED, participant.public(), to=room_key(room.code))
        if participant.waiting:
            socketio.emit(protocol.APPROVAL_REQUESTED, {"id": participant.participant_id,
                                                        "name": participant.name}, to=managers_key(room.code))
