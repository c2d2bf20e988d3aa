"""Serve the hub: the gevent server with the tweaks the fan-out benchmark asked for, or Flask-SocketIO's own."""
from __future__ import annotations

import gc
import resource
import socket

from engineio.exceptions import SocketIsClosedError
from flask import Flask

from ccc.hub.extensions import socketio


def serve(app: Flask) -> None:
    """Serve until stopped, in the configured async mode."""
    # Startup leaves ~300k long-lived objects (imports, SQLAlchemy, Flask); freezing them keeps every later
    # full collection from walking them, which stalled broadcasts by 160-970 ms (docs/performance.md).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    host, port = app.config["HOST"], app.config["PORT"]
    watch_ping_timeouts(socketio.server.eio)
    if app.config["ASYNC_MODE"] != "gevent":
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)
        return
    from gevent import Timeout, pywsgi

    head_s, idle_s = app.config["REQUEST_HEAD_TIMEOUT_S"], app.config["SOCKET_TIMEOUT_S"]

    class Handler(websocket_handler_base()):
        """gevent's handler with a deadline for a request's line and headers (slowloris, idle keep-alive)."""

        _head_deadline = None

        def read_requestline(self):
            self._head_deadline = Timeout.start_new(head_s, TimeoutError("request head too slow"))
            return super().read_requestline()

        def read_request(self, raw_requestline):
            try:
                return super().read_request(raw_requestline)
            finally:
                self._head_deadline.close()

        def handle_one_request(self):
            try:
                return super().handle_one_request()
            finally:
                if self._head_deadline is not None:
                    self._head_deadline.close()

    class Server(pywsgi.WSGIServer):
        """gevent's WSGI server with Nagle off and a timeout on every read and write of a client's socket."""

        handler_class = Handler

        def handle(self, sock, address):
            # Nagle off, so an ack never waits 40 ms behind the broadcast before it.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Without a timeout a connection that went silent (TCP connect then nothing, a body that never
            # ends, a WebSocket that stopped reading) held its socket and greenlets forever; a live WebSocket
            # sends a pong every ping interval, so only the dead ones reach it.
            sock.settimeout(idle_s)
            super().handle(sock, address)

    raise_open_files_limit()
    # `app` is the Flask app whose wsgi_app Flask-SocketIO wrapped: Socket.IO and pages on one port.
    tls = {"certfile": app.config["TLS_CERT"], "keyfile": app.config["TLS_KEY"]} if app.config["TLS_CERT"] else {}
    Server((host, port), app, log=None, **tls).serve_forever()


def watch_ping_timeouts(eio_server, every_s: float = 1.0) -> None:
    """Close the connections whose client missed its ping timeout, checking them all once a second."""
    # Engine.IO's own monitor visits one connection per ping_timeout / N seconds: with 500 phones it woke 100
    # times a second, each time with a timer of its own, about 9% of the hub's CPU while captions flowed
    # (docs/performance.md). One pass a second over the same check costs a fraction of that, and a dead link
    # is still closed within ping interval + ping timeout + 1 s.
    eio_server.start_service_task = False

    def watch() -> None:
        while True:
            eio_server.sleep(every_s)
            for sid, eio_socket in list(eio_server.sockets.items()):
                if eio_socket.closed:
                    eio_server.sockets.pop(sid, None)
                elif not eio_socket.closing:
                    try:
                        eio_socket.check_ping_timeout()
                    except SocketIsClosedError:  # closed by another thread since (threading mode)
                        pass

    eio_server.start_background_task(watch)


def websocket_handler_base():
    """Return the handler class to build on: gevent-websocket's when Engine.IO uses it, else gevent's own."""
    from engineio.async_drivers import gevent as engineio_gevent
    from gevent import pywsgi

    if engineio_gevent.SimpleWebSocketWSGI is not None:
        return pywsgi.WSGIHandler  # simple-websocket takes the socket over from inside the app
    from geventwebsocket.handler import WebSocketHandler

    class LateUpgrade(WebSocketHandler):
        """gevent-websocket, upgrading only once the app has accepted the request (Host, Origin, session).

        WebSocketHandler answers 101 before the app runs, so a handshake the host check or Engine.IO refuses
        would be upgraded first and closed after; here Engine.IO's WebSocket class asks for the upgrade
        (``ccc.upgrade_websocket`` in the environ, see ``gate.limit_websocket_messages``), and a refused
        handshake gets its 400.
        """

        def run_application(self):
            self.environ["ccc.upgrade_websocket"] = self.upgrade_now
            return pywsgi.WSGIHandler.run_application(self)

        def upgrade_now(self):
            """Answer 101 Switching Protocols and return the WebSocket, or None (a 400 was started)."""
            self.upgrade_websocket()
            websocket = self.environ.get("wsgi.websocket")
            if websocket is not None:
                self.write(b"")  # the 101 goes out now: the WebSocket's first frame follows it
            return websocket

        def log_request(self):
            pywsgi.WSGIHandler.log_request(self)  # the server's log (none): not gevent-websocket's INFO lines

    return LateUpgrade


def raise_open_files_limit() -> None:
    """Raise the soft limit on open files to the hard one: each WebSocket client costs the hub one or two."""
    # Many systems start processes with a soft limit of 1,024, which held ~500 phones on WebSocket.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
