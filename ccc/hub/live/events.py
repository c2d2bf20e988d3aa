"""Socket.IO handlers of a room: join, the floor, captions, catch-up, leaving; and what the room is told.

Each handler is registered through ``sockets.handler`` (rate limit, payload validation, error acks), calls a
room rule, emits to the room and answers with an ack; what a room is told besides is sent through
``broadcast``, ``queue`` and ``approval``. Importing this module registers every handler (create_app does).

Handlers run one at a time per connection (``async_handlers=False``), so a client's events are handled in
the order it sent them, while other connections are served concurrently.
"""
from __future__ import annotations

import logging
import time

from flask import current_app, request, session
from flask_socketio import disconnect, join_room, leave_room

from ccc import protocol
from ccc.hub.access import adminauth
from ccc.hub.extensions import socketio
from ccc.hub.rules import approval as approval_rules
from ccc.hub.rules import backlog, captions, floor, floor_queue, languages, presence, rooms, station_audio
from ccc.protocol import ErrorCode, ProtocolError, error_ack, ok_ack
from ccc.store.db import db
from ccc.store.models import Room, hash_token

from . import approval, broadcast, queue, translation
from .sockets import (
    Connection,
    charge,
    close_connection,
    handler,
    joined_context,
    presenters_key,
    refused,
    room_key,
    throttled,
)

log = logging.getLogger("ccc.hub.events")  # the name operators' log filters already use


@handler(protocol.JOIN, protocol.Join, joined=False, priced=True)
def on_join(data: protocol.Join, conn: Connection):
    """A client joins a room; the room hears participantJoined or a new audienceCount, the joiner roomState."""
    sid = request.sid
    conn.admin_token = session.get("admin")
    is_admin = adminauth.valid(conn.admin_token)
    room, pin_proved = rooms.room_to_join(data, is_admin)  # a private room needs its password
    lang = languages.choose(room, data.lang)  # a language the hub has no model for: refused, nothing changed
    approval_rules.check_join(room, data, conn.address)  # a presenter denied approval waits out a cooldown
    previous = conn.room_id is not None and (conn.room_id != room.id or data.participantId != conn.participant_id)
    admin_session = hash_token(conn.admin_token) if is_admin else None  # spares the admin when readers are locked out
    # A refused join (bad PIN, someone else's id) leaves the seat held.
    joined = presence.join(room, data, sid, is_admin=is_admin, pin_proved=pin_proved, admin_session=admin_session)
    if previous:
        _leave_current(conn, sid)  # one connection is one participant in one room
    participant = joined.participant
    if joined.replaced_sid:  # a rejoin with the same participantId replaces its old connection
        old = close_connection(joined.replaced_sid)
        if old is not None:
            leave_room(room_key(room.code), sid=joined.replaced_sid)
        disconnect(sid=joined.replaced_sid, namespace="/")
    conn.room_id, conn.code, conn.role = room.id, room.code, participant.role
    conn.participant_id = participant.participant_id
    conn.e2e = bool(room.e2e)
    join_room(room_key(room.code))
    translation.seat(conn, sid, room.code, lang)
    if participant.role == "presenter":
        join_room(presenters_key(room.code))
    else:  # a presenter who rejoined as audience stops getting vocabulary updates
        leave_room(presenters_key(room.code))
    # Joined before the state is read: a caption in between arrives twice and pages drop it by seq.
    state = captions.room_state(room, data.since, data.sinceRev)
    state.update(captions=backlog.in_language(state["captions"], lang), edits=backlog.in_language(state["edits"], lang))
    state.update(floor_queue.wire(room.id))
    state["room"] = {**state["room"], **languages.describe(room)}
    if participant.role == "presenter":  # hundreds of phones need not download it
        state["vocabulary"] = room.vocabulary_wire()
        state["stationAudio"] = station_audio.latest(room.code)
    if participant.listed and not joined.replaced_sid:
        socketio.emit(protocol.PARTICIPANT_JOINED, participant.public(), to=room_key(room.code), skip_sid=sid)
    if participant.role == "audience":
        broadcast.count_changed(room)
    socketio.emit(protocol.ROOM_STATE, state, to=sid)
    issued = {"resumeToken": joined.resume_token} if joined.resume_token else {}  # to this client only
    issued.update(approval.after_join(room, participant, sid, is_admin))
    # Priced by its work (the captions sent, a broadcast to the room): a join flood is bounded per address.
    charge(conn, len(state["captions"]) + len(state["edits"]), int(participant.listed and not joined.replaced_sid))
    return ok_ack(participantId=participant.participant_id, state=state, **issued)


