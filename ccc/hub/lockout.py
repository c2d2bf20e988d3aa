"""Wrong passwords cost time: each is answered slowly, and after a few the address must wait, doubling."""
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


# Per process and per client address; a second hub process keeps its own count, which only adds a little slack.
_failures: dict[str, _Failures] = {}
_lock = threading.Lock()


def seconds_left(address: str) -> float:
    """Return how long this address must still wait before trying again (0 when it may try now)."""
    with _lock:
        record = _failures.get(address)
        return max(0.0, record.locked_until - time.monotonic()) if record else 0.0


def note_failure(address: str) -> None:
    """Count a wrong password; from the third on, lock the address out for 1, 2, 4 ... up to 300 s."""
    with _lock:
        record = _failures.setdefault(address, _Failures())
        record.count += 1
        if record.count >= FREE_FAILURES:
            record.locked_until = time.monotonic() + min(MAX_LOCKOUT_S, 2.0 ** (record.count - FREE_FAILURES))


def forget(address: str) -> None:
    """Clear an address's failures after a right password."""
    with _lock:
        _failures.pop(address, None)
