"""Setting or changing a room's PIN demotes presenters who have not proved the new one, over real sockets."""
from __future__ import annotations

from hubkit import AdminWeb


def say(presenter, utterance_id, text="Hello."):
    return presenter.call("caption", {"utteranceId": utterance_id, "text": text, "isFinal": True})


def test_setting_a_pin_at_admin_demotes_presenters_who_joined_without_it(hub, client):
    code = hub.create_room("Open room")
    early = client(hub.url)
    assert early.join(code, "presenter", "Early bird")["ok"]
    assert early.call("requestSpeak", {})["granted"]
    assert say(early, "e1")["ok"]
    phone = client(hub.url)
    phone.join(code, "audience")

    response = AdminWeb(hub.url).post(f"/admin/rooms/{code}/pin", {"pin": "7319"})
    assert response.ok and "needs a presenter PIN" in response.text

    stopped = phone.wait_for("speakerStopped")
    assert stopped == {"speakerId": early.participant_id, "reason": "released"}
    refused = early.call("requestSpeak", {})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    assert "PIN" in refused["error"]["message"]
    assert say(early, "e2")["ok"] is False
    assert early.call("editCaption", {"utteranceId": "e1", "text": "Changed."})["ok"] is False
    assert client(hub.url).join(code, "audience")["state"]["speaker"] is None

    # Proving the new PIN (the same identity, joining again) gives the rights back.
    assert early.join(code, "presenter", "Early bird", pin="7319")["ok"]
    assert early.call("requestSpeak", {})["granted"]
    assert say(early, "e3")["seq"] == 2


def test_changing_the_pin_from_the_command_line_demotes_presenters_with_the_old_one(hub, client):
    code = hub.create_room("PIN room", pin="1111")
    old = client(hub.url)
    assert old.join(code, "presenter", "Old PIN", pin="1111")["ok"]
    assert old.call("requestSpeak", {})["granted"]

    out = hub.flask("rooms", "pin", code, "2222")
    assert code in out

    refused = say(old, "o1")
    assert refused["ok"] is False and refused["error"]["code"] in {"forbidden", "not_speaker"}
    assert old.call("requestSpeak", {})["error"]["code"] == "forbidden"
    new = client(hub.url)
    assert new.join(code, "presenter", "New PIN", pin="2222")["ok"]
    assert new.call("requestSpeak", {})["granted"]  # the old holder's floor was released
    assert say(new, "n1")["seq"] == 1
