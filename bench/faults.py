"""Fault benchmark: what a lecture loses when the hub dies, and how long its phones take to come back.

Scenario `kill`: a real hub (SQLite), N phones (light raw Socket.IO clients with socket.io-client's
reconnect backoff, resuming with `since` and paging with `catchUp`), a presenter sending finals and resending
each until it is acked. The hub is SIGKILLed, started again on the same port and database after `--down`
seconds, and the lecture goes on. Printed: finals acked, lost, stored twice; phones with a gap; how long
until 50 / 95 / 100 % of the phones were back (from the kill and from the restart).

Scenario `cut` (as root): a real station (`python -m ccc.station`, PocketSphinx, a looped LibriVox
lecture, key held per pass) in a network namespace, its veth cable pulled for `--cut` seconds. Printed:
when the floor was freed, finals spoken while cut off, how long after the cable was back they were all
delivered, and finals lost, doubled or out of order (spool, database, an audience phone).

Scenario `soak`: 20,000 join/leave cycles of phones (connect, join, leave, close; 8 at a time) with a
participant TTL of 1 s: the hub's RSS after each 2,000 and the participants table at the end.

Scenario `lecture`: a 3-hour lecture compressed: 2,160 sentences (12 a minute), each as 14 growing partials
(one every third of a second) and its final, sent back to back to a room of N phones. Printed: how long it
took, finals stored, lost, doubled; phones holding every final; the hub's RSS each half hour of lecture;
how long a late phone takes to page through the whole transcript, and each export's time and size.

    python bench/faults.py                 # all three: N=200 phones, hub down 2 s; station cut off 60 s
    python bench/faults.py --only kill --phones 500 --down 5
    python bench/faults.py --only lecture --phones 100 --hours 3
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / d) for d in ("", "testkit")]  # ccc, and the kit tests and benchmarks share

from faultkit import (  # noqa: E402
    Lecturer,
    Phones,
    churn,
    compressed_lecture,
    lecture_wav,
    participants,
    pending,
    percentile,
    read_everything,
    spooled,
    station_namespace,
    stored_finals,
)

from hubkit import PYTHON, ROOT, Client, Hub, hub_env  # noqa: E402


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


def wait(check, timeout: float, what: str) -> float:
    """Wait until ``check()`` holds and return the time it did."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(what)
        time.sleep(0.1)
    return time.monotonic()


