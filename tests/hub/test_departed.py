"""Participants who went away are forgotten once they cannot come back: the participants table stays bounded."""
from __future__ import annotations

import sqlite3
import threading
import time

from hubkit import Client

CYCLES = 64  # connections made by python-socketio, 8 at a time; test_soak churns 1,600 lighter ones
THREADS = 8


def participant_rows(hub) -> int:
    with sqlite3.connect(hub.db_path, timeout=10) as db:
        return db.execute("SELECT COUNT(*) FROM participants").fetchone()[0]


def test_connect_disconnect_cycles_leave_the_table_bounded(make_hub, client):
    hub = make_hub(CCC_PARTICIPANT_TTL_S="2")
    code = hub.create_room("Revolving door")
    stayer = client(hub.url)
    assert stayer.join(code, "presenter", "Stays")["ok"]
    roles = ["audience", "projector", "presenter"]
    errors: list[BaseException] = []

    def cycle(worker: int) -> None:
        try:
            for n in range(CYCLES // THREADS):
                c = Client(hub.url).connect()
                assert c.join(code, roles[(worker + n) % 3], f"Guest {worker}-{n}")["ok"]
                c.sio.eio.disconnect(abort=True)  # gone without a goodbye, like a phone put away
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    workers = [threading.Thread(target=cycle, args=(i,)) for i in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors

    deadline = time.monotonic() + 30
    while participant_rows(hub) > 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert participant_rows(hub) == 1  # only the presenter still connected

    # The one who stayed is still there and can still resume with its token.
    back = client(hub.url)
    assert back.join(code, "presenter", "Stays", **stayer.identity())["ok"]


def test_a_phone_back_within_the_ttl_resumes_and_one_back_later_joins_afresh(make_hub, client):
    hub = make_hub(CCC_PARTICIPANT_TTL_S="3")
    code = hub.create_room("Sleepy phones")
    phone = client(hub.url)
    first = phone.join(code, "audience", "Reader")
    phone.sio.eio.disconnect(abort=True)
    quick = client(hub.url)
    assert quick.join(code, "audience", "Reader", **phone.identity())["participantId"] == first["participantId"]
    quick.sio.eio.disconnect(abort=True)
    deadline = time.monotonic() + 30
    while participant_rows(hub) and time.monotonic() < deadline:
        time.sleep(0.5)
    late = client(hub.url)
    refused = late.join(code, "audience", "Reader", **phone.identity())
    assert refused["error"]["code"] == "forbidden"  # forgotten: the page drops its identity and joins afresh
    fresh = late.call("join", {"room": code, "role": "audience", "name": "Reader"})
    assert fresh["ok"] and fresh["participantId"] != first["participantId"]
