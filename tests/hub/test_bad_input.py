"""Bad input gets a clear error ack, changes nothing, and never disturbs the other clients."""
from __future__ import annotations

import sqlite3
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EVENTS = ["join", "requestSpeak", "stopSpeak", "caption", "editCaption", "leave", "ping", "nonsense"]


@pytest.fixture
def room(hub, client):
    """Return (hub, code, presenter Ada holding the floor, a listening phone) in a PIN room."""
    code = hub.create_room("Robustness", pin="2468")
    ada = client(hub.url)
    assert ada.join(code, "presenter", "Ada", pin="2468")["ok"]
    assert ada.call("requestSpeak", {})["granted"]
    phone = client(hub.url)
    assert phone.join(code, "audience")["ok"]
    return hub, code, ada, phone


def error_code(ack):
    assert ack["ok"] is False and ack["error"]["message"], ack
    return ack["error"]["code"]


def test_each_bad_input_gets_its_error_code(room, client):
    hub, code, ada, phone = room
    stranger = client(hub.url)
    cases = [
        (stranger, "caption", {"utteranceId": "u", "text": "hi", "isFinal": True}, "not_joined"),
        (stranger, "join", {"room": "ZZZZZ", "role": "audience"}, "room_not_found"),
        (stranger, "join", {"room": code, "role": "presenter", "name": "Eve"}, "bad_pin"),
        (stranger, "join", {"room": code, "role": "presenter", "name": "Eve", "pin": "0000"}, "bad_pin"),
        (stranger, "join", {"room": code, "role": "wizard"}, "bad_request"),
        (stranger, "join", {"room": 12345, "role": "audience"}, "bad_request"),
        (stranger, "join", {"role": "audience"}, "bad_request"),
        (stranger, "join", "not an object", "bad_request"),
        (stranger, "join", [code, "audience"], "bad_request"),
        (stranger, "join", {"room": code, "role": "audience", "name": "x" * 61}, "too_large"),
        (ada, "caption", {"utteranceId": "u", "text": "x" * 2001, "isFinal": True}, "too_large"),
        (ada, "caption", {"utteranceId": "u", "text": "hi", "isFinal": "yes"}, "bad_request"),
        (ada, "caption", {"utteranceId": "", "text": "hi", "isFinal": True}, "bad_request"),
        (ada, "caption", {"text": "hi", "isFinal": True}, "bad_request"),
        (ada, "caption", {"utteranceId": "u", "text": "   ", "isFinal": True}, "bad_request"),
        (ada, "caption", {"utteranceId": "u", "text": "hi", "isFinal": True, "words": "many"}, "bad_request"),
        (ada, "editCaption", {"utteranceId": "missing", "text": "new"}, "not_found"),
        (ada, "whatIsThis", {}, "bad_request"),
        (phone, "requestSpeak", {}, "forbidden"),
        (phone, "caption", {"utteranceId": "p", "text": "hi", "isFinal": False}, "forbidden"),
        (phone, "stopSpeak", {}, "not_speaker"),
    ]
    for sender, event, payload, expected in cases:
        assert error_code(sender.call(event, payload)) == expected, (event, payload)

    # Nothing changed: Ada still holds the floor, nothing was stored, and the room still works.
    ack = ada.call("caption", {"utteranceId": "ok", "text": "Still working.", "isFinal": True})
    assert ack == {"ok": True, "seq": 1, "duplicate": False}
    assert phone.wait_for(lambda c: [m["text"] for m in c.of("caption")] == ["Still working."] or None)
    state = client(hub.url).join(code, "audience")["state"]
    assert state["speaker"]["name"] == "Ada" and state["lastSeq"] == 1 and len(state["captions"]) == 1


def test_edit_permissions(hub, client):
    open_code = hub.create_room("No PIN")
    ada, ben = client(hub.url), client(hub.url)
    ada.join(open_code, "presenter", "Ada")
    ben.join(open_code, "presenter", "Ben")
    ada.call("requestSpeak", {})
    ada.call("caption", {"utteranceId": "a1", "text": "Helo world", "isFinal": True})
    assert error_code(ben.call("editCaption", {"utteranceId": "a1", "text": "Hacked"})) == "forbidden"
    assert ada.call("editCaption", {"utteranceId": "a1", "text": "Hello world"}) == {"ok": True, "rev": 1}
    edited = ben.wait_for("captionEdited")
    assert edited["text"] == "Hello world" and edited["editedBy"] == "Ada" and edited["rev"] == 1

    pin_code = hub.create_room("With PIN", pin="1357")
    cara, captioner = client(hub.url), client(hub.url)
    cara.join(pin_code, "presenter", "Cara", pin="1357")
    captioner.join(pin_code, "presenter", "Human captioner", pin="1357")
    cara.call("requestSpeak", {})
    cara.call("caption", {"utteranceId": "c1", "text": "Fotosynthesis", "isFinal": True})
    assert captioner.call("editCaption", {"utteranceId": "c1", "text": "Photosynthesis"}) == {"ok": True, "rev": 1}


