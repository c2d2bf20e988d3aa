"""The wire protocol over a real port with real Socket.IO clients, under gevent and under eventlet."""
from __future__ import annotations

import time

import pytest

from hubkit import race_for_floor

MODES = ["gevent", "eventlet"]


@pytest.fixture(params=MODES)
def mode_hub(request, make_hub):
    """Return a hub running in each supported async mode."""
    return make_hub(CCC_ASYNC_MODE=request.param)


def presenter(client, hub, code, name, **extra):
    """Return a presenter client that has joined the room."""
    c = client(hub.url)
    ack = c.join(code, "presenter", name, **extra)
    assert ack["ok"], ack
    return c


def test_participant_list_and_audience_count(mode_hub, client):
    hub = mode_hub
    code = hub.create_room("Biology")
    ada = presenter(client, hub, code, "Ada")
    ben = presenter(client, hub, code, "Ben")
    projector = client(hub.url)
    assert projector.join(code, "projector", "Hall projector")["ok"]
    audience = [client(hub.url) for _ in range(4)]
    for phone in audience:
        assert phone.join(code, "audience")["ok"]

    ada.wait_for(lambda c: c.of("audienceCount") and c.of("audienceCount")[-1]["count"] == 4)
    state = audience[-1].join(code.lower(), "audience")["state"]  # a rejoin: codes are case-insensitive
    names = sorted((p["name"], p["role"]) for p in state["participants"])
    assert names == [("Ada", "presenter"), ("Ben", "presenter"), ("Hall projector", "projector")]
    assert state["audienceCount"] == 4
    assert state["room"] == {"code": code, "title": "Biology", "saving": True, "lang": "en",
                             "languages": [{"code": "pt", "name": "Português"}]}
    joined = [p["name"] for p in ada.of("participantJoined")]
    assert joined == ["Ben", "Hall projector"]  # anonymous phones are counted, not listed

    audience[0].close()
    ben.call("leave")
    ada.wait_for(lambda c: c.of("audienceCount")[-1]["count"] == 3)
    left = ada.wait_for(lambda c: [p["name"] for p in c.of("participantLeft")] == ["Ben"] or None)
    assert left


def test_twenty_simultaneous_requests_grant_the_floor_once(mode_hub, client):
    hub = mode_hub
    code = hub.create_room("Debate")
    presenters = [presenter(client, hub, code, f"Speaker {i}") for i in range(20)]
    acks = race_for_floor(presenters)
    winners = [i for i, ack in enumerate(acks) if ack["granted"]]
    assert len(winners) == 1, acks
    winner = f"Speaker {winners[0]}"
    for i, ack in enumerate(acks):
        assert ack["ok"] and ack["speaker"]["name"] == winner
        if i != winners[0]:
            denied = presenters[i].wait_for("speakDenied")
            assert denied == {"reason": "floor_taken", "speakerId": ack["speaker"]["id"], "speakerName": winner}
    assert presenters[winners[0]].of("speakDenied") == []


def test_partials_and_finals_reach_everyone_in_order(mode_hub, client):
    hub = mode_hub
    code = hub.create_room("Chemistry")
    ada = presenter(client, hub, code, "Ada")
    listeners = [client(hub.url) for _ in range(3)] + [client(hub.url)]
    for c in listeners[:3]:
        assert c.join(code, "audience")["ok"]
    assert listeners[3].join(code, "projector", "Projector")["ok"]
    assert ada.call("requestSpeak", {})["granted"]

    sent = []
    t0 = round(time.time() * 1000)  # caption times are epoch ms near now
    for n in range(5):
        utterance = f"utt-{n}"
        for k in range(1, 4):
            text = f"sentence {n} " + "word " * k
            assert ada.call("caption", {"utteranceId": utterance, "text": text, "isFinal": False})["ok"]
            sent.append((utterance, text, False))
        final = f"Sentence {n} is final."
        ack = ada.call("caption", {"utteranceId": utterance, "text": final, "isFinal": True,
                                   "startedAt": t0 + n, "endedAt": t0 + 500 + n})
        assert ack == {"ok": True, "seq": n + 1, "duplicate": False}
        sent.append((utterance, final, True))

    for c in listeners:
        got = c.wait_for(lambda x: len(x.of("caption")) == len(sent) and x.of("caption"))
        assert [(m["utteranceId"], m["text"], m["isFinal"]) for m in got] == sent
        finals = [m for m in got if m["isFinal"]]
        assert [m["seq"] for m in finals] == [1, 2, 3, 4, 5]
        for m in got:
            assert m["speakerId"] == ada.participant_id and m["speakerName"] == "Ada"
            assert abs(m["timestamp"] - time.time() * 1000) < 60_000
        assert finals[0]["startedAt"] == t0 and finals[0]["endedAt"] == t0 + 500


