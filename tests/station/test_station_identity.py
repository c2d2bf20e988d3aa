"""A station keeps the identity the hub issued in its spool file: restarted, it is the same presenter."""
from __future__ import annotations

import time

from ccc.station.hub_link import HubLink
from ccc.station.spool import Spool

PIN = "2580"


def started(hub, code, path, name="Lab PC") -> HubLink:
    link = HubLink(hub.url, code, name, Spool(path, code), pin=PIN)
    link.start()
    deadline = time.monotonic() + 20
    while not link.joined:
        assert link.fatal is None and time.monotonic() < deadline, link.fatal or "station did not join"
        time.sleep(0.05)
    return link


def test_a_restarted_station_is_the_same_presenter_and_its_id_alone_is_worth_nothing(hub, client, tmp_path):
    code = hub.create_room("Lab", pin=PIN)
    path = tmp_path / "spool.sqlite3"
    first = started(hub, code, path)
    pid = first.participant_id
    assert first.request_speak()["granted"]
    first.send_final({"utteranceId": "s1", "text": "Before the restart.", "isFinal": True})
    assert first.drain(10)
    first.close()

    again = started(hub, code, path)
    assert again.participant_id == pid  # resumed with the token kept in the spool file
    assert again.request_speak()["granted"]
    again.send_final({"utteranceId": "s2", "text": "After the restart.", "isFinal": True})
    assert again.drain(10)
    phone = client(hub.url)
    state = phone.join(code, "audience")["state"]
    assert [(c["speakerId"], c["text"]) for c in state["captions"]] == [
        (pid, "Before the restart."), (pid, "After the restart.")]
    assert [p["name"] for p in state["participants"]] == ["Lab PC"]
    taken = phone.call("join", {"room": code, "role": "presenter", "name": "Lab PC", "pin": PIN,
                                "participantId": pid})
    assert taken["error"]["code"] == "forbidden"  # the public id without the token
    assert again.joined and again.request_speak()["granted"]
    again.close()


def test_a_station_whose_identity_the_hub_forgot_joins_afresh(hub, tmp_path):
    code = hub.create_room("Forgotten", pin=PIN)
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path, code)
    spool.keep_identity(hub.url, "Lab PC", "not-known-here", "stale-token")
    spool.close()
    link = started(hub, code, path)
    assert link.participant_id not in (None, "not-known-here")
    assert Spool(path, code).identity(hub.url, "Lab PC") == (link.participant_id, link.resume_token)
    link.close()
