"""What reaches the hub at all: requests for a host it serves, forwarded headers it trusts, bounded messages.

A page on another site can resolve its own name to this PC (DNS rebinding) and then talk to the hub as if it
were same-origin, Host and Origin both saying ``evil.example``. So every HTTP request and Socket.IO handshake
must name a host the hub really serves, and X-Forwarded-* headers count only behind a configured proxy.
"""
from __future__ import annotations

import logging
import socket
from urllib.parse import urlsplit

from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .network import lan_address

log = logging.getLogger("ccc.hub.gate")  # the name operators' log filters already use

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
UNSPECIFIED_HOSTS = {"", "0.0.0.0", "::"}


def host_name(host_header: str) -> str:
    """Return the host of a Host header without its port, lower case (``[::1]:5000`` gives ``::1``)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def machine_hosts() -> set[str]:
    """Return the names and addresses this machine answers to on the LAN."""
    hosts = set()
    name = socket.gethostname().lower()
    if name:
        hosts |= {name, f"{name}.local"}
    try:
        hosts |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        pass
    lan = lan_address()
    if lan:
        hosts.add(lan)
    return hosts


def allowed_hosts(app: Flask) -> set[str]:
    """Return the hosts the hub serves: its public URL's, its own names and addresses, loopback, and extras."""
    hosts = set(LOOPBACK_HOSTS) | machine_hosts()
    if app.config.get("PUBLIC_URL"):
        hosts.add((urlsplit(app.config["PUBLIC_URL"]).hostname or "").lower())
    if app.config["HOST"] not in UNSPECIFIED_HOSTS:
        hosts.add(app.config["HOST"].lower())
    hosts |= {host_name(h) for h in app.config.get("ALLOWED_HOSTS", ()) if h.strip()}
    return hosts - {""}


class HostCheck:
    """WSGI middleware answering 400 to any request whose Host is not one the hub serves."""

    def __init__(self, wsgi_app, hosts: set[str]):
        self.wsgi_app = wsgi_app
        self.hosts = hosts

    def __call__(self, environ, start_response):
        """Pass a request for a served host on; refuse any other before Flask or Socket.IO sees it."""
        if host_name(environ.get("HTTP_HOST", "")) in self.hosts:
            return self.wsgi_app(environ, start_response)
        body = b"Unknown host. Open the hub by its address (set CCC_ALLOWED_HOSTS to add a name).\n"
        start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                           ("Content-Length", str(len(body)))])
        return [body]


