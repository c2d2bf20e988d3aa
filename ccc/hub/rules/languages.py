"""Who reads which language: the languages a room offers, a reader's choice, and the one translator per process.

A reader in a language other than the room's own gets each final translated once per language (not once per
reader) by this process's ``Translations`` (ccc.translate.engine: a worker process fed by one real thread, so
gevent's loop never waits on native code). No sockets here: the live layer seats readers and emits.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any

from flask import current_app

from ccc.protocol import ErrorCode, ProtocolError
from ccc.store.models import Room

from .translated import remember

log = logging.getLogger("ccc.hub.translate")

ROOM_LANG = "en"  # the language rooms are spoken in (the bundled models go to and from English)

_translations = None
_warmed: set[str] = set()
_lock = threading.Lock()


def translations():
    """Return this process's translator, started on first use (None when translation is switched off)."""
    global _translations
    if not current_app.config["TRANSLATE"]:
        return None
    with _lock:
        if _translations is None:
            from ccc.translate.engine import Translations  # noqa: PLC0415 - fxtranslate only when it is used

            _translations = Translations(queue_size=current_app.config["TRANSLATE_QUEUE"])
    return _translations


def offered(room: Room) -> list[dict[str, str]]:
    """Return the languages a room's readers may choose, [{code, name}]: none in an e2e room (the hub cannot read it)."""
    engine = None if room.e2e else translations()
    if engine is None:
        return []
    from ccc.translate.languages import name  # noqa: PLC0415 - fxtranslate's names only when asked

    return [{"code": code, "name": name(code)} for code in engine.languages(ROOM_LANG)]


def describe(room: Room) -> dict[str, Any]:
    """Return what a joiner learns of the room's languages: its spoken ``lang`` and the ``languages`` offered."""
    return {"lang": ROOM_LANG, "languages": offered(room)}


def choose(room: Room, lang: str | None) -> str | None:
    """Return the language a reader will read in (None: the original), or refuse one the hub cannot give."""
    if lang is None or lang == ROOM_LANG:
        return None
    if room.e2e:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "translation is not available in an end-to-end encrypted room")
    codes = [entry["code"] for entry in offered(room)]
    if lang not in codes:
        available = ", ".join(codes) or "none"
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"no translation model for {lang!r}; available: {available}")
    if lang not in _warmed:  # the first reader of a language loads its model, before the first final needs it
        _warmed.add(lang)
        translations().warm(ROOM_LANG, lang)  # queued for the worker process: returns at once
    return lang


def wanted(local: set[str], room: Room | None = None) -> list[str]:
    """Return the languages to translate a room's final into: those its readers in this process want.

    With several hub processes (a message queue), readers of a room may sit in any of them and only the process
    that stored the final translates it: it then translates into every language offered, once each.
    """
    langs = set(local)
    if room is not None and current_app.config.get("MESSAGE_QUEUE") and not room.e2e:
        langs.update(entry["code"] for entry in offered(room))
    return sorted(langs)


def translate_final(engine, payload: dict[str, Any], langs: list[str], timeout: float):
    """Yield (language, the payload its readers get) as each is ready: translated, or the original when late or full."""
    text = payload["text"]
    found = engine.translate_each(text, ROOM_LANG, langs, timeout=timeout) if text.strip() else \
        ((lang, None) for lang in langs)
    for lang, translated in found:
        if translated is not None:
            remember(lang, text, translated)  # a reader who joins later gets it without asking the translator
        yield lang, as_read(payload, lang, translated)


def as_read(payload: dict[str, Any], lang: str, translated: str | None) -> dict[str, Any]:
    """Return a final or correction as a reader of ``lang`` gets it: translated, or the original, marked."""
    base = {key: value for key, value in payload.items() if key != "words"}  # timings are the original's
    if translated is None:
        return {**base, "lang": ROOM_LANG, "machineTranslated": False}
    return {**base, "text": translated, "originalText": payload["text"], "lang": lang, "machineTranslated": True}


EXPORT_CHUNK = 20  # captions per translation job: live finals wait behind one chunk (~0.2 s), not a whole export
EXPORT_TIMEOUT_S = 20.0


def translate_transcript(transcript, lang: str):
    """Return the transcript with every caption machine-translated into ``lang`` (the record stays English).

    Return None when the translator is too busy to finish it now. Word timings are dropped: they time the
    original's words, so subtitle cues follow each caption's own start and end instead.
    """
    from ccc.translate.languages import name  # noqa: PLC0415

    engine = translations()
    texts = [caption.text for session in transcript.sessions for caption in session.captions]
    done: list[str] = []
    for start in range(0, len(texts), EXPORT_CHUNK):
        chunk = engine.translate_batch(texts[start:start + EXPORT_CHUNK], ROOM_LANG, lang, timeout=EXPORT_TIMEOUT_S,
                                       background=True)
        if chunk is None:
            return None
        done.extend(chunk)
    found = iter(done)
    sessions = tuple(replace(session, captions=tuple(replace(caption, text=next(found), words=None, revisions=())
                                                     for caption in session.captions))
                     for session in transcript.sessions)
    note = f"machine translation into {name(lang)} ({lang}); the original English transcript is the record"
    return replace(transcript, sessions=sessions, lang=lang, translation=note)
