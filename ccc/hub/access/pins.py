"""Room PINs and read passwords: checked off the event loop, locked out per address and per room, refused when too short.

A four-digit PIN has 10,000 values, so guessing must be slow: after a few wrong PINs from one address, or
more from all addresses together for one room, further tries are refused for 1, 2, 4 ... 300 s unchecked.
Each check is a scrypt hash (~120 ms of CPU), so it runs in a worker thread: on the event loop it stalled
every other client's messages (a ping went from 2 ms to 240 ms while someone guessed).
"""
from __future__ import annotations

import functools
import ipaddress
from typing import Callable, TypeVar

from flask import current_app, has_request_context, request
from werkzeug.security import check_password_hash, generate_password_hash

from ccc.protocol import MAX_PASSWORD, MAX_PIN, ErrorCode, ProtocolError
from ccc.store.models import Room

from . import lockout

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


MIN_PASSWORD = 6


def check_new_password(password: str | None) -> str | None:
    """Return a read password fit to set (None or '' removes it), or raise WeakPin saying why not."""
    if not password:
        return None
    if len(password) < MIN_PASSWORD:
        raise WeakPin(f"a room password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise WeakPin(f"a room password has at most {MAX_PASSWORD} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in password):
        raise WeakPin("a room password has no spaces or control characters (it travels in links)")
    return password


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


def _address() -> str:
    """Return who is guessing: the client address, an IPv6 one by its /64 (what one device can take at will)."""
    raw = (request.remote_addr if has_request_context() else None) or "unknown"
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


Key = tuple[str, int, float]  # a lockout key, its free failures, its first wait


def _gate(kind: str, room: Room | None, what: str) -> list[Key]:
    """Refuse a try while this address is locked out, or while the room is and this address guessed wrong.

    Return the keys the try counts against. The room's lockout stops the addresses that guessed wrong; an
    address that never did still gets its try (the teacher with the right PIN is not shut out by others'
    guesses), but while the room is locked out that one try is all it gets: wrong, it waits as long as the
    room. A guesser therefore needs a new address for every guess while the room is locked.
    """
    address = f"{kind}:addr:{_address()}"  # across rooms: missing codes count alike, so answers tell nothing
    wait = lockout.seconds_left(address)
    keys: list[Key] = [(address, FREE_PER_ADDRESS, 1.0)]
    if room is not None:
        room_key = f"{kind}:room:{room.id}.{room.lockout_epoch or 0}"  # a new epoch: the operator lifted it
        room_wait = lockout.seconds_left(room_key)
        if room_wait > 0:
            if lockout.has_failures(address):
                wait = max(wait, room_wait)
            else:
                keys[0] = (address, 1, room_wait)
        keys.append((room_key, FREE_PER_ROOM, ROOM_LOCKOUT_S))
    if wait > 0:
        raise ProtocolError(ErrorCode.RATE_LIMITED, f"too many wrong {what}; try again in {int(wait) + 1} s")
    return keys


def _checked(keys: list[Key], hashes: list[str], secret: str) -> bool:
    """Count a try, then check ``secret`` against each hash off the event loop; take the count back if right."""
    # Counted as wrong before the slow check, so parallel guesses cannot all pass the gate while it runs.
    for key, free, first_s in keys:
        lockout.note_failure(key, free, first_s)
    if not any(off_loop(check_password_hash, h, secret) for h in hashes):
        return False
    for key, free, _first_s in keys:
        if ":addr:" in key:
            lockout.forget(key)
        else:
            lockout.undo_failure(key, free)
    return True


def check_presenter_pin(room: Room, pin: str | None) -> bool:
    """Return True for the room's PIN; raise bad_pin for a wrong one and rate_limited while locked out."""
    keys = _gate("pin", room, "PINs")
    if not pin:  # no guess was made: nothing to count
        raise ProtocolError(ErrorCode.BAD_PIN, "this room needs a presenter PIN")
    if not _checked(keys, [room.pin_hash], pin):
        raise ProtocolError(ErrorCode.BAD_PIN, "wrong or missing presenter PIN for this room")
    return True


def refuse_pin(pin: str) -> None:
    """Check a PIN given for a room that does not exist (or has none) as a wrong one: as slow, counted alike.

    Raises rate_limited while this address is locked out for PINs, as a private room's presenter join does.
    """
    _checked(_gate("pin", None, "PINs"), [_no_room_hash()], pin)


@functools.cache
def _no_room_hash() -> str:
    """Return the hash checked when a password is given for a room that does not exist, so the answer takes
    as long (made on first use: scrypt costs every hub start a quarter of a second)."""
    return generate_password_hash("no room has this password")


def check_read_secret(room: Room | None, secret: str | None, pin_too: bool = False) -> bool:
    """Tell whether ``secret`` is the room's read password (or, with ``pin_too``, its PIN).

    A room that does not exist is checked like one with another password: the same answer after the same
    time, so codes cannot be told apart by the answer. Raises rate_limited while the address or room is
    locked out; a missing secret is not counted.
    """
    keys = _gate("read", room, "passwords")
    if pin_too and room is not None and room.has_pin:  # the PIN is guessed here too: under the PIN's lockout
        keys += _gate("pin", room, "PINs")
    if not secret:
        return False
    hashes = [h for h in ((room.read_hash, room.pin_hash if pin_too else None) if room else ()) if h]
    return _checked(keys, hashes or [_no_room_hash()], secret) and bool(room and hashes)
