"""The campus set-up for real: nginx in front of two hub processes, PostgreSQL and Redis (deploy/cluster.py).

One cluster for the module (it takes ~10 s to start). nginx hashes the client address, so every client of
this machine that goes through nginx lands on one process, "A"; clients steered to the other, "B", connect
to its port directly. The last test kills A (SIGKILL) and the clients behind nginx must come back through
nginx, on B, without a gap.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest
import requests
import socketio
from faultkit import Lecturer, Phone

from hubkit import PYTHON, ROOT, AdminWeb, Client, free_port

_spec = importlib.util.spec_from_file_location("ccc_deploy_cluster", ROOT / "deploy" / "cluster.py")
deploy_cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy_cluster)

GRACE_S = 3.0  # counted from when B notices A is gone: time enough for a presenter to come back
HEARTBEAT_S = 0.5


@pytest.fixture(scope="module")
def cluster():
    """Start nginx + 2 hubs + PostgreSQL + Redis with deploy/cluster.py; stop them with its command line."""
    state = Path(tempfile.mkdtemp(prefix="ccc-cluster-"))  # not under pytest's 0700 folder: postgres reads it
    started = deploy_cluster.Cluster(state, port=free_port(), hubs=2, postgres_options="-c fsync=off",
                                     CCC_FLOOR_GRACE_S=str(GRACE_S),
                                     CCC_PROCESS_HEARTBEAT_S=str(HEARTBEAT_S), CCC_AUDIENCE_COUNT_INTERVAL_S="0.3")
    try:
        started.start()
        yield started
    finally:
        out = subprocess.run([PYTHON, str(ROOT / "deploy" / "cluster.py"), "stop", "--dir", str(state)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert not any(state.glob("*.pid")), "cluster.py stop left something running"
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def sides(cluster) -> tuple[int, int]:
    """Return (A, B): the hub index nginx sends this machine's clients to, and the other one."""
    upstream = requests.get(f"{cluster.url}/healthz", timeout=5).headers["X-CCC-Upstream"]
    a = [cluster.hub_url(i).rsplit(":", 1)[1] for i in range(2)].index(upstream.rsplit(":", 1)[1])
    return a, 1 - a


class Follower(Client):
    """A phone: joins a room; when its connection drops it reconnects and resumes with ``since``."""

    def __init__(self, url: str, room: str, transport: str, role: str = "audience", name: str = "",
                 reconnect: bool = True):
        super().__init__(url, reconnection=reconnect, reconnection_delay=0.2, reconnection_delay_max=1)
        self.room, self.transport, self.role, self.name = room, transport, role, name
        self.joins = 0
        self.refusals: list[dict] = []
        self.sio.on("connect", self._connected)

    def start(self) -> "Follower":
        """Connect over this phone's transport (long-polling only, or WebSocket) and join."""
        self.connect(transports=[self.transport])
        self._join()
        return self

    def _connected(self) -> None:
        if self.joins:  # a reconnection: resume from what this phone has shown
            self.sio.start_background_task(self._join)

    def _join(self) -> None:
        ack = self.join(self.room, self.role, self.name, since=self.view().last)
        if ack.get("ok"):
            self.joins += 1
        else:
            self.refusals.append(ack)

    def view(self) -> Phone:
        """Return what the page would show: finals once each, in seq order (early ones wait for the gap)."""
        phone = Phone(0)
        with self._cond:
            events = list(self.events)
        for event, data in events:
            if event == "caption" and data.get("isFinal"):
                phone.take(data)
            elif event == "roomState":
                for caption in data["captions"]:
                    phone.take(caption)
        return phone


@pytest.fixture(scope="module")
def admin(cluster) -> AdminWeb:
    """Return the admin, signed in through nginx (faster than a `flask rooms create` process per room)."""
    return AdminWeb(cluster.url, password=cluster.info["admin_password"])


def create_room(admin: AdminWeb, title: str) -> str:
    """Create a room (saving its captions) from the admin page and return its code."""
    page = admin.post("/admin/rooms", {"title": title, "saving": "1"}).text
    return re.search(rf"Created room (\w+) \({title}\)", page).group(1)


def stored_finals(cluster, room: str) -> list[tuple[int, str]]:
    """Return (seq, utteranceId) of the room's finals in PostgreSQL, by seq."""
    url = f"postgresql://ccc@127.0.0.1:{cluster.info['postgres_port']}/ccc"
    with psycopg.connect(url) as conn:
        return [tuple(row) for row in conn.execute(
            "SELECT c.seq, c.utterance_id FROM captions c JOIN rooms r ON r.id = c.room_id WHERE r.code = %s "
            "ORDER BY c.seq", (room,)).fetchall()]


def audience(client: Client) -> int | None:
    """Return the audience count a client shows now: the latest audienceCount, or its roomState's."""
    with client._cond:
        counts = [data["count"] if event == "audienceCount" else data["audienceCount"]
                  for event, data in client.events if event in ("audienceCount", "roomState")]
    return counts[-1] if counts else None


