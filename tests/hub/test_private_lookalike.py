"""A private room cannot be told from a missing code by the answer's bytes, code or time (#19 finding 4).

The attacker knows nothing of the room; it compares what the hub answers for a private room's code with
what it answers for a code without a room, from addresses of its own on loopback.
"""
from __future__ import annotations

import http.client
import re
import statistics
import time
from itertools import count

from rawsocket import RawSocket

PIN = "4821"
PASSWORD = "tulip-7Kq"
MISSING = "QQQQQ"
_sources = count(1)


def fresh_source() -> str:
    """Return a loopback address no earlier try came from (so the per-address lockout is not what is timed)."""
    n = next(_sources)
    return f"127.0.{40 + n // 250}.{n % 250 + 1}"


def private_room(hub, pin: str | None = PIN) -> str:
    """Create a private room and return its code."""
    out = hub.flask("rooms", "create", "Seminar", *(["--pin", pin] if pin else []), "--password", PASSWORD)
    return out.strip().splitlines()[-1]


def http_answer(hub, method: str, path: str, body: str = "", source: str = "127.0.0.1"):
    """Return (status, headers without Date, body) of one request from ``source``, and the seconds it took."""
    host, port = hub.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    started = time.perf_counter()
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    took = time.perf_counter() - started
    conn.close()
    kept = sorted((k.lower(), v) for k, v in response.getheaders() if k.lower() != "date")
    return (response.status, kept, data), took


def same(answer, code: str):
    """Blank the room code (the page echoes the code it was asked for) so two answers compare as bytes."""
    status, headers, data = answer
    return status, headers, data.replace(code.encode(), b"CODE")


def test_qr_svg_answers_a_private_room_as_a_missing_code(hub):
    code = private_room(hub)
    private, _ = http_answer(hub, "GET", f"/r/{code}/qr.svg")
    missing, _ = http_answer(hub, "GET", f"/r/{MISSING}/qr.svg")
    assert private[0] == 404
    assert same(private, code) == same(missing, MISSING)  # Vary: Cookie on both, the same page
    assert ("vary", "Cookie") in missing[1]


def test_a_locked_out_address_gets_the_same_presenter_refusal_for_a_private_room_and_a_missing_code(hub):
    code, pinless = private_room(hub), private_room(hub, pin=None)
    guesser = RawSocket(hub.url, source="127.0.0.30")
    answers = [guesser.call("join", {"room": MISSING, "role": "presenter", "name": "Eve", "pin": f"{n:04d}"})
               for n in range(8)]
    assert answers[-1]["error"]["code"] == "rate_limited", answers  # guessing on missing codes locks out too

    def refusal(room: str) -> tuple[str, str]:
        ack = guesser.call("join", {"room": room, "role": "presenter", "name": "Eve", "pin": "1234"})
        return ack["error"]["code"], re.sub(r"\d+ s", "N s", ack["error"]["message"]).replace(room, "CODE")

    answers = [refusal(code), refusal(MISSING), refusal(pinless)]  # within the lockout's wait (seconds)
    assert answers[0][0] == "rate_limited" and answers.count(answers[0]) == 3, answers


def medians(tries: int, timed) -> tuple[float, float]:
    """Time ``timed(room)`` for the private room and the missing code, alternating; return both medians (ms)."""
    times: dict[str, list[float]] = {"private": [], "missing": []}
    for _ in range(tries):
        for which in times:
            times[which].append(timed(which) * 1000)
    return statistics.median(times["private"]), statistics.median(times["missing"])


def test_wrong_secrets_take_as_long_for_a_missing_room(hub):
    code = private_room(hub)
    rooms = {"private": code, "missing": MISSING}

    def qr(which: str) -> float:
        answer, took = http_answer(hub, "POST", f"/r/{rooms[which]}/qr.svg", "password=wrong-guess",
                                   fresh_source())
        assert answer[0] == 404
        return took

    def presenter(which: str) -> float:
        sock = RawSocket(hub.url, source=fresh_source())
        started = time.perf_counter()
        ack = sock.call("join", {"room": rooms[which], "role": "presenter", "name": "Eve", "pin": "0000"})
        took = time.perf_counter() - started
        sock.close()
        assert ack["error"]["code"] == "room_not_found", ack
        return took

    for timed in (qr, presenter):
        private, missing = medians(6, timed)
        print(f"{timed.__name__}: private {private:.0f} ms, missing {missing:.0f} ms")
        # A scrypt check is ~120 ms; without the dummy check a missing room answered in 2-25 ms.
        assert missing > 0.5 * private and private > 0.5 * missing, (timed.__name__, private, missing)
