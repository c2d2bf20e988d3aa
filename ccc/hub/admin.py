"""The operator's page: sign in, create, archive and delete rooms, set PINs, free the floor, run sessions."""
from __future__ import annotations

import hmac
import time
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from ccc import protocol
from ccc.protocol import ProtocolError
from ccc.transcripts import FORMATS
from ccc.transcripts import sessions as session_rules
from ccc.transcripts.queries import SessionNotFound, caption_counts, room_sessions
from ccc.transcripts.retention import default_days

from . import adminauth, floor_queue, lockout, pins, rooms, services
from . import vocabulary as vocab_rules
from .events import announce_floor_released, announce_room_updated, announce_vocabulary, lock_out_readers
from .extensions import db
from .models import Room
from .network import public_url
from .queue_events import announce_queue

bp = Blueprint("admin", __name__, url_prefix="/admin")

def _signed_in() -> bool:
    return adminauth.signed_in()


def _when(epoch_s: float | None) -> str:
    return datetime.fromtimestamp(epoch_s).astimezone().strftime("%Y-%m-%d %H:%M") if epoch_s else ""


def _captions(count: int) -> str:
    return f"{count} caption{'' if count == 1 else 's'}"


def _sessions_of(room: Room) -> list[dict[str, Any]]:
    """Return the room's sessions for the page, newest first, with their caption counts."""
    counts = caption_counts(room)
    return [
        {"number": s.number, "title": s.title, "open": s.ended_at is None, "count": _captions(counts.get(s.id, 0)),
         "started": _when(s.started_at), "ended": _when(s.ended_at)}
        for s in reversed(room_sessions(room))
    ]


@bp.get("")
def index():
    """Show the sign-in form, or the rooms with who is present, the floor, sessions and transcript settings."""
    if not _signed_in():
        return render_template("admin_login.html", error=None)
    return _page()


