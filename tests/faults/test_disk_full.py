"""The hub's SQLite database on a disk that fills up (a small tmpfs), with a real station link and spool."""
from __future__ import annotations

import sqlite3
import subprocess
import time

import pytest
from faultkit import station_with_the_floor, stored_finals

from hubkit import Client, Hub, wait_until


@pytest.fixture
def small_disk(tmp_path):
    """Mount an 8 MB tmpfs for the hub's database; unmount it afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk) -> None:
    """Fill the disk to the last byte, as a runaway log file would."""
    subprocess.run(["dd", "if=/dev/zero", f"of={disk / 'filler'}", "bs=64k"], capture_output=True)
    assert subprocess.run(["df", "--output=avail", str(disk)], capture_output=True, text=True
                          ).stdout.split()[-1] == "0"


def final(k: int) -> dict:
    """Return a station's final caption payload."""
    now = int(time.time() * 1000)
    return {"utteranceId": f"disk-{k}", "text": f"Sentence {k} of a lecture on a full disk. " * 20,
            "isFinal": True, "startedAt": now - 2000, "endedAt": now}


def test_full_disk_refuses_finals_clearly_keeps_them_spooled_and_recovers(small_disk, template_db, tmp_path):
    hub = Hub(small_disk, template_db).start()
    try:
        room = hub.create_room("Full disk")
        link, spool = station_with_the_floor(hub.url, room, tmp_path / "spool.sqlite3", final)
        before = stored_finals(hub.db_path, room)
        assert len(before) == 5

        fill(small_disk)
        presenter = Client(hub.url).connect()
        refused = [presenter.join(room, role="presenter", name="Second")]
        for k in range(5, 10):
            link.send_final(final(k))
        time.sleep(8)  # the station tries again every 3 s
        assert spool.count() == 5 and [seq for _, seq in spool.seqs()][5:] == [None] * 5
        ack = presenter.call("caption", final(99)) if refused[0].get("ok") else refused[0]
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack
        assert "disk" in ack["error"]["message"] or "database" in ack["error"]["message"]
        presenter.close()
        with sqlite3.connect(hub.db_path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert stored_finals(hub.db_path, room) == before

        (small_disk / "filler").unlink()
        wait_until(lambda: spool.count() == 0, lambda: "the spooled finals did not flow once space was freed", 20)
        stored = stored_finals(hub.db_path, room)
        assert stored[:5] == before
        assert [uid for _, uid in stored] == [f"disk-{k}" for k in range(10)]
        assert [seq for seq, _ in stored] == list(range(1, 11))
        assert [seq for _, seq in spool.seqs()] == list(range(1, 11))
        link.close()
        spool.close()
    finally:
        hub.stop()
