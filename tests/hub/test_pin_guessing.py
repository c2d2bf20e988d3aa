"""Guessing a room's PIN over Socket.IO is locked out, and PIN checks never stall the other clients."""
from __future__ import annotations

import threading

import pytest
from rawsocket import RawSocket

from hubkit import assert_checks_do_not_stall_pings


def guess(sock: RawSocket, code: str, pin: str) -> str:
    """Join as a presenter with this PIN; return "ok" or the error code."""
    ack = sock.call("join", {"room": code, "role": "presenter", "name": "Eve", "pin": pin})
    return "ok" if ack["ok"] else ack["error"]["code"]


def in_parallel(jobs) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_many_connections_from_one_address_are_locked_out_after_a_few_guesses(hub):
    code = hub.create_room("Locked", pin="7391")
    guessers = [RawSocket(hub.url) for _ in range(4)]
    results: list[str] = []

    def run(sock: RawSocket, first: int) -> None:
        for n in range(first, first + 15):
            results.append(guess(sock, code, f"{n:04d}"))

    in_parallel([lambda s=s, i=i: run(s, i * 15) for i, s in enumerate(guessers)])
    assert len(results) == 60 and set(results) <= {"bad_pin", "rate_limited"}
    checked = results.count("bad_pin")  # before: all 60 were checked (300 guesses in 37 s, never limited)
    assert checked <= 6, results
    # While locked out, even the right PIN is not checked from this address.
    assert guess(guessers[0], code, "7391") == "rate_limited"
    # Another address with the right PIN gets in; the audience never needs one.
    assert guess(RawSocket(hub.url, source="127.0.0.2"), code, "7391") == "ok"
    assert guessers[1].call("join", {"room": code, "role": "audience"})["ok"]


def test_guessing_from_many_addresses_locks_the_room(hub):
    code = hub.create_room("Many addresses", pin="7391")
    guessers = [RawSocket(hub.url, source=f"127.0.0.{10 + i}") for i in range(30)]
    results: list[str] = []
    in_parallel([lambda s=s, i=i: results.append(guess(s, code, f"{i:04d}")) for i, s in enumerate(guessers)])
    assert len(results) == 30
    checked = results.count("bad_pin")
    assert checked <= 12, results
    # The room waits a while, whoever asks; other rooms do not.
    assert guess(RawSocket(hub.url, source="127.0.0.200"), code, "7391") == "rate_limited"
    other = hub.create_room("Other room", pin="1111")
    assert guess(RawSocket(hub.url, source="127.0.0.201"), other, "1111") == "ok"


@pytest.mark.alone  # it times other clients' pings: other tests' load would be measured too
def test_pin_checks_do_not_stall_other_clients(hub, client):
    codes = [hub.create_room(f"Busy {i}", pin="7391") for i in range(3)]
    watcher = client(hub.url)
    assert watcher.join(codes[0], "audience")["ok"]

    # Presenters joining with the PIN, each join a scrypt check, from six addresses at once.
    joiners = [RawSocket(hub.url, source=f"127.0.1.{i}") for i in range(6)]
    identities: list[dict[str, str]] = [{} for _ in joiners]  # the hub's id and resume token, sent on every rejoin

    def join_with_the_pin(i: int) -> None:
        ack = joiners[i].call("join", {"room": codes[i % 3], "role": "presenter", "name": f"Ada {i}",
                                       "pin": "7391", **identities[i]})
        assert ack["ok"], ack
        identities[i].setdefault("participantId", ack["participantId"])
        identities[i].setdefault("resumeToken", ack.get("resumeToken"))

    assert_checks_do_not_stall_pings(watcher, join_with_the_pin, len(joiners), "PIN checks")
