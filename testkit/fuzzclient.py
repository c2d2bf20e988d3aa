"""A well-behaved caption pair that measures latency while a hub is attacked, and a filler of big finals.

Shared by tests/faults/test_fuzz.py and bench/fuzz.py; the attackers are in ``attackers.py``, a process of
their own, so their threads do not steal the measuring process's GIL.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import socketio


class GoodPair:
    """A presenter sending finals at ``rate`` per second and a phone timing each from send to receive."""

    def __init__(self, url: str, room: str, rate: float = 10.0):
        self.url, self.room, self.interval = url, room, 1.0 / rate
        self.sent: dict[str, float] = {}  # utteranceId -> monotonic send time
        self.acked: list[tuple[int, str]] = []  # (seq, utteranceId) in ack order
        self.received: list[tuple[int, str, float]] = []  # (seq, utteranceId, monotonic receive time)
        self.refused: list[Any] = []
        self.marks: list[tuple[str, float]] = []  # (phase, monotonic start) for latency per phase
        self._stop = threading.Event()
        self.presenter = socketio.Client(reconnection=False)
        self.phone = socketio.Client(reconnection=False)
        # python-socketio's client runs each event's handler in a thread of its own, so handlers may see
        # captions out of order; record them as the Engine.IO reader takes them off the wire instead.
        receive = self.phone.eio._receive_packet
        self.phone.eio._receive_packet = lambda pkt: (self._caption(pkt), receive(pkt))
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _caption(self, pkt) -> None:
        if isinstance(pkt.data, str) and pkt.data.startswith('2["caption"'):
            data = json.loads(pkt.data[1:])[1]
            if data.get("isFinal"):
                self.received.append((data["seq"], data["utteranceId"], time.monotonic()))

    def start(self) -> "GoodPair":
        """Connect both, join, take the floor and begin sending."""
        for client in (self.presenter, self.phone):
            client.connect(self.url, transports=["websocket"], wait_timeout=10)
        assert self.phone.call("join", {"room": self.room, "role": "audience", "name": "Good phone"})["ok"]
        assert self.presenter.call("join", {"room": self.room, "role": "presenter", "name": "Lecturer"})["ok"]
        assert self.presenter.call("requestSpeak", {})["granted"]
        self.mark("quiet")
        self._thread.start()
        return self

    def mark(self, phase: str) -> None:
        """Start a new measuring phase now."""
        self.marks.append((phase, time.monotonic()))

    def _run(self) -> None:
        k = 0
        while not self._stop.is_set():
            uid = f"good-{k:06d}-{uuid.uuid4().hex[:6]}"
            self.sent[uid] = time.monotonic()
            try:
                ack = self.presenter.call("caption", {"utteranceId": uid, "text": f"Good sentence {k}.",
                                                      "isFinal": True}, timeout=10)
            except socketio.exceptions.TimeoutError:
                ack = {"ok": False, "error": "no ack in 10 s"}
            if ack.get("ok"):
                self.acked.append((ack["seq"], uid))
            else:
                self.refused.append(ack)
            k += 1
            time.sleep(max(0.0, self.sent[uid] + self.interval - time.monotonic()))

    def stop(self) -> None:
        """Stop sending, give the last caption time to arrive, and disconnect."""
        self._stop.set()
        self._thread.join(30)
        deadline = time.monotonic() + 10
        while len(self.received) < len(self.acked) and time.monotonic() < deadline:
            time.sleep(0.05)
        for client in (self.presenter, self.phone):
            client.disconnect()

    def latencies(self, phase: str | None = None) -> list[float]:
        """Return the send-to-receive times (ms) of the captions sent in a phase (all when None)."""
        bounds = [t for _, t in self.marks] + [float("inf")]
        names = [name for name, _ in self.marks]
        out = []
        for _, uid, got in self.received:
            sent = self.sent[uid]
            i = max(j for j in range(len(names)) if bounds[j] <= sent) if sent >= bounds[0] else 0
            if phase is None or names[i] == phase:
                out.append((got - sent) * 1000)
        return out

    def problems(self) -> list[str]:
        """Return what a phone would notice: refusals, a missing, doubled or reordered caption."""
        found = [f"refused: {r}" for r in self.refused[:3]]
        got = [(seq, uid) for seq, uid, _ in self.received]
        if got != sorted(self.acked):
            missing = set(self.acked) - set(got)
            found.append(f"phone got {len(got)} finals, {len(self.acked)} acked; missing {sorted(missing)[:3]}, "
                         f"doubled {len(got) - len(set(got))}, in order {got == sorted(got)}")
        return found


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of non-empty values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def fill(url: str, room: str, finals: int = 200, chars: int = 2000) -> None:
    """Store ``finals`` long finals in the room, so each page a phone asks for is big (~400 KB)."""
    presenter = socketio.Client(reconnection=False)
    presenter.connect(url, transports=["websocket"], wait_timeout=10)
    try:
        assert presenter.call("join", {"room": room, "role": "presenter", "name": "Filler"})["ok"]
        assert presenter.call("requestSpeak", {})["granted"]
        for k in range(finals):
            text = (f"Filler {k} " + "long words of a long lecture " * 100)[:chars]
            while (ack := presenter.call("caption", {"utteranceId": f"fill-{k}", "text": text, "isFinal": True})
                   ).get("error", {}).get("code") == "rate_limited":
                time.sleep(0.5)  # the hub's default limit is 20 events a second
            assert ack.get("ok"), ack
        presenter.call("stopSpeak", {})
    finally:
        presenter.disconnect()
