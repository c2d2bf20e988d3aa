"""The hub on PostgreSQL: the same migrations, the same floor lock and caption rules, nothing SQLite-only."""
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests

from hubkit import PYTHON, ROOT, Hub, free_port, hub_env, race_for_floor


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


def _connections(url: str) -> int:
    """How many connections PostgreSQL has open to this URL's database, besides the one asking."""
    parts = urlsplit(url)
    query = ("SELECT count(*) FROM pg_stat_activity "
             f"WHERE datname = '{parts.path.lstrip('/')}' AND pid <> pg_backend_pid()")
    out = subprocess.run(["psql", "-h", parts.hostname, "-p", str(parts.port), "-U", "ccc", "-d", "postgres",
                          "-Atc", query], capture_output=True, text=True, timeout=10, check=True).stdout
    return int(out)


def test_a_hub_process_keeps_to_the_pool_size_it_is_given(postgres, tmp_path):
    """A campus shares one PostgreSQL among many processes: each must stay within the connections it is given.

    SQLAlchemy's default pool lets a process open 15 under a burst of requests (measured here with this burst);
    with CCC_DATABASE_POOL_SIZE=2 and CCC_DATABASE_MAX_OVERFLOW=1 it opens at most 3, and every request is
    still answered, waiting its turn for a connection.
    """
    url = postgres()
    hub = Hub(tmp_path, None, CCC_DATABASE_URL=url, CCC_DATABASE_POOL_SIZE="2",
              CCC_DATABASE_MAX_OVERFLOW="1").start()
    try:
        code = hub.create_room("Pooled")
        peak, done = 0, threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _connections(url))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(40) as pool:
                answers = list(pool.map(
                    lambda _: requests.get(f"{hub.url}/r/{code}/transcript.txt", timeout=60).status_code,
                    range(160)))
        finally:
            done.set()
            watcher.join()
        assert answers == [200] * 160
        assert 1 <= peak <= 3, f"{peak} connections"
    finally:
        hub.stop()


def test_a_pool_size_that_is_not_a_number_stops_the_hub_with_one_clear_line(tmp_path):
    env = hub_env(f"sqlite:///{tmp_path / 'hub.sqlite3'}", free_port(), CCC_DATABASE_POOL_SIZE="lots")
    run = subprocess.run([PYTHON, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip() == "ccc hub: CCC_DATABASE_POOL_SIZE must be a whole number of at least 1, not 'lots'"
    assert not (tmp_path / "hub.sqlite3").exists()
