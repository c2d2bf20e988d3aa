"""Attackers on real sockets, below the payload: malformed frames, floods, half-open and slow connections.

Run as a process of its own (``python testkit/attackers.py --url ... --room ...``) by tests/faults/test_fuzz.py
and bench/fuzz.py, while ``fuzzclient.GoodPair`` measures latency. Each attacker binds its own loopback
source address (127.0.0.x), as phones on a classroom Wi-Fi have their own: the per-address rate limit then
does not lump them together with the good clients on 127.0.0.1. The attack process prints one JSON object of
what it saw when it ends.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import sys
import threading
import time
from collections import Counter
from typing import Any, Callable
from urllib.parse import urlsplit

import websocket

# ---------------------------------------------------------------------------------------------------------
# Attackers


class Attack:
    """Shared state of the attacking threads: where the hub is, a stop flag, and what each attack saw."""

    def __init__(self, url: str, room: str):
        parts = urlsplit(url)
        self.url, self.room, self.host, self.port = url, room, parts.hostname, parts.port
        self.ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.stop = threading.Event()
        self.outcomes: dict[str, Counter] = {}
        self.errors: Counter = Counter()
        self._lock = threading.Lock()
        self._sources = iter(range(2, 250))

    def source(self) -> str:
        """Return a fresh loopback source address, so each attacker is another address to the hub."""
        with self._lock:
            return f"127.0.0.{next(self._sources)}"

    def note(self, case: str, outcome: str) -> None:
        """Record what one attempt of a case led to."""
        with self._lock:
            self.outcomes.setdefault(case, Counter())[outcome] += 1

    def tcp(self, source: str, timeout: float = 10) -> socket.socket:
        """Open a TCP connection to the hub from ``source``."""
        return socket.create_connection((self.host, self.port), timeout=timeout, source_address=(source, 0))

    def ws(self, source: str, timeout: float = 5, rcvbuf: int | None = None) -> websocket.WebSocket:
        """Open an Engine.IO WebSocket from ``source`` and read the open packet."""
        sock = self.tcp(source, timeout)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        ws = websocket.create_connection(self.ws_url, timeout=timeout, socket=sock, suppress_origin=True,
                                         enable_multithread=True)
        assert ws.recv().startswith("0{")
        return ws

    def run(self, name: str, target: Callable[[], None]) -> threading.Thread:
        """Run an attack in a thread until the stop flag, counting the exceptions it did not expect."""
        def loop() -> None:
            while not self.stop.is_set():
                try:
                    target()
                except Exception as exc:  # noqa: BLE001 - an attacker sees every kind of failure; count them
                    self.errors[f"{name}: {type(exc).__name__}"] += 1
                    self.stop.wait(0.2)
        thread = threading.Thread(target=loop, name=name, daemon=True)
        thread.start()
        return thread


BOMB = 100_000  # nesting depth of the JSON bombs (200 KB, under the 256 KB message limit)
PLACEHOLDER = {"_placeholder": True, "num": 0}

# (case, frames): a frame is text, or bytes sent as a binary frame; str frames that are not UTF-8 go as bytes
# in a text frame (tagged with the "text:" prefix below).
MALFORMED: list[tuple[str, list[Any]]] = [
    ("unknown engine.io type", ["9"]),
    ("letter for a type", ["x42"]),
    ("empty frame", [""]),
    ("message without socket.io type", ["4"]),
    ("unknown socket.io type", ["47"]),
    ("truncated event", ['42["capt']),
    ("event that is not a list", ['42{"a":1}']),
    ("event without a name", ["42[]"]),
    ("event named by a number", ["42[7,{}]"]),
    ("non-UTF-8 text frame", [("text", b'42["ping",{"x":"\xff\xfe"}]')]),
    ("garbage after 40", ["40garbage"]),
    ("truncated connect", ['40{"auth":']),
    ("connect to an unknown namespace", ["40/nowhere,"]),
    ("second connect", ["40", "40"]),
    ("huge ack id", ['4299999999999999999999999999["ping",{}]']),
    ("negative ack id", ['42-1["ping",{}]']),
    ("Infinity in JSON", ['42["ping",{"x":1e999}]']),
    ("JSON bomb (lists)", ["42" + "[" * BOMB + "]" * BOMB]),
    ("JSON bomb (objects)", ['42["ping",' + '{"a":' * (BOMB // 3) + "1" + "}" * (BOMB // 3) + "]"]),
    ("binary without announcement", [b"\x00\x01\x02"]),
    ("attachment announced, never sent", ["451-" + json.dumps(["caption", PLACEHOLDER])]),
    ("attachments announced, text sent instead", ["452-" + json.dumps(["caption", PLACEHOLDER]),
                                                   '42["ping",{}]', '42["ping",{}]']),
    ("extra attachment", ["451-" + json.dumps(["ping", PLACEHOLDER]), b"a", b"b"]),
    ("attachments out of order", ["452-" + json.dumps(["ping", {"_placeholder": True, "num": 1},
                                                       {"_placeholder": True, "num": 0}]), b"1", b"0"]),
    ("placeholder index out of range", ["451-" + json.dumps(["ping", {"_placeholder": True, "num": 9}]), b"x"]),
    ("placeholder without num", ["451-" + json.dumps(["ping", {"_placeholder": True}]), b"x"]),
    ("binary ack for nothing", ["461-5[" + json.dumps(PLACEHOLDER) + "]", b"x"]),
    ("upgrade packet on a websocket", ["5"]),
    ("probe ping", ["2probe"]),
    ("unsolicited pong", ["3"]),
    ("close packet then more", ["1", '42["ping",{}]']),
]


def probe(ws: websocket.WebSocket, wait: float = 2.0) -> str:
    """Say what the hub does with a connection now: closed it, answered a ping event, or went silent."""
    try:
        ws.send('42777["ping",{}]')
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            ws.settimeout(max(0.05, deadline - time.monotonic()))
            frame = ws.recv()
            if not frame:
                return "closed"
            if isinstance(frame, str) and frame.startswith("43777"):
                return "answers"
            if frame == "2":
                ws.send("3")
        return "silent"
    except (websocket.WebSocketTimeoutException, TimeoutError):
        return "silent"
    except (websocket.WebSocketException, OSError):
        return "closed"


def malformed(attack: Attack) -> None:
    """Send each malformed packet on a fresh, Socket.IO-connected WebSocket; record what the hub did."""
    source = attack.source()
    for case, frames in MALFORMED:
        if attack.stop.is_set():
            return
        ws = attack.ws(source)
        try:
            if not (isinstance(frames[0], str) and frames[0].startswith("40")):
                ws.send("40")
                assert ws.recv().startswith("40")
            for frame in frames:
                if isinstance(frame, tuple):
                    ws.send(frame[1], opcode=websocket.ABNF.OPCODE_TEXT)
                elif isinstance(frame, bytes):
                    ws.send_binary(frame)
                else:
                    ws.send(frame)
            attack.note(case, probe(ws))
        except (websocket.WebSocketException, OSError):
            attack.note(case, "closed")
        finally:
            ws.close(timeout=0.5)
        attack.stop.wait(0.1)


def attachment_flood(attack: Attack, megabytes: int = 64) -> None:
    """Announce a million attachments, then send 200 KB binary frames: the hub must not keep them all."""
    ws = attack.ws(attack.source(), timeout=10)
    sent = 0
    try:
        ws.send("40")
        assert ws.recv().startswith("40")
        ws.send("45999999-" + json.dumps(["ping", PLACEHOLDER]))
        chunk = bytes(200 * 1024)
        while sent < megabytes << 20 and not attack.stop.is_set():
            ws.send_binary(chunk)
            sent += len(chunk)
        attack.note("attachment flood", f"{probe(ws)} after {sent >> 20} MB")
    except (websocket.WebSocketException, OSError):
        attack.note("attachment flood", f"closed after {sent >> 20} MB")
    finally:
        ws.close(timeout=0.5)
    attack.stop.wait(1)


def http(attack: Attack, source: str, request: bytes, timeout: float = 5) -> str:
    """Send raw HTTP bytes; return the response's status line, or what happened instead."""
    with attack.tcp(source, timeout) as sock:
        sock.sendall(request)
        try:
            head = sock.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
            return head[9:12] if head.startswith("HTTP/") else ("closed" if not head else "junk")
        except TimeoutError:
            return "no answer"


