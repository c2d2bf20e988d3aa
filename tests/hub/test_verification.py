"""Verified presenters over a real port: presenters without the PIN wait for approval in a room with
verification on; the admin or a PIN presenter approves or denies them; look-alike names are refused."""
from __future__ import annotations

import re
import time

import pytest

from hubkit import AdminWeb, Hub

PIN = "2468"
COOLDOWN_S = 1.5


@pytest.fixture(scope="module")
def vhub(tmp_path_factory, template_db):
    """One hub for the module (a hub start costs a second or two)."""
    hub = Hub(tmp_path_factory.mktemp("vhub"), template_db, CCC_DENY_COOLDOWN_S=str(COOLDOWN_S)).start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def web(vhub):
    return AdminWeb(vhub.url)


def create_room(web: AdminWeb, title: str, pin: str = "", verify: bool = True) -> str:
    """Create a room at /admin and turn verification on there; return its code."""
    page = web.post("/admin/rooms", {"title": title, "pin": pin, "saving": "1"}).text
    code = re.search(r"Created room (\w+)", page).group(1)
    if verify:
        assert "wait for approval" in web.post(f"/admin/rooms/{code}/verify", {"verify": "1"}).text
    return code


def joined(client, hub, code, role, name, **extra):
    c = client(hub.url)
    ack = c.join(code, role, name, **extra)
    assert ack["ok"], ack
    return c, ack


def people(state_or_list):
    entries = state_or_list["participants"] if isinstance(state_or_list, dict) else state_or_list
    return {p["name"]: p for p in entries}


def test_a_pin_presenter_approves_a_waiting_presenter_who_then_may_speak_and_resume(vhub, web, client):
    code = create_room(web, "Seminar", pin=PIN)
    teacher, _ = joined(client, vhub, code, "presenter", "Teacher", pin=PIN)
    phone, _ = joined(client, vhub, code, "audience", "Phone")
    guest, ack = joined(client, vhub, code, "presenter", "Dr Lee")
    assert ack["waiting"] is True
    asked = teacher.wait_for("approvalRequested")
    assert asked == {"id": guest.participant_id, "name": "Dr Lee"}
    assert phone.of("approvalRequested") == []  # only the admin and PIN presenters are asked
    listed = people(phone.wait_for("participantJoined") and phone.of("participantJoined"))
    assert listed["Dr Lee"]["verified"] is False and listed["Dr Lee"]["waiting"] is True

    # Waiting: no floor, no queue.
    for event in ("requestSpeak", "raiseHand"):
        refused = guest.call(event, {})
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
        assert "waiting for approval" in refused["error"]["message"]

    # Neither the audience nor a presenter without the PIN may approve.
    other, _ = joined(client, vhub, code, "presenter", "Sam")
    for who in (phone, other):
        refused = who.call("approve", {"participantId": guest.participant_id})
        assert refused["error"]["code"] == "forbidden", refused
        assert who.call("deny", {"participantId": guest.participant_id})["error"]["code"] == "forbidden"
    assert teacher.call("approve", {"participantId": "nobody"})["error"]["code"] == "not_found"

    ack = teacher.call("approve", {"participantId": guest.participant_id})
    assert ack["ok"] and ack["participant"]["verified"] is True, ack
    update = phone.wait_for("participantUpdated")
    assert update["id"] == guest.participant_id and update["verified"] is True
    assert update["verifiedBy"] == "approval" and update["waiting"] is False
    assert guest.call("requestSpeak", {})["granted"] is True
    assert guest.call("stopSpeak", {})["ok"]

    state = client(vhub.url).join(code, "audience")["state"]
    listed = people(state)
    assert (listed["Teacher"]["verified"], listed["Teacher"]["verifiedBy"]) == (True, "pin")
    assert (listed["Dr Lee"]["verified"], listed["Dr Lee"]["verifiedBy"]) == (True, "approval")
    assert (listed["Sam"]["verified"], listed["Sam"]["waiting"]) == (False, True)

    # Look-alikes of the approved name are refused, in any role; unrelated names are not.
    impostor = client(vhub.url)
    # Cyrillic e; Lisu and Cherokee letters that look Latin; a small capital L; a Cyrillic в for B.
    for name in ("dr. lee", "DR  LEE", "Dr Lее", "ｄｒ－ｌｅｅ", "ꓓr Lee", "Ꭰr Lee", "Dr ʟee", "Dr L\u200bee"):
        ack = impostor.join(code, "presenter" if name.islower() else "audience", name)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (name, ack)
    assert client(vhub.url).join(code, "audience", "Dr Leeds")["ok"]
    # A right-to-left override made "\u202eeeL rD" show as "Dr Lee": names lose format characters.
    spoof = client(vhub.url).join(code, "audience", "\u202eeeL rD")
    assert spoof["ok"] and "eeL rD" in people(spoof["state"]), spoof

    # The approval is kept on the participant: its resume is verified; a new identity waits again.
    guest.close()
    back = client(vhub.url)
    back.participant_id, back.resume_token = guest.participant_id, guest.resume_token
    ack = back.join(code, "presenter", "Dr Lee")
    assert ack["ok"] and "waiting" not in ack, ack
    assert back.call("requestSpeak", {})["granted"] is True
    assert teacher.call("approve", {"participantId": guest.participant_id})["ok"]  # approving twice is harmless


