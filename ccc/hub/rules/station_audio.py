"""Each presenter station's latest audio advice, kept in memory for consoles that join later; never stored.

Per process, like the connections it comes from: in a hub of several processes a console sees at its join the
advice of the stations connected to its own process, and the others' at their next change.
"""
from __future__ import annotations

import threading
from typing import Any

from ccc import protocol

_latest: dict[str, dict[str, dict[str, Any]]] = {}  # room code -> participant id -> the stationAudio relayed
_lock = threading.Lock()


def keep(code: str, participant_id: str, name: str, data: protocol.StationAudio) -> tuple[dict[str, Any], bool]:
    """Keep a station's advice; return it as the room's presenters see it, and whether its advice changed."""
    message = {"participantId": participant_id, "name": name, **data.model_dump()}
    with _lock:
        room = _latest.setdefault(code, {})
        previous = room.get(participant_id)
        room[participant_id] = message
    return message, previous is None or previous["advice"] != data.advice or previous["name"] != name


def forget(code: str, participant_id: str) -> None:
    """Drop the advice of a presenter who left the room (or dropped)."""
    with _lock:
        room = _latest.get(code)
        if room is not None:
            room.pop(participant_id, None)
            if not room:
                del _latest[code]


def latest(code: str) -> list[dict[str, Any]]:
    """Return the advice of every station in a room this process knows of, for a presenter's roomState."""
    with _lock:
        return list(_latest.get(code, {}).values())
