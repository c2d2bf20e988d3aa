"""Earlier finals in a reader's language: the captions a joiner, a resuming phone or a language change gets.

The newest ones are translated first (what a reader sees), in small background batches on this process's
translator, so live finals go ahead of them and a backlog never takes a live final's place. Each translation
is kept in this process's bounded cache (rules.translated; live finals fill it too), so a room of phones
joining at once, or the same phone coming back, costs the translator one pass. What is not done by the deadline, or finds the queue
full, goes in the original, marked, as a live final would: a reader waits seconds at most, never for a queue.
No sockets here: the live layer calls it from a handler, which waits on a greenlet, not on the event loop.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app

from . import languages
from .translated import recall, remember

BATCH = 10  # captions per translator job: a live final waits behind one batch at most (10 sentences at 17-60 ms)
_passes: dict[str, threading.Lock] = {}  # one backlog pass per language at a time: the next finds it cached
_passes_lock = threading.Lock()


def in_language(items: list[dict[str, Any]], lang: str | None) -> list[dict[str, Any]]:
    """Return finals or corrections (oldest first) as a reader of ``lang`` gets them (None: as they are)."""
    if lang is None or not items:
        return items
    engine = languages.translations()
    limit = current_app.config["TRANSLATE_BACKLOG"]
    if engine is not None and limit > 0:
        _translate(engine, [item["text"] for item in items[-limit:]], lang,
                   current_app.config["TRANSLATE_BACKLOG_TIMEOUT_S"])
    return [languages.as_read(item, lang, recall(lang, item["text"])) for item in items]


def _translate(engine, texts: list[str], lang: str, timeout: float) -> None:
    """Put into the cache what ``texts`` (oldest first) it lacks, newest first, until ``timeout`` runs out."""
    deadline = time.monotonic() + timeout
    with _passes_lock:
        gate = _passes.setdefault(lang, threading.Lock())
    if not gate.acquire(timeout=timeout):  # another reader's pass took the whole time: what it did is cached
        return
    try:
        missing = list(dict.fromkeys(text for text in reversed(texts) if text.strip() and not recall(lang, text)))
        for start in range(0, len(missing), BATCH):
            chunk = missing[start:start + BATCH]
            left = deadline - time.monotonic()
            done = engine.translate_batch(chunk, languages.ROOM_LANG, lang, timeout=left, background=True) \
                if left > 0 else None
            if done is None:  # full or late: the rest go in the original
                return
            for text, translated in zip(chunk, done):
                remember(lang, text, translated)
    finally:
        gate.release()
