"""Flood benchmark (issue #19): readers' caption latency while one address (or ten) floods the hub.

A real hub (SQLite) with a room of 500 finals; a presenter sends 4 finals a second, one phone times each from
send to receive while 19 more read along. Each phase runs ``--seconds``: first nobody else, then one flood at a
time from another process (so its threads do not take the measuring process's GIL), each from its own loopback
address as an attacker on the classroom Wi-Fi has:

    downloads   4 loops of /r/CODE/transcript.docx
    joins1      one connection sending joins without waiting for answers
    joins10     ten connections from one address doing the same
    catchup10   ten joined connections from one address asking catchUp from seq 0
    named10     ten connections from one address joining with a name and leaving, again and again
    hands10     ten presenters from one address raising and lowering their hands
    pages       4 loops of pages, QR images and static files (/, /r/CODE, qr.svg, /static/...)
    joins10a    ten connections from ten addresses sending joins without waiting for answers
    catchup10a  ten joined connections from ten addresses asking catchUp from seq 0
    hands10a    ten presenters from ten addresses raising and lowering their hands

Printed per phase: p50/p99 of the phone's latency, whether p99 stayed within max(500 ms, 4 x the idle p99),
and whether any caption was lost, doubled or reordered, or a reader or the presenter was dropped.

    python bench/floods.py                 # 15 s per phase
    python bench/floods.py --seconds 30 --only downloads,joins10
"""
from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / d) for d in ("", "testkit")]  # ccc, and the kit

import socketio  # noqa: E402
import websocket  # noqa: E402
from fuzzclient import GoodPair, fill, percentile  # noqa: E402

from hubkit import PYTHON, Hub  # noqa: E402

FLOODS = ("downloads", "joins1", "joins10", "catchup10", "named10", "hands10", "pages", "joins10a", "catchup10a",
          "hands10a")
SOURCES = {flood: f"127.0.0.{100 + i}" for i, flood in enumerate(FLOODS)}
PAGES = ("/", "/r/{room}", "/r/{room}/qr.svg", "/static/css/ccc.css", "/static/js/ccc.js", "/r/{room}/transcript")


def sources(flood: str, count: int) -> list[str]:
    """Return the source address of each of a flood's connections: one, or (``...a`` floods) one each."""
    if flood.endswith("a"):
        return [f"127.0.1.{10 * FLOODS.index(flood) + i}" for i in range(count)]
    return [SOURCES[flood]] * count


# --- the attacking process ------------------------------------------------------------------------------


class Flooder:
    """One raw Socket.IO connection from ``source`` that sends events without waiting and answers pings."""

    def __init__(self, url: str, source: str):
        import socket  # noqa: PLC0415 - the attacking process only

        host, port = url.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0))
        self.ws = websocket.create_connection(url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
                                              socket=sock, timeout=30, enable_multithread=True,
                                              suppress_origin=True)
        self.ws.recv()  # Engine.IO open
        self.ws.send("40")
        self.frames = 0
        self.refused = 0
        self.answered = 0
        self.alive = True
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                frame = self.ws.recv()
                self.frames += 1
                if frame == "2":
                    self.ws.send("3")
                elif "rate_limited" in frame[:200]:
                    self.refused += 1
                elif frame.startswith("43") and '"ok": true' in frame[:40].replace('"ok":true', '"ok": true'):
                    self.answered += 1
        except (websocket.WebSocketException, OSError):
            self.alive = False

    def emit(self, event: str, data: dict, ack: int | None = None) -> None:
        """Send an event (with an ack id, so the hub answers it) without waiting; note when the hub hung up."""
        if not self.alive:
            return
        try:
            self.ws.send(f"42{'' if ack is None else ack}" + json.dumps([event, data]))
        except (websocket.WebSocketException, OSError):
            self.alive = False


def attack(url: str, room: str, flood: str, seconds: float) -> dict:
    """Run one flood for ``seconds``; return what it sent and what it met."""
    source, stop, sent = SOURCES[flood], time.monotonic() + seconds, [0]
    if flood in ("downloads", "pages"):
        statuses: dict[int, int] = {}

        def loop() -> None:
            host, port = url.removeprefix("http://").split(":")
            while time.monotonic() < stop:
                conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))
                path = f"/r/{room}/transcript.docx" if flood == "downloads" else \
                    PAGES[sent[0] % len(PAGES)].format(room=room)
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                finally:
                    conn.close()
                sent[0] += 1

        threads = [threading.Thread(target=loop) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"requests": sent[0], "statuses": statuses}
    count = 1 if flood == "joins1" else 10
    flooders = [Flooder(url, address) for address in sources(flood, count)]
    flood = flood.removesuffix("a")  # the same flood from ten addresses
    if flood == "catchup10":
        for f in flooders:
            f.emit("join", {"room": room, "role": "audience"}, ack=1)
    if flood == "hands10":
        for i, f in enumerate(flooders):
            f.emit("join", {"room": room, "role": "presenter", "name": f"Hand {i}"}, ack=1)
    time.sleep(0.5)
    k = 0
    while time.monotonic() < stop:
        for i, f in enumerate(flooders):
            if flood in ("joins1", "joins10"):
                f.emit("join", {"room": room, "role": "audience"}, ack=k % 1000 + 2)
            elif flood == "catchup10":
                f.emit("catchUp", {"since": 0}, ack=k % 1000 + 2)
            elif flood == "named10":
                if k % 2 == 0:
                    f.emit("join", {"room": room, "role": "audience", "name": f"Flood {i}"}, ack=k % 1000 + 2)
                else:
                    f.emit("leave", {}, ack=k % 1000 + 2)
            elif flood == "hands10":
                f.emit("raiseHand" if k % 2 == 0 else "lowerHand", {}, ack=k % 1000 + 2)
            sent[0] += 1
        k += 1
        time.sleep(0.005)  # as fast as a small script sends, without a busy loop
    for f in flooders:
        f.ws.close()
    return {"events": sent[0], "answered": sum(f.answered for f in flooders),
            "rate_limited": sum(f.refused for f in flooders),
            "dropped": sum(not f.alive for f in flooders)}


