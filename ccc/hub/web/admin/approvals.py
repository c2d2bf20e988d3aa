"""The operator's page, verified presenters: turn approval on or off for a room, approve or deny a presenter."""
from __future__ import annotations

from flask import flash, request

from ccc.hub.live import approval
from ccc.protocol import ProtocolError

from .common import back, bp, open_room


@bp.post("/rooms/<code>/verify")
def set_verify(code: str):
    """Turn verification of presenters on or off for a room."""
    room = open_room(code)
    if room is not None:
        on = request.form.get("verify") == "1"
        approval.set_verify(room, on)
        flash(f"Room {room.code}: presenters without the PIN "
              + ("wait for approval." if on else "present without approval."), "ok")
    return back()


@bp.post("/rooms/<code>/approve")
def approve(code: str):
    """Approve a presenter who waits: it may take the floor and is shown as verified."""
    return _decide(code, approval.approve, "may present now")


@bp.post("/rooms/<code>/deny")
def deny(code: str):
    """Deny a presenter who waits: it is removed from the room."""
    return _decide(code, approval.deny, "was denied and removed from the room")


def _decide(code: str, decide, done: str):
    room = open_room(code)
    if room is not None:
        try:
            target = decide(room, request.form.get("participant", ""))
        except ProtocolError as exc:
            flash(f"Could not do that: {exc.message}.", "error")
        else:
            flash(f"{target.name} {done}.", "ok")
    return back()
