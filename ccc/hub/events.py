"""Socket.IO handlers of a room: join, the floor, captions, catch-up, leaving; and what the room is told.

Each handler is registered through ``sockets.handler`` (rate limit, payload validation, error acks), calls a
room rule, emits to the room and answers with an ack. The floor queue's handlers are in ``queue_events``,
approval of presenters in ``verification``.

Handlers run one at a time per connection (``async_handlers=False``), so a client's events are handled in
the order it sent them, while other connections are served concurrently.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app, request, session
from flask_socketio import disconnect, join_room, leave_room

from ccc import protocol
from ccc.protocol import ErrorCode, ProtocolError, ok_ack

from . import access, adminauth, captions, floor_queue, services
from .extensions import db, socketio
from .models import Participant, Room, hash_token
from .sockets import Connection, _close, _context, handler, presenters_key, room_key

log = logging.getLogger(__name__)

_dirty_counts: set[tuple[int, str]] = set()
_flusher_lock = threading.Lock()
_flusher_started = False


@handler(protocol.JOIN, protocol.Join, joined=False)
def on_join(data: protocol.Join, conn: Connection):
    """A client joins a room; the room hears participantJoined or a new audienceCount, the joiner roomState."""
    sid = request.sid
    conn.admin_token = session.get("admin")
    is_admin = adminauth.valid(conn.admin_token)
    room, pin_proved = access.room_to_join(data, is_admin)  # a private room needs its password
    verification.check_join(room, data, conn.address)  # a presenter denied approval waits out a cooldown
    previous = conn.room_id is not None and (conn.room_id != room.id or data.participantId != conn.participant_id)
    admin_session = hash_token(conn.admin_token) if is_admin else None  # spares the admin when readers are locked out
    # A refused join (bad PIN, someone else's id) leaves the seat held.
    joined = services.join(room, data, sid, is_admin=is_admin, pin_proved=pin_proved, admin_session=admin_session)
    if previous:
        _leave_current(conn, sid)  # one connection is one participant in one room
    participant = joined.participant
    if joined.replaced_sid:  # a rejoin with the same participantId replaces its old connection
        old = _close(joined.replaced_sid)
        if old is not None:
            leave_room(room_key(room.code), sid=joined.replaced_sid)
        disconnect(sid=joined.replaced_sid, namespace="/")
    conn.room_id, conn.code, conn.role = room.id, room.code, participant.role
    conn.participant_id = participant.participant_id
    conn.e2e = bool(room.e2e)
    join_room(room_key(room.code))
    if participant.role == "presenter":
        join_room(presenters_key(room.code))
    else:  # a presenter who rejoined as audience stops getting vocabulary updates
        leave_room(presenters_key(room.code))
    # Joined before the state is read: a caption in between arrives twice and pages drop it by seq.
    state = captions.room_state(room, data.since, data.sinceRev)
    state.update(floor_queue.wire(room.id))
    if participant.role == "presenter":  # hundreds of phones need not download it
        state["vocabulary"] = room.vocabulary_wire()
    if participant.listed and not joined.replaced_sid:
        socketio.emit(protocol.PARTICIPANT_JOINED, participant.public(), to=room_key(room.code), skip_sid=sid)
    if participant.role == "audience":
        _count_changed(room)
    socketio.emit(protocol.ROOM_STATE, state, to=sid)
    issued = {"resumeToken": joined.resume_token} if joined.resume_token else {}  # to this client only
    issued.update(verification.after_join(room, participant, sid, is_admin))
    return ok_ack(participantId=participant.participant_id, state=state, **issued)


@handler(protocol.REQUEST_SPEAK, protocol.Empty)
def on_request_speak(_data, conn: Connection):
    """A presenter asks for the floor; the room hears speakerChanged, or the asker speakDenied."""
    room, participant = _context(conn)
    floor = services.request_floor(room, participant)
    if floor.changed:
        socketio.emit(protocol.SPEAKER_CHANGED, {"speakerId": floor.holder_id, "speakerName": floor.holder_name},
                      to=room_key(room.code))
    elif not floor.granted:
        denied = {"reason": "floor_taken", "speakerId": floor.holder_id, "speakerName": floor.holder_name}
        if floor.offered_id:  # free, but offered to the first in the queue for a few seconds
            denied.update(reason="floor_offered", offeredTo={"id": floor.offered_id, "name": floor.offered_name})
        socketio.emit(protocol.SPEAK_DENIED, denied, to=request.sid)
    queue_events.queue_changed(room.code, room.id, floor.queue_changed)
    return ok_ack(granted=floor.granted, speaker=floor.speaker(),
                  offeredTo={"id": floor.offered_id, "name": floor.offered_name} if floor.offered_id else None)


@handler(protocol.STOP_SPEAK, protocol.Empty)
def on_stop_speak(_data, conn: Connection):
    """The floor holder releases the floor; the room hears speakerStopped."""
    room, participant = _context(conn)
    if not services.release_floor(room.id, participant.participant_id):
        raise ProtocolError(ErrorCode.NOT_SPEAKER, "you do not hold the floor")
    announce_floor_released(room.code, participant.participant_id, "stopped")
    return ok_ack()


def _caption_model(conn: Connection) -> type[protocol.Payload]:
    """Return what a caption must look like in the sender's room: an envelope in an e2e room."""
    return protocol.E2ECaption if conn.e2e else protocol.Caption


