"""A lecture of thousands of captions, compressed: nothing lost or doubled, every phone has it all, memory flat."""
from __future__ import annotations

import psutil
from faultkit import Phones, compressed_lecture, read_everything, stored_finals

SENTENCES, MARKS = 480, 4  # 40 minutes of a real lecture (12 sentences a minute), each with 4 partials


def test_a_compressed_lecture_loses_nothing_and_the_hub_stays_flat(make_hub):
    # One presenter sends back to back what a lecturer says over 40 minutes: lift the per-connection limit.
    hub = make_hub(CCC_EVENTS_PER_S="5000", CCC_EVENTS_PER_ADDRESS_S="5000")
    room = hub.create_room("Long lecture")
    phones = Phones(hub.url, room, 20).start()
    rss: list[int] = []
    try:
        acked = compressed_lecture(hub.url, room, SENTENCES, partials=4, mark_every=SENTENCES // MARKS,
                                   on_mark=lambda _: rss.append(psutil.Process(hub.proc.pid).memory_info().rss))
        stored = stored_finals(hub.db_path, room)
        phones.wait(lambda: all(p.last == len(stored) for p in phones.phones), 60, "a phone is missing finals")
    finally:
        phones.close()
    assert [seq for seq, _ in stored] == list(range(1, SENTENCES + 1)), "finals lost or stored twice"
    assert {uid: seq for seq, uid in stored} == acked
    assert all(p.shown == stored and p.joins == 1 for p in phones.phones)
    assert read_everything(hub.url, room) == list(range(1, SENTENCES + 1)), "a late phone cannot page it all"
    # The first quarter warms the database's cache and the hub's pools; after it, 360 more finals and 1,440
    # partials, each relayed to 20 phones, may not grow the hub by 6 MB.
    assert rss[-1] - rss[0] < 6 * 2**20, [r // 2**20 for r in rss]