def test_finals_survive_a_restart_and_resume_with_since(mode_hub, client):
    hub = mode_hub
    code = hub.create_room("History")
    ada = presenter(client, hub, code, "Ada")
    ada.call("requestSpeak", {})
    for n in range(1, 6):
        ada.call("caption", {"utteranceId": f"u{n}", "text": f"Caption {n}", "isFinal": True})
    again = ada.call("caption", {"utteranceId": "u3", "text": "Caption 3", "isFinal": True})
    assert again == {"ok": True, "seq": 3, "duplicate": True}
    edit = ada.call("editCaption", {"utteranceId": "u2", "text": "Caption two"})
    assert edit == {"ok": True, "rev": 1}
    ada.close()

    hub.stop()
    hub.start()
    phone = client(hub.url)
    state = phone.join(code, "audience", since=1, sinceRev=0)["state"]
    assert [(c["seq"], c["text"]) for c in state["captions"]] == [
        (2, "Caption two"), (3, "Caption 3"), (4, "Caption 4"), (5, "Caption 5")]
    assert state["captions"][0]["rev"] == 1 and state["lastSeq"] == 5 and state["lastRev"] == 1
    assert state["edits"] == []  # the edited caption came after `since`, with its current text

    later = client(hub.url).join(code, "audience", since=5, sinceRev=0)["state"]
    assert later["captions"] == []
    assert [(e["seq"], e["text"], e["rev"]) for e in later["edits"]] == [(2, "Caption two", 1)]
    assert hub.flask("rooms", "list").count("5 captions") == 1


@pytest.mark.parametrize("mode", MODES)
def test_dropped_holder_keeps_the_floor_for_the_grace_period_only(mode, make_hub, client):
    # The default 5 s grace period, which leaves room for a slow reconnect on a loaded machine.
    hub = make_hub(CCC_ASYNC_MODE=mode, CCC_FLOOR_GRACE_S="5")
    code = hub.create_room("Maths")
    ada = presenter(client, hub, code, "Ada")
    pid = ada.participant_id
    ben = presenter(client, hub, code, "Ben")
    assert ada.call("requestSpeak", {})["granted"]

    ada.sio.eio.disconnect(abort=True)  # the link dies without a goodbye
    time.sleep(0.5)
    assert not ben.call("requestSpeak", {})["granted"]  # still within the grace period
    back = presenter(client, hub, code, "Ada", **ada.identity())
    time.sleep(5.5)  # past the grace period: reconnecting in time kept the floor
    assert not ben.call("requestSpeak", {})["granted"]
    assert back.call("caption", {"utteranceId": "a1", "text": "Still here.", "isFinal": True})["ok"]

    back.sio.eio.disconnect(abort=True)
    stopped = ben.wait_for("speakerStopped", timeout=10)
    assert stopped == {"speakerId": pid, "reason": "disconnected"}
    assert ben.call("requestSpeak", {})["granted"]


def test_rejoin_with_same_participant_replaces_the_old_connection(mode_hub, client):
    hub = mode_hub
    code = hub.create_room("Art")
    first = presenter(client, hub, code, "Ada")
    second = presenter(client, hub, code, "Ada", **first.identity())
    state = client(hub.url).join(code, "audience")["state"]
    assert [p["name"] for p in state["participants"]] == ["Ada"]
    first.wait_for(lambda c: not c.sio.connected, timeout=5)
    assert second.call("requestSpeak", {})["granted"]


def test_late_final_after_key_up_is_accepted_and_others_are_not(mode_hub, client):
    hub = mode_hub
    code = hub.create_room("Physics")
    ada = presenter(client, hub, code, "Ada")
    phone = client(hub.url)
    phone.join(code, "audience")
    ada.call("requestSpeak", {})
    ada.call("caption", {"utteranceId": "late", "text": "the last wor", "isFinal": False})
    begun = time.time() * 1000
    assert ada.call("stopSpeak", {}) == {"ok": True}
    assert ada.call("caption", {"utteranceId": "late", "text": "The last word.", "isFinal": True})["seq"] == 1
    assert ada.call("caption", {"utteranceId": "x", "text": "Begun in the hold.", "isFinal": True,
                                "startedAt": begun})["seq"] == 2
    refused = ada.call("caption", {"utteranceId": "new", "text": "Begun after.", "isFinal": True})
    assert refused["error"]["code"] == "not_speaker"
    assert ada.call("caption", {"utteranceId": "p", "text": "partial", "isFinal": False})["error"]["code"] == \
        "not_speaker"
    phone.wait_for(lambda c: len([m for m in c.of("caption") if m["isFinal"]]) == 2)
    time.sleep(0.3)
    assert [m["text"] for m in phone.of("caption") if m["isFinal"]] == ["The last word.", "Begun in the hold."]


def test_threading_mode_keeps_each_senders_order(make_hub, client):
    # Threading mode is where a bare relay was seen reordering captions; ours handles one sender in order.
    test_partials_and_finals_reach_everyone_in_order(make_hub(CCC_ASYNC_MODE="threading"), client)
