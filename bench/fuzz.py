"""Fuzzing benchmark: a lecture's caption latency while the hub is attacked below the payload.

A real hub (SQLite) with a room of 200 long finals; a presenter sends 10 finals a second to a phone, each
timed from send to receive: first with nobody else there, then while another process (testkit/attackers.py)
holds 2,000 idle Socket.IO connections (opened 50 a second) and, all along, sends malformed Engine.IO and
Socket.IO packets, binary attachments, oversized and endless long-polling bodies, silent and slowloris
connections, and joins the room with clients that never read. Printed: p50/p95/p99 of the lecture's latency
without and with the abuse, the worst while the attackers all hang up, the hub's RSS and descriptors, and
what each attack met.

    python bench/fuzz.py                      # 60 s quiet, 240 s of abuse, 2,000 idle connections
    python bench/fuzz.py --quiet 30 --seconds 120 --idle 1000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / d) for d in ("", "testkit")]  # ccc, and the kit tests and benchmarks share

from faults import template  # noqa: E402
from fuzzclient import GoodPair, fill, percentile  # noqa: E402

from hubkit import PYTHON, ROOT, Hub  # noqa: E402


def run(workdir: Path, quiet_s: float, attack_s: float, idle: int, slow: int) -> dict:
    """Run the lecture quiet, then under attack; return the figures."""
    hub = Hub(workdir, template(workdir)).start()
    process = psutil.Process(hub.proc.pid)
    try:
        room = hub.create_room("Fuzz")
        fill(hub.url, room)
        pair = GoodPair(hub.url, room).start()
        time.sleep(quiet_s)
        base_rss, base_fds = process.memory_info().rss, process.num_fds()
        pair.mark("attack")
        attackers = subprocess.Popen(
            [PYTHON, str(ROOT / "testkit" / "attackers.py"), "--url", hub.url, "--room", room, "--seconds",
             str(attack_s), "--idle", str(idle), "--half-open", "50", "--slow", str(slow)],
            stdout=subprocess.PIPE, text=True)
        peak_rss, peak_fds, teardown = base_rss, base_fds, time.monotonic() + attack_s
        while attackers.poll() is None:
            peak_rss, peak_fds = max(peak_rss, process.memory_info().rss), max(peak_fds, process.num_fds())
            if teardown and time.monotonic() > teardown:
                pair.mark("teardown")
                teardown = 0
            time.sleep(0.25)
        pair.mark("after")
        time.sleep(10)
        pair.stop()
        after_rss, after_fds = process.memory_info().rss, process.num_fds()
        report = json.loads(attackers.stdout.read().splitlines()[-1])
    finally:
        hub.stop()
    quiet, attacked, torn = pair.latencies("quiet"), pair.latencies("attack"), pair.latencies("teardown")
    mb = 2**20
    return {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                   f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end",
        "quiet: captions, p50/p95/p99 ms": f"{len(quiet)}, {percentile(quiet, 50):.1f} / "
                                           f"{percentile(quiet, 95):.1f} / {percentile(quiet, 99):.1f}",
        "attacked: captions, p50/p95/p99 ms": f"{len(attacked)}, {percentile(attacked, 50):.1f} / "
                                              f"{percentile(attacked, 95):.1f} / {percentile(attacked, 99):.1f}",
        "attacked: worst ms": f"{max(attacked):.0f}",
        "attackers hanging up at once: worst ms": f"{max(torn, default=0):.0f}",
        "lost, doubled or reordered captions": pair.problems() or "none",
        "hub RSS MB: before / peak / after": f"{base_rss / mb:.0f} / {peak_rss / mb:.0f} / {after_rss / mb:.0f}",
        "hub descriptors: before / peak / after": f"{base_fds} / {peak_fds} / {after_fds}",
        "outcomes": report["outcomes"],
        "attacker errors": report["errors"],
    }


def main() -> None:
    """Parse arguments, run once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", type=float, default=60, help="seconds of lecture before the attack")
    parser.add_argument("--seconds", type=float, default=240, help="seconds of attack")
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--slow", type=int, default=8, help="clients that never read")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ccc-fuzz-"))
    try:
        figures = run(workdir, args.quiet, args.seconds, args.idle, args.slow)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for key, value in figures.items():
        if key == "outcomes":
            print("outcomes (attempts per result):")
            for case, seen in value.items():
                print(f"  {case:44} {', '.join(f'{k}: {v}' for k, v in seen.items())}")
        else:
            print(f"{key:44} {value}")


if __name__ == "__main__":
    main()
