"""The station's live meter tells the presenter console its advice through a real hub, only when it changes.

A real station (HubLink, Station, MeterStatus wired as `python -m ccc.station` wires them) hears a clean real
recording (25 s of LibriVox) and then its classroom copy (room_corpus: RT60 0.6-0.8 s, talker 2-3 m away,
babble 15 dB below, ventilation) with the key up; a presenter's Socket.IO client plays the console.
"""
import numpy as np
import pytest
import room_corpus

from ccc.station import meter


@pytest.fixture(scope="module")
def recordings(tmp_path_factory, librivox):
    """Return the clean recording and its classroom copy as WAV files."""
    folder = tmp_path_factory.mktemp("meter-relay")
    clean = np.concatenate([room_corpus.read(path) for path, _ in librivox])
    room = np.concatenate([room_corpus.read(room_corpus.room_copy(path)) for path, _ in librivox])
    return room_corpus.write(folder / "clean.wav", clean), room_corpus.write(folder / "room.wav", room)


def test_the_console_hears_good_then_the_rooms_advice_once_each(module_hub, client, rig, sphinx, recordings):
    hub = module_hub
    clean, room = recordings
    code = hub.create_room("Meter")
    console = client(hub.url)
    assert console.join(code, "presenter", "Console")["ok"]
    status = meter.MeterStatus(None, meter.Meter())
    station = rig(hub.url, code, sphinx, name="Desk station", status=status, on_audio=status.hear)
    status.link = station.link
    station.wait_joined()

    def heard() -> dict:
        """Wait until the console has the advice the station sent last; return it."""
        while True:
            station.idle()
            sent = station.link.audio  # the last chunk's reading may still be on its way: then ask again
            got = console.wait_for(lambda c, want=sent["advice"]: c.of("stationAudio")
                                   and c.of("stationAudio")[-1]["advice"] == want and c.of("stationAudio")[-1],
                                   timeout=10)
            if station.link.audio is sent:
                return got

    station.play(clean, press=False)  # the meter listens with the key up too
    assert heard()["advice"] == "good"
    station.play(room, press=False)
    last = heard()
    assert last["advice"] in ("echo", "noisy"), last
    assert last["participantId"] == station.link.participant_id and last["name"] == "Desk station"
    assert last["snrDb"] < 25 and -40 < last["levelDb"] < 0, last

    # 50 s of audio is 16 readings: the console is told only the changes (seen: good, noisy, echo).
    advice = [m["advice"] for m in console.of("stationAudio")]
    assert len(advice) <= 5 and all(a != b for a, b in zip(advice, advice[1:])), advice
    assert "good" in advice, advice

    # A console opened later gets the station's advice at once, in roomState.
    late = client(hub.url)
    state = late.join(code, "presenter", "Late console")["state"]
    assert [(m["name"], m["advice"]) for m in state["stationAudio"]] == [("Desk station", last["advice"])]

    # The station's link drops and comes back: consoles were told it left, and hear its advice again on its join.
    before = len(console.of("stationAudio"))
    station.link.submit(station.link._drop).result()
    console.wait_for(lambda c: len(c.of("stationAudio")) > before, timeout=15)
    assert console.of("stationAudio")[-1]["advice"] == last["advice"]
    assert console.of("participantLeft")[-1]["name"] == "Desk station"


def test_a_station_waiting_for_approval_is_heard_once_approved(module_hub, client, rig, sphinx):
    hub = module_hub
    code = hub.create_room("Meter approval", pin="2468")
    hub.flask("rooms", "verify", code)
    console = client(hub.url)
    assert console.join(code, "presenter", "Console", pin="2468")["ok"]
    station = rig(hub.url, code, sphinx, name="Guest station")
    station.wait_joined()
    assert station.link.awaiting_approval
    station.link.send_audio({"advice": "noisy", "levelDb": -24.0, "snrDb": 18.0, "echoS": 0.3})
    waiting = console.wait_for("approvalRequested", timeout=5)
    assert console.call("approve", {"participantId": waiting["id"]})["ok"]
    heard = console.wait_for("stationAudio", timeout=10)  # refused while it waited, sent again once approved
    assert (heard["name"], heard["advice"]) == ("Guest station", "noisy")
    assert len(console.of("stationAudio")) == 1
