"""Transcript pages and downloads: /r/<code>/transcript to read, search and correct; /r/<code>/transcript.<fmt>."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from ccc import protocol
from ccc.hub.access import adminauth, grants
from ccc.hub.rules import languages, rooms
from ccc.hub.rules.rooms import E2E_EXPORT
from ccc.protocol import ProtocolError
from ccc.store.models import Room
from ccc.store.transcripts import SessionNotFound, caption_counts, room_sessions
from ccc.transcripts import CONTENT_TYPES, FORMATS

from . import downloads

bp = Blueprint("transcripts", __name__)

FORMAT_LABELS = {"txt": "Text", "md": "Markdown", "srt": "SRT", "vtt": "WebVTT", "json": "JSON", "docx": "Word"}


def _room(code: str) -> Room:
    """Return the room with this code, archived ones included, if this request may read it.

    Otherwise abort with the password prompt, the same 404 for no room, a private room and an archived
    one that is not published (the admin, its PIN or its password may read those).
    """
    room = rooms.find_room(code, include_archived=True)
    if room is None or not grants.can_read(room):
        abort(grants.locked_page(code))
    return room


def _session_arg() -> int | None:
    """Return ?session=N as an int, None when absent; abort with 400 when it is not a number."""
    raw = request.args.get("session", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400, description="session must be a session number, e.g. ?session=2")
    return int(raw)


@bp.get("/r/<code>/transcript")
def page(code: str):
    """Show the transcript page: choose a session, read and search it, correct it with the PIN or as admin."""
    room = _room(code)
    chosen = _session_arg()
    if code != room.code:
        # Only the one known parameter, validated: the raw query string once reached url_for (?_external=1
        # with a forged Host redirected elsewhere, ?code=x failed with 500).
        return redirect(url_for("transcripts.page", code=room.code, session=chosen))
    counts = caption_counts(room)
    sessions = [
        {"number": s.number, "title": s.title, "count": counts.get(s.id, 0), "open": s.ended_at is None,
         "date": datetime.fromtimestamp(s.started_at).astimezone().strftime("%Y-%m-%d %H:%M")}
        for s in room_sessions(room)
    ]
    if chosen is None or chosen not in {s["number"] for s in sessions}:
        chosen = sessions[-1]["number"] if sessions else None
    response = Response(render_template(
        "transcript.html", room=room, sessions=sessions, chosen=chosen,
        formats={"json": "JSON (sealed)"} if room.e2e else FORMAT_LABELS,  # the hub cannot write the others
        is_admin=adminauth.signed_in(), live=room.archived_at is None,
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/r/<code>/transcript.<fmt>")
def download(code: str, fmt: str):
    """Return the room's transcript (all sessions, or ?session=N) as TXT, Markdown, SRT, WebVTT, JSON or DOCX."""
    if fmt not in FORMATS:
        abort(404, description=f"Transcripts come as {', '.join(FORMATS)}.")
    room = _room(code)
    if room.e2e and fmt != "json":
        return _sealed(room)
    number = _session_arg()
    lang = _lang_arg(room)
    try:  # limited per address, cached, off the event loop
        data, name = downloads.rendered(room, fmt, number, lang)
    except SessionNotFound as exc:
        abort(404, description=str(exc))
    response = Response(data, headers={"Content-Type": CONTENT_TYPES[fmt]})
    if lang:  # SRT has no header of its own: the language and the mark travel in the HTTP headers and the name
        response.headers["Content-Language"] = lang
        response.headers["X-Machine-Translated"] = f"{languages.ROOM_LANG} -> {lang}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _lang_arg(room: Room) -> str | None:
    """Return ?lang=xx when the hub can translate the room into it (None: the original); abort with 400 otherwise."""
    raw = request.args.get("lang", "").strip()
    try:
        return languages.choose(room, protocol.language_code(raw[:protocol.MAX_LANG + 1]))
    except (ValueError, ProtocolError) as exc:
        abort(400, description=getattr(exc, "message", None) or f"lang: {exc}")


def _sealed(room: Room) -> Response:
    """Answer a download the hub cannot make: an e2e room's captions open only with the key it never had."""
    fmt = request.view_args.get("fmt", "txt")
    response = Response(E2E_EXPORT.format(code=room.code, fmt=fmt), status=409,
                        headers={"Content-Type": "text/plain; charset=utf-8"})
    response.headers["Cache-Control"] = "no-store"
    return response