def _edit_model(conn: Connection) -> type[protocol.Payload]:
    """Return what a correction must look like in the sender's room: an envelope in an e2e room."""
    return protocol.E2EEditCaption if conn.e2e else protocol.EditCaption


@handler(protocol.CAPTION, _caption_model)
def on_caption(data: protocol.Caption, conn: Connection):
    """The floor holder sends a partial (relayed) or a final (stored, broadcast, then acked with its seq)."""
    if conn.role != "presenter":
        raise ProtocolError(ErrorCode.FORBIDDEN, "only presenters send captions")
    if not data.isFinal:
        return _relay_partial(data, conn)
    room, participant = _context(conn)
    stored = captions.store_final(room, participant, data)
    if stored.created:
        socketio.emit(protocol.CAPTION, stored.payload, to=room_key(room.code))
    return ok_ack(seq=stored.seq, duplicate=not stored.created)


def _relay_partial(data: protocol.Caption, conn: Connection) -> dict:
    """Relay the floor holder's partial to the room: the same checks as _context, in one read, nothing stored."""
    sender = captions.partial_sender(conn.room_id, conn.participant_id)
    if sender is None or sender.archived:
        raise ProtocolError(ErrorCode.ROOM_NOT_FOUND, "this room has been closed")
    if sender.row_id is None or sender.sid != request.sid:
        raise ProtocolError(ErrorCode.NOT_JOINED, "this connection is no longer in the room; join again")
    if sender.floor_holder_id != conn.participant_id:
        raise ProtocolError(ErrorCode.NOT_SPEAKER, "you do not hold the floor")
    captions.note_partial(sender, data.utteranceId)
    socketio.emit(protocol.CAPTION, {
        "utteranceId": data.utteranceId, "speakerId": conn.participant_id, "speakerName": sender.name,
        "text": data.text, "isFinal": False, "timestamp": int(time.time() * 1000),
    }, to=room_key(sender.code))
    return ok_ack()


@handler(protocol.EDIT_CAPTION, _edit_model)
def on_edit_caption(data: protocol.EditCaption, conn: Connection):
    """A caption's speaker, a PIN presenter or the admin corrects a final; the room hears captionEdited."""
    room, participant = _context(conn)
    is_admin = adminauth.valid(conn.admin_token)
    editor_name = participant.name or ("admin" if is_admin else "")
    edited = captions.edit_caption(room, participant, data, is_admin=is_admin, editor_name=editor_name)
    if not edited.pop("unchanged", False):
        socketio.emit(protocol.CAPTION_EDITED, edited, to=room_key(room.code))
    return ok_ack(rev=edited["rev"])


@handler(protocol.CATCH_UP, protocol.CatchUp)
def on_catch_up(data: protocol.CatchUp, conn: Connection):
    """A resuming client asks for the next page of finals and edits it missed (see roomState's ``more``)."""
    room, _participant = _context(conn)
    return ok_ack(**captions.catch_up(room, data.since, data.sinceRev))


@handler(protocol.LEAVE, protocol.Empty)
def on_leave(_data, conn: Connection):
    """A client leaves its room; the room hears participantLeft (and speakerStopped if it held the floor)."""
    _leave_current(conn, request.sid)
    return ok_ack()


@handler(protocol.PING, protocol.Empty, joined=False)
def on_ping(_data, _conn: Connection):
    """Answer at once, so a page can show its round-trip time."""
    return ok_ack(serverTime=int(time.time() * 1000))