@handler(protocol.REQUEST_SPEAK, protocol.Empty)
def on_request_speak(_data, conn: Connection):
    """A presenter asks for the floor; the room hears speakerChanged, or the asker speakDenied."""
    room, participant = joined_context(conn)
    answer = floor.request_floor(room, participant)
    if answer.changed:
        socketio.emit(protocol.SPEAKER_CHANGED, {"speakerId": answer.holder_id, "speakerName": answer.holder_name},
                      to=room_key(room.code))
    elif not answer.granted:
        denied = {"reason": "floor_taken", "speakerId": answer.holder_id, "speakerName": answer.holder_name}
        if answer.offered_id:  # free, but offered to the first in the queue for a few seconds
            denied.update(reason="floor_offered", offeredTo={"id": answer.offered_id, "name": answer.offered_name})
        socketio.emit(protocol.SPEAK_DENIED, denied, to=request.sid)
    queue.queue_changed(room.code, room.id, answer.queue_changed)
    return ok_ack(granted=answer.granted, speaker=answer.speaker(),
                  offeredTo={"id": answer.offered_id, "name": answer.offered_name} if answer.offered_id else None)


@handler(protocol.STOP_SPEAK, protocol.Empty)
def on_stop_speak(_data, conn: Connection):
    """The floor holder releases the floor; the room hears speakerStopped."""
    room, participant = joined_context(conn)
    if not floor.release_floor(room.id, participant.participant_id):
        raise ProtocolError(ErrorCode.NOT_SPEAKER, "you do not hold the floor")
    broadcast.announce_floor_released(room.code, participant.participant_id, "stopped")
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
    room, participant = joined_context(conn)
    stored = captions.store_final(room, participant, data)
    if stored.created:
        translation.emit_final(room, protocol.CAPTION, stored.payload)
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
    room, participant = joined_context(conn)
    is_admin = adminauth.valid(conn.admin_token)
    editor_name = participant.name or ("admin" if is_admin else "")
    edited = captions.edit_caption(room, participant, data, is_admin=is_admin, editor_name=editor_name)
    if not edited.pop("unchanged", False):
        translation.emit_final(room, protocol.CAPTION_EDITED, edited)
    return ok_ack(rev=edited["rev"])


@handler(protocol.CATCH_UP, protocol.CatchUp, priced=True)
def on_catch_up(data: protocol.CatchUp, conn: Connection):
    """A resuming client asks for the next page of finals and edits it missed (see roomState's ``more``)."""
    room, _participant = joined_context(conn)
    page = captions.catch_up(room, data.since, data.sinceRev)
    page.update(captions=backlog.in_language(page["captions"], conn.lang),
                edits=backlog.in_language(page["edits"], conn.lang))
    charge(conn, len(page["captions"]) + len(page["edits"]))  # the next page waits for it, so paging is paced
    return ok_ack(**page)


@handler(protocol.SET_LANGUAGE, protocol.SetLanguage)
def on_set_language(data: protocol.SetLanguage, conn: Connection):
    """A reader reads finals in another language from now on (null: the original); answered with its lang
    and the room's recent finals in it (``captions``, oldest first), for the page to show them again."""
    room, _participant = joined_context(conn)
    chosen = translation.set_language(conn, request.sid, room, data.lang)
    if room.e2e:  # sealed captions, never translated: the page keeps what it opened
        return ok_ack(lang=languages.ROOM_LANG)
    recent = captions.recent(room, current_app.config["TRANSLATE_BACKLOG"])
    return ok_ack(lang=chosen or languages.ROOM_LANG, captions=backlog.in_language(recent, chosen))


@handler(protocol.LEAVE, protocol.Empty)
def on_leave(_data, conn: Connection):
    """A client leaves its room; the room hears participantLeft (and speakerStopped if it held the floor)."""
    charge(conn, broadcasts=int(conn.room_id is not None))  # the room is told (a count change is coalesced)
    _leave_current(conn, request.sid)
    return ok_ack()


@handler(protocol.PING, protocol.Empty, joined=False)
def on_ping(_data, _conn: Connection):
    """Answer at once, so a page can show its round-trip time."""
    return ok_ack(serverTime=int(time.time() * 1000))


@socketio.on("disconnect")
def on_disconnect(*_reason):
    """A connection dropped: announce the departure; a floor holder keeps the floor for the grace period."""
    conn = close_connection(request.sid)
    if conn is None or conn.room_id is None:
        return
    participant = presence.disconnect(request.sid)
    if participant is None:  # replaced by a newer connection of the same participant
        return
    broadcast.announce_departure(conn.code, participant)
    queue.on_departure(conn.room_id, conn.code, participant, left=False)
    room = db.session.get(Room, conn.room_id)
    if room is not None and room.floor_holder_id == participant.participant_id:
        broadcast.schedule_grace_release(room.id)


