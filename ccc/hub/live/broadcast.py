"""What a room is told when something changes outside one client's request: departures, the floor released,
the room updated or locked, its vocabulary, and the coalesced audience count.

admin pages, the CLI, the handlers and the background tasks all announce through here, so none of them needs
the handlers module (importing it registers every Socket.IO handler).
"""
from __future__ import annotations

import threading

from flask import current_app

from ccc import protocol
from ccc.hub.access import grants
from ccc.hub.extensions import socketio
from ccc.hub.rules import floor, presence, station_audio
from ccc.store.db import db
from ccc.store.models import Participant, Room

from . import queue
from .sockets import presenters_key, room_key

_dirty_counts: set[tuple[int, str]] = set()
_flusher_lock = threading.Lock()
_flusher_started = False


def announce_departure(code: str, participant: Participant) -> None:
    """Tell a room that a participant left or dropped (participantLeft, or a new audience count)."""
    station_audio.forget(code, participant.participant_id)
    if participant.listed:
        socketio.emit(protocol.PARTICIPANT_LEFT, participant.public(), to=room_key(code))
    if participant.role == "audience":
        count_changed(db.session.get(Room, participant.room_id))


def announce_floor_released(code: str, speaker_id: str, reason: str) -> None:
    """Tell a room that its speaker has stopped (released, left, dropped, or an operator's release)."""
    socketio.emit(protocol.SPEAKER_STOPPED, {"speakerId": speaker_id, "reason": reason}, to=room_key(code))
    queue.after_release(code)


def announce_room_updated(summary: dict, archived: bool = False, deleted: bool = False) -> None:
    """Tell a room's open pages that it was archived or deleted, or that its saving setting changed."""
    socketio.emit(protocol.ROOM_UPDATED, {"room": summary, "archived": archived, "deleted": deleted},
                  to=room_key(summary["code"]))


def lock_out_readers(room: Room) -> int:
    """Drop the readers a new room password shut out: each hears roomLocked, then is disconnected (any process).

    Return how many. The admin and presenters who proved the PIN keep reading (see grants.shut_out).
    """
    sids = grants.shut_out(room)
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
        if holder and floor.release_if_abandoned(room):
            announce_floor_released(room.code, holder, "disconnected")


def count_changed(room: Room | None) -> None:
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
                count = presence.audience_count(room_id)
                socketio.emit(protocol.AUDIENCE_COUNT, {"count": count}, to=room_key(code))
            db.session.remove()
