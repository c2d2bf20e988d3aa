"""The hub's WebSocket under gevent: gevent-websocket, bounded and yielding like the simple-websocket it replaces.

gevent-websocket writes a frame with one header and one ``sendall`` where simple-websocket goes through
wsproto's event machinery, which made it the cheaper path per delivery (docs/performance.md, "Against a Node
socket.io relay"). As shipped it reads any frame length it is told (a 60 MB frame is 60 MB of hub memory),
unmasks and checks UTF-8 byte by byte in Python, and never lets other greenlets run while a client floods
it. ``BoundedWebSocket`` keeps its frame writing and replaces the reading; Engine.IO's wrapper gives every
upgraded connection this class (``ccc.hub.gate``).
"""
from __future__ import annotations

import struct

import gevent
from geventwebsocket.exceptions import FrameTooLargeException, ProtocolError, WebSocketError
from geventwebsocket.websocket import Header, WebSocket

_TEXT, _BINARY, _CONTINUATION = WebSocket.OPCODE_TEXT, WebSocket.OPCODE_BINARY, WebSocket.OPCODE_CONTINUATION
_CLOSE, _PING, _PONG = WebSocket.OPCODE_CLOSE, WebSocket.OPCODE_PING, WebSocket.OPCODE_PONG


class Unframed(bytes):
    """The rest of a frame the socket took only in part (``direct``): written as it is, not framed again."""

    __slots__ = ()


def unmask(payload: bytes, mask: bytes) -> bytes:
    """Return a client frame's payload unmasked (XOR with the 4-byte key), as one big-integer operation."""
    if not payload:
        return payload
    size = len(payload)
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


def frame_header(length: int, opcode: int) -> bytes:
    """Return the header of an unmasked, final server frame of this length."""
    if length < 126:
        return struct.pack("!BB", 0x80 | opcode, length)
    if length < 1 << 16:
        return struct.pack("!BBH", 0x80 | opcode, 126, length)
    return struct.pack("!BBQ", 0x80 | opcode, 127, length)


class BoundedWebSocket(WebSocket):
    """A gevent-websocket connection that refuses messages over ``max_message_bytes`` as their headers arrive."""

    __slots__ = ()  # the same layout as WebSocket, so an upgraded connection's class can be swapped in place
    max_message_bytes = 256 * 1024
    # One broadcast is one engineio packet whose encoded text is one str object, sent to every client in the
    # room in turn: the frame built for the first is reused for the rest (identity, not equality, is checked).
    _last_text: object = object()  # matches nothing until the first text is sent
    _last_frame: bytes = b""

    def read_message(self):
        """Return the next text (str) or binary (bytearray) message; None once a close frame was handled."""
        opcode, message = None, bytearray()
        while True:
            header = Header.decode_header(self.stream)
            if header.flags:
                raise ProtocolError("reserved bits set")
            if header.length + len(message) > self.max_message_bytes:
                raise FrameTooLargeException(f"message over {self.max_message_bytes} bytes")
            payload = self.raw_read(header.length) if header.length else b""
            if len(payload) != header.length:
                raise WebSocketError("Unexpected EOF reading frame payload")
            if header.mask:
                payload = unmask(payload, header.mask)
            # A client sending as fast as the link allows must not keep the captions of everyone else waiting.
            gevent.sleep(0)
            f_opcode = header.opcode
            if f_opcode in (_TEXT, _BINARY):
                if opcode:
                    raise ProtocolError("a new message inside a fragmented one")
                opcode = f_opcode
            elif f_opcode == _CONTINUATION:
                if not opcode:
                    raise ProtocolError("continuation without a message")
            elif f_opcode == _PING:
                self.handle_ping(header, payload)
                continue
            elif f_opcode == _PONG:
                continue
            elif f_opcode == _CLOSE:
                self.handle_close(header, payload)
                return None
            else:
                raise ProtocolError(f"unknown opcode {f_opcode}")
            message += payload
            if header.fin:
                break
        if opcode == _TEXT:
            return message.decode("utf-8")  # strict: bad UTF-8 raises UnicodeError and closes with 1007
        return message

    def send(self, message, binary=None):
        """Send one text or binary message (reusing the last frame for the same text object), or an Unframed rest."""
        if self.closed:
            raise WebSocketError("Connection is already closed")
        cls = type(self)
        if type(message) is Unframed:
            frame = message
        elif message is cls._last_text:
            frame = cls._last_frame
        elif isinstance(message, str) and not binary:
            data = message.encode("utf-8")
            frame = frame_header(len(data), _TEXT) + data
            cls._last_text, cls._last_frame = message, frame
        else:
            data = message.encode("utf-8") if isinstance(message, str) else bytes(message)
            frame = frame_header(len(data), _BINARY if binary is not False else _TEXT) + data
        try:
            self.raw_write(frame)
        except OSError as exc:
            raise WebSocketError("Socket is dead") from exc