def test_deny_disconnects_and_asking_again_waits_out_a_cooldown(vhub, web, client):
    code = create_room(web, "Open lab")  # no PIN: only the admin approves
    watcher, _ = joined(client, vhub, code, "projector", "Hall")
    admin = client(vhub.url)
    admin.sio.disconnect()
    admin.connect(headers={"Cookie": web.cookie()})
    assert admin.join(code, "presenter", "Admin")["ok"]
    pat, _ = joined(client, vhub, code, "presenter", "Pat")
    assert pat.call("requestSpeak", {})["error"]["code"] == "forbidden"
    assert admin.wait_for("approvalRequested")["name"] == "Pat"
    # In a room without a PIN, a presenter may not approve another.
    mo, _ = joined(client, vhub, code, "presenter", "Mo")
    assert mo.call("approve", {"participantId": pat.participant_id})["error"]["code"] == "forbidden"

    assert admin.call("deny", {"participantId": pat.participant_id})["ok"]
    assert pat.wait_for("approvalDenied")["message"]
    pat.wait_for(lambda c: not c.sio.connected, timeout=5)
    assert watcher.wait_for("participantLeft")["id"] == pat.participant_id

    again = client(vhub.url)
    for extra in ({}, {"pin": "1234"}):  # a PIN in a room without one buys nothing
        refused = again.join(code, "presenter", "Pat", **extra)
        assert refused["error"]["code"] == "rate_limited", refused
    assert again.join(code, "presenter", "P.A.T.")["error"]["code"] == "rate_limited"  # nor another spelling
    time.sleep(COOLDOWN_S)
    assert again.join(code, "presenter", "Pat")["waiting"] is True
    # A verified presenter cannot be denied (only removed by other means).
    assert admin.call("approve", {"participantId": again.participant_id})["ok"]
    assert admin.call("deny", {"participantId": again.participant_id})["error"]["code"] == "bad_request"
    assert again.call("requestSpeak", {})["granted"] is True


def test_rooms_without_verification_behave_as_before(vhub, web, client):
    code = create_room(web, "Plain", verify=False)
    ada, ack = joined(client, vhub, code, "presenter", "Ada")
    assert "waiting" not in ack
    assert (people(ack["state"])["Ada"]["verified"], people(ack["state"])["Ada"]["waiting"]) == (False, False)
    assert ada.call("requestSpeak", {})["granted"] is True
    pinned = create_room(web, "Pinned", pin=PIN, verify=False)
    refused = client(vhub.url).join(pinned, "presenter", "Ben")
    assert refused["error"]["code"] == "bad_pin"  # without verification the PIN is still required
    ben, ack = joined(client, vhub, pinned, "presenter", "Ben", pin=PIN)
    assert "waiting" not in ack and ben.call("raiseHand", {})["ok"]
    # Turned on, then off again at /admin: the room's pages hear the change.
    web.post(f"/admin/rooms/{code}/verify", {"verify": "1"})
    cy, ack = joined(client, vhub, code, "presenter", "Cy")
    assert ack["waiting"] is True and cy.call("requestSpeak", {})["error"]["code"] == "forbidden"
    web.post(f"/admin/rooms/{code}/verify", {"verify": "0"})
    assert ada.wait_for(lambda c: [u for u in c.of("participantUpdated") if u["name"] == "Cy" and not u["waiting"]])
    assert cy.call("raiseHand", {})["ok"]


def test_a_station_says_it_waits_until_approved_and_stops_when_denied(vhub, web, client, tmp_path):
    from ccc.station.hub_link import HubLink
    from ccc.station.spool import Spool

    code = create_room(web, "Station room", pin=PIN)
    teacher, _ = joined(client, vhub, code, "presenter", "Teacher", pin=PIN)
    links = []
    for name in ("Station", "Other station"):
        link = HubLink(vhub.url, code, name, Spool(tmp_path / f"{name}.sqlite3", code))
        link.start()
        links.append(link)
    try:
        for link in links:
            link.submit(lambda: None).result(timeout=15)  # joined before it runs any task
            assert link.joined and link.awaiting_approval and link.fatal is None
        station, other = links
        refused = station.request_speak()
        assert refused["error"]["code"] == "forbidden" and station.fatal is None  # it keeps waiting
        assert teacher.call("approve", {"participantId": station.participant_id})["ok"]
        deadline = time.monotonic() + 5
        while station.awaiting_approval and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not station.awaiting_approval
        assert station.request_speak()["granted"] is True
        assert teacher.call("deny", {"participantId": other.participant_id})["ok"]
        deadline = time.monotonic() + 5
        while other.fatal is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "denied" in (other.fatal or "")
    finally:
        for link in links:
            link.close()


def test_the_command_line_turns_verification_on_and_off(app):
    from ccc.hub.rules import rooms
    from ccc.store.db import db

    room = rooms.create_room("Command line")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rooms", "verify", room.code])
    assert result.exit_code == 0 and "wait until the admin" in result.output, result.output
    db.session.refresh(room)
    assert room.verify_presenters is True
    result = runner.invoke(args=["rooms", "verify", room.code, "--off"])
    db.session.refresh(room)
    assert result.exit_code == 0 and room.verify_presenters is False
    assert runner.invoke(args=["rooms", "verify", "NOSUCH"]).exit_code != 0
