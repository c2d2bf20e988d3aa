"""Per-address limits on HTTP requests: every page, file and image, and transcript downloads besides.

One client looping a page, a QR image or a static file must not slow the room (issue #19). Each address has
a bucket of ``CCC_REQUESTS_BURST`` requests refilled at ``CCC_REQUESTS_PER_S``; an empty one is answered 429
with Retry-After before Flask routes the request, and the connection is closed, so a refusal costs the hub
next to nothing and a looping client must open a new connection for each try. The defaults let a class of
60 phones behind one NAT address (about 6 requests per page load) all open the audience page at once, twice.
Socket.IO (``/socket.io/``) is not counted here: its connections have their own limits (``live.sockets``).
Downloads (``downloads``) are dearer and have their own, tighter bucket as well, through the same helper.
"""
from __future__ import annotations

from flask import Flask, abort
from werkzeug.wrappers import Response

from ccc.hub.access import throttle

SOCKETIO_PREFIX = "/socket.io"


def too_many(retry_s: float, message: str, status: int = 429) -> Response:
    """Return the answer to a client that must come back later: 429 (or 503) with Retry-After, not cached."""
    response = Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["Retry-After"] = str(int(retry_s) + 1)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def refuse(retry_s: float, message: str, status: int = 429) -> None:
    """Abort the current Flask request with ``too_many``."""
    abort(too_many(retry_s, message, status))


class RequestLimit:
    """WSGI middleware answering 429 to an address past its request budget, before the app sees the request."""

    def __init__(self, wsgi_app, limit: throttle.AddressLimit):
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ, start_response):
        """Pass a request within its address's budget on (Socket.IO always); refuse any other with 429."""
        if not environ.get("PATH_INFO", "").startswith(SOCKETIO_PREFIX):
            wait = self.limit.wait_s(environ.get("REMOTE_ADDR") or "unknown")
            if wait:
                response = too_many(wait, f"Too many requests from this address: try again in {int(wait) + 1} s.")
                response.headers["Connection"] = "close"  # a looping client pays a new connection for each try
                return response(environ, start_response)
        return self.wsgi_app(environ, start_response)


def register(app: Flask) -> None:
    """Put the request limit in front of the app's pages (inside the host check, which guard adds later)."""
    limit = throttle.AddressLimit(app.config["REQUESTS_PER_S"], app.config["REQUESTS_BURST"])
    app.wsgi_app = RequestLimit(app.wsgi_app, limit)