# --- the measuring process ------------------------------------------------------------------------------


def readers(url: str, room: str, count: int) -> list[socketio.Client]:
    """Connect ``count`` phones that read along (they load the fan-out; one GoodPair phone is timed)."""
    phones = []
    for i in range(count):
        phone = socketio.Client(reconnection=False)
        phone.connect(url, transports=["websocket"], wait_timeout=10)
        assert phone.call("join", {"room": room, "role": "audience", "name": f"Reader {i}"})["ok"]
        phones.append(phone)
    return phones


def slow_moments(pair: GoodPair, over_ms: float = 250) -> dict[str, list[str]]:
    """Return, per phase, when (seconds into it) a final took longer than ``over_ms``, and how long it took."""
    starts = dict(pair.marks)
    slow: dict[str, list[str]] = {}
    for _seq, uid, got in pair.received:
        sent = pair.sent[uid]
        phase = max((m for m in pair.marks if m[1] <= sent), key=lambda m: m[1], default=pair.marks[0])[0]
        if (got - sent) * 1000 > over_ms:
            slow.setdefault(phase, []).append(f"+{sent - starts[phase]:.1f} s: {(got - sent) * 1000:.0f} ms")
    return slow


def run(seconds: float, floods: list[str]) -> dict:
    """Measure the idle phase, then each flood; return the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(Path(tmp), None).start()
        try:
            room = hub.create_room("Floods")
            fill(hub.url, room, 500, chars=90)  # a lecture's worth of sentence-long finals
            phones = readers(hub.url, room, 19)
            pair = GoodPair(hub.url, room, rate=4.0).start()
            time.sleep(seconds)
            met = {}
            for flood in floods:
                pair.mark(flood)
                out = subprocess.run([PYTHON, __file__, "--attack", flood, "--url", hub.url, "--room", room,
                                      "--seconds", str(seconds)], capture_output=True, text=True, timeout=seconds + 120)
                met[flood] = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else out.stderr[-500:]
                if isinstance(met[flood], dict):  # readers dropped so far: says which flood dropped them
                    met[flood]["readers_dropped_so_far"] = sum(not p.connected for p in phones)
                pair.mark(f"after {flood}")
                time.sleep(3)  # let the hub drain what the flood queued before the next phase
            pair.stop()
            dropped = sum(not p.connected for p in phones)
            for p in phones:
                p.disconnect()
            figures = {"quiet": pair.latencies("quiet")}
            figures.update({flood: pair.latencies(flood) for flood in floods})
            return {"figures": figures, "met": met, "problems": pair.problems(), "readers_dropped": dropped,
                    "slow": slow_moments(pair)}
        finally:
            hub.stop()


def main() -> None:
    """Run the benchmark (or, with --attack, one flood) and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--only", help=f"comma-separated floods of: {', '.join(FLOODS)}")
    parser.add_argument("--attack", choices=FLOODS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--room", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        print(json.dumps(attack(args.url, args.room, args.attack, args.seconds)))
        return
    floods = args.only.split(",") if args.only else list(FLOODS)
    result = run(args.seconds, floods)
    quiet = result["figures"]["quiet"]
    bound = max(500.0, 4 * percentile(quiet, 99))
    print(f"{'phase':<11} {'finals':>6} {'p50 ms':>8} {'p99 ms':>8}  within max(500, 4 x idle p99 = {bound:.0f} ms)")
    for phase, values in result["figures"].items():
        if not values:
            print(f"{phase:<11} no finals arrived")
            continue
        p50, p99 = percentile(values, 50), percentile(values, 99)
        verdict = "" if phase == "quiet" else ("yes" if p99 <= bound else "NO")
        print(f"{phase:<11} {len(values):>6} {p50:>8.1f} {p99:>8.1f}  {verdict}")
    for flood, met in result["met"].items():
        print(f"  {flood}: {met}")
    for phase, moments in result["slow"].items():
        print(f"  finals over 250 ms in {phase}: {', '.join(moments[:8])}")
    print("lost, doubled or reordered:", result["problems"] or "none", "| readers dropped:", result["readers_dropped"])


if __name__ == "__main__":
    main()
