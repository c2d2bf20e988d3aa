"""Attacks from the same Wi-Fi on what the hub reads: numbers, caption sizes, query strings and Host headers."""
from __future__ import annotations

import json
import sqlite3
import time
import uuid

import requests
from rawsocket import RawSocket, strict_loads

FORMATS = ["txt", "md", "srt", "vtt", "json", "docx"]


def test_numbers_that_are_not_json_or_not_sane_are_refused_and_never_broadcast(hub, client):
    code = hub.create_room("Numbers")
    ada = client(hub.url)
    assert ada.join(code, "presenter", "Ada")["ok"] and ada.call("requestSpeak", {})["granted"]
    phone = RawSocket(hub.url)  # parses every frame strictly, as a browser's JSON.parse does
    assert phone.call("join", {"room": code, "role": "audience"})["ok"]
    now = time.time() * 1000
    base = {"text": "hello there", "isFinal": True}
    hostile = [
        {"startedAt": float("inf")}, {"startedAt": float("nan")}, {"endedAt": float("-inf")},
        {"startedAt": 1e300}, {"startedAt": 10**30}, {"startedAt": 0}, {"startedAt": now + 1e13},
        {"startedAt": now, "endedAt": now - 1}, {"startedAt": now, "endedAt": now + 86_400_000},
        {"words": [{"word": "hello", "start": 0, "end": float("inf")}]},
        {"words": [{"word": "hello", "start": 0, "end": 100, "conf": float("nan")}]},
        {"words": [{"word": "hello", "start": 500, "end": 100}]},
        {"startedAt": now, "endedAt": now + 1000, "words": [{"word": "hello", "start": 0, "end": 3_600_000}]},
        {"startedAt": now, "endedAt": now + 1000, "words": [{"word": "hello", "start": now - 1e9, "end": now}]},
    ]
    for extra in hostile:
        ack = ada.call("caption", {"utteranceId": uuid.uuid4().hex, **base, **extra})
        assert ack["ok"] is False and ack["error"]["code"] == "bad_request", (extra, ack)

    # Sane numbers still pass, and the broadcast parses as strict JSON.
    sane = {"startedAt": now, "endedAt": now + 900, "words": [{"word": "hello", "start": 0, "end": 400, "conf": 0.9},
                                                              {"word": "there", "start": 400, "end": 900}]}
    assert ada.call("caption", {"utteranceId": "fine", **base, **sane}) == {"ok": True, "seq": 1, "duplicate": False}
    assert phone.wait_for("caption")["startedAt"] == now
    phone.close()


def test_a_stored_caption_is_bounded_in_size(hub, client):
    code = hub.create_room("Sizes")
    ada = client(hub.url)
    assert ada.join(code, "presenter", "Ada")["ok"] and ada.call("requestSpeak", {})["granted"]
    text = "a " * 500
    too_many = [{"word": "w" * 50, "start": i, "end": i + 1} for i in range(1000)]
    too_long = [{"word": "w" * 200, "start": 0, "end": 1}]
    for words in (too_many, too_long):
        ack = ada.call("caption", {"utteranceId": uuid.uuid4().hex, "text": text, "isFinal": True, "words": words})
        assert ack["ok"] is False and ack["error"]["code"] == "too_large", ack
    with sqlite3.connect(hub.db_path) as db:
        assert db.execute("SELECT count(*) FROM captions").fetchone() == (0,)


def test_bad_numbers_already_stored_break_no_export_and_no_join(hub, client):
    code = hub.create_room("Stored before the checks")
    ada = client(hub.url)
    assert ada.join(code, "presenter", "Ada")["ok"] and ada.call("requestSpeak", {})["granted"]
    for n in range(3):
        assert ada.call("caption", {"utteranceId": f"u{n}", "text": f"Caption {n} here", "isFinal": True})["ok"]
    # What an older hub stored from a hostile station: SQLite keeps inf, and JSON words keep Infinity.
    with sqlite3.connect(hub.db_path) as db:
        db.execute("UPDATE captions SET started_at = 9e999, ended_at = 1e300 WHERE utterance_id = 'u0'")
        db.execute("UPDATE captions SET started_at = -9e999, words = ? WHERE utterance_id = 'u1'",
                   ('[{"word": "Caption", "start": Infinity, "end": NaN}, {"word": "1", "start": 0, "end": 1e308,'
                    ' "conf": Infinity}, {"word": "here", "start": 10, "end": 20, "conf": 0.5}]',))
    phone = RawSocket(hub.url)
    state = phone.call("join", {"room": code, "role": "audience"})["state"]  # strictly parsed
    assert [c["text"] for c in state["captions"]] == ["Caption 0 here", "Caption 1 here", "Caption 2 here"]
    assert state["captions"][0]["startedAt"] is None and state["captions"][0]["endedAt"] is None
    phone.close()
    for fmt in FORMATS:
        response = requests.get(f"{hub.url}/r/{code}/transcript.{fmt}", timeout=30)
        assert response.status_code == 200, (fmt, response.text[:300])
        if fmt in ("txt", "md", "srt", "vtt"):
            assert "Caption 2 here" in response.text.replace("\n", " ")
    document = strict_loads(requests.get(f"{hub.url}/r/{code}/transcript.json", timeout=30).text)
    first, second = document["sessions"][0]["captions"][:2]
    assert first["startedAt"] is None and first["endedAt"] is None and second["startedAt"] is None
    assert second["words"] == [{"word": "here", "start": 10, "end": 20, "conf": 0.5}]


