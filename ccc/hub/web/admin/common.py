"""The operator's pages: the blueprint, signing in and out, the rooms page, and what every form shares."""
from __future__ import annotations

import hmac
import time
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from ccc import protocol
from ccc.hub.access import adminauth, lockout
from ccc.hub.rules import floor_queue, presence, rooms
from ccc.hub.transport.network import public_url
from ccc.store.models import Room
from ccc.store.retention import default_days
from ccc.store.transcripts import caption_counts, room_sessions
from ccc.transcripts import FORMATS

bp = Blueprint("admin", __name__, url_prefix="/admin")


def signed_in() -> bool:
    """Tell whether this browser is signed in as the admin."""
    return adminauth.signed_in()

def when(epoch_s: float | None) -> str:
    """Return a moment as the page shows it (local time, to the minute), or nothing."""
    return datetime.fromtimestamp(epoch_s).astimezone().strftime("%Y-%m-%d %H:%M") if epoch_s else ""

def captions_label(count: int) -> str:
    """Return '1 caption' or 'N captions'."""
    return f"{count} caption{'' if count == 1 else 's'}"

def sessions_of(room: Room) -> list[dict[str, Any]]:
    """Return the room's sessions for the page, newest first, with their caption counts."""
    counts = caption_counts(room)
    return [
        {"number": s.number, "title": s.title, "open": s.ended_at is None, "count": captions_label(counts.get(s.id, 0)),
         "started": when(s.started_at), "ended": when(s.ended_at)}
        for s in reversed(room_sessions(room))
    ]

@bp.get("")
def index():
    """Show the sign-in form, or the rooms with who is present, the floor, sessions and transcript settings."""
    if not signed_in():
        return render_template("admin_login.html", error=None)
    return page()

def page(refused: dict[str, str] | None = None):
    """Render the rooms; ``refused`` keeps a refused vocabulary form's text and error for its room."""
    listing = []
    for room in rooms.list_rooms():
        sessions = sessions_of(room)
        listing.append({"room": room, "participants": presence.listed_participants(room.id),
                        "queue": floor_queue.wire(room.id),
                        "audience": presence.audience_count(room.id), "sessions": sessions,
                        "current": next((s for s in sessions if s["open"]), None)})
    archived = [room for room in rooms.list_rooms(include_archived=True) if room.archived_at is not None]
    # Just created an e2e room here: admin.js shows its links with the key the browser made (see create_room).
    asked = protocol.normalize_code(request.args.get("created", "")[:protocol.MAX_CODE])
    created = next((item["room"].code for item in listing if item["room"].code == asked and item["room"].e2e), "")
    return render_template("admin.html", listing=listing, archived=archived, formats=FORMATS,
                           default_days=default_days(), refused=refused or {}, created_e2e=created,
                           public_url=public_url(current_app))

@bp.post("/login")
def login():
    """Sign in with the admin password; repeated wrong passwords are slowed down."""
    address = request.remote_addr or "unknown"
    wait = lockout.seconds_left(address)
    if wait > 0:
        error = f"Too many wrong passwords. Try again in {int(wait) + 1} seconds."
        response = current_app.make_response((render_template("admin_login.html", error=error), 429))
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    given = request.form.get("password", "")
    if not hmac.compare_digest(given.encode(), current_app.config["ADMIN_PASSWORD"].encode()):
        lockout.note_failure(address)
        time.sleep(lockout.FAILURE_DELAY_S)
        return render_template("admin_login.html", error="That password is not right."), 401
    lockout.forget(address)
    adminauth.sign_in()
    return redirect(url_for("admin.index"))

@bp.post("/logout")
def logout():
    """Sign out: this session ends everywhere (copies of the cookie, sockets opened with it)."""
    adminauth.sign_out()
    return redirect(url_for("admin.index"))

@bp.before_request
def require_admin():
    """Refuse other PCs unless CCC_ADMIN_FROM allows them; send visitors not signed in to the sign-in form."""
    if not adminauth.address_may_admin(request.remote_addr, current_app.config["ADMIN_FROM"]):
        return render_template("admin_refused.html", address=request.remote_addr), 403
    if request.endpoint in ("admin.index", "admin.login", "admin.logout") or signed_in():
        return None
    if request.endpoint == "admin.presence":
        return jsonify({"ok": False, "error": {"code": "forbidden", "message": "sign in at /admin"}}), 401
    return redirect(url_for("admin.index"))

def open_room(code: str) -> Room | None:
    """Return the open room, or flash that there is none."""
    room = rooms.find_room(code)
    if room is None:
        flash(f"No open room {code}.", "error")
    return room

def confirmed() -> bool:
    """Tell whether the form's confirmation box was ticked (the page works without JavaScript)."""
    return request.form.get("confirm") == "yes"

def back():
    """Go back to the rooms page."""
    return redirect(url_for("admin.index"))
