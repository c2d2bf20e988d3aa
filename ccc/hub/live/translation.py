"""Finals in each reader's language: readers sit in one captions room per language, finals are translated once.

Original-caption readers (and presenters, projectors without ``?lang=``) sit in ``room:CODE:original``; a
reader in Portuguese sits in ``room:CODE:lang:pt`` instead, so it never gets the original final as well. Every
other room event (partials included: they stay in the original until the final) still goes to ``room:CODE``.
The process that stores a final (or a correction) emits the original at once, then translates it on a
greenlet of its own, once per language wanted, and emits each translation to its language room as it comes (through the
message queue when there are several hub processes): one translation per caption, whatever the readers.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_socketio import join_room, leave_room

from ccc.hub.extensions import socketio
from ccc.hub.rules import languages
from ccc.store.models import Room

from .sockets import Connection, captions_key, readers_langs

log = logging.getLogger("ccc.hub.translate")


def seat(conn: Connection, sid: str, code: str, lang: str | None) -> None:
    """Put a connection in the captions room of its language (leaving the one it was in)."""
    leave_room(captions_key(code, conn.lang), sid=sid)
    leave_room(captions_key(code), sid=sid)
    conn.lang = lang
    join_room(captions_key(code, lang), sid=sid)


def unseat(conn: Connection, sid: str, code: str) -> None:
    """Take a connection out of its captions room (it leaves the CCC room)."""
    leave_room(captions_key(code, conn.lang), sid=sid)
    conn.lang = None


def emit_final(room: Room, event: str, payload: dict[str, Any]) -> None:
    """Send a final or a correction to the original readers now, and its translations to the others after."""
    socketio.emit(event, payload, to=captions_key(room.code))
    langs = languages.wanted(readers_langs(room.code), room)
    engine = languages.translations() if langs else None
    if engine is not None:
        timeout = current_app.config["TRANSLATE_TIMEOUT_S"]
        socketio.start_background_task(_translate_and_emit, engine, room.code, event, payload, langs, timeout)


def _translate_and_emit(engine, code: str, event: str, payload: dict[str, Any], langs: list[str],
                        timeout: float) -> None:
    left = list(langs)
    try:
        for lang, translated in languages.translate_final(engine, payload, langs, timeout):
            socketio.emit(event, translated, to=captions_key(code, lang))  # each language as soon as it is ready
            left.remove(lang)
    except Exception:  # noqa: BLE001 - a failed translation must still give its readers the original
        log.exception("translating %s of room %s failed", event, code)
        for lang in left:
            socketio.emit(event, languages.as_read(payload, lang, None), to=captions_key(code, lang))


def set_language(conn: Connection, sid: str, room: Room, lang: str | None) -> str | None:
    """Move a reader to the language it asked for (refused with bad_request when the hub has no model for it)."""
    chosen = languages.choose(room, lang)
    seat(conn, sid, room.code, chosen)
    return chosen

