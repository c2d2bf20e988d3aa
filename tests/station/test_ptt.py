"""Push-to-talk: real X key events under Xvfb reach pynput and drive the floor; evdev and spec parsing."""
import os
import subprocess
import time

import pytest
from evdev import InputEvent, ecodes

from ccc.station import StationError, audio, ptt


@pytest.fixture(scope="module")
def xvfb():
    """Start Xvfb on a free display and point DISPLAY at it."""
    for number in range(90, 140):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    proc = subprocess.Popen(["Xvfb", f":{number}", "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        assert proc.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.05)
    saved = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{number}"
    yield f":{number}"
    proc.terminate()
    proc.wait(5)
    if saved is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = saved


def xdotool(*args):
    subprocess.run(["xdotool", *args], check=True, timeout=10, env=os.environ)


def stop(source):
    """Stop a pynput source; its X record loop only notices the stop at the next event, so send one."""
    source.stop()
    xdotool("key", "shift")
    source._listener.join(5)
    assert not source._listener.is_alive()


def feed(station, wav):
    pcm = audio.read_wav(wav)
    for offset in range(0, len(pcm), 3200):
        station.audio(pcm[offset:offset + 3200])


def test_parse_specs():
    assert ptt.parse("key:f9") == ("key", "f9")
    assert ptt.parse("evdev:/dev/input/event3:KEY_PAGEDOWN") == ("evdev", "/dev/input/event3", "KEY_PAGEDOWN")
    assert ptt.parse("file") == ("file",)
    for bad in ("f9", "key:", "evdev:/dev/input/event3", "pedal"):
        with pytest.raises(StationError):
            ptt.parse(bad)


def test_evdev_key_passes_press_and_release_but_not_repeat():
    key = ptt.EvdevKey("/dev/input/event99", "KEY_F9")
    got = []
    for code, value in [(ecodes.KEY_F9, 1), (ecodes.KEY_F9, 2), (ecodes.KEY_A, 1), (ecodes.KEY_F9, 0)]:
        key.handle(InputEvent(0, 0, ecodes.EV_KEY, code, value), got.append)
    key.handle(InputEvent(0, 0, ecodes.EV_SYN, 0, 0), got.append)
    assert got == [True, False]
    with pytest.raises(StationError, match="list-keys"):
        ptt.EvdevKey("/dev/input/event99", "KEY_NOPE")
    with pytest.raises(StationError, match="cannot open"):
        key.start(got.append)


def test_hold_key_under_xvfb_drives_request_and_stop_speak(xvfb, hub, client, rig, sphinx, say):
    code = hub.create_room("Pedal")
    audience = client(hub.url)
    audience.join(code)
    station = rig(hub.url, code, sphinx, mode="hold")
    station.wait_joined()
    source = ptt.open_source("key:f9", station.station.key)
    try:
        xdotool("keydown", "a")  # another key does nothing
        xdotool("keyup", "a")
        xdotool("keydown", "F9")
        changed = audience.wait_for("speakerChanged")
        assert changed["speakerName"] == "Station"
        feed(station.station, say("the pedal is held down"))
        time.sleep(0.5)
        xdotool("keyup", "F9")
        audience.wait_for("speakerStopped")
        final = audience.wait_for(lambda c: [x for x in c.of("caption") if x["isFinal"]])[0]
        assert final["speakerName"] == "Station" and final["text"]
        names = [e for e, _ in audience.events]
        assert names.index("speakerChanged") < names.index("caption") < names.index("speakerStopped")
    finally:
        stop(source)


def test_toggle_mode_with_a_clicker_key(xvfb, hub, client, rig, sphinx, say):
    code = hub.create_room("Clicker")
    audience = client(hub.url)
    audience.join(code)
    station = rig(hub.url, code, sphinx, mode="toggle")
    station.wait_joined()
    source = ptt.open_source("key:page_down", station.station.key)
    try:
        xdotool("key", "Next")  # press and release: the floor is taken and kept
        audience.wait_for("speakerChanged")
        feed(station.station, say("one click to start"))
        time.sleep(0.5)
        assert station.station.state == "speaking" and not audience.of("speakerStopped")
        xdotool("key", "Next")  # second click: the utterance ends
        audience.wait_for("speakerStopped")
        assert audience.wait_for(lambda c: [x for x in c.of("caption") if x["isFinal"]])
    finally:
        stop(source)
