"""A presenter station's audio advice: relayed to the room's presenters (their consoles), never stored.

The station's meter sends ``stationAudio`` when its advice changes and when it joins; the hub adds the sender's
id and name and sends it to ``presenters:CODE`` (the consoles and stations of the room, not its readers).
"""
from __future__ import annotations

from ccc import protocol
from ccc.hub.extensions import socketio
from ccc.hub.rules import station_audio
from ccc.protocol import ErrorCode, ProtocolError, ok_ack

from .sockets import Connection, charge, handler, joined_context, presenters_key


@handler(protocol.STATION_AUDIO, protocol.StationAudio)
def on_station_audio(data: protocol.StationAudio, conn: Connection):
    """A presenter's station says how its microphone hears; the room's presenters hear stationAudio if it changed."""
    if conn.role != "presenter":
        raise ProtocolError(ErrorCode.FORBIDDEN, "only presenters' stations send audio advice")
    room, participant = joined_context(conn)
    if participant.waiting:
        raise ProtocolError(ErrorCode.FORBIDDEN, "wait for approval before sending audio advice")
    message, changed = station_audio.keep(room.code, participant.participant_id, participant.name, data)
    if changed:  # the same advice again (a rejoin, new figures) is kept for later joiners, not broadcast
        charge(conn, broadcasts=1)
        socketio.emit(protocol.STATION_AUDIO, message, to=presenters_key(room.code))
    return ok_ack(relayed=changed)
