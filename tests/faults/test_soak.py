"""Phones joining and leaving for a while: the hub's memory stays flat and departed participants are deleted."""
from __future__ import annotations

import time

import psutil
from faultkit import churn, participants

WARM_UP, ROUNDS, CYCLES = 3, 6, 400


def test_join_leave_churn_keeps_memory_flat_and_the_participants_table_small(make_hub):
    # Every phone here has one address, whose rate-limit bucket each new connection inherits; a classroom's
    # phones each have their own, so lift the limits.
    hub = make_hub(CCC_PARTICIPANT_TTL_S="1", CCC_EVENTS_PER_S="5000", CCC_EVENTS_PER_ADDRESS_S="5000")
    room = hub.create_room("Soak")
    rss = []
    for _ in range(ROUNDS):
        assert churn(hub.url, room, CYCLES) == CYCLES
        rss.append(psutil.Process(hub.proc.pid).memory_info().rss)
    deadline = time.monotonic() + 10
    while participants(hub.db_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert participants(hub.db_path) == 0, "departed participants were kept"
    # The first 1,200 joins warm caches, pools and the allocator (measured: +4.4 MB, then +0.2 MB over the next
    # 2,800); after them, 1,200 more joins may not grow the hub by 2 MB (a leak of 1.7 kB per join would).
    assert rss[-1] - rss[WARM_UP - 1] < 2 * 2**20, [round(r / 2**20, 1) for r in rss]
