"""The operator's pages, sessions: start, end and delete a room's transcript sessions."""
from __future__ import annotations

from flask import flash, request

from ccc.hub.rules import rooms
from ccc.store import sessions as session_rules
from ccc.store.transcripts import SessionNotFound

from .common import back, bp, captions_label, confirmed, open_room


@bp.post("/rooms/<code>/sessions")
def start_session(code: str):
    """End the room's open session and start the next one, with an optional title."""
    room = open_room(code)
    if room is None:
        return back()
    if not room.save_transcripts:
        flash(f"Room {room.code} does not save transcripts: turn saving on first.", "error")
        return back()
    started = session_rules.start_session(room, request.form.get("title"))
    flash(f"Started session {started.number} ({started.title}) in room {room.code}.", "ok")
    return back()

@bp.post("/rooms/<code>/sessions/end")
def end_session(code: str):
    """End the room's open session; the next caption starts a new one."""
    room = open_room(code)
    if room is None:
        return back()
    ended = session_rules.end_session(room)
    flash(f"Ended session {ended.number} in room {room.code}." if ended
          else f"Room {room.code} has no open session.", "ok")
    return back()

@bp.post("/rooms/<code>/sessions/<int:number>/delete")
def delete_session(code: str, number: int):
    """Delete one session with its captions, once the confirmation box is ticked."""
    room = rooms.find_room(code, include_archived=True)
    if room is None:
        flash(f"No room {code}.", "error")
        return back()
    if not confirmed():
        flash(f"Session {number} of room {room.code} was not deleted: tick the box to confirm first.", "error")
        return back()
    try:
        gone = session_rules.delete_session(room, number)
    except SessionNotFound as exc:
        flash(f"Could not delete: {exc}.", "error")
    else:
        flash(f"Deleted session {number} of room {room.code} ({captions_label(gone)}).", "ok")
    return back()
