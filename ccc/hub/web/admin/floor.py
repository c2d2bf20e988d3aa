"""The operator's pages, the floor: release it, change the queue, and who is present (polled by admin.js)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for

from ccc import protocol
from ccc.hub.live.broadcast import announce_floor_released
from ccc.hub.live.queue import announce_queue
from ccc.hub.rules import floor, floor_queue, rooms, station_audio
from ccc.hub.rules import presence as presence_rules
from ccc.protocol import ProtocolError

from .common import back, bp, open_room


@bp.post("/rooms/<code>/release")
def release(code: str):
    """Take the floor from whoever holds it; the room's pages hear speakerStopped at once."""
    room = rooms.find_room(code)
    if room is None:
        flash(f"No open room {code}.", "error")
        return redirect(url_for("admin.index"))
    holder_name = room.floor_holder_name
    holder_id = floor.force_release(room)
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
    room = open_room(code)
    if room is None:
        return back()
    pid = request.form.get("participant", "")
    name = next((e.name for e in floor_queue.entries(room.id) if e.participant_id == pid),
                (floor_queue.offer_of(room.id) or ("", "someone"))[1])
    try:
        change(room, pid)
    except ProtocolError as exc:
        flash(f"Could not change the queue of room {room.code}: {exc.message}.", "error")
        return back()
    floor_queue.settle(room.id)
    announce_queue(room.code, room.id)
    flash(done.format(name=name) + f" in room {room.code}.", "ok")
    return back()

@bp.get("/rooms/<code>/presence")
def presence(code: str):
    """Return who is present in an open room, the audience count, the floor holder and stations' audio, as JSON."""
    room = rooms.find_room(code)
    if room is None:
        return jsonify({"ok": False, "error": {"code": "room_not_found", "message": "no open room"}}), 404
    speaker = {"id": room.floor_holder_id, "name": room.floor_holder_name} if room.floor_holder_id else None
    response = jsonify({"ok": True, "participants": presence_rules.listed_participants(room.id),
                        "audienceCount": presence_rules.audience_count(room.id), "speaker": speaker,
                        "lastSeq": room.last_seq, "stationAudio": station_audio.latest(room.code),
                        **floor_queue.wire(room.id)})
    response.headers["Cache-Control"] = "no-store"
    return response
