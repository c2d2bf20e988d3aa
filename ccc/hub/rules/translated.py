"""The translations this process has made, kept for the next reader who wants the same text in the same language.

Live finals fill it (rules.languages) and backlog passes read and fill it (rules.backlog): a room of phones
joining at once, or the same phone coming back, costs the translator one pass.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

CACHE_SIZE = 4000  # translations kept per process: about a day of one busy room in one language, ~1 MB

_cache: OrderedDict[tuple[str, str], str] = OrderedDict()
_lock = threading.Lock()


def remember(lang: str, text: str, translated: str) -> None:
    """Keep a translation for the next reader who asks for the same text in the same language."""
    with _lock:
        _cache[(lang, text)] = translated
        _cache.move_to_end((lang, text))
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def recall(lang: str, text: str) -> str | None:
    """Return the kept translation of ``text`` into ``lang``, or None."""
    with _lock:
        return _cache.get((lang, text))
