"""The hub on PostgreSQL: the same migrations, the same floor lock and caption rules, nothing SQLite-only."""
import subprocess

from hubkit import PYTHON, ROOT, Hub, hub_env, race_for_floor


def test_migrations_and_protocol_on_postgresql(postgres, tmp_path, client):
    url = postgres()
    env = hub_env(url, 0)
    for args in (["upgrade"], ["downgrade", "base"], ["upgrade"]):
        subprocess.run([PYTHON, "-m", "flask", "--app", "app", "db", *args], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)
    hub = Hub(tmp_path, None, CCC_DATABASE_URL=url).start()
    try:
        code = hub.create_room("On PostgreSQL", pin="1234")
        presenters = [client(hub.url) for _ in range(12)]
        for i, p in enumerate(presenters):
            assert p.join(code, "presenter", f"P{i}", pin="1234")["ok"]
        acks = race_for_floor(presenters)
        winners = [presenters[i] for i, ack in enumerate(acks) if ack["granted"]]
        assert len(winners) == 1, acks
        speaker = winners[0]
        for n in (1, 2, 3):
            ack = speaker.call("caption", {"utteranceId": f"u{n}", "text": f"Caption {n}", "isFinal": True,
                                           "words": [{"word": "Caption", "start": 0, "end": 300}]})
            assert ack == {"ok": True, "seq": n, "duplicate": False}
        assert speaker.call("caption", {"utteranceId": "u2", "text": "Caption 2", "isFinal": True})["seq"] == 2
        assert speaker.call("editCaption", {"utteranceId": "u1", "text": "First caption"})["rev"] == 1
        hub.stop()
        hub.start()
        state = client(hub.url).join(code, "audience", since=0)["state"]
        assert [(c["seq"], c["text"]) for c in state["captions"]] == [
            (1, "First caption"), (2, "Caption 2"), (3, "Caption 3")]
    finally:
        hub.stop()
