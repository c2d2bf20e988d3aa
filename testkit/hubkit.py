"""Real parts for tests: a hub process on a free port and Socket.IO clients that record what they get.

Imported by tests/conftest.py, by test modules that need a hub of their own (`from hubkit import Hub`), and by
bench/ (testkit/ is on pytest's pythonpath, see pytest.ini).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    """Return a TCP port no socket uses right now, on any address (a hub may listen on 0.0.0.0)."""
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        return sock.getsockname()[1]


def hub_env(db_url: str, port: int, **extra: str) -> dict[str, str]:
    """Return the environment a test hub runs with."""
    env = dict(os.environ)
    env.update({
        "CCC_HOST": "127.0.0.1", "CCC_PORT": str(port), "CCC_DATABASE_URL": db_url,
        "CCC_SECRET_KEY": "test-secret", "CCC_ADMIN_PASSWORD": "test-admin", "CCC_FLOOR_GRACE_S": "1.5",
        "CCC_PUBLIC_URL": f"http://127.0.0.1:{port}", "CCC_AUDIENCE_COUNT_INTERVAL_S": "0.3",
        "CCC_ASYNC_MODE": os.environ.get("CCC_TEST_ASYNC_MODE", "gevent"), "PYTHONUNBUFFERED": "1",
        # Tests download every format again and again from one address; test_download_limits sets 2.
        "CCC_DOWNLOADS_PER_S": "50",
    })
    env.update(extra)
    return env


class Hub:
    """A hub process on a free port with its own SQLite file; it can be stopped, killed and restarted."""

    def __init__(self, workdir: Path, template_db: Path | None, **env: str):
        self.db_path = workdir / "hub.sqlite3"
        if template_db is not None:
            shutil.copy(template_db, self.db_path)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = hub_env(f"sqlite:///{self.db_path}", self.port, **env)
        self.log_path = workdir / "hub.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Hub":
        """Start the hub and wait until /healthz answers."""
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([PYTHON, "app.py"], cwd=ROOT, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited early:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"hub did not start in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        """Stop the hub gracefully."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """Kill the hub at once (SIGKILL), as a power cut would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def flask(self, *args: str) -> str:
        """Run a `flask --app app` command against this hub's database and return its output."""
        out = subprocess.run([PYTHON, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True, timeout=60)
        if out.returncode:
            raise RuntimeError(out.stderr or out.stdout)
        return out.stdout

    def create_room(self, title: str = "Test room", pin: str | None = None, code: str | None = None,
                    save: bool = True) -> str:
        """Create a room and return its code."""
        args = ["rooms", "create", title] + (["--pin", pin] if pin else []) + (["--code", code] if code else [])
        return self.flask(*args, *([] if save else ["--no-save"])).strip().splitlines()[-1]

    def log(self) -> str:
        """Return what the hub has printed."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Client:
    """A real python-socketio client that records every event it receives."""

    def __init__(self, url: str, **kwargs: Any):
        self.url = url
        self.events: list[tuple[str, Any]] = []
        self._cond = threading.Condition()
        self.sio = socketio.Client(reconnection=kwargs.pop("reconnection", False), **kwargs)
        self.sio.on("*", self._record)
        self.participant_id: str | None = None
        self.resume_token: str | None = None

    def _record(self, event: str, data: Any = None) -> None:
        with self._cond:
            self.events.append((event, data))
            self._cond.notify_all()

    def connect(self, transports: list[str] | None = None, headers: dict[str, str] | None = None) -> "Client":
        """Connect over WebSocket (with extra handshake headers, e.g. an admin's Cookie)."""
        self.sio.connect(self.url, transports=transports or ["websocket"], headers=headers or {}, wait_timeout=10)
        return self

    def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        """Send an event and return its acknowledgement."""
        return self.sio.call(event, data, timeout=timeout)

    def join(self, room: str, role: str = "audience", name: str = "", **extra: Any) -> dict:
        """Join a room and return the ack; a rejoin resumes with the resumeToken the hub gave at the first."""
        payload = {"room": room, "role": role, "name": name, **self.identity(), **extra}
        ack = self.call("join", payload)
        if ack.get("ok"):
            self.participant_id = ack["participantId"]
            self.resume_token = ack.get("resumeToken", payload.get("resumeToken"))
        return ack

    def identity(self) -> dict[str, str]:
        """Return what resumes this client's participant elsewhere: its participantId and resumeToken."""
        if self.participant_id is None:
            return {}
        return {"participantId": self.participant_id, "resumeToken": self.resume_token}

    def of(self, name: str) -> list[Any]:
        """Return the payloads of every received event with this name, in order."""
        with self._cond:
            return [data for event, data in self.events if event == name]

    def wait_for(self, what: str | Callable[["Client"], Any], timeout: float = 30) -> Any:
        """Wait until an event with this name arrives (or the predicate is true) and return it."""
        check = (lambda c: c.of(what)[-1] if c.of(what) else None) if isinstance(what, str) else what
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                self._cond.release()
                try:
                    result = check(self)
                finally:
                    self._cond.acquire()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what!r}; got {[e for e, _ in self.events]}")
                self._cond.wait(min(remaining, 0.2))

    def close(self) -> None:
        """Disconnect."""
        if self.sio.connected:
            self.sio.disconnect()


class AdminWeb:
    """A browser-like HTTP session signed in at /admin (it sends the forms' CSRF token)."""

    def __init__(self, url: str, password: str = "test-admin"):
        self.url = url
        self.web = requests.Session()
        response = self.post("/admin/login", {"password": password})
        assert response.ok and "Sign out" in response.text, response.text[:500]

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        """Post a form as the admin page would."""
        page = self.web.get(self.url + "/admin", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.web.post(self.url + path, data={**data, "csrf_token": token}, timeout=10)

    def cookie(self) -> str:
        """Return the session cookie as a Cookie header, to open a Socket.IO connection as this admin."""
        return "; ".join(f"{c.name}={c.value}" for c in self.web.cookies)


def race_for_floor(presenters: list["Client"]) -> list[dict]:
    """Send requestSpeak from every presenter at the same instant; return their acks in order."""
    barrier = threading.Barrier(len(presenters))
    acks: list[dict] = [{}] * len(presenters)

    def ask(i: int) -> None:
        barrier.wait()
        acks[i] = presenters[i].call("requestSpeak", {})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(presenters))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acks


def wait_until(check: Callable[[], Any], describe: Callable[[], str], timeout: float = 15) -> None:
    """Wait until ``check()`` holds; on timeout fail with what ``describe()`` says (e.g. a terminal's screen)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, describe()
        time.sleep(0.1)


def assert_checks_do_not_stall_pings(watcher: Any, check: Callable[[int], Any], threads: int = 6,
                                     what: str = "checks") -> None:
    """Run ``check(i)`` over and over on ``threads`` threads while ``watcher`` pings the hub; assert that
    its median ping stays near what it was before.

    Each check is a slow secret check on the hub (scrypt, about 120 ms of CPU); run on the event loop, it
    would hold every other client's events behind it (the median ping went from 2.4 ms to 239 ms).
    """
    def ping_times(count: int, until: Callable[[], bool] = lambda: True) -> list[float]:
        times: list[float] = []
        deadline = time.monotonic() + 60
        while len(times) < count or not (until() or time.monotonic() > deadline):
            started = time.perf_counter()
            assert watcher.call("ping", {})["ok"]
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
        return times

    before = statistics.median(ping_times(20))
    stop = threading.Event()
    done = [0]

    def keep_checking(i: int) -> None:
        while not stop.is_set():
            check(i)
            done[0] += 1

    workers = [threading.Thread(target=keep_checking, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    time.sleep(0.5)
    done_before = done[0]
    during = statistics.median(ping_times(30, until=lambda: done[0] - done_before >= 8))
    checks = done[0] - done_before
    stop.set()
    for w in workers:
        w.join()
    print(f"ping median {before:.1f} ms before, {during:.1f} ms during {checks} {what}")
    assert checks >= 8
    assert during < 40 + 3 * before, (before, during)
