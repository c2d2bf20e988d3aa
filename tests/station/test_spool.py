"""The spool keeps finals in order until the hub acknowledges them, across restarts."""
from ccc.station.spool import Spool


def final(uid, text="hello"):
    return {"utteranceId": uid, "text": text, "isFinal": True}


def test_finals_wait_in_order_until_delivered(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3", "ROOM")
    for uid in ("a", "b", "c"):
        spool.add(final(uid))
    spool.add(final("a", "again"))  # the same utterance is kept once
    assert [p.utterance_id for p in spool.pending()] == ["a", "b", "c"]
    first = spool.pending()[0]
    spool.delivered(first.id, 7)
    assert spool.count() == 2 and spool.pending()[0].utterance_id == "b"
    spool.rejected(spool.pending()[0].id, "too_large")
    assert [p.utterance_id for p in spool.pending()] == ["c"]
    assert spool.seqs() == [("a", 7), ("b", None), ("c", None)]


def test_spool_survives_a_restart_and_keeps_the_identity_the_hub_issued(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3", "ROOM")
    spool.add(final("x"))
    assert spool.identity("http://hub", "Ann") is None  # the hub issues it at the first join
    spool.keep_identity("http://hub", "Ann", "p1", "secret-token")
    spool.close()
    again = Spool(tmp_path / "s.sqlite3", "ROOM")
    assert [p.payload["text"] for p in again.pending()] == ["hello"]
    assert again.identity("http://hub", "Ann") == ("p1", "secret-token")
    assert again.identity("http://hub", "Bob") is None
    assert Spool(tmp_path / "s.sqlite3", "OTHER").identity("http://hub", "Ann") is None
    again.keep_identity("http://hub", "Ann", None)  # refused by the hub: forgotten, the next join is fresh
    assert again.identity("http://hub", "Ann") is None
    assert Spool(tmp_path / "s.sqlite3", "OTHER").count() == 0
