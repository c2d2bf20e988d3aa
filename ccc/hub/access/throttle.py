"""Rate limits: a token bucket per connection and one per client address, which outlives its connections.

A connection starts with the bucket its address's previous connection left behind, so reconnecting does not
buy a fresh burst; the address's own bucket stops many parallel connections from multiplying the rate.
Per process, like the connections themselves.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

BURST_S = 5  # a bucket holds this many seconds of events, so short bursts are fine
FORGET_AFTER_S = 60  # an address without connections is forgotten once its buckets have refilled this long


@dataclass
class Bucket:
    """A token bucket refilled at a given rate, holding at most ``BURST_S`` seconds of it."""

    tokens: float
    stamp: float = field(default_factory=time.monotonic)

    def take(self, rate: float) -> bool:
        """Spend one token if there is one; tell whether there was."""
        stamp = time.monotonic()
        self.tokens = min(rate * BURST_S, self.tokens + (stamp - self.stamp) * rate)
        self.stamp = stamp
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class _Address:
    bucket: Bucket
    left: Bucket | None = None  # the bucket its last connection left with, inherited by the next one
    live: int = 0


_addresses: dict[str, _Address] = {}
_lock = threading.Lock()
_swept = time.monotonic()


def open_bucket(address: str, rate: float, address_rate: float) -> Bucket:
    """Return the bucket of a new connection from ``address``: the one its last connection left, else full."""
    with _lock:
        _sweep()
        record = _addresses.setdefault(address, _Address(Bucket(address_rate * BURST_S)))
        record.live += 1
        left = record.left
        return Bucket(left.tokens, left.stamp) if left else Bucket(rate * BURST_S)


def allow(address: str, bucket: Bucket, rate: float, address_rate: float) -> bool:
    """Tell whether one more event may pass, spending from the connection's and the address's buckets."""
    if not bucket.take(rate):
        return False  # refused events do not drain the address, so one flooder cannot starve its neighbours
    with _lock:
        record = _addresses.get(address)
        return record is None or record.bucket.take(address_rate)


def close_bucket(address: str, bucket: Bucket) -> None:
    """Keep a closed connection's bucket for the next connection from the same address."""
    with _lock:
        record = _addresses.get(address)
        if record is not None:
            record.live -= 1
            record.left = bucket


def _sweep() -> None:
    global _swept
    stamp = time.monotonic()
    if stamp - _swept < FORGET_AFTER_S:
        return
    _swept = stamp
    for address, record in list(_addresses.items()):
        last = max(record.bucket.stamp, record.left.stamp if record.left else 0.0)
        if record.live <= 0 and stamp - last > FORGET_AFTER_S:
            del _addresses[address]
