"""Shared fixtures: a real hub on a real port, real Socket.IO clients, a real PostgreSQL server."""
from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hubkit import PYTHON, ROOT, Client, Hub, free_port, hub_env

# Stations in the tests keep tiny.en as the English default instead of measuring this PC in every models folder
# (ccc/station/choice.py): the suite's bounds and time were set with it. tests/station/test_choice.py unsets it.
os.environ.setdefault("CCC_WHISPER_DEFAULT", "tiny.en")


@pytest.fixture
def app(tmp_path):
    """Return an in-process hub app on a fresh SQLite file, inside its app context (no sockets)."""
    from ccc.hub import create_app
    from ccc.store.db import db
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    with app.app_context():
        db.create_all()
        yield app


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """Return an SQLite file migrated to head once per run; each hub gets a copy."""
    path = tmp_path_factory.mktemp("template") / "ccc.sqlite3"
    env = hub_env(f"sqlite:///{path}", 0)
    subprocess.run([PYTHON, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    with sqlite3.connect(path) as conn:  # fold the WAL into the file, so a plain copy has everything
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture
def make_hub(tmp_path, template_db):
    """Return a factory of started hubs (stopped after the test)."""
    hubs: list[Hub] = []

    def make(**env: str) -> Hub:
        workdir = tmp_path / f"hub{len(hubs)}"
        workdir.mkdir()
        hub = Hub(workdir, template_db, **env)
        hubs.append(hub)
        return hub.start()

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def hub(make_hub) -> Hub:
    """Return a started hub on a free port with an empty database."""
    return make_hub()


@pytest.fixture
def client():
    """Return a factory of connected Socket.IO clients (disconnected after the test)."""
    made: list[Client] = []

    def make(url: str, **kwargs: Any) -> Client:
        c = Client(url, **kwargs).connect()
        made.append(c)
        return c

    yield make
    # A clean disconnect waits up to 3 s for the WebSocket close handshake: close them all at once.
    closers = [threading.Thread(target=c.close) for c in made]
    for t in closers:
        t.start()
    for t in closers:
        t.join()


@pytest.fixture(scope="module")
def module_hub(tmp_path_factory, template_db) -> Hub:
    """Return one started hub for the whole module (a module whose tests each make their own rooms)."""
    started = Hub(tmp_path_factory.mktemp("module-hub"), template_db).start()
    yield started
    started.stop()


@pytest.fixture
def quick_client():
    """Return a factory of connected Socket.IO clients that hang up without waiting for the close handshake.

    (The `client` fixture's clean disconnect waits about 3 s per test; for tests that do not look at departures.)
    """
    made: list[Client] = []

    def make(url: str, **kwargs: Any) -> Client:
        made.append(Client(url, **kwargs).connect())
        return made[-1]

    yield make
    for c in made:
        ws = getattr(c.sio.eio, "ws", None)
        if ws is not None and c.sio.connected:
            ws.close(timeout=0.05)  # hub notices the socket going at once
        c.sio.eio.disconnect(abort=True)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """Start a throwaway PostgreSQL server for the run; yield a factory of fresh, empty database URLs."""
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data = Path(tempfile.mkdtemp(prefix="ccc-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(data, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def pg(*args: str) -> None:
        subprocess.run([*as_postgres, *map(str, args)], check=True, capture_output=True, timeout=120)

    pg(bindir / "initdb", "-D", data / "db", "--auth=trust", "-U", "ccc", "--no-sync")
    pg(bindir / "pg_ctl", "-D", data / "db", "-l", data / "log", "-w", "start",
       "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off")
    made = iter(range(1, 1000))

    def new_database() -> str:
        name = f"ccc{next(made)}"
        pg(bindir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "ccc", name)
        return f"postgresql+psycopg://ccc@127.0.0.1:{port}/{name}"

    yield new_database
    pg(bindir / "pg_ctl", "-D", data / "db", "-m", "immediate", "stop")
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def redis_url(tmp_path):
    """Start a throwaway Redis server (no persistence) with a password, as deployed, and return its URL."""
    port, password = free_port(), secrets.token_urlsafe(16)
    conf = tmp_path / "redis.conf"
    conf.write_text(f'port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave ""\nappendonly no\n')
    server = subprocess.Popen(["redis-server", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    auth = {**os.environ, "REDISCLI_AUTH": password}
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True,
                         env=auth).stdout.strip() != "PONG":
        assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    yield f"redis://:{password}@127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)
