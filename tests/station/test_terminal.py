"""The station in a real terminal (tmux): the space bar toggles the floor and the status line says so."""
import shutil
import sys
import time

from hubkit import ROOT, wait_until


def test_space_in_the_terminal_takes_and_releases_the_floor(hub, client, tmux, station_env, say):
    assert shutil.which("tmux")
    code = hub.create_room("Terminal")
    phone = client(hub.url)
    phone.join(code, "audience")
    wav = say("The cell membrane controls what enters and leaves the cell.")
    env = " ".join(f"{k}={v}" for k, v in station_env.items() if k.startswith("CCC_"))
    command = (f"cd {ROOT} && env {env} {sys.executable} -m ccc.station --hub {hub.url} --room {code} "
               f"--name 'Terminal presenter' --engine pocketsphinx --input {wav} --loop --ptt terminal; sleep 30")
    tmux("new-session", "-d", "-x", "160", "-y", "10", command)
    phone.wait_for(lambda c: any(p["name"] == "Terminal presenter" for p in c.of("participantJoined")), timeout=30)

    screen = lambda: tmux("capture-pane", "-p")  # noqa: E731  what the presenter sees
    wait_until(lambda: "connected" in screen(), screen)
    tmux("send-keys", "Space")
    changed = phone.wait_for("speakerChanged", timeout=15)
    assert changed["speakerName"] == "Terminal presenter"
    wait_until(lambda: "speaking" in screen(), screen)
    phone.wait_for(lambda c: any(not m["isFinal"] for m in c.of("caption")), timeout=30)
    time.sleep(2)
    tmux("send-keys", "Space")
    phone.wait_for("speakerStopped", timeout=15)
    finals = phone.wait_for(lambda c: [m for m in c.of("caption") if m["isFinal"]], timeout=15)
    assert finals[0]["speakerName"] == "Terminal presenter" and finals[0]["text"].strip()
    # Back to "connected", the audio meter's advice after it (espeak's dry voice: good).
    wait_until(lambda: screen().rstrip().splitlines()[-1] == "connected | audio: good", screen)

