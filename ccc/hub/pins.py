"""Room PINs: checked off the event loop, locked out per address and per room, refused when too short.

A four-digit PIN has 10,000 values, so guessing must be slow: after a few wrong PINs from one address, or
more from all addresses together for one room, further tries are refused for 1, 2, 4 ... 300 s unchecked.
Each check is a scrypt hash (~120 ms of CPU), so it runs in a worker thread: on the event loop it stalled
every other client's messages (a ping went from 2 ms to 240 ms while someone guessed).
"""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import current_app, has_request_context, request
from werkzeug.security import check_password_hash

from ccc.protocol import MAX_PIN, ErrorCode, ProtocolError

from . import lockout
from .models import Room

MIN_PIN = 4
# One address may be wrong this often before waiting 1, 2, 4 ... s; all addresses together, this often
# per room before the room waits 10, 20, 40 ... s (up to 300 s): 10,000 PINs then take weeks, not minutes.
FREE_PER_ADDRESS = lockout.FREE_FAILURES
FREE_PER_ROOM = 10
ROOM_LOCKOUT_S = 10.0
HASH_THREADS = 2

T = TypeVar("T")


class WeakPin(ValueError):
    """A PIN too short (or too long) to be a lock."""


def check_new_pin(pin: str | None) -> str | None:
    """Return a PIN fit to set (None or '' removes it), or raise WeakPin saying why not."""
    if not pin:
        return None
    if len(pin) < MIN_PIN:
        raise WeakPin(f"a PIN has at least {MIN_PIN} characters (a 3-digit PIN is guessed in minutes)")
    if len(pin) > MAX_PIN:
        raise WeakPin(f"a PIN has at most {MAX_PIN} characters")
    return pin


def strength(pin: str) -> str:
    """Describe how long guessing this PIN takes against the lockout, for the admin page."""
    alphabet = 10 if pin.isdigit() else 36 if pin.isalnum() else 70
    values = alphabet ** len(pin)
    return f"{values:,} possible values" if values < 10**9 else "more than a billion possible values"


_pool = None


def off_loop(fn: Callable[..., T], *args) -> T:
    """Run a CPU-bound call in a worker thread of the configured async mode, so other clients are served."""
    global _pool
    mode = current_app.config["ASYNC_MODE"]
    if mode == "gevent":
        from gevent.threadpool import ThreadPool

        # Two threads: more hashes at once would only take CPU from the event loop thread (2 cores).
        _pool = _pool or ThreadPool(HASH_THREADS)
        return _pool.apply(fn, args)
    if mode == "eventlet":
        from eventlet import tpool

        return tpool.execute(fn, *args)
    return fn(*args)  # threading: each connection already has its own thread


def check_presenter_pin(room: Room, pin: str | None) -> bool:
    """Return True for the room's PIN; raise bad_pin for a wrong one and rate_limited while locked out."""
    address = (request.remote_addr if has_request_context() else None) or "unknown"
    keys = [(f"pin:addr:{address}", FREE_PER_ADDRESS, 1.0), (f"pin:room:{room.id}", FREE_PER_ROOM, ROOM_LOCKOUT_S)]
    wait = max(lockout.seconds_left(key) for key, *_ in keys)
    if wait > 0:
        raise ProtocolError(ErrorCode.RATE_LIMITED, f"too many wrong PINs; try again in {wait:.0f} s")
    if not pin:  # no guess was made: nothing to count
        raise ProtocolError(ErrorCode.BAD_PIN, "this room needs a presenter PIN")
    # Counted as wrong before the slow check, so parallel guesses cannot all pass the gate while it runs.
    for key, free, first_s in keys:
        lockout.note_failure(key, free, first_s)
    if not off_loop(check_password_hash, room.pin_hash, pin):
        raise ProtocolError(ErrorCode.BAD_PIN, "wrong or missing presenter PIN for this room")
    lockout.forget(keys[0][0])
    lockout.undo_failure(*keys[1][:2])
    return True
