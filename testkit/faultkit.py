"""Parts of the fault suite shared by tests/faults/ and bench/faults.py: a lecture and a room full of phones.

A `Lecturer` is a presenter (a real python-socketio client) that sends finals at a steady rate and keeps,
like the station's spool, every final until the hub acknowledges it: after a failure it reconnects, resumes
its participant with its resumeToken, takes the floor again and resends. `Phones` are many light phones in
one asyncio loop (raw Socket.IO over one aiohttp WebSocket each, as bench/fanout.py): each reconnects with
socket.io-client's default backoff (1 s doubling to 5 s, +-50 % jitter), resumes with `since` and pages with
`catchUp` while `more`, and keeps the seqs it shows in order, as the audience page does.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import threading
import time
import uuid
import wave
from pathlib import Path
from typing import Callable, Iterator

from ccc.station.hub_link import HubLink
from ccc.station.spool import Spool
from hubkit import Client, wait_until


class Lecturer:
    """A presenter sending `rate` finals per second; each final is resent until the hub acks it."""

    def __init__(self, url: str, room: str, rate: float = 5.0):
        self.url, self.room, self.interval = url, room, 1.0 / rate
        self.acked: dict[str, int] = {}  # utteranceId -> seq the hub acknowledged
        self.refused: list[dict] = []  # error acks, in order
        self.reconnects = 0
        self._client: Client | None = None
        self._identity: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Lecturer":
        """Connect, take the floor and begin the lecture in a thread."""
        self._connect()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish the final in flight (until it is acked) and stop."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(120)
        if self._client:
            self._client.close()
        assert not self._thread.is_alive(), "the lecturer could not deliver its last final"

    def _connect(self) -> None:
        if self._client:
            self._client.close()
        client = Client(self.url)
        client.participant_id, client.resume_token = self._identity.get("id"), self._identity.get("token")
        client.connect()
        ack = client.join(self.room, role="presenter", name="Lecturer")
        assert ack.get("ok"), ack
        self._identity = {"id": client.participant_id, "token": client.resume_token}
        assert client.call("requestSpeak", {}).get("granted"), "the lecturer lost the floor"
        self._client = client

    def _run(self) -> None:
        k = 0
        while not self._stop.is_set():
            uid = f"final-{k:05d}-{uuid.uuid4().hex[:8]}"
            self._deliver(uid, f"Sentence number {k} of the lecture, which nobody may lose.")
            k += 1
            time.sleep(self.interval)

    def _deliver(self, uid: str, text: str) -> None:
        now = int(time.time() * 1000)
        payload = {"utteranceId": uid, "text": text, "isFinal": True, "startedAt": now - 900, "endedAt": now}
        while True:
            try:
                ack = self._client.call("caption", payload, timeout=5)
            except Exception:  # noqa: BLE001 - the hub is gone: reconnect and resend, as the station does
                ack = None
            if ack and ack.get("ok"):
                self.acked[uid] = ack["seq"]
                return
            if ack:
                self.refused.append(ack)
            time.sleep(0.5)
            try:
                self._connect()
                self.reconnects += 1
            except Exception:  # noqa: BLE001 - not back yet
                pass


class Phone:
    """One phone's view: the seqs it shows, in order; what arrived twice; when it was last back."""

    def __init__(self, index: int):
        self.index = index
        self.shown: list[tuple[int, str]] = []  # (seq, utteranceId), contiguous from 1 when all is well
        self.pending: dict[int, str] = {}  # arrived ahead of a missing seq
        self.dropped = 0  # arrivals of a seq already shown (the join race the protocol describes)
        self.identity: dict[str, str] = {}
        self.joins = 0
        self.back_at: float | None = None  # monotonic time of the latest successful (re)join
        self.connected = False

    @property
    def last(self) -> int:
        """Return the last seq shown in order (0 before any)."""
        return self.shown[-1][0] if self.shown else 0

    def take(self, caption: dict) -> None:
        """Show a final once and in order; keep one that came early until the ones before it arrive."""
        seq = caption.get("seq")
        if seq is None:
            return
        if seq <= self.last or seq in self.pending:
            self.dropped += 1
            return
        self.pending[seq] = caption["utteranceId"]
        while self.last + 1 in self.pending:
            nxt = self.last + 1
            self.shown.append((nxt, self.pending.pop(nxt)))


