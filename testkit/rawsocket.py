"""A Socket.IO client made of raw WebSocket frames, as an attacker (or a strict browser parser) sees the wire.

Every frame the hub sends is parsed with strict JSON (no Infinity, no NaN), as a browser's JSON.parse does.
"""
from __future__ import annotations

import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import websocket


def strict_loads(text: str) -> Any:
    """Parse JSON as a browser does: Infinity and NaN are errors."""
    def refuse(constant: str) -> Any:
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


class RawSocket:
    """One Engine.IO 4 / Socket.IO 5 connection over a raw WebSocket, with strict JSON parsing."""

    def __init__(self, base_url: str, host: str | None = None, origin: str | None = None, timeout: float = 10,
                 source: str | None = None):
        """Connect; ``source`` (e.g. 127.0.0.7) makes the hub see another client address on loopback."""
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        headers = {}
        if host:
            headers["Host"] = host
        options: dict[str, Any] = {}
        if source:
            target = urlsplit(base_url)
            sock = socket.create_connection((target.hostname, target.port), timeout=timeout,
                                            source_address=(source, 0))
            options["socket"] = sock
        self.ws = websocket.create_connection(url, timeout=timeout, header=headers, origin=origin,
                                              suppress_origin=origin is None, enable_multithread=True, **options)
        assert self.ws.recv().startswith("0{")  # Engine.IO open
        self.ws.send("40")
        self.events: list[tuple[str, Any]] = []
        self._ack_id = 0
        while not self._next().startswith("40"):
            pass

    def _next(self) -> str:
        frame = self.ws.recv()
        if frame == "2":  # Engine.IO ping: answer, or the hub drops us
            self.ws.send("3")
        return frame

    def call(self, event: str, data: Any, timeout: float = 20) -> Any:
        """Emit an event with an ack id; return the ack, recording (strictly parsed) events on the way."""
        self._ack_id += 1
        self.ws.send(f"42{self._ack_id}" + json.dumps([event, data]))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self._next()
            if frame.startswith("43"):
                body = frame[2:]
                digits = len(body) - len(body.lstrip("0123456789"))
                if int(body[:digits]) == self._ack_id:
                    return strict_loads(body[digits:])[0]
            elif frame.startswith("42"):
                name, *args = strict_loads(frame[2:])
                self.events.append((name, args[0] if args else None))
        raise AssertionError(f"no ack to {event} in {timeout} s")

    def wait_for(self, event: str, timeout: float = 10) -> Any:
        """Return the next (strictly parsed) event with this name."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, data in self.events:
                if name == event:
                    self.events.remove((name, data))
                    return data
            frame = self._next()
            if frame.startswith("42"):
                name, *args = strict_loads(frame[2:])
                self.events.append((name, args[0] if args else None))
        raise AssertionError(f"no {event} in {timeout} s")

    def close(self) -> None:
        """Close the WebSocket."""
        self.ws.close()
