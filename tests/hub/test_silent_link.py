"""A floor holder whose laptop lid closes (the link goes silent, nothing is closed) frees the floor in time."""
import signal
import subprocess
import sys
import time

from hubkit import ROOT

HOLDER = """
import sys, time, socketio
sio = socketio.Client(reconnection=False)
sio.connect(sys.argv[1], transports=["websocket"])
assert sio.call("join", {"room": sys.argv[2], "role": "presenter", "name": "Lid closed"})["ok"]
assert sio.call("requestSpeak", {})["granted"]
print("granted", flush=True)
time.sleep(600)
"""


def test_silent_holder_frees_the_floor_within_ping_timeout_plus_grace(hub, client):
    code = hub.create_room("Flaky Wi-Fi")
    phone = client(hub.url)
    phone.join(code, "audience")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, hub.url, code], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "granted"
        phone.wait_for("speakerChanged")
        holder.send_signal(signal.SIGSTOP)  # no more pongs, no FIN: exactly what a closed lid looks like
        silent = time.monotonic()
        stopped = phone.wait_for("speakerStopped", timeout=25)
        took = time.monotonic() - silent
        assert stopped["reason"] == "disconnected"
        # Ping interval 5 s + timeout 5 s, then the tests' 1.5 s grace period; never before the link is suspect.
        assert 4 < took < 10 + 1.5 + 3, took
    finally:
        holder.kill()
        holder.wait(5)