def handshake(attack: Attack, source: str) -> str:
    """Open a long-polling Engine.IO session; return its sid."""
    with attack.tcp(source) as sock:
        sock.sendall(f"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {attack.host}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1][1:])["sid"]


def polling(attack: Attack) -> None:
    """Abuse long-polling: oversized and endless POST bodies, a bad sid, many polls for one sid."""
    source = attack.source()
    host = f"Host: {attack.host}\r\n"

    def session() -> str:
        return f"/socket.io/?EIO=4&transport=polling&sid={handshake(attack, source)}"

    with attack.tcp(source, timeout=30) as sock:  # a chunked body that never ends
        sid = handshake(attack, source)
        sock.sendall((f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n{host}"
                      "Transfer-Encoding: chunked\r\n\r\n10\r\n42[\"ping\",{}]\x1e42\r\n").encode())
        attack.note("chunked POST that never ends", wait_closed(sock, attack, 30))
    attack.note("POST over the limit", http(attack, source, (
        f"POST {session()} HTTP/1.1\r\n{host}Content-Type: text/plain\r\nContent-Length: {64 << 20}\r\n\r\n"
        ).encode() + b"4" * 65536))
    attack.note("bad sid", http(attack, source, f"GET /socket.io/?EIO=4&transport=polling&sid=nope HTTP/1.1\r\n"
                                                f"{host}\r\n".encode()))
    attack.note("old protocol (EIO=3, length-prefixed)", http(attack, source, (
        f"POST /socket.io/?EIO=3&transport=polling HTTP/1.1\r\n{host}Content-Length: 12\r\n\r\n99999999:42[").encode()))
    attack.note("payload of 250 KB of connects", http(attack, source, polling_post(session(), host, "40")))
    attack.note("payload of 250 KB of ping events", http(attack, source, polling_post(session(), host,
                                                                                    '42["ping",{}]')))
    attack.note("payload of garbage", http(attack, source, polling_post(session(), host, b"\x00\xff" * 100)))
    sid = handshake(attack, source)
    path = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    results: list[str] = []
    polls = [threading.Thread(target=lambda: results.append(http(attack, source, (
        f"GET {path} HTTP/1.1\r\n{host}\r\n").encode(), timeout=15))) for _ in range(10)]
    for thread in polls:
        thread.start()
    for thread in polls:
        thread.join()
    for result in results:
        attack.note("10 polls at once for one sid", result)
    attack.stop.wait(1)


def polling_post(path: str, host: str, packet: str | bytes) -> bytes:
    """Return a POST whose body is as many copies of ``packet`` as fit in 250 KB, separated by \\x1e."""
    packet = packet.encode() if isinstance(packet, str) else packet
    body = b"\x1e".join([packet] * (250_000 // (len(packet) + 1)))
    return f"POST {path} HTTP/1.1\r\n{host}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body


def wait_closed(sock: socket.socket, attack: Attack, limit: float) -> str:
    """Wait (sending nothing) until the hub closes ``sock``; say after how long, in 10 s buckets."""
    t0 = time.monotonic()
    sock.settimeout(1)
    while time.monotonic() - t0 < limit and not attack.stop.is_set():
        try:
            if not sock.recv(65536):
                return f"closed within {10 * (1 + int(time.monotonic() - t0) // 10)} s"
        except TimeoutError:
            continue
        except OSError:
            return f"reset within {10 * (1 + int(time.monotonic() - t0) // 10)} s"
    return f"still open after {time.monotonic() - t0:.0f} s"


def half_open(attack: Attack, kind: str, count: int, hold: float) -> None:
    """Open ``count`` connections that go silent at some point; record when the hub dropped each."""
    source = attack.source()
    socks = []
    ws_head = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {attack.host}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode()
    for _ in range(count):
        sock = attack.tcp(source)
        if kind == "upgrade then silence":
            sock.sendall(ws_head)
        elif kind == "headers half sent":
            sock.sendall(ws_head[:40])
        socks.append(sock)
    results: list[str] = []

    def watch(sock: socket.socket) -> None:
        results.append(wait_closed(sock, attack, hold))
        sock.close()

    watchers = [threading.Thread(target=watch, args=(s,)) for s in socks]
    for thread in watchers:
        thread.start()
    for thread in watchers:
        thread.join()
    for result in results:
        attack.note(kind, result)
    attack.stop.wait(3600)


def slowloris(attack: Attack, hold: float) -> None:
    """Send a request's headers one byte a second; record whether the hub hung up."""
    source = attack.source()
    head = (f"GET /healthz HTTP/1.1\r\nHost: {attack.host}\r\nX-Slow: " + "a" * 4000).encode()
    with attack.tcp(source) as sock:
        sock.settimeout(0.01)
        t0 = time.monotonic()
        for i in range(len(head)):
            if attack.stop.is_set() or time.monotonic() - t0 > hold:
                attack.note("slowloris", f"still open after {time.monotonic() - t0:.0f} s")
                break
            try:
                sock.sendall(head[i:i + 1])
                if sock.recv(4096) == b"":
                    attack.note("slowloris", f"closed within {10 * (1 + int(time.monotonic() - t0) // 10)} s")
                    break
            except TimeoutError:
                pass
            except OSError:
                attack.note("slowloris", f"reset within {10 * (1 + int(time.monotonic() - t0) // 10)} s")
                break
            attack.stop.wait(1)
    attack.stop.wait(3600)


def slow_reader(attack: Attack, index: int) -> None:
    """Join the room and never read: ask for 200-final pages over and over, and fake pongs to stay alive."""
    ws = attack.ws(attack.source(), rcvbuf=4096)
    asked, t0 = 0, time.monotonic()
    try:
        ws.send("40")
        assert ws.recv().startswith("40")
        ws.send("420" + json.dumps(["join", {"room": attack.room, "role": "audience", "name": f"Slow {index}"}]))
        # Nothing is read from here on, not even the join's answer.
        while not attack.stop.is_set():
            if asked < 40:  # 40 pages of ~400 KB: more than the kernel's buffers (~4 MB) and the hub keep
                ws.send(f"42{asked + 1}" + json.dumps(["catchUp", {"since": 0}]))
                asked += 1
            ws.send("3")  # a pong nobody asked for keeps a non-reader alive past the ping timeout
            attack.stop.wait(0.25)
        attack.note("slow reader", f"still open after {time.monotonic() - t0:.0f} s")
    except (websocket.WebSocketException, OSError):
        attack.note("slow reader", f"dropped after {10 * (1 + int(time.monotonic() - t0) // 10)} s")
    finally:
        if ws.sock:
            ws.sock.close()
    attack.stop.wait(3600)


def idle(attack: Attack, count: int, rate: float) -> None:
    """Open ``count`` Socket.IO connections, ``rate`` a second, that answer pings and do nothing else."""
    import aiohttp

    async def one(http, up: list) -> None:
        async with http.ws_connect(attack.ws_url, timeout=30) as ws:
            await ws.receive_str(timeout=30)
            await ws.send_str("40")
            await ws.receive_str(timeout=30)
            up.append(1)
            while not attack.stop.is_set():
                try:
                    msg = await ws.receive(timeout=1)
                except asyncio.TimeoutError:
                    continue
                if msg.type != aiohttp.WSMsgType.TEXT:
                    attack.note("idle", "dropped by the hub")
                    return
                if msg.data == "2":
                    await ws.send_str("3")

    async def main() -> None:
        up: list = []
        connector = aiohttp.TCPConnector(limit=0, local_addr=(attack.source(), 0))
        async with aiohttp.ClientSession(connector=connector) as http:
            async def paced(i: int) -> None:
                await asyncio.sleep(i / rate)  # phones arriving for a lecture, not one burst
                await one(http, up)

            tasks = [asyncio.create_task(paced(i)) for i in range(count)]
            while len(up) < count and not attack.stop.is_set() and not all(t.done() for t in tasks):
                await asyncio.sleep(0.2)
            attack.note("idle", f"{len(up)} connected")
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    attack.errors[f"idle: {type(result).__name__}"] += 1

    asyncio.run(main())
    attack.stop.wait(3600)


def raise_nofile(need: int) -> None:
    """Raise this process's soft limit on open files to ``need`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def main() -> None:
    """Run the attacks against a hub for ``--seconds`` and print what they saw as one JSON line."""
    parser = argparse.ArgumentParser(description="Attack a CCC hub below the payload.")
    parser.add_argument("--url", required=True)
    parser.add_argument("--room", required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument("--idle-rate", type=float, default=50, help="idle connections opened per second")
    parser.add_argument("--half-open", type=int, default=30, help="of each kind")
    parser.add_argument("--slow", type=int, default=4, help="clients that never read")
    parser.add_argument("--only", default="", help="comma-separated attacks (default: all)")
    args = parser.parse_args()
    raise_nofile(args.idle + 3 * args.half_open + 200)
    attack = Attack(args.url, args.room)
    hold = args.seconds
    chosen = set(filter(None, args.only.split(",")))
    attacks: dict[str, Callable[[], None]] = {
        "malformed": lambda: malformed(attack),
        "attachments": lambda: attachment_flood(attack),
        "polling": lambda: polling(attack),
        "silent-tcp": lambda: half_open(attack, "TCP connect then silence", args.half_open, hold),
        "silent-upgrade": lambda: half_open(attack, "upgrade then silence", args.half_open, hold),
        "half-headers": lambda: half_open(attack, "headers half sent", args.half_open, hold),
        "slowloris": lambda: slowloris(attack, hold),
        "idle": lambda: idle(attack, args.idle, args.idle_rate),
    }
    attacks.update({f"slow{i}": (lambda i=i: slow_reader(attack, i)) for i in range(args.slow)})
    for name, target in attacks.items():
        if not chosen or name.rstrip("0123456789") in chosen or name in chosen:
            attack.run(name, target)
    print("attacking", flush=True)
    time.sleep(args.seconds)
    attack.stop.set()
    time.sleep(2)
    print(json.dumps({"outcomes": {k: dict(v) for k, v in attack.outcomes.items()}, "errors": dict(attack.errors)}),
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