@socketio.on("disconnect")
def on_disconnect(*_reason):
    """A connection dropped: announce the departure; a floor holder keeps the floor for the grace period."""
    conn = _close(request.sid)
    if conn is None or conn.room_id is None:
        return
    participant = services.disconnect(request.sid)
    if participant is None:  # replaced by a newer connection of the same participant
        return
    _announce_departure(conn.code, participant)
    queue_events.on_departure(conn.room_id, conn.code, participant, left=False)
    room = db.session.get(Room, conn.room_id)
    if room is not None and room.floor_holder_id == participant.participant_id:
        schedule_grace_release(room.id)


def _leave_current(conn: Connection, sid: str) -> None:
    try:
        room, participant = _context(conn)
    except ProtocolError:  # already replaced or closed: nothing left to leave
        conn.room_id = conn.code = conn.participant_id = conn.role = None
        return
    released = services.leave(participant)
    leave_room(room_key(room.code), sid=sid)
    leave_room(presenters_key(room.code), sid=sid)
    _announce_departure(room.code, participant)
    if released:
        announce_floor_released(room.code, participant.participant_id, "left")
    queue_events.on_departure(room.id, room.code, participant, left=True)
    conn.room_id = conn.code = conn.participant_id = conn.role = None


def _announce_departure(code: str, participant: Participant) -> None:
    if participant.listed:
        socketio.emit(protocol.PARTICIPANT_LEFT, participant.public(), to=room_key(code))
    if participant.role == "audience":
        _count_changed(db.session.get(Room, participant.room_id))


def announce_floor_released(code: str, speaker_id: str, reason: str) -> None:
    """Tell a room that its speaker has stopped (released, left, dropped, or an operator's release)."""
    socketio.emit(protocol.SPEAKER_STOPPED, {"speakerId": speaker_id, "reason": reason}, to=room_key(code))
    queue_events.after_release(code)


def announce_room_updated(summary: dict, archived: bool = False, deleted: bool = False) -> None:
    """Tell a room's open pages that it was archived or deleted, or that its saving setting changed."""
    socketio.emit(protocol.ROOM_UPDATED, {"room": summary, "archived": archived, "deleted": deleted},
                  to=room_key(summary["code"]))


def lock_out_readers(room: Room) -> int:
    """Drop the readers a new room password shut out: each hears roomLocked, then is disconnected (any process).

    Return how many. The admin and presenters who proved the PIN keep reading (see access.shut_out).
    """
    sids = access.shut_out(room)
    for sid in sids:
        socketio.emit(protocol.ROOM_LOCKED, {"room": room.code, "message": "this room now needs its new password; "
                                             "give it to read on"}, to=sid)
        socketio.server.disconnect(sid, namespace="/")  # through the message queue when another process has it
    return len(sids)


def announce_vocabulary(code: str, vocabulary: dict) -> None:
    """Send a room's presenters (their stations) its changed vocabulary."""
    socketio.emit(protocol.VOCABULARY_UPDATED, vocabulary, to=presenters_key(code))


def schedule_grace_release(room_id: int) -> None:
    """Release the floor of a room once its holder has stayed disconnected for the grace period."""
    app = current_app._get_current_object()
    socketio.start_background_task(_release_after_grace, app, room_id)


def _release_after_grace(app, room_id: int) -> None:
    socketio.sleep(app.config["FLOOR_GRACE_S"] + 0.1)
    with app.app_context():
        room = db.session.get(Room, room_id)
        holder = room.floor_holder_id if room else None
        if holder and services.release_if_abandoned(room):
            announce_floor_released(room.code, holder, "disconnected")


def _count_changed(room: Room | None) -> None:
    """Mark a room's audience count for the next coalesced update, so a join storm costs O(N) messages."""
    global _flusher_started
    if room is None:
        return
    _dirty_counts.add((room.id, room.code))
    with _flusher_lock:
        if not _flusher_started:
            _flusher_started = True
            socketio.start_background_task(_flush_counts, current_app._get_current_object())


def _flush_counts(app) -> None:
    interval = app.config["AUDIENCE_COUNT_INTERVAL_S"]
    while True:
        socketio.sleep(interval)
        if not _dirty_counts:
            continue
        dirty = list(_dirty_counts)
        _dirty_counts.clear()
        with app.app_context():
            for room_id, code in dirty:
                count = services.audience_count(room_id)
                socketio.emit(protocol.AUDIENCE_COUNT, {"count": count}, to=room_key(code))
            db.session.remove()


# Register the queue's handlers and approve/deny, which build on the ones above.
from . import queue_events, verification  # noqa: E402
