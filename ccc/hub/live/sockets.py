"""The Socket.IO plumbing every handler shares: connections, rate limits, validation, refusals as error acks.

A handler registered with ``@handler(EVENT, Model)`` is throttled (per connection and per address), gets
its payload parsed by ``ccc.protocol`` (or is refused with an error ack, changing nothing), and may require
a joined room. Events the hub does not know, and handlers that fail, are answered too: one misbehaving
client never stops the hub serving the others.
"""
from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy.exc import OperationalError

from ccc import protocol
from ccc.hub.access import throttle
from ccc.hub.extensions import socketio
from ccc.hub.rules import presence
from ccc.hub.transport.gate import drop_client
from ccc.protocol import ErrorCode, ProtocolError
from ccc.store.db import db
from ccc.store.models import Participant, Room

log = logging.getLogger("ccc.hub.events")  # the name operators' log filters already use

LOGGED_REFUSALS = 3  # per connection; the rest are counted and the count logged when it goes
PACE_MAX_S = 3.0  # a join or catchUp waits this long at most for its address's work budget, then is refused
# What a join or catchUp reserves before it runs, so many at once cannot all pass an empty budget; small, so
# forty phones reconnecting together from one address (behind one NAT, or the tests) do not wait for each other.
RESERVED_CAPTIONS = 50
FORGIVEN_PER_S = 1.0  # refusals a connection is forgiven each second towards CCC_REFUSALS_BEFORE_DROP


@dataclass
class Connection:
    """What this process knows of one Socket.IO connection: its room and a rate-limit bucket."""

    bucket: throttle.Bucket
    patience: throttle.Bucket  # rate_limited refusals it may draw before it is dropped (see ``refused``)
    address: str = ""
    refusals: int = 0
    room_id: int | None = None
    code: str | None = None
    participant_id: str | None = None
    role: str | None = None
    admin_token: str | None = None  # checked at each use, so signing out ends admin rights at once
    e2e: bool = False  # the joined room is end-to-end encrypted: caption text must be an envelope
    lang: str | None = None  # the language it reads finals in; None: the room's original


# Per-process connection registry: a connection lives in exactly one hub process.
_connections: dict[str, Connection] = {}


def room_key(code: str) -> str:
    """Return the Socket.IO room name of a CCC room."""
    return f"room:{code}"


def captions_key(code: str, lang: str | None = None) -> str:
    """Return the Socket.IO room that gets a CCC room's finals in ``lang`` (None: the original finals)."""
    return f"room:{code}:lang:{lang}" if lang else f"room:{code}:original"


def readers_langs(code: str) -> set[str]:
    """Return the languages this process's readers of a CCC room read in (besides the original)."""
    return {conn.lang for conn in _connections.values() if conn.code == code and conn.lang}


def presenters_key(code: str) -> str:
    """Return the Socket.IO room of a CCC room's presenters (they alone receive its vocabulary)."""
    return f"presenters:{code}"


def managers_key(code: str) -> str:
    """Return the Socket.IO room of those who may approve presenters in a CCC room (admin, PIN presenters)."""
    return f"managers:{code}"


def connection(sid: str) -> Connection | None:
    """Return what this process knows of a connection, or None when another process (or nobody) holds it."""
    return _connections.get(sid)


def throttled(sid: str) -> Connection:
    """Return this connection (opened on its first event), or refuse it when it or its address sends too fast."""
    conn = _connections.get(sid) or _open(sid, request.remote_addr or "unknown")
    if not throttle.allow(conn.address, conn.bucket, current_app.config["EVENTS_PER_S"],
                          current_app.config["EVENTS_PER_ADDRESS_S"]):
        raise ProtocolError(ErrorCode.RATE_LIMITED, "too many events; slow down")
    return conn


def paced(conn: Connection) -> None:
    """Wait for the address's work budget (captions it may be sent) and reserve a little of it, or refuse.

    Only this connection waits: its events are handled in order and it reads nothing meanwhile, so a
    flooder's backlog stays in its own socket, and a page paging through a backlog is slowed, not stopped.
    """
    rate, hub_rate = current_app.config["JOIN_CAPTIONS_PER_S"], current_app.config["HUB_JOIN_CAPTIONS_PER_S"]
    deadline = time.monotonic() + PACE_MAX_S
    while wait := throttle.reserve_work(conn.address, RESERVED_CAPTIONS, rate, hub_rate):
        if time.monotonic() + wait > deadline:
            raise ProtocolError(ErrorCode.RATE_LIMITED, "too many joins and catch-ups from this address; slow down")
        time.sleep(min(wait, 0.1))  # gevent's sleep; short, as answers that sent less give budget back


