"""The station and the queue for the floor: a pedal press that is denied raises the hand, the offer is cued,
and the next press takes the floor. The station runs as a user runs it, its key pressed under Xvfb."""
from __future__ import annotations

import re
import subprocess
import time

from test_ptt import xdotool, xvfb  # noqa: F401 - xvfb is a fixture this module uses

from ccc.station.beep import Cue
from hubkit import AdminWeb, wait_until


def test_cue_beeps_or_falls_back_to_the_bell():
    played = []
    beep = Cue(player=lambda: played.append("tone"))
    assert beep() is True and played == ["tone"] and beep.played == ["beep"]

    def no_device():
        raise OSError("no output device")

    silent = Cue(player=no_device)
    assert silent() is False and silent.played == ["bell"]


def test_pedal_raises_the_hand_and_takes_the_offered_floor(xvfb, make_hub, client, station_cmd,  # noqa: F811
                                                           station_env, say, tmp_path):
    hub = make_hub(CCC_FLOOR_OFFER_S="20")
    page = AdminWeb(hub.url).post("/admin/rooms", {"title": "Pedal queue", "saving": "1"}).text
    code = re.search(r"Created room (\w+)", page).group(1)
    ada = client(hub.url)
    assert ada.join(code, "presenter", "Ada")["ok"] and ada.call("requestSpeak", {})["granted"]
    log = tmp_path / "station.err"
    wav = say("Thank you, my turn now.")
    with open(log, "w") as err:
        station = subprocess.Popen(
            station_cmd(hub.url, code, "--name", "Pedal", "--engine", "pocketsphinx", "--input", str(wav),
                        "--loop", "--ptt", "key:f9"),
            env={**station_env, "DISPLAY": xvfb}, stdout=subprocess.DEVNULL, stderr=err)
    screen = lambda: log.read_text(errors="replace")  # noqa: E731  what the presenter's terminal shows
    try:
        ada.wait_for(lambda c: any(p["name"] == "Pedal" for p in c.of("participantJoined")), timeout=30)
        wait_until(lambda: "connected" in screen(), screen)
        queued = lambda: [q for q in ada.of("floorQueue") if q["queue"]]  # noqa: E731
        for _ in range(10):  # the X listener may come up a moment after the link has joined: press again
            xdotool("keydown", "F9")  # denied: Ada speaks; the station raises its hand instead
            deadline = time.monotonic() + 2
            while not queued() and time.monotonic() < deadline:
                time.sleep(0.1)
            xdotool("keyup", "F9")
            if queued():
                break
        assert [e["name"] for e in queued()[-1]["queue"]] == ["Pedal"]
        wait_until(lambda: "denied: Ada holds the floor; you are number 1 in the queue" in screen(), screen)
        assert "\a" not in screen()

        assert ada.call("stopSpeak", {})["ok"]  # the floor is offered to the station: it cues the speaker
        wait_until(lambda: "the floor is offered to you: press the key within 20 s to take it\a" in screen(), screen)
        assert not ada.call("requestSpeak", {})["granted"]
        xdotool("keydown", "F9")
        ada.wait_for(lambda c: c.of("speakerChanged")[-1]["speakerName"] == "Pedal", timeout=15)
        wait_until(lambda: "speaking" in screen().splitlines()[-1], screen)
        xdotool("keyup", "F9")
        ada.wait_for(lambda c: len(c.of("speakerStopped")) == 2, timeout=15)
        assert ada.of("speakerStopped")[-1]["speakerId"] != ada.participant_id
    finally:
        station.terminate()
        station.wait(10)
