"""A real station (`python -m ccc.station`) whose network is cut for 15 s: a namespace and veth pair, as root."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from faultkit import lecture_wav, pending, spooled, station_namespace, stored_finals

from hubkit import ROOT, Client, Hub

CUT_S = 15


@pytest.fixture
def netns():
    """Return (namespace, host address, cut) of a namespace joined to this host by a veth pair."""
    with station_namespace() as made:
        yield made


def wait(check, timeout: float, what) -> float:
    """Wait until ``check()`` holds and return the time it did."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what() if callable(what) else what
        time.sleep(0.1)
    return time.monotonic()


def test_station_cut_off_for_15_s_delivers_every_final_once_in_order(netns, template_db, tmp_path):
    ns, address, link = netns
    hub = Hub(tmp_path, template_db, CCC_HOST=address, CCC_PUBLIC_URL=f"http://{address}:0")
    hub.url = f"http://{address}:{hub.port}"
    hub.env["CCC_PUBLIC_URL"] = hub.url
    hub.start()
    spool = tmp_path / "spool.sqlite3"
    station = None
    try:
        room = hub.create_room("Cut")
        audience = Client(hub.url).connect()
        assert audience.join(room)["ok"]
        env = {**os.environ, "CCC_MODELS_DIR": str(tmp_path / "models"), "PYTHONUNBUFFERED": "1"}
        log = open(tmp_path / "station.log", "w")
        station = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-m", "ccc.station", "--hub", hub.url, "--room", room,
             "--name", "Lecturer", "--engine", "pocketsphinx", "--input", str(lecture_wav(tmp_path / "l.wav")),
             "--speed", "1", "--loop", "--ptt", "file", "--spool", str(spool)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        finals = lambda: [c for c in audience.of("caption") if c.get("isFinal")]  # noqa: E731
        wait(lambda: len(finals()) >= 2, 45, lambda: (tmp_path / "station.log").read_text())
        assert audience.of("speakerChanged")[-1]["speakerName"] == "Lecturer"

        link(False)
        cut = time.monotonic()
        stopped = wait(lambda: audience.of("speakerStopped"), CUT_S, "the floor outlived the grace period")
        time.sleep(max(0.0, cut + CUT_S - time.monotonic()))
        assert pending(spool) >= 1, "nothing was spooled while the network was down"
        link(True)
        restored = time.monotonic()
        wait(lambda: len(audience.of("speakerChanged")) >= 2, 20, "the station did not take the floor again")
        wait(lambda: pending(spool) == 0, 20, "the spooled finals were not delivered")
        station.send_signal(signal.SIGTERM)
        assert station.wait(30) == 0, (tmp_path / "station.log").read_text()
        station = None
    finally:
        if station is not None:
            station.kill()
        hub.stop()

    # The floor: kept through the grace period, given up once the hub saw the station gone and the grace ran out.
    assert audience.of("speakerStopped")[0]["reason"] == "disconnected"
    assert 1.5 <= stopped - cut <= 5 + 5 + 1.5 + 1, stopped - cut
    rows = spooled(spool)
    assert all(error is None for *_, error in rows)
    assert any(cut < created - time.time() + time.monotonic() < restored for _, _, created, _, _ in rows)
    assert [seq for _, seq, *_ in rows] == list(range(1, len(rows) + 1)), "not delivered in order, or twice"
    assert stored_finals(hub.db_path, room) == [(seq, uid) for uid, seq, *_ in rows]
    shown = sorted({c["seq"]: c["utteranceId"] for c in finals()}.items())
    assert shown == [(seq, uid) for uid, seq, *_ in rows], "the audience missed a final or got one twice"
    audience.close()