def test_the_transcript_redirect_passes_on_only_the_session_number(hub):
    code = hub.create_room("Redirects", code="RDRCT")  # letters: a random code may be all digits, with no lower case
    lower = code.lower()
    cases = {
        "?code=x": f"/r/{code}/transcript",
        "?_anchor=evil": f"/r/{code}/transcript",
        "?session=2&_scheme=https": f"/r/{code}/transcript?session=2",
    }
    for query, expected in cases.items():
        response = requests.get(f"{hub.url}/r/{lower}/transcript{query}", allow_redirects=False, timeout=10)
        assert response.status_code == 302, (query, response.status_code)
        assert response.headers["Location"] == expected, query
    # A forged Host is refused before any redirect can be built for it.
    response = requests.get(f"{hub.url}/r/{lower}/transcript?_external=1", headers={"Host": "evil.example"},
                            allow_redirects=False, timeout=10)
    assert "evil.example" not in response.headers.get("Location", "")
    response = requests.get(f"{hub.url}/r/{lower}/transcript?_external=1", allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"] == f"/r/{code}/transcript"


def _handshake(hub, host: str | None = None, origin: str | None = None, **headers: str) -> int:
    """Return the status of a Socket.IO polling handshake sent with these headers."""
    sent = dict(headers)
    if host:
        sent["Host"] = host
    if origin:
        sent["Origin"] = origin
    return requests.get(f"{hub.url}/socket.io/?EIO=4&transport=polling", headers=sent, timeout=10).status_code


def test_a_forged_host_is_refused_for_pages_and_the_socket_handshake(make_hub):
    hub = make_hub(CCC_ALLOWED_HOSTS="captions.school.example")
    code = hub.create_room("Hosts")
    for path in ("/", f"/r/{code}", f"/r/{code}/transcript", "/admin/login", "/healthz"):
        assert requests.get(hub.url + path, headers={"Host": "evil.example"}, timeout=10).status_code == 400, path
        assert requests.get(hub.url + path, headers={"Host": f"evil.example:{hub.port}"},
                            timeout=10).status_code == 400, path
    # DNS rebinding: Host and Origin agree, both the attacker's name.
    assert _handshake(hub, f"evil.example:{hub.port}", f"http://evil.example:{hub.port}") == 400
    try:
        RawSocket(hub.url, host=f"evil.example:{hub.port}", origin=f"http://evil.example:{hub.port}")
        raise AssertionError("a WebSocket with a forged Host was accepted")
    except Exception as exc:  # the handshake is answered 400, not upgraded
        assert "400" in str(exc), exc
    # The hosts the hub serves still work: loopback, the public URL's, localhost and the configured extra.
    for host in (f"127.0.0.1:{hub.port}", f"localhost:{hub.port}", "captions.school.example"):
        assert requests.get(f"{hub.url}/r/{code}", headers={"Host": host}, timeout=10).status_code == 200, host
        assert _handshake(hub, host, f"http://{host}") == 200, host
    socket = RawSocket(hub.url, origin=hub.url)
    assert socket.call("join", {"room": code, "role": "audience"})["ok"]
    socket.close()


def test_forwarded_headers_count_only_behind_a_trusted_proxy(make_hub):
    hub = make_hub()
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    # Today the Origin check trusted X-Forwarded-Host: a page on evil.example got a session.
    assert _handshake(hub, None, "http://evil.example", **forged) == 400
    assert _handshake(hub, None, hub.url, **forged) == 200

    proxied = make_hub(CCC_TRUSTED_PROXIES="1", CCC_ALLOWED_HOSTS="captions.school.example")
    behind = {"X-Forwarded-Host": "captions.school.example", "X-Forwarded-Proto": "https",
              "X-Forwarded-For": "10.0.0.7"}
    assert _handshake(proxied, None, "https://captions.school.example", **behind) == 200
    assert _handshake(proxied, None, "http://evil.example", **{**behind, "X-Forwarded-Host": "evil.example"}) == 400
    response = requests.get(proxied.url + "/", headers=behind, timeout=10)
    assert response.status_code == 200


def test_json_module_is_strict_in_this_test_helper():
    """The strict parser really refuses what Python's json would accept (else the tests above prove nothing)."""
    for text in ('{"a": Infinity}', '{"a": NaN}', '[-Infinity]'):
        assert json.loads(text) is not None
        try:
            strict_loads(text)
        except ValueError:
            continue
        raise AssertionError(text)
