"""The operator's page: sign in with the admin password, create and archive rooms, set PINs, free the floor."""
from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from . import rooms, services
from .events import announce_floor_released

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Wrong passwords cost time: each one is answered slowly, and after a few the address must wait.
FREE_FAILURES = 3
FAILURE_DELAY_S = 0.4
MAX_LOCKOUT_S = 300.0


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


# Per process and per client address; a second hub process keeps its own count, which only adds a little slack.
_failures: dict[str, _Failures] = {}
_failures_lock = threading.Lock()


def _lockout_left(address: str) -> float:
    with _failures_lock:
        record = _failures.get(address)
        return max(0.0, record.locked_until - time.monotonic()) if record else 0.0


def _note_failure(address: str) -> None:
    with _failures_lock:
        record = _failures.setdefault(address, _Failures())
        record.count += 1
        if record.count >= FREE_FAILURES:
            wait = min(MAX_LOCKOUT_S, 2.0 ** (record.count - FREE_FAILURES))
            record.locked_until = time.monotonic() + wait


def _signed_in() -> bool:
    return bool(session.get("admin"))


@bp.get("")
def index():
    """Show the sign-in form, or the rooms with who is present and who holds the floor."""
    if not _signed_in():
        return render_template("admin_login.html", error=None)
    listing = [
        {"room": room, "participants": services.listed_participants(room.id),
         "audience": services.audience_count(room.id)}
        for room in rooms.list_rooms()
    ]
    return render_template("admin.html", listing=listing)


@bp.post("/login")
def login():
    """Sign in with the admin password; repeated wrong passwords are slowed down."""
    address = request.remote_addr or "unknown"
    wait = _lockout_left(address)
    if wait > 0:
        error = f"Too many wrong passwords. Try again in {int(wait) + 1} seconds."
        response = current_app.make_response((render_template("admin_login.html", error=error), 429))
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    given = request.form.get("password", "")
    if not hmac.compare_digest(given.encode(), current_app.config["ADMIN_PASSWORD"].encode()):
        _note_failure(address)
        time.sleep(FAILURE_DELAY_S)
        return render_template("admin_login.html", error="That password is not right."), 401
    with _failures_lock:
        _failures.pop(address, None)
    session.clear()
    session["admin"] = True
    return redirect(url_for("admin.index"))


@bp.post("/logout")
def logout():
    """Sign out."""
    session.pop("admin", None)
    return redirect(url_for("admin.index"))


@bp.before_request
def require_admin():
    """Send visitors who are not signed in to the sign-in form (the form itself stays open)."""
    if request.endpoint in ("admin.index", "admin.login", "admin.logout") or _signed_in():
        return None
    return redirect(url_for("admin.index"))


@bp.post("/rooms")
def create_room():
    """Create a room from the form."""
    try:
        room = rooms.create_room(request.form.get("title", ""), code=request.form.get("code") or None,
                                 pin=request.form.get("pin") or None, saving=bool(request.form.get("saving")))
    except rooms.RoomError as exc:
        flash(f"Could not create the room: {exc}.", "error")
    else:
        flash(f"Created room {room.code} ({room.title}).", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/rooms/<code>/pin")
def set_pin(code: str):
    """Set or remove a room's presenter PIN."""
    pin = request.form.get("pin", "").strip()
    try:
        room = rooms.set_pin(code, pin or None)
    except rooms.RoomError as exc:
        flash(f"Could not change the PIN: {exc}.", "error")
    else:
        flash(f"Room {room.code} now {'needs a presenter PIN' if pin else 'has no presenter PIN'}.", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/rooms/<code>/release")
def release(code: str):
    """Take the floor from whoever holds it; the room's pages hear speakerStopped at once."""
    room = rooms.find_room(code)
    if room is None:
        flash(f"No open room {code}.", "error")
        return redirect(url_for("admin.index"))
    holder_name = room.floor_holder_name
    holder_id = services.force_release(room)
    if holder_id:
        announce_floor_released(room.code, holder_id, "released")
        flash(f"Took the floor from {holder_name} in room {room.code}.", "ok")
    else:
        flash(f"Nobody holds the floor in room {room.code}.", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/rooms/<code>/archive")
def archive(code: str):
    """Archive a room: it leaves the lists and cannot be joined; its transcripts stay."""
    open_room = rooms.find_room(code)
    holder_id = open_room.floor_holder_id if open_room else None
    try:
        room = rooms.archive_room(code)
    except rooms.RoomError as exc:
        flash(f"Could not archive: {exc}.", "error")
    else:
        if holder_id:
            announce_floor_released(room.code, holder_id, "released")
        flash(f"Archived room {room.code}.", "ok")
    return redirect(url_for("admin.index"))
