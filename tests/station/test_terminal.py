"""The station in a real terminal (tmux): the space bar toggles the floor and the status line says so."""
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from hubkit import ROOT


@pytest.fixture
def tmux():
    """Return a function running tmux commands on a private server; the server is killed afterwards."""
    socket_name = f"ccc-{uuid.uuid4().hex[:8]}"

    def run(*args: str) -> str:
        out = subprocess.run(["tmux", "-L", socket_name, *args], capture_output=True, text=True, timeout=10)
        return out.stdout

    yield run
    subprocess.run(["tmux", "-L", socket_name, "kill-server"], capture_output=True, timeout=10)


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
    wait_until(lambda: screen().rstrip().endswith("connected"), screen)


def wait_until(check, screen, timeout: float = 15) -> None:
    """Wait until ``check()`` holds, failing with the terminal's contents."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, screen()
        time.sleep(0.1)