def wait(check, what: str, timeout: float = 20) -> None:
    """Wait until ``check()`` holds, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def close_all(clients) -> None:
    """Disconnect clients in parallel (a WebSocket close waits for its handshake)."""
    threads = [threading.Thread(target=c.close) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_the_public_address_serves_pages_static_files_and_forwarded_addresses(cluster, sides, admin):
    a, b = sides
    room = create_room(admin, "Aula")
    # One secret key: the admin cookie nginx's process signed is good on the other process too.
    assert "Sign out" in admin.web.get(f"{cluster.hub_url(b)}/admin", timeout=5).text
    page = requests.get(f"{cluster.url}/r/{room}", timeout=5)
    assert page.ok and "X-CCC-Upstream" in page.headers
    assert f"{cluster.url}/r/{room}" in requests.get(f"{cluster.url}/r/{room}/projector", timeout=5).text
    static = requests.get(f"{cluster.url}/static/css/ccc.css", timeout=5)
    assert static.ok and "X-CCC-Upstream" not in static.headers, "static files must come from nginx itself"
    assert "max-age=600" in static.headers["Cache-Control"] and static.headers.get("ETag")
    again = requests.get(f"{cluster.url}/static/css/ccc.css", headers={"If-None-Match": static.headers["ETag"]},
                         timeout=5)
    assert again.status_code == 304
    # A name the hubs do not serve is refused through nginx too (the Host check sees the forwarded host).
    assert requests.get(f"{cluster.url}/healthz", headers={"Host": "evil.example"}, timeout=5).status_code == 400
    # A page from the public address passes the hub's same-origin check behind nginx (X-Forwarded-Host and
    # -Proto; WebSocket clients below send their Origin by themselves); a page on another site does not.
    page = Client(cluster.url).connect(transports=["polling"], headers={"Origin": cluster.url})
    try:
        assert page.join(room)["ok"]
    finally:
        page.close()
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(cluster.url).connect(transports=["polling"], headers={"Origin": "http://evil.example"})


def test_phones_on_both_processes_over_polling_and_websocket_get_every_caption_in_order(cluster, sides, admin):
    a, b = sides
    room = create_room(admin, "Hall")
    presenter = Client(cluster.hub_url(b)).connect()  # on B; the phones behind nginx are on A
    phones = [Follower(cluster.url, room, "polling"), Follower(cluster.url, room, "websocket"),
              Follower(cluster.url, room, "polling", name="Nia"), Follower(cluster.url, room, "websocket"),
              Follower(cluster.hub_url(b), room, "polling"), Follower(cluster.hub_url(a), room, "websocket")]
    try:
        for phone in phones:
            phone.start()
        assert presenter.join(room, "presenter", "Ada")["ok"]
        assert presenter.call("requestSpeak", {})["granted"]
        presenter.wait_for(lambda c: audience(c) == 6)
        # Who is present is the same on both processes: a named phone on A is listed by a phone on B.
        # Who is present is the same on both processes: a phone on B lists a named phone that is on A.
        assert "Nia" in [p["name"] for p in phones[4].of("roomState")[0]["participants"]]
        sent = []
        for k in range(20):
            uid = f"hall-{k}-{uuid.uuid4().hex[:6]}"
            presenter.call("caption", {"utteranceId": uid, "text": f"Part {k}", "isFinal": False})
            ack = presenter.call("caption", {"utteranceId": uid, "text": f"Sentence {k}.", "isFinal": True})
            sent.append((ack["seq"], uid))
        assert [seq for seq, _ in sent] == list(range(1, 21))
        for phone in phones:
            wait(lambda p=phone: p.view().last == 20, f"a {phone.transport} phone missed a caption")
            finals = [(m["seq"], m["utteranceId"]) for m in phone.of("caption") if m["isFinal"]]
            assert finals == sent, f"a {phone.transport} phone got finals out of order or twice"
            assert any(not m["isFinal"] for m in phone.of("caption")), "partials reach every process"
        assert stored_finals(cluster, room) == sent
    finally:
        close_all([*phones, presenter])


def test_a_killed_process_loses_nothing_and_its_clients_resume_through_the_same_address(cluster, sides, admin):
    a, b = sides
    room, quiet = create_room(admin, "Lab"), create_room(admin, "Quiet")
    survivors_url = cluster.hub_url(b)
    # On A, through nginx: a lecturer (resends each final until acked), phones that come back, and people
    # who will not (a projector, a phone, and in the quiet room a presenter holding the floor).
    phones = [Follower(cluster.url, room, "polling"), Follower(cluster.url, room, "websocket"),
              Follower(cluster.url, room, "polling"), Follower(cluster.url, room, "websocket"),
              Follower(survivors_url, room, "websocket"), Follower(survivors_url, room, "polling")]
    lost = [Follower(cluster.url, room, "websocket", role="projector", name="Beamer", reconnect=False),
            Follower(cluster.url, room, "websocket", reconnect=False)]
    rival = Client(survivors_url).connect()  # another presenter, on B
    watcher = Client(survivors_url).connect()
    absent = Client(cluster.url).connect()  # holds the quiet room's floor on A and never comes back
    challenger = Client(survivors_url).connect()
    lecturer = None
    try:
        for phone in phones + lost:
            phone.start()
        assert rival.join(room, "presenter", "Rival")["ok"]
        assert watcher.join(room, "presenter", "Watcher")["ok"]
        assert absent.join(quiet, "presenter", "Absent")["ok"] and absent.call("requestSpeak", {})["granted"]
        assert challenger.join(quiet, "presenter", "Challenger")["ok"]
        lecturer = Lecturer(cluster.url, room, rate=8).start()
        lecturer_id = lecturer._identity["id"]
        watcher.wait_for(lambda c: audience(c) == 7)
        wait(lambda: len(lecturer.acked) >= 8, "the lecture did not start")

        cluster.kill_hub(a)
        killed, before = time.monotonic(), len(lecturer.acked)
        # While the lecturer is away (within the grace period) nobody else gets its floor.
        while len(lecturer.acked) < before + 3:
            assert not rival.call("requestSpeak", {})["granted"], "the floor went to another presenter"
            assert time.monotonic() - killed < 20, "the lecture did not go on through nginx"
            time.sleep(0.2)
        # The people on A who did not come back are let go on B: listed no more, counted no more, and the
        # quiet room's floor is freed once the grace period is over.
        watcher.wait_for(lambda c: any(p["name"] == "Beamer" for p in c.of("participantLeft")), 15)
        watcher.wait_for(lambda c: audience(c) == 6, 10)
        challenger.wait_for("speakerStopped", 15 + GRACE_S)
        freed = time.monotonic() - killed
        assert GRACE_S <= freed <= GRACE_S + 12, f"the absent presenter's floor was freed after {freed:.1f} s"
        assert challenger.of("speakerStopped")[-1]["reason"] == "disconnected"
        assert challenger.call("requestSpeak", {})["granted"]
        wait(lambda: len(lecturer.acked) >= before + 16, "the lecture did not go on")
        lecturer.stop()
    finally:
        if lecturer:
            lecturer.stop()

    try:
        acked = dict(lecturer.acked)
        stored = stored_finals(cluster, room)
        assert [seq for seq, _ in stored] == list(range(1, len(stored) + 1))
        assert len({uid for _, uid in stored}) == len(stored), "a final was stored twice"
        assert {uid: seq for seq, uid in stored if uid in acked} == acked, "an acknowledged final was lost"
        assert lecturer.reconnects >= 1 and not lecturer.refused, lecturer.refused
        for phone in phones:
            wait(lambda p=phone: p.view().last == len(stored), f"a {phone.transport} phone did not catch up")
            view = phone.view()
            assert view.shown == stored and not view.pending, f"a {phone.transport} phone saw a gap"
            assert not phone.refusals, phone.refusals
        assert all(p.joins >= 2 for p in phones[:4]), "the phones on A did not rejoin"
        # The floor stayed single: only the lecturer ever had it in this room.
        assert {m["speakerId"] for m in watcher.of("speakerChanged")} <= {lecturer_id}
        # A newcomer sees the room as it is: the presenters, not the projector that went with A.
        newcomer = Client(cluster.url).connect()
        try:
            state = newcomer.join(room, "audience")["state"]
            assert {p["name"] for p in state["participants"]} == {"Rival", "Watcher"}
            assert state["audienceCount"] == 7  # the 6 phones and the newcomer
        finally:
            newcomer.close()
    finally:
        close_all([*phones, rival, watcher, challenger])


def test_redis_takes_only_clients_with_its_password_on_loopback(cluster):
    # Anyone on the PC could read every broadcast and publish fake ones into the hubs (captions, floor
    # changes) through a Redis without a password; the hubs' own URL carries it.
    port = str(cluster.info["redis_port"])
    plain = subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True, text=True, timeout=10)
    assert "NOAUTH" in plain.stdout + plain.stderr, plain.stdout
    authed = subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True, text=True, timeout=10,
                            env={**os.environ, "REDISCLI_AUTH": cluster.info["redis_password"]})
    assert authed.stdout.strip() == "PONG"
    assert cluster.hub_environment(0)["CCC_MESSAGE_QUEUE"].startswith("redis://:")
    command_lines = " ".join(" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["name", "cmdline"])
                             if "redis" in (p.info["name"] or ""))
    assert "redis-server" in command_lines and cluster.info["redis_password"] not in command_lines  # ps shows argv
    assert oct(cluster.info_path.stat().st_mode & 0o777) == "0o600"
