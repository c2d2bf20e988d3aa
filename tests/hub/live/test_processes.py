"""The participants of a hub process that died are let go by the others; nobody else's (ccc/hub/live/processes.py)."""
from __future__ import annotations

import time

import redis

from ccc.hub.live import processes
from ccc.hub.rules import rooms
from ccc.store.db import db
from ccc.store.models import Participant

DEAD, ALIVE, OWN = "deadbeef", "a1b2c3d4", "00c0ffee"


def test_only_participants_of_a_process_missing_for_a_while_are_disconnected(app, redis_url):
    client = redis.Redis.from_url(redis_url)
    client.set(processes.key(ALIVE), "1")
    room = rooms.create_room("Sweep")
    people = {sid: Participant(room_id=room.id, participant_id=f"p-{sid}", role="audience", sid=sid)
              for sid in (DEAD + "x1", DEAD + "x2", ALIVE + "y1", OWN + "z1")}
    db.session.add_all(people.values())
    db.session.commit()
    missing: dict[str, float] = {}

    # Missing at one look is not dead yet: Redis may have restarted, and the owner sets its key again.
    assert processes.sweep(OWN, client, missing, patience=0.3) == 0
    # One of the dead process's clients resumed on a live process meanwhile: it stays connected.
    people[DEAD + "x2"].sid = ALIVE + "y2"
    db.session.commit()
    time.sleep(0.35)
    assert processes.sweep(OWN, client, missing, patience=0.3) == 1

    db.session.expire_all()
    connected = {p.participant_id: p.sid for p in db.session.query(Participant)}
    assert connected == {f"p-{DEAD}x1": None, f"p-{DEAD}x2": ALIVE + "y2", f"p-{ALIVE}y1": ALIVE + "y1",
                         f"p-{OWN}z1": OWN + "z1"}
    assert db.session.get(Participant, people[DEAD + "x1"].id).disconnected_at is not None
