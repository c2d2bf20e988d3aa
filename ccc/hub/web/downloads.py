"""Transcript downloads that cannot stall a room: limited per address, rendered off the event loop, cached.

One HTTP client looping /r/CODE/transcript.docx took readers' caption p99 from 154 ms to 2.3 s, and four
loops lost captions (issue #19): every download queried the whole transcript and rendered it on the event
loop. Now a download costs a token of its address's download bucket (429 with Retry-After when it has none,
as ``limits`` answers any request past its address's budget), a
rendered file is kept until the transcript changes (its last seq, last rev, sessions or caption count), and
rendering runs in a worker thread, at most ``RENDERERS`` at once with ``WAITING`` more queued (503 past that).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app, request
from sqlalchemy import func, select

from ccc.hub.access import pins, throttle
from ccc.hub.rules import languages
from ccc.store.db import db
from ccc.store.models import Caption, Room
from ccc.store.transcripts import build_transcript, room_sessions
from ccc.transcripts import export, filename

from .limits import refuse

RENDERERS = 2  # renderings at once (pins.off_loop's two worker threads)
WAITING = 8  # renderings that may wait for a worker; more are told to come back
CACHE_FILES = 32
CACHE_BYTES = 64 * 1024 * 1024

_cache: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
_cache_bytes = 0
_lock = threading.Lock()
_slots = threading.BoundedSemaphore(RENDERERS + WAITING)


def _version(room: Room) -> tuple:
    """Return what a rendered transcript depends on, from two small queries (no caption rows are read)."""
    count = db.session.scalar(select(func.count()).select_from(Caption).where(Caption.room_id == room.id))
    sessions = tuple((s.number, s.title, s.started_at, s.ended_at) for s in room_sessions(room))
    return room.title, room.last_seq, room.last_rev, count, sessions


def _take_token(address: str) -> float:
    """Spend a download token of this address; return 0, or the seconds until it has one again.

    CCC_DOWNLOADS_PER_S a second, with throttle.BURST_S seconds of them at once (2: 10 at once, then 2 a second).
    """
    limit = current_app.extensions.get("ccc_downloads")
    if limit is None:
        rate = current_app.config["DOWNLOADS_PER_S"]
        limit = current_app.extensions.setdefault("ccc_downloads", throttle.AddressLimit(rate, rate * throttle.BURST_S))
    return limit.wait_s(address)


def rendered(room: Room, fmt: str, number: int | None, lang: str | None = None) -> tuple[bytes, str]:
    """Return the room's transcript file in ``fmt`` (machine-translated into ``lang``) and its download name.

    From the cache when unchanged. Raises SessionNotFound for a session the room does not have; aborts with
    429 or 503 when busy (the translator too).
    """
    wait = _take_token(request.remote_addr or "unknown")
    if wait:
        refuse(wait, f"Too many downloads from this address: try again in {int(wait) + 1} s.")
    key = (room.id, fmt, number, lang, _version(room))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if not _slots.acquire(blocking=False):
        refuse(5, "The hub is busy writing transcripts: try again in a few seconds.", 503)
    try:
        transcript = build_transcript(room, number)
        if lang:  # on the translator's worker process; this greenlet waits without blocking the loop
            transcript = languages.translate_transcript(transcript, lang)
            if transcript is None:
                refuse(5, "The translator is busy with live captions: try again in a few seconds.", 503)
        data = pins.off_loop(export, fmt, transcript)
    finally:
        _slots.release()
    name = filename(transcript, fmt, number)
    if lang:  # physics-ABC23.pt.srt: video players take the subtitles' language from the name
        stem, dot, ext = name.rpartition(".")
        name = f"{stem}.{lang}.{ext}"
    found = (data, name)
    _keep(key, found)
    return found


def _keep(key: tuple, found: tuple[bytes, str]) -> None:
    global _cache_bytes
    with _lock:
        if key not in _cache:
            _cache[key] = found
            _cache_bytes += len(found[0])
        while _cache and (len(_cache) > CACHE_FILES or _cache_bytes > CACHE_BYTES):
            _, (old, _name) = _cache.popitem(last=False)
            _cache_bytes -= len(old)
