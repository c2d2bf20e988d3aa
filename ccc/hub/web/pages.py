"""The browser pages: landing, audience, projector, presenter, the join QR code, and security headers."""
from __future__ import annotations

import functools
import io
import re
from urllib.parse import quote

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ccc.hub.access import adminauth, grants, pins
from ccc.hub.extensions import csrf
from ccc.hub.rules import rooms
from ccc.hub.transport.network import public_url
from ccc.protocol import MAX_PASSWORD, ErrorCode, ProtocolError, error_ack, normalize_code
from ccc.store.models import Room

from . import overlay

bp = Blueprint("pages", __name__)

# No inline scripts or styles, nothing from another host; WebSockets to this host are 'self' in CSP 3.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """Add the Content-Security-Policy and related headers to every response."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def audience_url(code: str) -> str:
    """Return the URL a phone opens to follow a room (never localhost unless nothing else exists)."""
    return f"{public_url(current_app)}/r/{code}"


def _open_room(code: str, endpoint: str) -> Room | Response:
    """Return the open room, a redirect to its canonical code, or the 404 prompt (no room, or private)."""
    room = rooms.find_room(normalize_code(code))
    if room is None or not grants.can_read(room):
        return grants.locked_page(code)
    if code != room.code:
        return redirect(url_for(endpoint, code=room.code))
    return room


def _room_page(template: str, endpoint: str, code: str, **extra):
    room = _open_room(code, endpoint)
    if not isinstance(room, Room):
        return room
    return render_template(template, room=room, join_url=audience_url(room.code),
                           is_admin=adminauth.signed_in(), **extra)


@bp.get("/")
def landing():
    """Show the room-code form and the open rooms."""
    return render_template("landing.html", rooms=rooms.list_rooms(public_only=True), error=None)


@bp.get("/go")
def go():
    """Send a typed room code (any case, spaces tolerated) to its audience page."""
    raw = request.args.get("code", "")
    room = rooms.find_room(raw) if raw.strip() else None
    if room is None or room.is_private:  # a private room answers as no room does: it opens from its link
        error = (f"No open room has the code “{normalize_code(raw)}”. A private room opens from its link or "
                 "QR code." if raw.strip() else "Enter a room code.")
        return render_template("landing.html", rooms=rooms.list_rooms(public_only=True), error=error, typed=raw), 404
    return redirect(url_for("pages.audience", code=room.code))


@bp.get("/r/<code>")
def audience(code: str):
    """Show the audience page: the live transcript for a phone."""
    return _room_page("audience.html", "pages.audience", code)


@bp.get("/r/<code>/projector")
def projector(code: str):
    """Show the projector page: large captions, the speaker and the join QR code."""
    return _room_page("projector.html", "pages.projector", code)


@bp.get("/r/<code>/overlay")
def overlay_page(code: str):
    """Show the caption overlay: the last lines only, on a transparent or chroma-key page (OBS, vMix)."""
    room = _open_room(code, "pages.overlay_page")
    if not isinstance(room, Room) and room.status_code != 302:  # no room, or private: the password prompt
        return room
    if not isinstance(room, Room):  # a redirect to the canonical code keeps the overlay's parameters
        kept = {k: v[:16] for k, v in request.args.items() if k in overlay.PARAMETERS}
        return redirect(url_for("pages.overlay_page", code=normalize_code(code), **kept))
    return render_template("overlay.html", room=room, options=overlay.as_data(overlay.parse(request.args)))


@bp.get("/r/<code>/present")
def present(code: str):
    """Show the presenter page: take the floor, type and correct captions."""
    return _room_page("present.html", "pages.present", code)


@bp.post("/r/<code>/unlock")
def unlock(code: str):
    """Check a room's password (or PIN) posted by its prompt; when right, keep a read grant in the cookie."""
    room = rooms.find_room(code, include_archived=True)
    if room is not None and not grants.needs_proof(room):
        return jsonify({"ok": True})
    try:
        right = pins.check_read_secret(room, request.form.get("password", "")[:MAX_PASSWORD], pin_too=True)
    except ProtocolError as exc:  # locked out: nothing was checked
        response = jsonify(exc.ack())
        response.status_code = 429
        return response
    if not right:
        return jsonify(error_ack(ErrorCode.ROOM_NOT_FOUND, "That password is not right, or there is no such room.")), 403
    grants.grant(room)
    return jsonify({"ok": True})


def qr_svg_text(url: str, code: str) -> str:
    """Return an SVG QR code of ``url`` for room ``code`` (tens of milliseconds of pure Python)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=10, border=4, dark="#000", light="#fff", xmldecl=False,
        title=f"Join room {code}", svgclass=None, lineclass=None)
    # segno gives a fixed width and height; a viewBox lets the page scale the code to any size.
    return re.sub(r'width="(\d+)" height="(\d+)"', r'width="\1" height="\2" viewBox="0 0 \1 \2" '
                  r'shape-rendering="crispEdges"', buffer.getvalue().decode(), count=1)


# A room's public QR code never changes: drawn once, not once per request (a loop of them would cost the hub
# a core within its request limit). A private room's carries its password, which is never kept.
_public_qr = functools.lru_cache(maxsize=256)(qr_svg_text)


def qr_response(url: str, code: str, public: bool = False) -> Response:
    """Return an SVG QR code of ``url`` for room ``code``, as the QR routes serve it."""
    svg = _public_qr(url, code) if public else qr_svg_text(url, code)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/r/<code>/qr.svg")
def qr_svg(code: str):
    """Return the QR code of the room's audience URL as SVG (of a private room: only to its readers)."""
    after_this_request(_vary_cookie)  # a private room's answer depends on the cookie: say so for every code alike
    room = rooms.find_room(code)
    if room is None or not grants.can_read(room):
        abort(404, description="No open room has this code.")
    return qr_response(audience_url(room.code), room.code, public=True)


def _vary_cookie(response: Response) -> Response:
    response.vary.add("Cookie")
    return response


@bp.post("/r/<code>/qr.svg")
@csrf.exempt  # an image, readable by this origin only; the password is checked and locked out as anywhere
def private_qr_svg(code: str):
    """Return the QR code of a private room's audience URL with its password in the fragment (#p=...).

    The hub keeps only the password's hash, so the projector posts the password it was opened with.
    """
    room = rooms.find_room(code)
    password = request.form.get("password", "")[:MAX_PASSWORD]
    private = room if room is not None and room.is_private else None
    try:  # a missing (or public) room is checked against a dummy hash: as slow as a private room's refusal
        right = pins.check_read_secret(private, password) and private is not None
    except ProtocolError:
        right = False
    if not right:
        abort(404, description="No open room has this code.")
    return qr_response(f"{audience_url(room.code)}#p={quote(password, safe='')}", room.code)