class Phones:
    """`count` phones in a room, served by one asyncio loop in a thread."""

    def __init__(self, url: str, room: str, count: int, concurrency: int = 50):
        self.url, self.room, self.concurrency = url, room, concurrency
        self.phones = [Phone(i) for i in range(count)]
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    def start(self, timeout: float = 120) -> "Phones":
        """Connect every phone and wait until all have joined."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start_all(), self.loop).result(timeout)
        self.wait(lambda: all(p.connected for p in self.phones), timeout, "phones did not all join")
        return self

    async def _start_all(self) -> None:
        import aiohttp

        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.gate = asyncio.Semaphore(self.concurrency)
        self._tasks = [asyncio.create_task(self._live(p)) for p in self.phones]

    def wait(self, check, timeout: float, what: str) -> None:
        """Wait until ``check()`` holds."""
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, what
            time.sleep(0.05)

    def back_since(self, t0: float) -> list[float]:
        """Return, for the phones back after t0, how long after t0 each came back, sorted."""
        return sorted(p.back_at - t0 for p in self.phones if p.connected and p.back_at and p.back_at > t0)

    def close(self) -> None:
        """Disconnect every phone and stop the loop."""
        async def close_all():
            self._stopping = True
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.http.close()

        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    async def _live(self, phone: Phone) -> None:
        attempt = 0
        while not self._stopping:
            try:
                async with self.gate:
                    ws = await self._join(phone)
                attempt = 0
                await self._read(phone, ws)
            except (OSError, asyncio.TimeoutError, RuntimeError, ValueError):
                pass
            except Exception as exc:  # noqa: BLE001 - aiohttp's errors: the hub is away
                if type(exc).__module__.split(".")[0] != "aiohttp":
                    raise
            phone.connected = False
            delay = min(5.0, 1.0 * 2 ** attempt) * random.uniform(0.5, 1.5)
            attempt += 1
            await asyncio.sleep(delay)

    async def _join(self, phone: Phone):
        ws = await self.http.ws_connect(self.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket",
                                        max_msg_size=0, timeout=10)
        try:
            if not (await ws.receive_str(timeout=10)).startswith("0"):
                raise RuntimeError("no Engine.IO open packet")
            await ws.send_str("40")
            while not (await ws.receive_str(timeout=10)).startswith("40"):
                pass
            join = {"room": self.room, "role": "audience", "since": phone.last, **phone.identity}
            state = (await self._call(ws, phone, "join", join))["state"]
            while True:
                for caption in state["captions"]:
                    phone.take(caption)
                if not state.get("more"):
                    break
                state = await self._call(ws, phone, "catchUp", {"since": phone.last})
        except BaseException:
            await ws.close()
            raise
        phone.joins += 1
        phone.connected, phone.back_at = True, time.monotonic()
        return ws

    async def _call(self, ws, phone: Phone, event: str, data: dict) -> dict:
        """Send an event with ack id 0 and read until its ack, showing captions that arrive meanwhile."""
        await ws.send_str("420" + json.dumps([event, data]))
        while True:
            msg = await ws.receive_str(timeout=30)
            if msg == "2":
                await ws.send_str("3")
            elif msg.startswith('42["caption"'):
                phone.take(json.loads(msg[2:])[1])
            elif msg.startswith("430"):
                ack = json.loads(msg[3:])[0]
                if not ack.get("ok"):
                    raise RuntimeError(f"{event} refused: {ack}")
                if "participantId" in ack:
                    phone.identity = {"participantId": ack["participantId"],
                                      "resumeToken": ack.get("resumeToken") or phone.identity["resumeToken"]}
                return ack

    async def _read(self, phone: Phone, ws) -> None:
        import aiohttp

        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                if msg.data == "2":
                    await ws.send_str("3")
                elif msg.data.startswith('42["caption"'):
                    phone.take(json.loads(msg.data[2:])[1])
        finally:
            await ws.close()


LECTURE_WORDS = ("so the enzyme binds here and the reaction runs faster which is why the cell spends so much energy "
                 "making it in the first place").split()


def compressed_lecture(url: str, room: str, sentences: int, partials: int = 4, mark_every: int = 0,
                       on_mark: Callable[[int], None] | None = None) -> dict[str, int]:
    """Lecture as fast as the hub acks: each sentence as ``partials`` growing partials, then its final.

    A real lecture says about 12 sentences a minute with a partial every third of a second; this one sends
    them back to back, so hours of captions pass in minutes (the hub's rate limits must be lifted). Calls
    ``on_mark(k)`` after every ``mark_every`` sentences. Returns the utteranceId -> seq of every acked final.
    """
    client = Client(url).connect()
    try:
        assert client.join(room, role="presenter", name="Lecturer")["ok"]
        assert client.call("requestSpeak", {})["granted"]
        acked: dict[str, int] = {}
        began = int(time.time() * 1000) - sentences * 5000  # the lecture began hours ago, one sentence per 5 s
        for k in range(sentences):
            uid = f"s{k:05d}-{uuid.uuid4().hex[:8]}"
            words = [f"{k}:"] + LECTURE_WORDS[k % 7:k % 7 + 12]
            for n in range(1, partials + 1):
                ack = client.call("caption", {"utteranceId": uid, "text": " ".join(words[:3 * n]), "isFinal": False})
                assert ack["ok"], ack
            at = began + k * 5000
            ack = client.call("caption", {"utteranceId": uid, "text": " ".join(words).capitalize() + ".",
                                          "isFinal": True, "startedAt": at, "endedAt": at + 4500}, timeout=30)
            assert ack["ok"], ack
            acked[uid] = ack["seq"]
            if on_mark and mark_every and (k + 1) % mark_every == 0:
                on_mark(k + 1)
        return acked
    finally:
        client.close()


def read_everything(url: str, room: str) -> list[int]:
    """Join as a late phone and page through the whole transcript; return the seqs, in order."""
    client = Client(url).connect()
    try:
        state = client.join(room, since=0)["state"]  # the whole transcript, as the audience page's "from the start"
        seqs = [c["seq"] for c in state["captions"]]
        while state.get("more"):
            state = client.call("catchUp", {"since": seqs[-1], "sinceRev": 0}, timeout=30)
            assert state["ok"], state
            seqs += [c["seq"] for c in state["captions"]]
        return seqs
    finally:
        client.close()


def station_with_the_floor(hub_url: str, room: str, spool_path: Path, final: Callable[[int], dict],
                           delivered: int = 5) -> tuple[HubLink, Spool]:
    """Start a real station link (HubLink and its spool) that joins ``room``, takes the floor and delivers
    the finals ``final(0)`` to ``final(delivered - 1)``; return it, with nothing left in its spool."""
    spool = Spool(spool_path, room)
    link = HubLink(hub_url, room, "Station", spool)
    link.start()
    wait_until(lambda: link.joined, lambda: "the station did not join")
    assert link.request_speak().get("granted")
    link.speaking = True
    for k in range(delivered):
        link.send_final(final(k))
    wait_until(lambda: spool.count() == 0, lambda: "the first finals were not delivered")
    return link, spool


def stored_finals(db_path: Path, room: str) -> list[tuple[int, str]]:
    """Return (seq, utteranceId) of every final the room has stored, by seq."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT c.seq, c.utterance_id FROM captions c JOIN rooms r ON r.id = c.room_id "
                            "WHERE r.code = ? ORDER BY c.seq", (room,)).fetchall()


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of non-empty values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def ip(*args: str) -> None:
    """Run an `ip` command."""
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def station_namespace() -> Iterator[tuple[str, str, Callable[[bool], None]]]:
    """Make a network namespace joined to this host by a veth pair (as root); remove both afterwards.

    Yields the namespace's name, the host side's address (the hub listens there) and ``link(up)``, which
    takes the namespace's side of the cable down or up: a station in the namespace loses the hub, nothing else.
    """
    tag = f"{os.getpid() % 10000}"
    ns, host_if, ns_if = f"cccf{tag}", f"vfh{tag}", f"vfs{tag}"
    net = f"10.213.{os.getpid() % 250}"
    ip("netns", "add", ns)
    try:
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        ip("link", "set", ns_if, "netns", ns)
        ip("addr", "add", f"{net}.1/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("-n", ns, "addr", "add", f"{net}.2/30", "dev", ns_if)
        ip("-n", ns, "link", "set", ns_if, "up")
        ip("-n", ns, "link", "set", "lo", "up")

        def link(up: bool) -> None:
            ip("-n", ns, "link", "set", ns_if, "up" if up else "down")

        yield ns, f"{net}.1", link
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def lecture_wav(path: Path) -> Path:
    """Join the LibriVox clips with 0.8 s pauses: 28 s of read speech, each clip a final or more."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        for clip in sorted(LIBRIVOX.glob("*.wav")):
            with wave.open(str(clip)) as src:
                out.writeframes(src.readframes(src.getnframes()) + bytes(2 * 12800))
    return path


def pending(spool: Path) -> int:
    """Return how many finals a station's spool file holds undelivered."""
    with sqlite3.connect(spool, timeout=10) as conn:
        return conn.execute("SELECT COUNT(*) FROM finals WHERE delivered_at IS NULL AND error IS NULL").fetchone()[0]


def spooled(spool: Path) -> list[tuple]:
    """Return (utteranceId, seq, created_at, delivered_at, error) of every final, in the order spoken."""
    with sqlite3.connect(spool, timeout=10) as conn:
        return conn.execute("SELECT utterance_id, seq, created_at, delivered_at, error FROM finals ORDER BY id"
                            ).fetchall()


def churn(url: str, room: str, cycles: int, concurrency: int = 8) -> int:
    """Join and leave the room ``cycles`` times (a phone each: connect, join, leave, close); return the joins."""
    import aiohttp

    refusals: list[dict] = []

    async def run() -> int:
        joined = 0
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        todo = iter(range(cycles))

        async def ack(ws) -> dict:
            while not (msg := await ws.receive_str(timeout=30)).startswith("43"):
                pass
            return json.loads(msg[3:])[0]

        async def worker(http) -> None:
            nonlocal joined
            for _ in todo:
                async with http.ws_connect(ws_url, timeout=30) as ws:
                    await ws.receive_str(timeout=30)
                    await ws.send_str("40")
                    await ws.receive_str(timeout=30)
                    await ws.send_str("420" + json.dumps(["join", {"room": room, "role": "audience"}]))
                    answer = await ack(ws)
                    joined += bool(answer.get("ok"))
                    if not answer.get("ok") and not refusals:
                        refusals.append(answer)
                    await ws.send_str("421" + json.dumps(["leave", {}]))
                    await ack(ws)

        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        return joined

    # On a thread of its own: Playwright's sync API (the browser tests) leaves an event loop running on this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        joined = pool.submit(asyncio.run, run()).result()
    assert joined == cycles, f"{cycles - joined} joins refused, the first: {refusals[0]}"
    return joined


def participants(db_path: Path) -> int:
    """Return how many participant rows the hub keeps."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM participants").fetchone()[0]