def _leave_current(conn: Connection, sid: str) -> None:
    try:
        room, participant = joined_context(conn)
    except ProtocolError:  # already replaced or closed: nothing left to leave
        conn.room_id = conn.code = conn.participant_id = conn.role = None
        return
    released = floor.leave(participant)
    leave_room(room_key(room.code), sid=sid)
    leave_room(presenters_key(room.code), sid=sid)
    translation.unseat(conn, sid, room.code)
    broadcast.announce_departure(room.code, participant)
    if released:
        broadcast.announce_floor_released(room.code, participant.participant_id, "left")
    queue.on_departure(room.id, room.code, participant, left=True)
    conn.room_id = conn.code = conn.participant_id = conn.role = None


# The queue for the floor ------------------------------------------------------------------------------------------


@handler(protocol.RAISE_HAND, protocol.Empty)
def on_raise_hand(_data, conn: Connection):
    """A presenter denied the floor waits for it; the room hears floorQueue (the floor may be offered at once)."""
    queue.check_hand_rate(conn.code)  # before any database read: a flood of refusals must cost next to nothing
    room, participant = joined_context(conn)
    floor_queue.raise_hand(room, participant)
    charge(conn, hands=1)  # the queue is written and settled, the room hears floorQueue
    floor_queue.settle(room.id)  # the floor may have come free meanwhile
    state = queue.announce_queue(room.code, room.id)
    waiting = [entry["id"] for entry in state["queue"]]
    offered = bool(state["offer"]) and state["offer"]["id"] == participant.participant_id
    position = 0 if offered else waiting.index(participant.participant_id) + 1 \
        if participant.participant_id in waiting else None
    return ok_ack(position=position, offered=offered, **state)


@handler(protocol.LOWER_HAND, protocol.Empty)
def on_lower_hand(_data, conn: Connection):
    """A queued presenter leaves the queue, or passes on the floor offered to it; the room hears floorQueue."""
    queue.check_hand_rate(conn.code)  # before any database read: a flood of refusals must cost next to nothing
    room, participant = joined_context(conn)
    if floor_queue.withdraw(room.id, participant.participant_id):
        charge(conn, hands=1)  # the queue is written and settled, the room hears floorQueue
        floor_queue.settle(room.id)
        queue.announce_queue(room.code, room.id)
    return ok_ack()


@handler(protocol.QUEUE_REMOVE, protocol.QueueRemove)
def on_queue_remove(data: protocol.QueueRemove, conn: Connection):
    """The admin or a PIN presenter takes someone out of the queue (or takes back its offer)."""
    room, participant = joined_context(conn)
    floor_queue.require_manager(room, participant, adminauth.valid(conn.admin_token))
    floor_queue.remove(room, data.participantId)
    floor_queue.settle(room.id)
    return ok_ack(**queue.announce_queue(room.code, room.id))


@handler(protocol.QUEUE_MOVE, protocol.QueueMove)
def on_queue_move(data: protocol.QueueMove, conn: Connection):
    """The admin or a PIN presenter moves someone to another place in the queue."""
    room, participant = joined_context(conn)
    floor_queue.require_manager(room, participant, adminauth.valid(conn.admin_token))
    floor_queue.move(room, data.participantId, data.position)
    return ok_ack(**queue.announce_queue(room.code, room.id))


# Approval of presenters ------------------------------------------------------------------------------------------


@handler(protocol.APPROVE, protocol.Decide)
def on_approve(data: protocol.Decide, conn: Connection):
    """The admin or a PIN presenter approves a waiting presenter; the room hears participantUpdated."""
    room, participant = joined_context(conn)
    approval_rules.require_manager(room, participant, adminauth.valid(conn.admin_token))
    return ok_ack(participant=approval.approve(room, data.participantId).public())


@handler(protocol.DENY, protocol.Decide)
def on_deny(data: protocol.Decide, conn: Connection):
    """The admin or a PIN presenter denies a waiting presenter: it is disconnected; the room hears participantLeft."""
    room, participant = joined_context(conn)
    approval_rules.require_manager(room, participant, adminauth.valid(conn.admin_token))
    approval.deny(room, data.participantId)
    return ok_ack()


@socketio.on("*")
def on_unknown(event, *_args):
    """Answer an event the hub does not know (from any client) with bad_request, within the rate limit."""
    try:
        throttled(request.sid)
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"unknown event {str(event)[:40]!r}")
    except ProtocolError as exc:
        return refused(request.sid, str(event), exc)


@socketio.on_error_default
def on_error(exc):
    """Answer a handler that failed unexpectedly with an error ack; the hub keeps serving everyone else."""
    db.session.rollback()
    log.exception("handler failed for %s", request.sid)
    return error_ack(ErrorCode.BAD_REQUEST, "the hub could not handle this request")
