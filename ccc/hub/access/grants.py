"""Who may read a room: private rooms (a read password) and archived transcripts (admin, PIN, or published).

A reader proves the password once, by POSTing it to /r/<code>/unlock (from the page's ``#p=`` fragment or
the prompt), and gets a read grant in the signed session cookie: room id, expiry, and a fingerprint of the
room's password and PIN hashes, so changing either ends every grant. The password itself never travels in a
URL the hub sees, so it is never in a request line or a log. Socket.IO joins accept the grant (the handshake
carries the cookie) or the password in the join payload.

Refusals do not tell a private room from no room: pages and downloads answer the same 404 prompt, joins
the same ``room_not_found``.
"""
from __future__ import annotations

import time

from flask import Response, render_template, session
from sqlalchemy import select

from ccc.protocol import ErrorCode, Join, ProtocolError, normalize_code
from ccc.store.db import db
from ccc.store.models import AdminSession, Participant, Room

from . import adminauth

GRANT_S = 12 * 3600  # a school day; the password (in the QR code) gets a new grant at any time
MAX_GRANTS = 20  # rooms remembered per browser: the cookie stays small


def needs_proof(room: Room) -> bool:
    """Tell whether reading the room needs the admin, a grant or the password."""
    if room.archived_at is not None:
        return not room.published
    return room.is_private


def granted(room: Room) -> bool:
    """Tell whether this request's session holds a live read grant for the room."""
    grant = (session.get("read") or {}).get(str(room.id))
    if not isinstance(grant, list) or len(grant) != 2:
        return False
    expires, fingerprint = grant
    return isinstance(expires, (int, float)) and expires > time.time() and fingerprint == room.secrets_fingerprint()


def grant(room: Room) -> None:
    """Remember in the session cookie that this browser proved the room's password (or PIN)."""
    now = time.time()
    grants = {key: value for key, value in (session.get("read") or {}).items()
              if isinstance(value, list) and len(value) == 2 and isinstance(value[0], (int, float)) and value[0] > now}
    grants[str(room.id)] = [int(now + GRANT_S), room.secrets_fingerprint()]
    session["read"] = dict(sorted(grants.items(), key=lambda item: item[1][0])[-MAX_GRANTS:])


def can_read(room: Room) -> bool:
    """Tell whether this request may read the room: it is open to all, or the admin, or a grant."""
    return not needs_proof(room) or adminauth.signed_in() or granted(room)


def shut_out(room: Room) -> list[str]:
    """Return the connections whose reading a new password ended: all but PIN presenters and the live admin."""
    admins = set(db.session.scalars(select(AdminSession.token_hash).where(AdminSession.expires_at > time.time())))
    readers = db.session.scalars(select(Participant).where(Participant.room_id == room.id,
                                                           Participant.sid.is_not(None)))
    return [p.sid for p in readers
            if not (p.role == "presenter" and p.pin_ok) and not (p.admin_session and p.admin_session in admins)]


def locked_page(code: str) -> Response:
    """Return the prompt for a room's password: the same 404 answer whether or not the room exists."""
    shown = normalize_code(code)[:16] or "-"  # the prompt's form posts to /r/<shown>/unlock
    response = Response(render_template("locked.html", code=shown), status=404)
    response.headers["Cache-Control"] = "no-store"
    return response


def not_found(code: str) -> ProtocolError:
    """Return the one refusal of a join to a room that is not there, or private and not proved."""
    return ProtocolError(ErrorCode.ROOM_NOT_FOUND, f"no open room with code {normalize_code(code)[:16]!r}, "
                                                   "or it is private and needs its password")


def resumes_pin_presenter(room: Room, data: Join) -> bool:
    """Tell whether this join resumes, with its secret resumeToken, a presenter who proved the room's PIN.

    Setting a new PIN clears every presenter's proof (rules.floor.demote_presenters), so no old proof outlives it.
    """
    if data.role != "presenter" or not (data.participantId and data.resumeToken) or not room.has_pin:
        return False
    participant = db.session.scalar(select(Participant).where(Participant.room_id == room.id,
                                                              Participant.participant_id == data.participantId))
    return bool(participant and participant.role == "presenter" and participant.pin_ok
                and participant.holds_token(data.resumeToken))
