"""Rate limits: a token bucket per connection and one per client address, which outlives its connections.

A connection starts with the bucket its address's previous connection left behind, so reconnecting does not
buy a fresh burst; the address's own bucket stops many parallel connections from multiplying the rate.
Each address also has a work bucket, counted in captions sent by joins and catchUp (a fresh join sends 500):
such an event reserves a little before it runs and is charged the rest once its answer is built, so
one address cannot make the hub read and send more than a set number of captions a second. Many addresses
together share a hub-wide work rate fairly: each address that asked for work in the last few seconds gets an
equal part of it (or its own rate, if lower), so ten flooding addresses slow one another, not the room, and an
honest phone, whose bucket is full, is answered at once.
HTTP requests are limited the same way, by ``AddressLimit``: a bucket per address for each kind of request
(every page and file, and transcript downloads besides), answered 429 with Retry-After when it is empty.
Per process, like the connections themselves.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

BURST_S = 5  # a bucket holds this many seconds of events, so short bursts are fine
WORK_BURST_S = 1  # a work bucket holds one second of captions: a fresh join always fits, a flood never does
FORGET_AFTER_S = 60  # an address without connections is forgotten once its buckets have refilled this long
SHARING_S = 3  # an address that asked for work this recently counts as one of those sharing the hub's work rate


@dataclass
class Bucket:
    """A token bucket refilled at a given rate, holding at most ``BURST_S`` seconds of it."""

    tokens: float
    stamp: float = field(default_factory=time.monotonic)
    burst_s: float = BURST_S

    def take(self, rate: float, tokens: float = 1) -> bool:
        """Spend ``tokens`` if there is at least one; tell whether there was (a dearer event may go into debt)."""
        self._refill(rate)
        if self.tokens < 1:
            return False
        self.tokens -= tokens
        return True

    def spend(self, rate: float, tokens: float) -> None:
        """Spend (or give back, when negative) ``tokens`` for work already done, going into debt if need be."""
        self._refill(rate)
        self.tokens -= tokens

    def wait_s(self, rate: float) -> float:
        """Return how long until this bucket holds a whole token again (0 when it does now)."""
        self._refill(rate)
        return max(0.0, (1 - self.tokens) / rate)

    def _refill(self, rate: float) -> None:
        stamp = time.monotonic()
        self.tokens = min(rate * self.burst_s, self.tokens + (stamp - self.stamp) * rate)
        self.stamp = stamp


@dataclass
class _Address:
    bucket: Bucket
    work: Bucket | None = None  # captions sent by joins and catchUp, made on the first such event
    left: Bucket | None = None  # the bucket its last connection left with, inherited by the next one
    live: int = 0


_addresses: dict[str, _Address] = {}
_lock = threading.Lock()
_swept = time.monotonic()
_working: dict[str, float] = {}  # address -> when it last asked for work, the last SHARING_S seconds only
_pruned = 0.0


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


def spend(address: str, tokens: float, address_rate: float) -> None:
    """Charge the address the extra tokens of an event already answered (one the whole room heard of).

    Not the connection: its bucket passes to the address's next connection, so a phone reconnecting with a
    name a few times would find itself refused; the address's budget is what bounds a flood of them.
    """
    with _lock:
        record = _addresses.get(address)
        if record is not None:
            record.bucket.spend(address_rate, tokens)


def reserve_work(address: str, captions: float, rate: float, hub_rate: float = 0) -> float:
    """Reserve ``captions`` of the address's work, or return how long to wait before trying again (0: reserved).

    ``rate`` is one address's; ``hub_rate`` (0: none) is shared by the addresses asking for work lately.
    """
    with _lock:
        record = _addresses.get(address)
        if record is None:
            return 0.0
        rate = _share(address, rate, hub_rate)
        if record.work is None:
            record.work = Bucket(rate * WORK_BURST_S, burst_s=WORK_BURST_S)
        if record.work.take(rate, captions):
            return 0.0
        return max(record.work.wait_s(rate), 0.01)


def charge_work(address: str, captions: float, rate: float, hub_rate: float = 0) -> None:
    """Charge the address the captions an answer sent beyond what it reserved (or give the unused part back)."""
    with _lock:
        record = _addresses.get(address)
        if record is not None and record.work is not None:
            record.work.spend(_share(address, rate, hub_rate), captions)


def _share(address: str, rate: float, hub_rate: float) -> float:
    """Return the address's work rate now: its own, or its equal part of the hub's, whichever is lower."""
    if hub_rate <= 0:
        return rate
    global _pruned
    stamp = time.monotonic()
    _working[address] = stamp
    if stamp - _pruned > 0.5:  # not on every call: a join storm of 1,500 phones is 1,500 addresses
        _pruned = stamp
        for other, last in list(_working.items()):
            if stamp - last > SHARING_S:
                del _working[other]
    return min(rate, hub_rate / len(_working))


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
        last = max(record.bucket.stamp, record.left.stamp if record.left else 0.0,
                   record.work.stamp if record.work else 0.0)
        if record.live <= 0 and stamp - last > FORGET_AFTER_S:
            del _addresses[address]


class AddressLimit:
    """Token buckets per client address for one kind of HTTP request, ``rate`` a second, ``burst`` at once."""

    MAX_ADDRESSES = 10_000  # past this, buckets that have refilled are forgotten (they would be full anyway)

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def wait_s(self, address: str, tokens: float = 1) -> float:
        """Spend ``tokens`` of this address's bucket; return 0, or the seconds until it has them again."""
        with self._lock:
            bucket = self._buckets.get(address)
            if bucket is None:
                if len(self._buckets) >= self.MAX_ADDRESSES:
                    self._forget_full()
                bucket = self._buckets[address] = Bucket(self.burst, burst_s=self.burst / self.rate)
            if bucket.take(self.rate, tokens):
                return 0.0
            return max(bucket.wait_s(self.rate), 0.1)

    def _forget_full(self) -> None:
        for address, bucket in list(self._buckets.items()):
            if bucket.wait_s(self.rate) == 0 and bucket.tokens >= self.burst:
                del self._buckets[address]
        if len(self._buckets) >= self.MAX_ADDRESSES:  # all busy: a flood of addresses; start afresh
            self._buckets.clear()
