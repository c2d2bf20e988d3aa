"""Fault benchmark: what a lecture loses when the hub dies, and how long its phones take to come back.

Scenario `kill`: a real hub (SQLite), N phones (light raw Socket.IO clients with socket.io-client's
reconnect backoff, resuming with `since` and paging with `catchUp`), a presenter sending finals and resending
each until it is acked. The hub is SIGKILLed, started again on the same port and database after `--down`
seconds, and the lecture goes on. Printed: finals acked, lost, stored twice; phones with a gap; how long
until 50 / 95 / 100 % of the phones were back (from the kill and from the restart).

    python bench/faults.py                 # N=200, hub down 2 s
    python bench/faults.py --phones 500 --down 5
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from faultkit import Lecturer, Phones, percentile, stored_finals  # noqa: E402

from hubkit import PYTHON, ROOT, Hub, hub_env  # noqa: E402


def template(workdir: Path) -> Path:
    """Return a freshly migrated SQLite file."""
    path = workdir / "template.sqlite3"
    subprocess.run([PYTHON, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, check=True,
                   env=hub_env(f"sqlite:///{path}", 0), capture_output=True, timeout=120)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


def kill(workdir: Path, phones_n: int, down_s: float, rate: float) -> dict:
    """Run the kill -9 scenario once and return its figures."""
    hub = Hub(workdir, template(workdir)).start()
    room = hub.create_room("Kill -9")
    t0 = time.monotonic()
    phones = Phones(hub.url, room, phones_n).start(timeout=300)
    joined_s = time.monotonic() - t0
    lecturer = Lecturer(hub.url, room, rate=rate).start()
    try:
        phones.wait(lambda: len(lecturer.acked) >= 10 * rate, 60, "the lecture did not start")
        hub.kill()
        killed = time.monotonic()
        time.sleep(down_s)
        hub.start()
        restarted = time.monotonic()
        phones.wait(lambda: all(p.connected for p in phones.phones), 120, "phones did not all come back")
        time.sleep(5)
        lecturer.stop()
        acked = dict(lecturer.acked)
        last = max(acked.values())
        phones.wait(lambda: all(p.last >= last for p in phones.phones), 60, "phones did not catch up")
    finally:
        lecturer.stop()
        phones.close()
        hub.stop()
    stored = stored_finals(hub.db_path, room)
    by_uid = {uid: seq for seq, uid in stored}
    back = phones.back_since(killed)
    return {
        "phones": phones_n, "join_all_s": round(joined_s, 1), "down_s": down_s,
        "finals_acked": len(acked), "finals_stored": len(stored),
        "acked_lost": sum(1 for uid, seq in acked.items() if by_uid.get(uid) != seq),
        "stored_twice": len(stored) - len(by_uid),
        "phones_with_gap": sum(1 for p in phones.phones if p.shown != stored or p.pending),
        "arrivals_dropped_as_seen": sum(p.dropped for p in phones.phones),
        "back_50_s": round(percentile(back, 50), 2), "back_95_s": round(percentile(back, 95), 2),
        "back_100_s": round(back[-1], 2), "back_95_after_restart_s": round(percentile(back, 95) - (restarted - killed), 2),
        "phones_back": len(back),
    }


def main() -> None:
    """Parse arguments, run the scenarios, print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--down", type=float, default=2.0, help="seconds the hub stays dead")
    parser.add_argument("--rate", type=float, default=3.0, help="finals per second")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ccc-faults-"))
    try:
        figures = kill(workdir, args.phones, args.down, args.rate)
        print("kill -9 of the hub mid-lecture")
        for key, value in figures.items():
            print(f"  {key:28} {value}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
