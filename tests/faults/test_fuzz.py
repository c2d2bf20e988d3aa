"""Fuzzing below the payload: while attackers abuse Engine.IO, Socket.IO, HTTP and TCP, a lecture goes on.

A presenter sends 10 finals a second to a phone in the same room, timed from send to receive, before and
during the attack. The attackers (testkit/attackers.py, a process of their own, each on its own 127.0.0.x
address) send malformed packets, binary attachments announced and never sent, oversized and endless
long-polling bodies, open connections that go silent or send headers a byte a second, hold 500 idle
Socket.IO connections, and join the (busy) room without ever reading their socket.
"""
from __future__ import annotations

import json
import resource
import subprocess
import time

import psutil
import pytest
import requests
from fuzzclient import GoodPair, fill, percentile

from hubkit import PYTHON, ROOT

pytestmark = pytest.mark.alone

QUIET_S, ATTACK_S = 4, 30
IDLE, HALF_OPEN, SLOW = 500, 20, 4
# Below a common default (1,024): 500 WebSocket phones need more than 500 descriptors (one each under
# gevent-websocket, two under simple-websocket), so the hub must raise its own limit to serve them.
SOFT_NOFILE = 512


def start_with_open_files_limit(make_hub, soft: int, **env: str):
    """Start a hub whose soft limit on open files is ``soft`` at start, as `ulimit -n` would make it."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, before[1]), before[1]))
    try:
        return make_hub(**env)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


def test_the_hub_keeps_serving_a_lecture_while_attacked_below_the_payload(make_hub):
    hub = start_with_open_files_limit(
        make_hub, SOFT_NOFILE, CCC_SOCKET_TIMEOUT_S="10", CCC_REQUEST_HEAD_TIMEOUT_S="4", CCC_EVENTS_PER_S="100")
    process = psutil.Process(hub.proc.pid)
    room = hub.create_room("Fuzz")
    fill(hub.url, room)  # 200 finals of 2,000 characters: every page a non-reader asks for is ~400 KB
    pair = GoodPair(hub.url, room).start()
    time.sleep(QUIET_S)
    base_rss, base_fds = process.memory_info().rss, process.num_fds()
    pair.mark("attack")
    attackers = subprocess.Popen(
        [PYTHON, str(ROOT / "testkit" / "attackers.py"), "--url", hub.url, "--room", room, "--seconds", str(ATTACK_S),
         "--idle", str(IDLE), "--half-open", str(HALF_OPEN), "--slow", str(SLOW)],
        stdout=subprocess.PIPE, text=True)
    peak_rss, peak_fds = base_rss, base_fds
    teardown = time.monotonic() + ATTACK_S
    try:
        while attackers.poll() is None:
            peak_rss, peak_fds = max(peak_rss, process.memory_info().rss), max(peak_fds, process.num_fds())
            if teardown and time.monotonic() > teardown:
                # The attackers all hang up at once now (500 idle among them): a disconnection storm, which
                # costs the hub ~1 s of CPU on this machine; measured apart, as the bench does.
                pair.mark("teardown")
                teardown = 0
            time.sleep(0.25)
        pair.mark("after")
        time.sleep(2)
    finally:
        pair.stop()
        if attackers.poll() is None:
            attackers.kill()
    report = json.loads(attackers.stdout.read().splitlines()[-1])
    seen = report["outcomes"]

    print(f"quiet p50/p99 {percentile(pair.latencies('quiet'), 50):.1f}/{percentile(pair.latencies('quiet'), 99):.1f}"
          f" ms; attacked p50/p95/p99 {percentile(pair.latencies('attack'), 50):.1f}/"
          f"{percentile(pair.latencies('attack'), 95):.1f}/{percentile(pair.latencies('attack'), 99):.1f} ms; "
          f"RSS {base_rss >> 20} -> peak {peak_rss >> 20} MB; fds {base_fds} -> peak {peak_fds}\n"
          + json.dumps(report, indent=1))
    start = dict(pair.marks)["attack"]
    print("max latency per 3 s of the attack:", [round(max([(got - pair.sent[u]) * 1000 for _, u, got in pair.received
                                                          if 3 * k <= pair.sent[u] - start < 3 * k + 3] or [0]))
                                                 for k in range(11)])
    # The hub is alive, and the lecture lost nothing and stayed quick.
    assert hub.proc.poll() is None and requests.get(hub.url + "/healthz", timeout=5).ok
    assert pair.problems() == []
    quiet, attacked = pair.latencies("quiet"), pair.latencies("attack")
    assert len(attacked) > 3 * ATTACK_S, f"only {len(attacked)} captions went through during the attack"
    p99 = percentile(attacked, 99)
    assert p99 < 500, f"p99 {p99:.0f} ms under attack (quiet: {percentile(quiet, 99):.0f} ms)"

    # Bad packets cost their sender the connection (or are answered); none leaves it hanging.
    for case, outcomes in seen.items():
        if case in ("unknown engine.io type", "probe ping", "unsolicited pong", "event named by a number",
                    "huge ack id", "negative ack id", "Infinity in JSON", "upgrade packet on a websocket"):
            assert set(outcomes) <= {"answers", "closed"}, (case, outcomes)
        elif "attach" in case or "binary" in case or "placeholder" in case or "JSON bomb" in case:
            assert all(o.startswith("closed") for o in outcomes), (case, outcomes)
    # Silent and slow connections are cut off, on the hub's clock, not held for good.
    for case in ("TCP connect then silence", "upgrade then silence", "headers half sent", "slowloris",
                 "slow reader", "chunked POST that never ends"):
        assert seen.get(case), case
        held = [int(o.split()[3]) for o in seen[case] if o.startswith("still open")]  # "still open after N s"
        assert max(held, default=0) < 20, (case, seen[case])
    assert set(seen["POST over the limit"]) == {"400"}, seen["POST over the limit"]  # at once, not after 64 MB
    assert set(seen["bad sid"]) == {"400"}
    # Idle phones that answer pings are all held, and kept, though the hub started with `ulimit -n 1024`.
    assert seen["idle"] == {f"{IDLE} connected": 1}, seen["idle"]
    assert peak_fds > SOFT_NOFILE, f"the hub never held more than {peak_fds} descriptors"

    # Memory stays bounded: the non-readers' queues are capped, announced attachments are not kept.
    grown_mb = (peak_rss - base_rss) / 2**20
    assert grown_mb < 120, f"the hub grew by {grown_mb:.0f} MB under attack"
    # Everything the attackers opened is closed again.
    deadline = time.monotonic() + 15
    while process.num_fds() > base_fds + 10 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert process.num_fds() <= base_fds + 10, f"{process.num_fds() - base_fds} descriptors left open"
