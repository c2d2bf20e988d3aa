"""What the room hears about the queue for the floor, and the timers that pass a lapsed offer on.

Every change of the queue or of its offer is announced to the whole room as one ``floorQueue`` event
carrying the queue and the offer, so pages and stations just show the latest one. Those announcements are
coalesced per room: the first change is sent at once, later ones within ``CCC_QUEUE_INTERVAL_S`` wait for
one update at the end of that window, read from the database then, so the room never ends on a stale queue.
(Ten presenters raising and lowering hands from one address sent 18 floorQueue a second to every reader and
took readers' caption p99 over 500 ms, issue #19.) The handlers that change the queue are in ``events``;
its rules in ``ccc.hub.rules.floor_queue``.
"""
from __future__ import annotations

import threading
import time

from flask import current_app

from ccc import protocol
from ccc.hub.access import throttle
from ccc.hub.extensions import socketio
from ccc.hub.rules import floor_queue, presence
from ccc.protocol import ErrorCode, ProtocolError
from ccc.store.db import db
from ccc.store.models import Participant, Room, now

from .sockets import room_key

_timers: set[tuple[int, str, float]] = set()  # offers this process watches, so each gets one timer
_timers_lock = threading.Lock()
_sent_at: dict[int, float] = {}  # room id -> when its last floorQueue went out (time.monotonic)
_pending: set[int] = set()  # rooms whose next floorQueue waits for the end of their window
_coalesce_lock = threading.Lock()


def check_hand_rate(code: str) -> None:
    """Refuse a raised or lowered hand when the room's queue already changes faster than people do.

    Per room, across addresses: ten flooders from ten addresses, each within its own budget, still wrote the
    queue 34 times a second (readers' caption p99 1.6 s in bench/floods.py). CCC_HANDS_PER_ROOM_S a second,
    five seconds' worth at once; refusals count towards dropping a connection that ignores them.
    """
    limit = current_app.extensions.get("ccc_room_hands")
    if limit is None:
        rate = current_app.config["HANDS_PER_ROOM_S"]
        limit = current_app.extensions.setdefault("ccc_room_hands", throttle.AddressLimit(rate, rate * throttle.BURST_S))
    if limit.wait_s(code):
        raise ProtocolError(ErrorCode.RATE_LIMITED, "hands in this room are going up and down too fast; try again "
                                                    "in a moment")


def announce_queue(code: str, room_id: int) -> dict:
    """Tell the room its queue and offer (floorQueue, coalesced), watch an open offer's deadline; return them."""
    state = floor_queue.wire(room_id)
    offer = state["offer"]
    if offer:
        _watch(room_id, offer["id"], offer["until"])
    wait = _claim_window(room_id, current_app.config["QUEUE_INTERVAL_S"])
    if wait == 0:
        socketio.emit(protocol.FLOOR_QUEUE, state, to=room_key(code))
    elif wait > 0:  # the first change waiting in this window: it sends the then latest state once the window ends
        socketio.start_background_task(_send_later, current_app._get_current_object(), code, room_id, wait)
    return state


def _claim_window(room_id: int, interval: float) -> float:
    """Return 0 to send now, the seconds to wait to send the room's latest state, or -1 when one is waiting."""
    stamp = time.monotonic()
    with _coalesce_lock:
        if room_id in _pending:
            return -1.0
        since = stamp - _sent_at.get(room_id, float("-inf"))
        if since >= interval:
            _sent_at[room_id] = stamp
            if len(_sent_at) > 1000:  # rooms quiet for a window need no entry
                for old in [r for r, t in _sent_at.items() if stamp - t > interval]:
                    del _sent_at[old]
            return 0.0
        _pending.add(room_id)
        return interval - since


def _send_later(app, code: str, room_id: int, wait: float) -> None:
    socketio.sleep(wait)
    with _coalesce_lock:
        _pending.discard(room_id)
        _sent_at[room_id] = time.monotonic()
    with app.app_context():
        try:  # read now, after every change of the window: the room ends on the queue as it is
            socketio.emit(protocol.FLOOR_QUEUE, floor_queue.wire(room_id), to=room_key(code))
        finally:
            db.session.remove()


def after_release(code: str) -> None:
    """Offer a floor just released to the first in the queue."""
    room = db.session.scalar(db.select(Room).where(Room.code == code, Room.archived_at.is_(None)))
    if room is not None and floor_queue.settle(room.id):
        announce_queue(code, room.id)


def queue_changed(code: str, room_id: int, changed: bool) -> None:
    """Announce the queue when a rule says it changed."""
    if changed:
        announce_queue(code, room_id)


def on_departure(room_id: int, code: str, participant: Participant, left: bool) -> None:
    """A queued presenter left (out at once) or dropped (out once gone longer than the floor's grace period)."""
    if left:
        if floor_queue.withdraw(room_id, participant.participant_id):
            floor_queue.settle(room_id)
            announce_queue(code, room_id)
        return
    queued = participant.participant_id in {e.participant_id for e in floor_queue.entries(room_id)}
    offer = floor_queue.offer_of(room_id)
    if queued or (offer and offer[0] == participant.participant_id):
        app = current_app._get_current_object()
        socketio.start_background_task(_drop_after_grace, app, room_id, code, participant.participant_id)


def _drop_after_grace(app, room_id: int, code: str, participant_id: str) -> None:
    socketio.sleep(app.config["FLOOR_GRACE_S"] + 0.1)
    with app.app_context():
        try:
            participant = presence.find_participant(room_id, participant_id)
            if participant is None or participant.sid is None:
                if floor_queue.withdraw(room_id, participant_id) | floor_queue.settle(room_id):
                    announce_queue(code, room_id)
        finally:
            db.session.remove()


def watch_offers() -> None:
    """Watch every open offer again after a restart, so each still passes on when it lapses."""
    for room_id, participant_id, until in db.session.execute(
        db.select(Room.id, Room.offer_to_id, Room.offer_until).where(Room.offer_to_id.is_not(None))
    ):
        _watch(room_id, participant_id, int((until or 0) * 1000))


def _watch(room_id: int, participant_id: str, until_ms: int) -> None:
    key = (room_id, participant_id, until_ms)
    with _timers_lock:
        if key in _timers:
            return
        _timers.add(key)
    app = current_app._get_current_object()
    socketio.start_background_task(_lapse, app, key)


def _lapse(app, key: tuple[int, str, float]) -> None:
    room_id, _participant_id, until_ms = key
    socketio.sleep(max(0.0, until_ms / 1000 - now()) + 0.05)
    with _timers_lock:
        _timers.discard(key)
    with app.app_context():
        try:
            room = db.session.get(Room, room_id)
            if room is not None and room.archived_at is None and floor_queue.settle(room_id):
                announce_queue(room.code, room_id)
        finally:
            db.session.remove()
