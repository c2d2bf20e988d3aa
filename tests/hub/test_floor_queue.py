"""The queue for the floor over a real port: raised hands, the offer of a released floor, skips, lapses,
departures, and who may reorder the queue."""
from __future__ import annotations

import re
import time

from hubkit import AdminWeb, Client

OFFER_S = "1.5"


def presenter(client, hub, code, name, **extra):
    """Return a presenter client that has joined the room."""
    c = client(hub.url)
    ack = c.join(code, "presenter", name, **extra)
    assert ack["ok"], ack
    return c


def create_room(web: AdminWeb, title: str, pin: str = "") -> str:
    """Create a room at /admin (a flask command would cost a process start) and return its code."""
    page = web.post("/admin/rooms", {"title": title, "pin": pin, "saving": "1"}).text
    return re.search(r"Created room (\w+)", page).group(1)


def names(state):
    """Return the queued names of a floorQueue payload, and who is offered the floor."""
    return [e["name"] for e in state["queue"]], (state["offer"] or {}).get("name")


def latest(watcher, queue, offered):
    """Wait until the latest floorQueue the watcher got shows this queue and offer; return it."""
    def check(c):
        got = c.of("floorQueue")
        return got[-1] if got and names(got[-1]) == (queue, offered) else None
    return watcher.wait_for(check)


def test_the_queue_offers_a_released_floor_in_turn_and_only_pin_presenters_reorder_it(make_hub, client):
    """Three presenters, one speaking, two queued: offers, a pass, a lapse, reordering, departures."""
    hub = make_hub(CCC_FLOOR_OFFER_S=OFFER_S)
    web = AdminWeb(hub.url)
    code = create_room(web, "Seminar")
    ada, ben, cy = (presenter(client, hub, code, name) for name in ("Ada", "Ben", "Cy"))
    watcher = client(hub.url)
    assert watcher.join(code, "projector", "Hall")["ok"]

    assert ada.call("requestSpeak", {})["granted"]
    assert not ben.call("requestSpeak", {})["granted"]
    ack = ben.call("raiseHand", {})
    assert ack["ok"] and ack["position"] == 1, ack
    assert cy.call("raiseHand", {})["position"] == 2
    assert cy.call("raiseHand", {})["position"] == 2  # raising it twice keeps the place
    latest(watcher, ["Ben", "Cy"], None)
    state = client(hub.url).join(code, "audience")["state"]  # a late joiner sees the queue in roomState
    assert names(state) == (["Ben", "Cy"], None)

    # Only presenters may queue.
    for role in ("audience", "projector"):
        other = client(hub.url)
        assert other.join(code, role, "Phone")["ok"]
        assert other.call("raiseHand", {})["error"]["code"] == "forbidden"
    assert ada.call("raiseHand", {})["error"]["code"] == "bad_request"  # the holder needs no queue

    # Release: the first is offered the floor, and nobody else may take it meanwhile.
    assert ada.call("stopSpeak", {})["ok"]
    offer = latest(watcher, ["Cy"], "Ben")["offer"]
    assert offer["id"] == ben.participant_id and 0 < offer["remainingMs"] <= 1500 and offer["seconds"] == 1.5
    dee = presenter(client, hub, code, "Dee")
    for other in (ada, cy, dee):
        ack = other.call("requestSpeak", {})
        assert ack["ok"] and not ack["granted"] and ack["offeredTo"]["name"] == "Ben", ack
    denied = dee.wait_for("speakDenied")
    assert denied["reason"] == "floor_offered" and denied["offeredTo"]["id"] == ben.participant_id

    # Ben passes: the offer goes to Cy, who takes it.
    assert ben.call("lowerHand", {})["ok"]
    latest(watcher, [], "Cy")
    assert cy.call("requestSpeak", {})["granted"]
    assert watcher.wait_for(lambda c: c.of("speakerChanged")[-1]["speakerName"] == "Cy")
    latest(watcher, [], None)

    # A lapsed offer passes on by itself: Ben lets his lapse, Ada takes hers.
    assert ben.call("raiseHand", {})["position"] == 1
    assert ada.call("raiseHand", {})["position"] == 2
    assert cy.call("stopSpeak", {})["ok"]
    latest(watcher, ["Ada"], "Ben")
    started = time.monotonic()
    latest(watcher, [], "Ada")
    assert 1.0 < time.monotonic() - started < 4
    assert not ben.call("requestSpeak", {})["granted"]  # too late
    assert ada.call("requestSpeak", {})["granted"]
    assert watcher.wait_for(lambda c: c.of("speakerChanged")[-1]["speakerName"] == "Ada")

    # PIN presenters (here the speaker) move and remove entries; in a room without a PIN, presenters may not.
    pinned = create_room(web, "Panel", pin="2468")
    pat, quinn, ray = (presenter(client, hub, pinned, name, pin="2468") for name in ("Pat", "Quinn", "Ray"))
    assert pat.call("requestSpeak", {})["granted"]
    assert quinn.call("raiseHand", {})["ok"] and ray.call("raiseHand", {})["ok"]
    ack = pat.call("queueMove", {"participantId": ray.participant_id, "position": 0})
    assert ack["ok"] and names(ack) == (["Ray", "Quinn"], None), ack
    assert pat.call("queueRemove", {"participantId": quinn.participant_id})["ok"]
    latest(quinn, ["Ray"], None)
    assert pat.call("queueRemove", {"participantId": quinn.participant_id})["error"]["code"] == "not_found"
    assert pat.call("queueMove", {"participantId": ray.participant_id, "position": 99})["error"]["code"] \
        == "bad_request"
    assert ben.call("raiseHand", {})["ok"] and cy.call("raiseHand", {})["ok"]  # Ada speaks in the open room
    latest(watcher, ["Ben", "Cy"], None)
    for who in (ada, ben):
        assert who.call("queueMove", {"participantId": cy.participant_id, "position": 0})["error"]["code"] \
            == "forbidden"
        assert who.call("queueRemove", {"participantId": cy.participant_id})["error"]["code"] == "forbidden"
    # The admin may.
    admin = Client(hub.url).connect(headers={"Cookie": web.cookie()})
    try:
        assert admin.join(code, "presenter", "Admin")["ok"]
        ack = admin.call("queueMove", {"participantId": cy.participant_id, "position": 0})
        assert ack["ok"] and names(ack) == (["Cy", "Ben"], None), ack
    finally:
        admin.close()
    assert "Move up<span class=\"visually-hidden\">: Ben" in web.web.get(f"{hub.url}/admin", timeout=10).text
    web.post(f"/admin/rooms/{code}/queue/move", {"participant": ben.participant_id, "position": "0"})
    latest(watcher, ["Ben", "Cy"], None)
    web.post(f"/admin/rooms/{pinned}/queue/remove", {"participant": ray.participant_id})
    latest(quinn, [], None)

    # A queued presenter who drops out for longer than the grace period leaves the queue; one who leaves, at once.
    cy.close()
    latest(watcher, ["Ben"], None)
    assert ben.call("leave", {})["ok"]
    latest(watcher, [], None)