def test_audience_count_is_coalesced_during_a_join_storm(hub, client):
    code = hub.create_room("Storm")
    watcher = client(hub.url)
    watcher.join(code, "presenter", "Ada")
    phones = [client(hub.url) for _ in range(40)]
    for phone in phones:
        assert phone.join(code, "audience")["ok"]
    watcher.wait_for(lambda c: c.of("audienceCount") and c.of("audienceCount")[-1]["count"] == 40)
    # 40 joins within a few coalescing intervals: a handful of count messages, not one per join.
    assert len(watcher.of("audienceCount")) < 15
    assert watcher.of("participantJoined") == []


payloads = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["room", "role", "name", "participantId", "pin", "since", "sinceRev", "utteranceId",
                         "text", "isFinal", "startedAt", "endedAt", "words", "x"]), inner, max_size=6),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(EVENTS), payloads), min_size=1, max_size=8))
def test_random_payloads_never_break_the_hub_or_its_invariants(fuzz_room, calls):
    hub, code, ada, phone, fuzzers = fuzz_room
    for i, (event, payload) in enumerate(calls):
        if event == "join" and isinstance(payload, dict) and "room" in payload and i % 2:
            payload = {**payload, "room": code}
        ack = fuzzers[i % len(fuzzers)].call(event, payload)
        assert isinstance(ack, dict) and "ok" in ack
        if not ack["ok"]:
            assert set(ack["error"]) == {"code", "message"}
    # A well-behaved client is still served.
    utterance = uuid.uuid4().hex
    ack = ada.call("caption", {"utteranceId": utterance, "text": "Still served.", "isFinal": True})
    assert ack["ok"], ack
    phone.wait_for(lambda c: any(m.get("utteranceId") == utterance for m in c.of("caption")))
    # Invariants, read straight from the database.
    with sqlite3.connect(hub.db_path) as db:
        holders = db.execute("SELECT floor_holder_id FROM rooms WHERE code = ?", (code,)).fetchall()
        assert holders == [(ada.participant_id,)]
        seqs = [s for (s,) in db.execute("SELECT seq FROM captions ORDER BY id")]
        assert seqs == sorted(set(seqs))
        speakers = {s for (s,) in db.execute("SELECT DISTINCT speaker_id FROM captions")}
        assert speakers == {ada.participant_id}


@pytest.fixture(scope="module")
def fuzz_room(tmp_path_factory, template_db):
    """Return one hub and room for all fuzz examples (a fresh hub per example would take minutes)."""
    from hubkit import Client, Hub

    workdir = tmp_path_factory.mktemp("fuzz")
    hub = Hub(workdir, template_db).start()
    code = hub.create_room("Fuzz")
    ada = Client(hub.url).connect()
    assert ada.join(code, "presenter", "Ada")["ok"] and ada.call("requestSpeak", {})["granted"]
    phone = Client(hub.url).connect()
    assert phone.join(code, "audience")["ok"]
    fuzzers = [Client(hub.url).connect() for _ in range(2)]
    fuzzers[0].join(code, "audience")
    yield hub, code, ada, phone, fuzzers
    hub.kill()


@pytest.mark.alone  # 160 round trips must outpace the bucket's refill: a busy machine slows the client, not the hub
def test_a_flooding_client_is_rate_limited_and_others_are_still_served(room, client):
    hub, code, ada, phone = room
    flooder = client(hub.url)
    flooder.join(code, "audience")
    codes = [flooder.call("ping", {}).get("error", {}).get("code") for _ in range(160)]
    assert codes.count("rate_limited") > 20 and codes[0] is None
    ack = ada.call("caption", {"utteranceId": "calm", "text": "Still on time.", "isFinal": True})
    assert ack["ok"]
    assert phone.wait_for(lambda c: [m for m in c.of("caption") if m["text"] == "Still on time."])