def _page(refused: dict[str, str] | None = None):
    """Render the rooms; ``refused`` keeps a refused vocabulary form's text and error for its room."""
    listing = []
    for room in rooms.list_rooms():
        sessions = _sessions_of(room)
        listing.append({"room": room, "participants": services.listed_participants(room.id),
                        "queue": floor_queue.wire(room.id),
                        "audience": services.audience_count(room.id), "sessions": sessions,
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
    """Send visitors who are not signed in to the sign-in form (the form itself stays open)."""
    if request.endpoint in ("admin.index", "admin.login", "admin.logout") or _signed_in():
        return None
    if request.endpoint == "admin.presence":
        return jsonify({"ok": False, "error": {"code": "forbidden", "message": "sign in at /admin"}}), 401
    return redirect(url_for("admin.index"))


def _open_room(code: str) -> Room | None:
    """Return the open room, or flash that there is none."""
    room = rooms.find_room(code)
    if room is None:
        flash(f"No open room {code}.", "error")
    return room


def _confirmed() -> bool:
    """Tell whether the form's confirmation box was ticked (the page works without JavaScript)."""
    return request.form.get("confirm") == "yes"


def _back():
    return redirect(url_for("admin.index"))


@bp.post("/rooms")
def create_room():
    """Create a room from the form; an end-to-end encrypted one goes back to /admin?created=CODE.

    The e2e room's key never comes here: admin.js makes it in the browser and puts it in the form's action
    fragment (``/admin/rooms#k=KEY``), which no request carries, and the browser keeps that fragment across
    this redirect, so the page it lands on shows the links with the key.
    """
    e2e = request.form.get("e2e") == "1"
    try:
        room = rooms.create_room(request.form.get("title", ""), code=request.form.get("code") or None,
                                 pin=request.form.get("pin") or None, saving=bool(request.form.get("saving")),
                                 e2e=e2e)
    except rooms.RoomError as exc:
        flash(f"Could not create the room: {exc}.", "error")
        return redirect(url_for("admin.index"))
    pin = f"; its PIN has {pins.strength(request.form['pin'])}" if room.has_pin else ""
    flash(f"Created room {room.code} ({room.title}){', end-to-end encrypted' if e2e else ''}{pin}.", "ok")
    return redirect(url_for("admin.index", created=room.code) if e2e else url_for("admin.index"))


@bp.post("/rooms/<code>/pin")
def set_pin(code: str):
    """Set or remove a room's presenter PIN."""
    pin = request.form.get("pin", "").strip()
    try:
        room, demoted_holder = rooms.set_pin(code, pin or None)
    except rooms.RoomError as exc:
        flash(f"Could not change the PIN: {exc}.", "error")
    else:
        if demoted_holder:
            announce_floor_released(room.code, demoted_holder, "released")
        strength = f" ({pins.strength(pin)}; wrong guesses are locked out)" if pin else ""
        flash(f"Room {room.code} now {'needs a presenter PIN' if pin else 'has no presenter PIN'}{strength}.", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/rooms/<code>/password")
def set_password(code: str):
    """Make a room private with a read password, or public again with an empty one."""
    password = request.form.get("password", "").strip()
    try:
        room = rooms.set_password(code, password or None)
    except rooms.RoomError as exc:
        flash(f"Could not change the room password: {exc}.", "error")
        return _back()
    if password:  # the password itself stays out of the flash (it would sit in the cookie)
        dropped = lock_out_readers(room)
        flash(f"Room {room.code} is private. Open its projector as /r/{room.code}/projector#p= followed by the "
              f"password: its QR code and link then carry it. Readers who joined before must give it again "
              f"({dropped} connected were asked for it; presenters with the PIN and you read on).", "ok")
    else:
        flash(f"Room {room.code} is public: anyone with its code may read it.", "ok")
    return _back()


@bp.post("/rooms/<code>/publish")
def publish(code: str):
    """Publish an archived room's transcript to everyone, or take it back."""
    try:
        room = rooms.set_published(code, request.form.get("published") == "1")
    except rooms.RoomError as exc:
        flash(f"Could not change publishing: {exc}.", "error")
        return _back()
    flash(f"Room {room.code} transcript is {'published: anyone may read it' if room.published else 'not published: the admin, its PIN or its password may read it'}.", "ok")
    return _back()


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


@bp.post("/rooms/<code>/queue/remove")
def queue_remove(code: str):
    """Take a presenter out of the room's queue for the floor (or take back the floor offered to it)."""
    return _change_queue(code, lambda room, pid: floor_queue.remove(room, pid), "Took {name} out of the queue")


@bp.post("/rooms/<code>/queue/move")
def queue_move(code: str):
    """Move a presenter to another place in the room's queue for the floor (0 is next)."""
    raw = request.form.get("position", "")
    position = int(raw) if raw.isdigit() and int(raw) < protocol.MAX_QUEUE else 0
    return _change_queue(code, lambda room, pid: floor_queue.move(room, pid, position),
                         "Moved {name} to place " + str(position + 1))


def _change_queue(code: str, change, done: str):
    room = _open_room(code)
    if room is None:
        return _back()
    pid = request.form.get("participant", "")
    name = next((e.name for e in floor_queue.entries(room.id) if e.participant_id == pid),
                (floor_queue.offer_of(room.id) or ("", "someone"))[1])
    try:
        change(room, pid)
    except ProtocolError as exc:
        flash(f"Could not change the queue of room {room.code}: {exc.message}.", "error")
        return _back()
    floor_queue.settle(room.id)
    announce_queue(room.code, room.id)
    flash(done.format(name=name) + f" in room {room.code}.", "ok")
    return _back()


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
        announce_room_updated(room.summary(), archived=True)
        flash(f"Archived room {room.code}.", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/rooms/<code>/delete")
def delete_room(code: str):
    """Delete a room (open or archived) with all its transcripts, once the confirmation box is ticked."""
    room = rooms.find_room(code, include_archived=True)
    if room is None:
        flash(f"No room {code}.", "error")
        return _back()
    if not _confirmed():
        flash(f"Room {room.code} was not deleted: tick the box to confirm first.", "error")
        return _back()
    summary, was_archived = room.summary(), room.archived_at is not None
    gone = session_rules.delete_room(room)
    announce_room_updated(summary, archived=was_archived, deleted=True)
    flash(f"Deleted room {summary['code']} with its transcripts ({_captions(gone)}).", "ok")
    return _back()


@bp.post("/rooms/<code>/transcripts")
def transcript_settings(code: str):
    """Turn saving on or off and set how many days transcripts are kept (empty: the hub default)."""
    room = _open_room(code)
    if room is None:
        return _back()
    raw_days = request.form.get("retention_days", "").strip()
    if raw_days and not (raw_days.isdigit() and int(raw_days) <= 36500):
        flash("Retention is a whole number of days (empty for the hub default).", "error")
        return _back()
    saving = request.form.get("saving") == "1"
    changed = saving != room.save_transcripts
    room.save_transcripts = saving
    room.retention_days = int(raw_days) if raw_days else None
    db.session.commit()
    if changed:
        announce_room_updated(room.summary())
    kept = f"for {room.retention_days} days" if room.retention_days is not None else "as the hub default says"
    flash(f"Room {room.code} {'saves' if saving else 'does not save'} its transcript; saved ones are kept {kept}.",
          "ok")
    return _back()


@bp.post("/rooms/<code>/vocabulary")
def set_vocabulary(code: str):
    """Set a room's terms and replacements; its connected presenters receive them at once."""
    room = _open_room(code)
    if room is None:
        return _back()
    terms = request.form.get("terms", "")
    replacements = request.form.get("replacements", "")
    try:
        room = vocab_rules.set_vocabulary(room.code, vocab_rules.from_text(terms, replacements))
    except rooms.RoomError as exc:  # show the form again with what was typed, and why it was refused
        refused = {"code": room.code, "terms": terms, "replacements": replacements,
                   "error": f"Not saved: {exc}."}
        return _page(refused), 400
    vocabulary = room.vocabulary_wire()
    announce_vocabulary(room.code, vocabulary)
    flash(f"Room {room.code} vocabulary saved: {vocab_rules.describe(vocabulary)}.", "ok")
    return _back()


@bp.post("/rooms/<code>/sessions")
def start_session(code: str):
    """End the room's open session and start the next one, with an optional title."""
    room = _open_room(code)
    if room is None:
        return _back()
    if not room.save_transcripts:
        flash(f"Room {room.code} does not save transcripts: turn saving on first.", "error")
        return _back()
    started = session_rules.start_session(room, request.form.get("title"))
    flash(f"Started session {started.number} ({started.title}) in room {room.code}.", "ok")
    return _back()


@bp.post("/rooms/<code>/sessions/end")
def end_session(code: str):
    """End the room's open session; the next caption starts a new one."""
    room = _open_room(code)
    if room is None:
        return _back()
    ended = session_rules.end_session(room)
    flash(f"Ended session {ended.number} in room {room.code}." if ended
          else f"Room {room.code} has no open session.", "ok")
    return _back()


@bp.post("/rooms/<code>/sessions/<int:number>/delete")
def delete_session(code: str, number: int):
    """Delete one session with its captions, once the confirmation box is ticked."""
    room = rooms.find_room(code, include_archived=True)
    if room is None:
        flash(f"No room {code}.", "error")
        return _back()
    if not _confirmed():
        flash(f"Session {number} of room {room.code} was not deleted: tick the box to confirm first.", "error")
        return _back()
    try:
        gone = session_rules.delete_session(room, number)
    except SessionNotFound as exc:
        flash(f"Could not delete: {exc}.", "error")
    else:
        flash(f"Deleted session {number} of room {room.code} ({_captions(gone)}).", "ok")
    return _back()


@bp.get("/rooms/<code>/presence")
def presence(code: str):
    """Return who is present in an open room, the audience count and the floor holder, as JSON."""
    room = rooms.find_room(code)
    if room is None:
        return jsonify({"ok": False, "error": {"code": "room_not_found", "message": "no open room"}}), 404
    speaker = {"id": room.floor_holder_id, "name": room.floor_holder_name} if room.floor_holder_id else None
    response = jsonify({"ok": True, "participants": services.listed_participants(room.id),
                        "audienceCount": services.audience_count(room.id), "speaker": speaker,
                        "lastSeq": room.last_seq, **floor_queue.wire(room.id)})
    response.headers["Cache-Control"] = "no-store"
    return response


from . import admin_approvals  # noqa: E402,F401 - adds the approval routes to this blueprint
