"""Several hub processes on one database (CCC_MESSAGE_QUEUE): notice a process that died, let its people go.

A process killed outright (kill -9, out of memory) runs no disconnect handler, so its participants stay
"connected" in the shared database: counted, listed, and a floor holder among them keeps the floor for good
(the grace period never starts). So each process begins the Socket.IO session ids it issues with a tag of
its own and keeps a short-lived key `ccc:hub:<tag>` alive in Redis. Every process sweeps now and then: a
participant whose sid carries the tag of a process whose key has expired (and stayed away two beats) is treated
exactly as if its connection had dropped (participantLeft, audienceCount, the floor's grace period). Its
client, reconnecting through the same address to a survivor, resumes with its participantId and token.
"""
from __future__ import annotations

import logging
import secrets
import time

import redis
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from ccc.hub.extensions import socketio
from ccc.store.db import db
from ccc.store.models import Participant, Room, now

from .broadcast import announce_departure, schedule_grace_release

log = logging.getLogger("ccc.hub.processes")  # the name operators' log filters already use

TAG_LENGTH = 8  # hex characters at the start of every sid this process issues


def key(tag: str) -> str:
    """Return the Redis key that says the process with this tag is alive."""
    return f"ccc:hub:{tag}"


def start(app: Flask) -> str | None:
    """Tag this process's sids, announce it alive, and start the heartbeat and sweep; return the tag."""
    url = app.config["MESSAGE_QUEUE"]
    if not url or not url.startswith(("redis://", "rediss://", "unix://")):
        return None  # one process: startup's mark_all_disconnected covers a restart; other queues: no sweeping
    tag = secrets.token_hex(TAG_LENGTH // 2)
    eio = socketio.server.eio
    issue = eio.generate_id
    eio.generate_id = lambda: tag + issue()  # Socket.IO's sids come from the same generator
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    every = app.config["PROCESS_HEARTBEAT_S"]
    try:
        client.set(key(tag), "1", px=int(every * 5 * 1000))  # before the first connection: never swept as dead
    except redis.RedisError as exc:  # the heartbeat sets it once Redis is back; start all the same
        log.warning("hub process heartbeat failed: %s", exc)
    socketio.start_background_task(_watch, app, tag, client)
    log.info("hub process %s: sweeping participants of hub processes that died, every %.1f s", tag, every)
    return tag


def _watch(app: Flask, tag: str, client: redis.Redis) -> None:
    every = app.config["PROCESS_HEARTBEAT_S"]
    lifetime = every * 5  # the key outlives a few missed beats: a slow process is not a dead one
    missing_since: dict[str, float] = {}
    while True:
        socketio.sleep(every)
        try:
            client.set(key(tag), "1", px=int(lifetime * 1000))
            with app.app_context():
                try:
                    sweep(tag, client, missing_since, every * 2)
                except SQLAlchemyError:
                    log.exception("sweeping the participants of dead hub processes failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
        except redis.RedisError as exc:  # Redis away: nobody can tell who is alive, so sweep nobody
            log.warning("hub process heartbeat failed: %s", exc)
            missing_since.clear()


def sweep(own: str, client: redis.Redis, missing_since: dict[str, float], patience: float) -> int:
    """Disconnect the participants of processes whose key has been missing for ``patience`` seconds.

    A key missing at one look is not enough: Redis may have restarted and lost every key, and their owners
    set them again within a beat. Return how many participants were disconnected.
    """
    tags = set(db.session.scalars(
        select(func.substr(Participant.sid, 1, TAG_LENGTH)).where(Participant.sid.is_not(None)).distinct()
    )) - {own}
    clock = time.monotonic()
    dead = []
    for tag in tags:
        if client.exists(key(tag)):
            missing_since.pop(tag, None)
        elif clock - missing_since.setdefault(tag, clock) >= patience:
            dead.append(tag)
    for tag in set(missing_since) - tags:
        del missing_since[tag]
    return sum(_disconnect_process(tag) for tag in dead)


def _disconnect_process(tag: str) -> int:
    """Treat every connection the process with this tag held as dropped; return how many there were."""
    stranded = list(db.session.scalars(select(Participant).where(Participant.sid.startswith(tag))))
    gone = []
    for participant in stranded:
        # Only if the sid is still the dead one: a client that already resumed elsewhere stays connected.
        changed = db.session.execute(
            update(Participant).where(Participant.id == participant.id, Participant.sid == participant.sid)
            .values(sid=None, disconnected_at=now()).execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            gone.append(participant)
    db.session.commit()
    floor_rooms = set()
    for participant in gone:
        room = db.session.get(Room, participant.room_id)
        if room is None:
            continue
        announce_departure(room.code, participant)
        if room.floor_holder_id == participant.participant_id:
            floor_rooms.add(room.id)
    for room_id in floor_rooms:
        schedule_grace_release(room_id)
    if gone:
        log.info("hub process %s is gone: %d of its participants disconnected", tag, len(gone))
    return len(gone)
