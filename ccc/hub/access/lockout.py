"""Wrong passwords cost time: each is answered slowly, and after a few the key must wait, doubling.

A key is whatever is being locked out: a client address for the admin login; for room PINs, both the
address (``pin:addr:...``) and the room (``pin:room:...``), so many addresses cannot share out the guessing.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

FREE_FAILURES = 3
FAILURE_DELAY_S = 0.4
MAX_LOCKOUT_S = 300.0


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


# Per process and per key; a second hub process keeps its own count, which only adds a little slack.
_failures: dict[str, _Failures] = {}
_lock = threading.Lock()


def seconds_left(address: str) -> float:
    """Return how long this key must still wait before trying again (0 when it may try now)."""
    with _lock:
        record = _failures.get(address)
        return max(0.0, record.locked_until - time.monotonic()) if record else 0.0


def note_failure(address: str, free: int = FREE_FAILURES, first_s: float = 1.0) -> None:
    """Count a wrong password; from the ``free``-th on, lock the key out for first_s, doubling up to 300 s."""
    with _lock:
        record = _failures.setdefault(address, _Failures())
        record.count += 1
        if record.count >= free:
            wait = first_s * 2.0 ** min(30, record.count - free)
            record.locked_until = time.monotonic() + min(MAX_LOCKOUT_S, wait)


def has_failures(key: str) -> bool:
    """Tell whether this key has a wrong try on record (a right one clears it)."""
    with _lock:
        record = _failures.get(key)
        return bool(record and record.count)


def clear(prefix: str = "") -> int:
    """Forget every key starting with ``prefix`` (the operator lifting lockouts); return how many went."""
    with _lock:
        gone = [key for key in _failures if key.startswith(prefix)]
        for key in gone:
            del _failures[key]
        return len(gone)


def forget(address: str) -> None:
    """Clear a key's failures after a right password."""
    with _lock:
        _failures.pop(address, None)


def undo_failure(address: str, free: int = FREE_FAILURES) -> None:
    """Take back one counted failure (a try counted before its slow check turned out right)."""
    with _lock:
        record = _failures.get(address)
        if record is not None:
            record.count = max(0, record.count - 1)
            if record.count < free:
                record.locked_until = 0.0
