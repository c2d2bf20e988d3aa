"""Identities that cannot be taken: what an attacker on the classroom Wi-Fi tries, over real sockets.

Public ids (participant lists, every caption's speakerId, the JSON export) are not credentials: resuming
as someone needs the secret resumeToken the hub gave that client alone at its first join.
"""
from __future__ import annotations

import time

PIN = "4821"


def captions(c, final=True):
    return [m for m in c.of("caption") if m["isFinal"] is final]


def test_an_audience_member_cannot_become_the_teacher(hub, client):
    code = hub.create_room("Physics", pin=PIN)
    teacher = client(hub.url)
    joined = teacher.join(code, "presenter", "Teacher", pin=PIN)
    assert joined["ok"] and len(joined["resumeToken"]) >= 32
    projector = client(hub.url)
    assert projector.join(code, "projector", "Hall projector")["ok"]
    assert teacher.call("requestSpeak", {})["granted"]
    assert teacher.call("caption", {"utteranceId": "t1", "text": "Energy is conserved.", "isFinal": True})["ok"]

    attacker = client(hub.url)
    state = attacker.join(code, "audience")["state"]
    assert "resumeToken" not in str(state)  # the public state carries no secret
    teacher_id = state["speaker"]["id"]
    projector_id = next(p["id"] for p in state["participants"] if p["role"] == "projector")
    attempts = [
        {"role": "audience", "participantId": teacher_id},
        {"role": "presenter", "participantId": teacher_id},
        {"role": "audience", "participantId": teacher_id, "resumeToken": "x" * 32},
        {"role": "projector", "participantId": projector_id},
    ]
    for attempt in attempts:
        ack = attacker.call("join", {"room": code, "name": "Teacher", **attempt})
        assert ack["ok"] is False, ack
        assert ack["error"]["code"] in {"forbidden", "bad_pin"}, ack
    refused = attacker.call("join", {"room": code, "role": "audience", "participantId": teacher_id})
    assert refused["error"]["code"] == "forbidden" and "without participantId" in refused["error"]["message"]

    # Nothing changed for the real owners: still connected, the teacher still holds the floor.
    time.sleep(0.5)
    assert teacher.sio.connected and projector.sio.connected
    assert teacher.call("ping", {})["ok"] and projector.call("ping", {})["ok"]
    assert attacker.call("editCaption", {"utteranceId": "t1", "text": "Energy is not conserved."})["ok"] is False
    assert attacker.call("stopSpeak", {})["ok"] is False
    assert teacher.call("caption", {"utteranceId": "t2", "text": "Still speaking.", "isFinal": True})["ok"]
    projector.wait_for(lambda c: len(captions(c)) == 2)
    assert [m["text"] for m in captions(projector)] == ["Energy is conserved.", "Still speaking."]
    assert projector.of("captionEdited") == [] and projector.of("speakerStopped") == []
    assert projector.of("participantLeft") == []
    again = client(hub.url).join(code, "audience")["state"]
    assert again["speaker"]["id"] == teacher_id
    assert [c["text"] for c in again["captions"]] == ["Energy is conserved.", "Still speaking."]


def test_a_presenter_without_the_pin_cannot_correct_the_teachers_captions(hub, client):
    code = hub.create_room("Biology")
    teacher = client(hub.url)
    assert teacher.join(code, "presenter", "Teacher")["ok"]
    teacher.call("requestSpeak", {})
    teacher.call("caption", {"utteranceId": "b1", "text": "Cells divide.", "isFinal": True})
    teacher.call("stopSpeak", {})
    other = client(hub.url)
    assert other.join(code, "presenter", "Teacher")["ok"]  # a room without a PIN lets anyone present
    assert other.participant_id != teacher.participant_id
    assert other.call("editCaption", {"utteranceId": "b1", "text": "Cells do not."})["error"]["code"] == "forbidden"
    assert other.call("stopSpeak", {})["error"]["code"] == "not_speaker"


def test_the_owner_resumes_with_its_token_and_keeps_the_floor(hub, client):
    code = hub.create_room("Maths")
    ada = client(hub.url)
    first = ada.join(code, "presenter", "Ada")
    assert ada.call("requestSpeak", {})["granted"]
    phone = client(hub.url)
    phone.join(code, "audience")

    back = client(hub.url)
    ack = back.join(code, "presenter", "Ada", participantId=first["participantId"],
                    resumeToken=first["resumeToken"])
    assert ack["ok"] and ack["participantId"] == first["participantId"]
    assert "resumeToken" not in ack  # the token was given once; the hub keeps only its hash
    ada.wait_for(lambda c: not c.sio.connected, timeout=5)  # the older connection is replaced
    assert back.call("caption", {"utteranceId": "m1", "text": "Back again.", "isFinal": True})["seq"] == 1
    assert back.call("editCaption", {"utteranceId": "m1", "text": "Back again!"})["ok"]
    assert phone.wait_for("caption")["speakerId"] == first["participantId"]
    assert phone.of("speakerStopped") == []


def test_reserved_and_verified_names_cannot_be_taken(hub, client):
    code = hub.create_room("Names", pin=PIN)
    teacher = client(hub.url)
    assert teacher.join(code, "presenter", "Dr. Ada", pin=PIN)["ok"]
    impostor = client(hub.url)
    for name in ("Admin", "ADMINISTRATOR", " admin "):
        refused = impostor.join(code, "audience", name)
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden", (name, refused)
    refused = impostor.join(code, "audience", "dr. ada")
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused

    fan = impostor.join(code, "audience", "Ada fan")
    assert fan["ok"]
    people = {p["name"]: p for p in fan["state"]["participants"]}
    assert people["Dr. Ada"]["verified"] is True  # joined with the room PIN: pages mark the name
    assert people["Ada fan"]["verified"] is False
    listener = client(hub.url)
    listener.join(code, "audience")
    captioner = client(hub.url)
    assert captioner.join(code, "presenter", "Captioner", pin=PIN)["ok"]
    assert listener.wait_for("participantJoined")["verified"] is True
