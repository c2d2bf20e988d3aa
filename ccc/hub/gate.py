"""What reaches the hub at all: requests for a host it serves, forwarded headers it trusts, bounded messages.

A page on another site can resolve its own name to this PC (DNS rebinding) and then talk to the hub as if it
were same-origin, Host and Origin both saying ``evil.example``. So every HTTP request and Socket.IO handshake
must name a host the hub really serves, and X-Forwarded-* headers count only behind a configured proxy.
"""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .network import lan_address

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
    if websocket_class is None or not issubclass(websocket_class, SimpleWebSocketWSGI):
        return  # eventlet's own WebSocket already bounds frames with max_frame_length

    class Bounded(websocket_class):
        def __init__(self, handler, server, **kwargs):
            super().__init__(handler, server, **kwargs)
            self.server_args["max_message_size"] = max_bytes

    eio_server._async = {**eio_server._async, "websocket": Bounded}
