"""The operator's pages, rooms: create, PIN, password, publish, archive, delete, transcript settings, vocabulary."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from ccc.hub.access import pins
from ccc.hub.live.broadcast import announce_floor_released, announce_room_updated, announce_vocabulary, lock_out_readers
from ccc.hub.rules import rooms
from ccc.hub.rules import vocabulary as vocab_rules
from ccc.store import sessions as session_rules
from ccc.store.db import db

from .common import back, bp, captions_label, confirmed, open_room, page


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
        return back()
    if password:  # the password itself stays out of the flash (it would sit in the cookie)
        dropped = lock_out_readers(room)
        flash(f"Room {room.code} is private. Open its projector as /r/{room.code}/projector#p= followed by the "
              f"password: its QR code and link then carry it. Readers who joined before must give it again "
              f"({dropped} connected were asked for it; presenters with the PIN and you read on).", "ok")
    else:
        flash(f"Room {room.code} is public: anyone with its code may read it.", "ok")
    return back()

@bp.post("/rooms/<code>/publish")
def publish(code: str):
    """Publish an archived room's transcript to everyone, or take it back."""
    try:
        room = rooms.set_published(code, request.form.get("published") == "1")
    except rooms.RoomError as exc:
        flash(f"Could not change publishing: {exc}.", "error")
        return back()
    flash(f"Room {room.code} transcript is {'published: anyone may read it' if room.published else 'not published: the admin, its PIN or its password may read it'}.", "ok")
    return back()

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
        return back()
    if not confirmed():
        flash(f"Room {room.code} was not deleted: tick the box to confirm first.", "error")
        return back()
    summary, was_archived = room.summary(), room.archived_at is not None
    gone = session_rules.delete_room(room)
    announce_room_updated(summary, archived=was_archived, deleted=True)
    flash(f"Deleted room {summary['code']} with its transcripts ({captions_label(gone)}).", "ok")
    return back()

@bp.post("/rooms/<code>/transcripts")
def transcript_settings(code: str):
    """Turn saving on or off and set how many days transcripts are kept (empty: the hub default)."""
    room = open_room(code)
    if room is None:
        return back()
    raw_days = request.form.get("retention_days", "").strip()
    if raw_days and not (raw_days.isdigit() and int(raw_days) <= 36500):
        flash("Retention is a whole number of days (empty for the hub default).", "error")
        return back()
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
    return back()

@bp.post("/rooms/<code>/vocabulary")
def set_vocabulary(code: str):
    """Set a room's terms, replacements and verbatim setting; its connected presenters receive them at once."""
    room = open_room(code)
    if room is None:
        return back()
    terms = request.form.get("terms", "")
    replacements = request.form.get("replacements", "")
    verbatim = request.form.get("verbatim") == "on"
    try:
        room = vocab_rules.set_vocabulary(room.code, {**vocab_rules.from_text(terms, replacements), "verbatim": verbatim})
    except rooms.RoomError as exc:  # show the form again with what was typed, and why it was refused
        refused = {"code": room.code, "terms": terms, "replacements": replacements,
                   "verbatim": verbatim,
                   "error": f"Not saved: {exc}."}
        return page(refused), 400
    vocabulary = room.vocabulary_wire()
    announce_vocabulary(room.code, vocabulary)
    flash(f"Room {room.code} vocabulary saved: {vocab_rules.describe(vocabulary)}.", "ok")
    return back()