def charge(conn: Connection, captions: int | None = None, broadcasts: int = 0, hands: int = 0) -> None:
    """Charge an answered event its work: captions sent (beyond its reservation), broadcasts, hand changes.

    A hand change writes and settles the queue for the floor, then the room hears floorQueue.
    """
    config = current_app.config
    if captions is not None:
        throttle.charge_work(conn.address, captions - RESERVED_CAPTIONS, config["JOIN_CAPTIONS_PER_S"],
                             config["HUB_JOIN_CAPTIONS_PER_S"])
    tokens = broadcasts * config["BROADCAST_TOKENS"] + hands * config["HAND_TOKENS"]
    if tokens:
        throttle.spend(conn.address, tokens, config["EVENTS_PER_ADDRESS_S"])


def _open(sid: str, address: str) -> Connection:
    bucket = throttle.open_bucket(address, current_app.config["EVENTS_PER_S"],
                                  current_app.config["EVENTS_PER_ADDRESS_S"])
    conn = _connections[sid] = Connection(bucket=bucket, patience=_patience(), address=address)
    return conn


def _patience() -> throttle.Bucket:
    """Return a full bucket of refusals: CCC_REFUSALS_BEFORE_DROP at once, one forgiven a second."""
    # Not forgiven at the events' own rate: ten flooders the hub could serve only 30-40 events a second each
    # were refused about as fast as that forgave them, and never dropped.
    limit = current_app.config["REFUSALS_BEFORE_DROP"]
    return throttle.Bucket(limit, burst_s=limit / FORGIVEN_PER_S)


def close_connection(sid: str) -> Connection | None:
    """Forget a connection, leaving its bucket to its address's next connection."""
    conn = _connections.pop(sid, None)
    if conn is not None:
        throttle.close_bucket(conn.address, conn.bucket)
        if conn.refusals > LOGGED_REFUSALS:
            log.info("%s from %s was refused %d events in all", sid, conn.address, conn.refusals)
    return conn


def refused(sid: str, event: str, exc: ProtocolError) -> dict:
    """Log a refusal (only the first few of a connection: a flood must not flood the log) and return its ack.

    A connection that goes on sending after being told to slow down is dropped: refusing it still cost the
    hub a read, a parse and an answer per event (about 1,000 a second from ten hand-raising flooders).
    """
    conn = _connections.get(sid)
    refusals = 1
    if conn is not None:
        conn.refusals += 1
        refusals = conn.refusals
        if exc.code is ErrorCode.RATE_LIMITED and not conn.patience.take(FORGIVEN_PER_S):
            log.info("dropped %s from %s: still sending after %d refusals", sid, conn.address, conn.refusals)
            drop_client(socketio.server, sid, "kept sending while rate limited")
            return exc.ack()
    if refusals <= LOGGED_REFUSALS:
        log.info("refused %.40r from %s: %s %s", event, sid, exc.code.value, exc.message)
    if refusals == LOGGED_REFUSALS:
        log.info("further refusals of %s are counted, not logged", sid)
    return exc.ack()


def handler(event: str, model, joined: bool = True, priced: bool = False):
    """Register a client event: throttle, validate, require a joined room, turn refusals into error acks.

    ``model`` is a payload class, or a function of the connection returning one (see events' ``_caption_model``).
    A ``priced`` event (join, catchUp) also waits for its address's work budget (see ``paced``) and must
    ``charge`` the captions it sent.
    """
    def wrap(fn):
        @functools.wraps(fn)
        def run(*args):
            sid = request.sid
            try:
                conn = throttled(sid)
                if len(args) > 1:
                    raise ProtocolError(ErrorCode.BAD_REQUEST, "send one JSON object per event")
                data = protocol.parse(model if isinstance(model, type) else model(conn), args[0] if args else None)
                if joined and conn.room_id is None:
                    raise ProtocolError(ErrorCode.NOT_JOINED, "join a room first")
                if priced:
                    paced(conn)
                    try:
                        return fn(data, conn)
                    except ProtocolError:
                        charge(conn, 0)  # refused: it sent no captions, so its reservation is given back
                        raise
                return fn(data, conn)
            except ProtocolError as exc:
                db.session.rollback()
                return refused(sid, event, exc)
            except OperationalError as exc:  # not the client's fault: it must keep the final and resend it
                db.session.rollback()
                log.warning("database unavailable for %s: %s", event, exc.orig)
                reason = str(exc.orig).splitlines()[0][:80] if exc.orig else "unavailable"
                return refused(sid, event, ProtocolError(
                    ErrorCode.UNAVAILABLE, f"the hub cannot save right now (database: {reason}); send it again later"))
        socketio.on_event(event, run)
        return run
    return wrap


def joined_context(conn: Connection) -> tuple[Room, Participant]:
    """Return the room and participant of a joined connection, or refuse a closed room or a replaced connection."""
    room = db.session.get(Room, conn.room_id)
    if room is None or room.archived_at is not None:
        raise ProtocolError(ErrorCode.ROOM_NOT_FOUND, "this room has been closed")
    participant = presence.find_participant(room.id, conn.participant_id)
    if participant is None or participant.sid != request.sid:
        raise ProtocolError(ErrorCode.NOT_JOINED, "this connection is no longer in the room; join again")
    return room, participant
