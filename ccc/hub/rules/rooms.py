"""Room rules that need no socket: creating, finding and archiving rooms, and their codes."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from ccc.hub.access import grants, pins
from ccc.hub.access.pins import WeakPin, check_new_password, check_new_pin
from ccc.protocol import CODE_ALPHABET, MAX_CODE, ErrorCode, Join, ProtocolError, normalize_code
from ccc.store.db import db
from ccc.store.models import Room, now

from .floor import demote_presenters

CODE_LENGTH = 5
# Why an e2e room's transcript cannot be exported by the hub (a download's 409, the export command's error).
E2E_EXPORT = ("Room {code} is end-to-end encrypted: the hub keeps only sealed captions and cannot write them as "
              "{fmt}. Export it where the room key is: python -m ccc.transcripts export --hub URL --room {code} "
              "--key KEY --format {fmt} (transcript.json gives the sealed captions).\n")


class RoomError(ValueError):
    """A room that cannot be created or changed as asked."""


def new_code(length: int = CODE_LENGTH) -> str:
    """Return a random room code that no room uses yet."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        if db.session.scalar(select(Room.id).where(Room.code == code)) is None:
            return code


def check_code(raw: str) -> str:
    """Return ``raw`` as a valid room code or raise RoomError saying what is wrong with it."""
    code = normalize_code(raw)
    if not CODE_LENGTH <= len(code) <= MAX_CODE:
        # 31**5 codes cannot be tried one by one; a 3-character code (29,791) could be, to find rooms.
        raise RoomError(f"a room code has {CODE_LENGTH} to {MAX_CODE} characters, got {len(code)}")
    bad = sorted(set(code) - set(CODE_ALPHABET))
    if bad:
        raise RoomError(f"a room code cannot contain {''.join(bad)!r} (allowed: {CODE_ALPHABET})")
    return code


def _fit_pin(pin: str | None) -> str | None:
    try:
        return check_new_pin(pin)
    except WeakPin as exc:
        raise RoomError(str(exc)) from None


def _fit_password(password: str | None) -> str | None:
    try:
        return check_new_password(password)
    except WeakPin as exc:
        raise RoomError(str(exc)) from None


def create_room(title: str, code: str | None = None, pin: str | None = None, saving: bool = True,
                password: str | None = None, e2e: bool = False) -> Room:
    """Create a room and return it; the code is generated when not given; ``e2e`` rooms take only envelopes."""
    title = " ".join(title.split())
    if not title or len(title) > 120:
        raise RoomError("a room title has 1 to 120 characters")
    code = check_code(code) if code else new_code()
    if find_room(code, include_archived=True) is not None:
        raise RoomError(f"room {code} already exists")
    room = Room(code=code, title=title, save_transcripts=saving, e2e=e2e)
    room.set_pin(_fit_pin(pin))
    room.set_password(_fit_password(password))
    db.session.add(room)
    db.session.commit()
    return room


def find_room(code: str, include_archived: bool = False) -> Room | None:
    """Return the room with this code (any case, spaces ignored), or None."""
    query = select(Room).where(Room.code == normalize_code(code))
    if not include_archived:
        query = query.where(Room.archived_at.is_(None))
    return db.session.scalar(query)


def get_room(code: str) -> Room:
    """Return the open room with this code or raise room_not_found."""
    room = find_room(code)
    if room is None:
        raise ProtocolError(ErrorCode.ROOM_NOT_FOUND, f"no open room with code {normalize_code(code)[:16]!r}, "
                                                       "or it is private and needs its password")
    return room


def list_rooms(include_archived: bool = False, public_only: bool = False) -> list[Room]:
    """Return the rooms, newest first (without private ones for the public list)."""
    query = select(Room).order_by(Room.created_at.desc(), Room.id.desc())
    if public_only:
        query = query.where(Room.read_hash.is_(None))
    if not include_archived:
        query = query.where(Room.archived_at.is_(None))
    return list(db.session.scalars(query))


def archive_room(code: str) -> Room:
    """Archive a room: it disappears from lists and cannot be joined; its transcripts stay."""
    room = find_room(code, include_archived=True)
    if room is None:
        raise RoomError(f"no room with code {normalize_code(code)!r}")
    room.archived_at = room.archived_at or now()
    room.floor_holder_id = room.floor_holder_name = room.floor_since = None
    db.session.commit()
    return room


def set_pin(code: str, pin: str | None) -> tuple[Room, str | None]:
    """Set or remove (with None or '') an open room's PIN; return it and the floor holder a new PIN demoted.

    Presenters who have not proved a new PIN lose the floor and their rights until they join with it.
    """
    room = find_room(code)
    if room is None:
        raise RoomError(f"no open room with code {normalize_code(code)!r}")
    room.set_pin(_fit_pin(pin))
    db.session.commit()
    return room, demote_presenters(room) if pin else None


def set_password(code: str, password: str | None) -> Room:
    """Set or remove (with None or '') an open room's read password; earlier read grants stop working."""
    room = find_room(code)
    if room is None:
        raise RoomError(f"no open room with code {normalize_code(code)!r}")
    room.set_password(_fit_password(password))
    db.session.commit()
    return room


def lift_lockouts(code: str) -> Room:
    """Lift the lockouts of an open room's PIN and password, for every address and every hub process."""
    room = find_room(code)
    if room is None:
        raise RoomError(f"no open room with code {normalize_code(code)!r}")
    room.lockout_epoch = (room.lockout_epoch or 0) + 1
    db.session.commit()
    return room


def set_published(code: str, published: bool) -> Room:
    """Publish an archived room's transcript to everyone, or take it back (admin, PIN or password again)."""
    room = find_room(code, include_archived=True)
    if room is None:
        raise RoomError(f"no room with code {normalize_code(code)!r}")
    room.published = published
    db.session.commit()
    return room


def room_to_join(data: Join, is_admin: bool) -> tuple[Room, bool]:
    """Return the open room a join asks for and whether the joiner proved its PIN on the way.

    A private room needs the admin, a read grant in the handshake's cookie, the password in the payload, or
    (for presenters) the PIN; anything else gets the answer a missing room gets.
    """
    room = find_room(data.room)
    if room is None:
        if data.password:  # as slow and as counted as a wrong password for a room that exists
            pins.check_read_secret(None, data.password)
        if data.role == "presenter" and data.pin:  # and a PIN as a wrong PIN, locked out alike
            pins.refuse_pin(data.pin)
        raise grants.not_found(data.room)
    if grants.resumes_pin_presenter(room, data):
        return room, True  # proved the PIN before: neither asked again nor locked out by others' guesses
    if not room.is_private or is_admin or grants.granted(room):
        return room, False
    if data.password and pins.check_read_secret(room, data.password):
        return room, False
    if data.role == "presenter" and data.pin:
        if not room.has_pin:  # answered as a missing room is: after the same check, under the same lockout
            pins.refuse_pin(data.pin)
            raise grants.not_found(data.room)
        try:
            return room, pins.check_presenter_pin(room, data.pin)
        except ProtocolError as exc:
            if exc.code is ErrorCode.BAD_PIN:
                raise grants.not_found(data.room) from None
            raise
    raise grants.not_found(data.room)