def cut(workdir: Path, cut_s: float) -> dict:
    """Run the network cut scenario once and return its figures."""
    spool = workdir / "spool.sqlite3"
    with station_namespace() as (ns, address, link):
        hub = Hub(workdir, template(workdir), CCC_HOST=address, CCC_FLOOR_GRACE_S="5")
        hub.url = hub.env["CCC_PUBLIC_URL"] = f"http://{address}:{hub.port}"
        hub.start()
        station = None
        try:
            room = hub.create_room("Cut")
            audience = Client(hub.url).connect()
            audience.join(room)
            station = subprocess.Popen(
                ["ip", "netns", "exec", ns, PYTHON, "-m", "ccc.station", "--hub", hub.url, "--room", room,
                 "--name", "Lecturer", "--engine", "pocketsphinx", "--input", str(lecture_wav(workdir / "l.wav")),
                 "--speed", "1", "--loop", "--ptt", "file", "--spool", str(spool)],
                cwd=ROOT, env={**os.environ, "CCC_MODELS_DIR": str(workdir / "models")},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            finals = lambda: [c for c in audience.of("caption") if c.get("isFinal")]  # noqa: E731
            wait(lambda: len(finals()) >= 2, 60, "the station did not speak")
            link(False)
            cut_at = time.monotonic()
            stopped = wait(lambda: audience.of("speakerStopped"), cut_s, "the floor outlived the cut")
            time.sleep(max(0.0, cut_at + cut_s - time.monotonic()))
            link(True)
            back = time.monotonic()
            delivered = wait(lambda: pending(spool) == 0, 60, "the spool did not empty")
            station.send_signal(signal.SIGTERM)
            station.wait(30)
            station = None
            audience.close()
        finally:
            if station is not None:
                station.kill()
            hub.stop()
    rows = spooled(spool)
    offset = time.time() - time.monotonic()
    seqs = [seq for _, seq, *_ in rows]
    shown = sorted({c["seq"]: c["utteranceId"] for c in finals()}.items())
    return {
        "cut_s": cut_s, "floor_freed_after_s": round(stopped - cut_at, 1),
        "floor_reason": audience.of("speakerStopped")[0]["reason"],
        "finals_spoken": len(rows),
        "finals_spoken_while_cut": sum(1 for _, _, created, *_ in rows if cut_at < created - offset < back),
        "all_delivered_after_back_s": round(delivered - back, 1),
        "rejected_by_hub": sum(1 for *_, error in rows if error),
        "out_of_order_or_twice": int(seqs != list(range(1, len(rows) + 1))),
        "db_differs_from_spool": int(stored_finals(hub.db_path, room) != [(seq, uid) for uid, seq, *_ in rows]),
        "audience_missed": len(rows) - len(shown),
    }


def soak(workdir: Path, cycles: int) -> dict:
    """Run the join/leave soak and return its figures."""
    import psutil

    hub = Hub(workdir, template(workdir), CCC_PARTICIPANT_TTL_S="1", CCC_EVENTS_PER_S="5000",
              CCC_EVENTS_PER_ADDRESS_S="5000").start()
    try:
        room = hub.create_room("Soak")
        rss, rows, t0 = [], [], time.monotonic()
        for _ in range(max(1, cycles // 2000)):
            churn(hub.url, room, min(2000, cycles))
            rss.append(psutil.Process(hub.proc.pid).memory_info().rss / 2**20)
            rows.append(participants(hub.db_path))
        took = time.monotonic() - t0
        wait(lambda: participants(hub.db_path) == 0, 10, "departed participants were kept")
    finally:
        hub.stop()
    return {"cycles": cycles, "cycles_per_s": round(cycles / took), "rss_mb_each_2000": [round(r, 1) for r in rss],
            "rss_growth_after_first_mb": round(rss[-1] - rss[0], 1), "participant_rows_each_2000": rows,
            "participant_rows_at_end": 0}


def lecture(workdir: Path, hours: float, phones_n: int) -> dict:
    """Run a compressed lecture of ``hours`` into a room of phones and return its figures."""
    import psutil
    import requests

    sentences = int(hours * 60 * 12)
    hub = Hub(workdir, template(workdir), CCC_EVENTS_PER_S="5000", CCC_EVENTS_PER_ADDRESS_S="5000").start()
    try:
        room = hub.create_room("Three hours")
        phones = Phones(hub.url, room, phones_n).start()
        rss: list[float] = []
        t0 = time.monotonic()
        try:
            acked = compressed_lecture(
                hub.url, room, sentences, partials=14, mark_every=12 * 30,
                on_mark=lambda _: rss.append(psutil.Process(hub.proc.pid).memory_info().rss / 2**20))
            took = time.monotonic() - t0
            stored = stored_finals(hub.db_path, room)
            wait(lambda: all(p.last == len(stored) for p in phones.phones), 120, "phones missing finals")
        finally:
            phones.close()
        late = time.monotonic()
        seqs = read_everything(hub.url, room)
        late = time.monotonic() - late
        exports = {}
        for fmt in ("txt", "srt", "vtt", "json", "docx"):
            t = time.monotonic()
            answer = requests.get(f"{hub.url}/r/{room}/transcript.{fmt}", timeout=120)
            answer.raise_for_status()
            exports[fmt] = f"{time.monotonic() - t:.2f} s, {len(answer.content) // 1024} KB"
    finally:
        hub.stop()
    uids = [uid for _, uid in stored]
    return {"sentences (finals)": sentences, "partials": sentences * 14, "phones": phones_n,
            "took_s": round(took, 1), "finals_acked": len(acked), "finals_stored": len(stored),
            "lost": len(set(acked) - set(uids)), "stored_twice": len(uids) - len(set(uids)),
            "phones_with_every_final": sum(p.shown == stored for p in phones.phones),
            "rss_mb_each_half_hour": [round(r, 1) for r in rss],
            "rss_growth_after_first_mb": round(rss[-1] - rss[0], 1),
            "late_phone_pages_all_s": f"{late:.2f} ({len(seqs)} finals)", "exports": exports}


def main() -> None:
    """Parse arguments, run the scenarios, print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["kill", "cut", "soak", "lecture"])
    parser.add_argument("--hours", type=float, default=3.0, help="length of the compressed lecture")
    parser.add_argument("--cycles", type=int, default=20000, help="join/leave cycles of the soak")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--down", type=float, default=2.0, help="seconds the hub stays dead")
    parser.add_argument("--rate", type=float, default=3.0, help="finals per second")
    parser.add_argument("--cut", type=float, default=60.0, help="seconds the station is cut off")
    args = parser.parse_args()
    scenarios = {"kill": ("kill -9 of the hub mid-lecture", lambda w: kill(w, args.phones, args.down, args.rate)),
                 "cut": ("the station's network cut", lambda w: cut(w, args.cut)),
                 "soak": ("join/leave soak", lambda w: soak(w, args.cycles)),
                 "lecture": (f"a {args.hours:g}-hour lecture, compressed",
                             lambda w: lecture(w, args.hours, min(args.phones, 100)))}
    for name, (title, run) in scenarios.items():
        if args.only and name != args.only:
            continue
        workdir = Path(tempfile.mkdtemp(prefix="ccc-faults-"))
        try:
            figures = run(workdir)
            print(title)
            for key, value in figures.items():
                print(f"  {key:28} {value}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
