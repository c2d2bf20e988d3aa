"""Serve the hub: the gevent server with the tweaks the fan-out benchmark asked for, or Flask-SocketIO's own."""
from __future__ import annotations

import gc
import socket

from flask import Flask

from .extensions import socketio


def serve(app: Flask) -> None:
    """Serve until stopped, in the configured async mode."""
    # Startup leaves ~300k long-lived objects (imports, SQLAlchemy, Flask); freezing them keeps every later
    # full collection from walking them, which stalled broadcasts by 160-970 ms (docs/performance.md).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    host, port = app.config["HOST"], app.config["PORT"]
    if app.config["ASYNC_MODE"] != "gevent":
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)
        return
    from gevent import pywsgi

    class Server(pywsgi.WSGIServer):
        """gevent's WSGI server with Nagle off, so an ack never waits 40 ms behind the broadcast before it."""

        def handle(self, sock, address):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle(sock, address)

    # `app` is the Flask app whose wsgi_app Flask-SocketIO wrapped: Socket.IO and pages on one port.
    Server((host, port), app, log=None).serve_forever()
