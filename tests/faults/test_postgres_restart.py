"""PostgreSQL restarted under a running hub while a station sends finals."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from faultkit import station_with_the_floor

from hubkit import Client, Hub, free_port, wait_until


class Postgres:
    """A PostgreSQL server of this test's own, which it can stop and start."""

    def __init__(self, data: Path):
        self.bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.data, self.port = data, free_port()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(data, "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.pg("initdb", "-D", data / "db", "--auth=trust", "-U", "ccc", "--no-sync")
        self.start()
        self.pg("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "ccc", "ccc")
        self.url = f"postgresql+psycopg://ccc@127.0.0.1:{self.port}/ccc"

    def pg(self, tool: str, *args) -> None:
        """Run a PostgreSQL tool as the postgres user."""
        subprocess.run([*self.as_postgres, str(self.bindir / tool), *map(str, args)], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.pg("pg_ctl", "-D", self.data / "db", "-l", self.data / "log", "-w", "start",
                "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off")

    def stop(self) -> None:
        """Stop the server at once, dropping every connection (as a crash or a restart would)."""
        self.pg("pg_ctl", "-D", self.data / "db", "-m", "immediate", "-w", "stop")


@pytest.fixture
def postgres_server():
    """Return a PostgreSQL server that the test may restart; removed afterwards."""
    data = Path(tempfile.mkdtemp(prefix="ccc-pg-"))  # not under pytest's folder, which postgres cannot enter
    server = Postgres(data)
    yield server
    subprocess.run([*server.as_postgres, str(server.bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate",
                    "stop"], capture_output=True, timeout=60)
    shutil.rmtree(data, ignore_errors=True)


def final(k: int) -> dict:
    """Return a station's final caption payload."""
    now = int(time.time() * 1000)
    return {"utteranceId": f"pg-{k}", "text": f"Sentence {k}, said while the database restarts.",
            "isFinal": True, "startedAt": now - 2000, "endedAt": now}


def test_postgres_restarted_under_the_hub_loses_no_final(postgres_server, tmp_path):
    hub = Hub(tmp_path, None, CCC_DATABASE_URL=postgres_server.url).start()
    try:
        room = hub.create_room("Restart")
        link, spool = station_with_the_floor(hub.url, room, tmp_path / "spool.sqlite3", final)

        postgres_server.stop()
        for k in range(5, 10):
            link.send_final(final(k))
        audience = Client(hub.url).connect()
        refused = audience.join(room)
        assert refused["ok"] is False and refused["error"]["code"] == "unavailable", refused
        time.sleep(4)
        assert spool.count() == 5 and not link.fatal
        postgres_server.start()
        wait_until(lambda: spool.count() == 0, lambda: "the spooled finals did not flow once PostgreSQL was back", 20)
        assert [seq for _, seq in spool.seqs()] == list(range(1, 11))
        with psycopg.connect(postgres_server.url.replace("+psycopg", "")) as conn:
            stored = conn.execute("SELECT seq, utterance_id FROM captions ORDER BY seq").fetchall()
        assert stored == [(k + 1, f"pg-{k}") for k in range(10)]
        state = audience.join(room, since=0)["state"]
        assert [c["utteranceId"] for c in state["captions"]] == [f"pg-{k}" for k in range(10)]
        audience.close()
        link.close()
        spool.close()
    finally:
        hub.stop()
