"""Per-address HTTP limits: a client hammering pages gets 429 with Retry-After, a class behind one NAT never (#19).

A real hub over a real port, with the default limits. The hammering client and the class each have their own
loopback address (127.0.0.x), as an attacker on the Wi-Fi and a school's NAT would; the teacher is on 127.0.0.1.
"""
from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

ATTACKER = "127.0.0.21"
SCHOOL_NAT = "127.0.0.22"


def get(url: str, path: str, source: str = "127.0.0.1",
        conn: http.client.HTTPConnection | None = None) -> tuple[int, dict, bytes, float]:
    """GET ``path`` from ``source`` (on ``conn`` when given, kept alive); return status, headers, body, seconds."""
    parts = urlsplit(url)
    own = conn is None
    conn = conn or http.client.HTTPConnection(parts.hostname, parts.port, timeout=20, source_address=(source, 0))
    started = time.monotonic()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body, time.monotonic() - started
    finally:
        if own:
            conn.close()


def page_load(url: str, path: str, source: str) -> list[int]:
    """Load a page and every script, style sheet and image it names, as a phone's browser does; return statuses."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20, source_address=(source, 0))
    try:
        status, _headers, body, _took = get(url, path, conn=conn)
        statuses = [status]
        for asset in re.findall(rb'(?:src|href)="(/static/[^"]+)"', body):
            statuses.append(get(url, asset.decode(), conn=conn)[0])
        statuses.append(get(url, "/favicon.ico", conn=conn)[0])
        return statuses
    finally:
        conn.close()


def test_a_class_of_60_phones_behind_one_address_all_open_the_room(module_hub):
    hub = module_hub
    code = hub.create_room("Physics")
    with ThreadPoolExecutor(12) as pool:  # the teacher says "scan the code now": 60 phones within seconds
        loads = list(pool.map(lambda _: page_load(hub.url, f"/r/{code}", SCHOOL_NAT), range(60)))
    requests = sum(len(statuses) for statuses in loads)
    assert requests >= 60 * 5, loads[0]  # the page, its style sheet and scripts, the icon
    refused = [s for statuses in loads for s in statuses if s == 429]
    assert refused == [], f"{len(refused)} of {requests} requests refused"
    assert all(statuses[0] == 200 and set(statuses[1:-1]) <= {200, 304} for statuses in loads), loads[0]


def test_a_client_hammering_pages_gets_429_and_the_teacher_does_not_wait(module_hub):
    hub = module_hub
    code = hub.create_room("Chemistry")
    before = [get(hub.url, f"/r/{code}")[3] for _ in range(10)]
    paths = ["/", f"/r/{code}", f"/go?code={code}", f"/r/{code}/transcript", f"/r/{code}/qr.svg",
             "/static/css/ccc.css", "/static/js/ccc.js", "/nowhere"]
    stop, seen, lock = threading.Event(), [], threading.Lock()
    retry_after: list[str] = []
    refusal: list[tuple[dict, bytes]] = []

    def hammer(n: int) -> None:
        parts = urlsplit(hub.url)
        conn = None
        while not stop.is_set():
            conn = conn or http.client.HTTPConnection(parts.hostname, parts.port, timeout=20,
                                                      source_address=(ATTACKER, 0))
            try:
                status, headers, body, _took = get(hub.url, paths[n % len(paths)], conn=conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
                continue
            n += 1
            with lock:
                seen.append((time.monotonic(), status))
                if status == 429:
                    retry_after.append(headers.get("Retry-After", ""))
                    refusal[:] = refusal or [(headers, body)]
            if headers.get("Connection", "").lower() == "close":
                conn.close()
                conn = None

    attackers = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    started = time.monotonic()
    for t in attackers:
        t.start()
    while not retry_after and time.monotonic() - started < 30:  # the burst (1500 requests) spent
        time.sleep(0.05)
    during = [get(hub.url, f"/r/{code}") for _ in range(10)]  # the teacher opens the room meanwhile
    time.sleep(2)
    stop.set()
    for t in attackers:
        t.join()
    took = time.monotonic() - started
    served = sum(1 for _, status in seen if status != 429)
    print(f"{len(seen)} requests in {took:.1f} s, {served} served; the teacher's page took "
          f"{statistics.median(before) * 1000:.0f} ms before, {statistics.median(d[3] for d in during) * 1000:.0f} ms "
          "during")
    assert retry_after and all(r.isdigit() and 1 <= int(r) <= 60 for r in retry_after), retry_after[:5]
    assert served <= 1500 + 30 * took + 40, (served, took)  # the burst, then 30 a second (and what was in flight)
    assert all(status == 200 for status, *_ in during), [d[0] for d in during]
    assert statistics.median(d[3] for d in during) < max(0.25, 5 * statistics.median(before))
    headers, body = refusal[0]
    assert b"Too many requests" in body and headers["Cache-Control"] == "no-store" and headers["Connection"] == "close"
    # Another address (a student's phone) is served as ever.
    assert get(hub.url, f"/r/{code}", "127.0.0.23")[0] == 200
