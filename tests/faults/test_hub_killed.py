"""The hub SIGKILLed during a lecture, with phones connected, then started again on its port and database."""
from __future__ import annotations

import time

from faultkit import Lecturer, Phones, stored_finals

PHONES = 40


def test_hub_killed_mid_lecture_loses_no_final_and_every_phone_resumes_without_a_gap(make_hub):
    hub = make_hub()
    room = hub.create_room("Kill -9")
    phones = Phones(hub.url, room, PHONES).start()
    lecturer = Lecturer(hub.url, room, rate=5).start()
    try:
        phones.wait(lambda: len(lecturer.acked) >= 15, 30, "the lecture did not start")
        hub.kill()
        killed = time.monotonic()
        before = len(lecturer.acked)
        time.sleep(1)
        hub.start()
        phones.wait(lambda: len(lecturer.acked) >= before + 15, 60, "the lecture did not go on")
        lecturer.stop()
        acked = dict(lecturer.acked)
        last = max(acked.values())
        phones.wait(lambda: all(p.connected and p.last >= last for p in phones.phones), 60,
                    "phones did not all come back and catch up")
    finally:
        lecturer.stop()
        phones.close()

    stored = stored_finals(hub.db_path, room)
    assert [seq for seq, _ in stored] == list(range(1, len(stored) + 1))
    assert len({uid for _, uid in stored}) == len(stored), "a final was stored twice"
    assert {uid: seq for seq, uid in stored if uid in acked} == acked, "an acknowledged final was lost"
    assert len(stored) == len(acked)  # the lecturer resent every final until it was acked
    for phone in phones.phones:
        assert phone.shown == stored, f"phone {phone.index} saw a gap or another order"
        assert not phone.pending and phone.joins >= 2
    back = phones.back_since(killed)
    assert len(back) == PHONES
