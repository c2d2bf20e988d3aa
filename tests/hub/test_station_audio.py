"""A station's audio advice reaches the room's presenters, and only from a presenter, well formed, at a sane rate.

Over a real port with real Socket.IO clients: one plays the station (it sends what ccc.station's meter sends),
others the consoles, a phone and a projector.
"""
from __future__ import annotations

import time

ECHO = {"advice": "echo", "levelDb": -19.8, "snrDb": 23.3, "echoS": 0.44}
GOOD = {"advice": "good", "levelDb": -19.8, "snrDb": 32.7, "echoS": 0.27}


def test_presenters_hear_a_stations_advice_and_a_later_console_gets_it_at_join(module_hub, quick_client):
    hub = module_hub
    code = hub.create_room("Meter relay")
    station, console, phone = quick_client(hub.url), quick_client(hub.url), quick_client(hub.url)
    assert station.join(code, "presenter", "Dr Lee (station)")["ok"]
    assert console.join(code, "presenter", "Dr Lee")["ok"]
    assert phone.join(code, "audience", "Sam")["ok"]

    ack = station.call("stationAudio", ECHO)
    assert ack == {"ok": True, "relayed": True}, ack
    heard = console.wait_for("stationAudio", timeout=5)
    assert heard == {"participantId": station.participant_id, "name": "Dr Lee (station)", **ECHO}
    # The same advice again (a station rejoining, new figures) changes nothing the console shows: not sent.
    assert station.call("stationAudio", {**ECHO, "snrDb": 22.0}) == {"ok": True, "relayed": False}
    assert station.call("stationAudio", GOOD)["relayed"] is True
    console.wait_for(lambda c: len(c.of("stationAudio")) == 2, timeout=5)
    assert [m["advice"] for m in console.of("stationAudio")] == ["echo", "good"]

    late = quick_client(hub.url)
    state = late.join(code, "presenter", "Ms Ortiz")["state"]
    assert state["stationAudio"] == [{"participantId": station.participant_id, "name": "Dr Lee (station)", **GOOD}]
    assert "stationAudio" not in phone.join(code, "audience", "Sam")["state"]  # readers never get it
    time.sleep(0.3)
    assert phone.of("stationAudio") == []

    # The station leaves: a console joining after that is not shown its stale advice.
    assert station.call("leave", {})["ok"]
    console.wait_for("participantLeft", timeout=5)
    assert quick_client(hub.url).join(code, "presenter", "Mr Park")["state"]["stationAudio"] == []


def test_readers_and_malformed_advice_are_refused_and_change_nothing(module_hub, quick_client):
    hub = module_hub
    code = hub.create_room("Meter attackers")
    console, station = quick_client(hub.url), quick_client(hub.url)
    assert console.join(code, "presenter", "Console")["ok"]
    assert station.join(code, "presenter", "Station")["ok"]
    assert station.call("stationAudio", GOOD)["ok"]
    console.wait_for("stationAudio", timeout=5)

    stranger = quick_client(hub.url)
    assert stranger.call("stationAudio", ECHO)["error"]["code"] == "not_joined"
    for role in ("audience", "projector"):
        reader = quick_client(hub.url)
        assert reader.join(code, role, "Mallory")["ok"]
        error = reader.call("stationAudio", ECHO)["error"]
        assert error == {"code": "forbidden", "message": "only presenters' stations send audio advice"}

    malformed = {
        "advice": ({**ECHO, "advice": "<img src=x onerror=alert(1)>"}, "advice: Input should be 'good'"),
        "extra key": ({**ECHO, "words": "the room is fine"}, "words: Extra inputs are not permitted"),
        "missing": ({"advice": "echo"}, "levelDb: Field required"),
        "huge": ({**ECHO, "levelDb": 1e300}, "levelDb: Input should be less than or equal to 10"),
        "negative SNR": ({**ECHO, "snrDb": -5}, "snrDb: Input should be greater than or equal to 0"),
        "endless echo": ({**ECHO, "echoS": 1e9}, "echoS: Input should be less than or equal to 10"),
        "string number": ({**ECHO, "snrDb": "23"}, "snrDb: Input should be a valid number"),
        "boolean": ({**ECHO, "echoS": True}, "echoS: Input should be a valid number"),
        "not an object": (["echo"], "payload must be a JSON object"),
    }
    for what, (payload, message) in malformed.items():
        error = station.call("stationAudio", payload)["error"]
        assert error["code"] == "bad_request" and error["message"].startswith(message), (what, error)

    time.sleep(0.3)  # anything relayed by mistake would have arrived by now
    assert [m["advice"] for m in console.of("stationAudio")] == ["good"]
    state = quick_client(hub.url).join(code, "presenter", "Late console")["state"]
    assert [m["advice"] for m in state["stationAudio"]] == ["good"]

    # In a room where presenters without the PIN wait for approval, a waiting one is not heard either.
    guarded = hub.create_room("Meter approval", pin="1357")
    hub.flask("rooms", "verify", guarded)
    guest = quick_client(hub.url)
    assert guest.join(guarded, "presenter", "Guest")["waiting"]
    error = guest.call("stationAudio", ECHO)["error"]
    assert error == {"code": "forbidden", "message": "wait for approval before sending audio advice"}


def test_a_flood_of_advice_is_rate_limited(module_hub, quick_client):
    hub = module_hub
    code = hub.create_room("Meter flood")
    console, station = quick_client(hub.url), quick_client(hub.url)
    assert console.join(code, "presenter", "Console")["ok"]
    assert station.join(code, "presenter", "Flooder")["ok"]
    started = time.monotonic()
    acks = [station.call("stationAudio", ECHO if i % 2 else GOOD) for i in range(150)]
    elapsed = time.monotonic() - started
    limited = [a for a in acks if not a["ok"]]
    assert limited and {a["error"]["code"] for a in limited} == {"rate_limited"}
    relayed = sum(1 for a in acks if a.get("relayed"))
    time.sleep(0.5)
    # A connection may send 20 events a second after a burst of 100 (CCC_EVENTS_PER_S; docs/security.md).
    assert len(console.of("stationAudio")) == relayed <= 100 + 20 * elapsed