class _Untrusted:
    """WSGI middleware dropping X-Forwarded-* headers, so nobody but a configured proxy can set them."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        """Forget forwarded headers (the Origin check would otherwise trust X-Forwarded-Host)."""
        for key in [k for k in environ if k.startswith("HTTP_X_FORWARDED_")]:
            del environ[key]
        return self.wsgi_app(environ, start_response)


def guard(app: Flask) -> None:
    """Wrap the app (Socket.IO included) in the host check and the trusted-proxy rule."""
    inner = HostCheck(app.wsgi_app, allowed_hosts(app))
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    # ProxyFix rewrites Host from X-Forwarded-Host before the check; each proxy adds one value to each header.
    app.wsgi_app = ProxyFix(inner, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies) \
        if proxies else _Untrusted(inner)


def limit_websocket_messages(eio_server, max_bytes: int) -> None:
    """Make the WebSocket transport refuse a message over ``max_bytes`` while reading it, not after."""
    # Engine.IO checks max_http_buffer_size only once simple-websocket has read the whole message (a 100 MB
    # frame grew the hub by 160 MB); simple-websocket itself can close the connection as the data arrives.
    websocket_class = eio_server._async.get("websocket")
    if websocket_class is not None and eio_server.async_mode == "gevent" and \
            not issubclass(websocket_class, SimpleWebSocketWSGI):
        eio_server._async = {**eio_server._async, "websocket": _bounded_gevent(websocket_class, max_bytes)}
        return
    if websocket_class is None or not issubclass(websocket_class, SimpleWebSocketWSGI):
        return  # eventlet's own WebSocket already bounds frames with max_frame_length

    class Bounded(websocket_class):
        def __init__(self, handler, server, **kwargs):
            super().__init__(handler, server, **kwargs)
            self.server_args["max_message_size"] = max_bytes

            def yielding(ws):  # a closure, not a bound method: no reference cycle through this object
                ws.ws.sock = _Yielding(ws.ws.sock, eio_server.sleep)
                return handler(ws)

            self.handler = handler
            self.app = yielding

        def __call__(self, environ, start_response):
            # Let the Engine.IO socket find its TCP socket, so a client too slow to read can be cut off.
            owner = getattr(self.handler, "__self__", None)
            if owner is not None:
                owner.ccc_websocket = self
            try:
                return super().__call__(environ, start_response)
            except (ValueError, IndexError) as exc:  # a frame that is no Engine.IO packet ("x42", ""): one line
                if owner is not None:
                    _drop(owner, f"not an Engine.IO packet ({exc})")
                return []
            finally:
                # Break the cycle socket -> websocket -> handler -> socket: the hub's garbage collector runs
                # rarely (server.py), and 1,200 joins left 23 MB of closed connections behind (test_soak).
                if owner is not None:
                    owner.ccc_websocket = None

        def close(self):
            try:
                super().close()
            except OSError:
                pass  # the client went first: nothing to tell it

    eio_server._async = {**eio_server._async, "websocket": Bounded}


def _bounded_gevent(websocket_class, max_bytes: int):
    """Return Engine.IO's gevent-websocket wrapper made to upgrade late, bound messages and yield (gevent_ws)."""
    from .direct import raw_socket
    from .gevent_ws import BoundedWebSocket

    BoundedWebSocket.max_message_bytes = max_bytes

    class BoundedGevent(websocket_class):
        ccc_direct_writes = True  # direct.py may write an idle connection's frames itself
        def __call__(self, environ, start_response):
            upgrade = environ.get("ccc.upgrade_websocket")  # ccc.hub.serve's handler: upgrade only now
            if upgrade is not None and environ.get("wsgi.websocket") is None:
                # (Flask-SocketIO hands the app a copy of the environ: the handler updates only its own.)
                environ["wsgi.websocket"] = upgrade()
            if environ.get("wsgi.websocket") is None:
                return []  # not a valid WebSocket handshake: the handler has started its 400
            environ["wsgi.websocket"].__class__ = BoundedWebSocket  # same slots: reads bounded, frames cached
            owner = getattr(self.app, "__self__", None)
            if owner is not None:
                owner.ccc_websocket = self
                owner.ccc_raw_socket = raw_socket(environ["wsgi.websocket"])  # for direct.py's writes
                if hasattr(owner.queue, "websocket_writer"):  # direct.py's queue: no timeout for its writer
                    owner.queue.websocket_writer = True
            try:
                return super().__call__(environ, start_response)
            except (ValueError, IndexError) as exc:  # a frame that is no Engine.IO packet ("x42", ""): one line
                if owner is not None:
                    _drop(owner, f"not an Engine.IO packet ({exc})")
                return []
            finally:
                if owner is not None:  # no cycle socket -> websocket -> handler -> socket (see Bounded)
                    owner.ccc_websocket = owner.ccc_raw_socket = None

        def close(self):
            try:
                super().close()
            except OSError:
                pass  # the client went first: nothing to tell it

    return BoundedGevent


class _Yielding:
    """A socket that lets other greenlets run after every read, so one client's flood cannot hog the hub."""

    # gevent switches greenlets only when a read would block: a client sending as fast as the link allows
    # (64 MB of attachments, JSON bombs) kept its reader running while the lecture's captions waited seconds.
    def __init__(self, sock, sleep):
        self._sock, self._sleep = sock, sleep

    def recv(self, size: int) -> bytes:
        data = self._sock.recv(size)
        self._sleep(0)
        return data

    def __getattr__(self, name):
        return getattr(self._sock, name)


def _drop(eio_socket, why: str) -> None:
    """Close an Engine.IO connection now, and its TCP socket, so none of its greenlets waits on the client."""
    log.info("dropped %s: %s", eio_socket.sid, why)
    eio_socket.close(wait=False, abort=True)
    websocket = getattr(eio_socket, "ccc_websocket", None)
    sock = getattr(getattr(websocket, "ws", None), "sock", None)  # simple-websocket
    if sock is None:  # gevent-websocket: the handler under the WebSocket holds the TCP socket
        sock = getattr(getattr(getattr(websocket, "_sock", None), "handler", None), "socket", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the writer blocked in send() and the reader in recv()
        except OSError:
            pass


def drop_client(sio_server, sid: str, why: str) -> bool:
    """Close a Socket.IO client's connection and its TCP socket now (the disconnect handler runs); tell if it was here."""
    eio_sid = sio_server.manager.eio_sid_from_sid(sid, "/")
    eio_socket = sio_server.eio.sockets.get(eio_sid) if eio_sid else None
    if eio_socket is None or eio_socket.closed:
        return False
    _drop(eio_socket, why)
    return True


def limit_send_queue(eio_server, max_packets: int, max_bytes: int) -> None:
    """Drop a connection whose unsent packets pass either bound, instead of queueing for it without end."""
    # A client that never reads (and fakes pongs so the ping timeout never fires) kept every packet for it in
    # an unbounded queue; asking for 200-caption pages it grew the hub by megabytes a second.
    send_packet = eio_server.send_packet

    def bounded(sid, pkt) -> None:
        eio_socket = eio_server.sockets.get(sid)
        if eio_socket is not None and eio_socket.queue.qsize() >= 2:  # a reading client's queue is near empty
            waiting = list(getattr(eio_socket.queue, "queue", ()))
            size = sum(len(p.data) for p in waiting if p is not None and isinstance(p.data, (str, bytes)))
            if len(waiting) >= max_packets or size >= max_bytes:
                _drop(eio_socket, f"too slow to read: {len(waiting)} packets, {size} bytes waiting")
                return
        send_packet(sid, pkt)

    eio_server.send_packet = bounded


# Exceptions python-socketio raises while decoding a packet that does not parse.
MALFORMED = (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError)


def refuse_malformed_packets(sio_server) -> None:
    """Drop a client that sends a Socket.IO packet that does not parse, or any binary packet."""
    # python-socketio logged a 20-line traceback for each bad packet and kept the connection (a cheap way to
    # fill the disk), and it kept every binary attachment a packet announced: announcing a million and then
    # sending them grew the hub without bound. CCC's protocol has no binary payloads at all.
    handle = sio_server._handle_eio_message

    def checked(eio_sid, data) -> None:
        eio_socket = sio_server.eio.sockets.get(eio_sid)
        if eio_socket is None or eio_socket.closed:
            return  # dropped already; what it sent before it noticed is not read
        if isinstance(data, bytes) or data[:1] in ("5", "6"):  # Socket.IO binary event or ack
            _drop(eio_socket, "binary packet")
            return
        try:
            handle(eio_sid, data)
        except MALFORMED as exc:  # the app's own handlers answer their errors with an ack; this is decoding
            _drop(eio_socket, f"malformed packet ({type(exc).__name__})")

    sio_server.eio.on("message", checked)


def disconnect_without_waiting(eio_server) -> None:
    """Make Engine.IO's disconnect queue its close packet and return, never waiting for the client to take it."""
    # Engine.IO answers a long-polling POST over max_http_buffer_size by disconnecting the session and
    # waiting until the queued close packet is sent; a client that never polls again made that wait forever,
    # so every oversized POST kept a greenlet and a socket for good (20 POSTs, 20 file descriptors).
    disconnect_all = eio_server.disconnect

    def disconnect(sid=None) -> None:
        if sid is None:
            disconnect_all()
            return
        eio_socket = eio_server.sockets.pop(sid, None)
        if eio_socket is not None:
            eio_socket.close(wait=False, reason=eio_server.reason.SERVER_DISCONNECT)

    eio_server.disconnect = disconnect
