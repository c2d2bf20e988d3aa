"""Fan-out benchmark: one presenter, N audience clients, real sockets on loopback.

For each N, a fresh server is started (the CCC hub with a migrated SQLite file, or bench/bare_relay.py), N
audience clients join the room (``join`` with ack), a presenter joins, asks for the floor and sends 3
captions per second for ``--seconds`` (every tenth a final with a unique utteranceId; 80-200 characters).
Each caption's text starts with ``t=<send time, ms of CLOCK_MONOTONIC> k=<index>``: the hub relays text
unchanged and every process on the machine shares that clock, so each receiver computes its own delivery
latency. Printed per N: delivery latency p50/p95/p99/max, loss (expected = captions sent x N), the server's
CPU seconds and peak RSS (psutil, sampled), the presenter's ack round trips, the join time of all N clients,
and how busy the client processes were (CPU share and event-loop lag), so a saturated client is visible.

Clients are socketio.AsyncClient instances (needs aiohttp), many per process, spread over ``--procs``
worker processes (default: 1 up to 500 clients, 2 above).

    python bench/fanout.py                                   # N=100,500,1000, 20 s, gevent, CCC hub
    python bench/fanout.py --mode eventlet --target bare
    python bench/fanout.py --mode gevent,eventlet --target ccc,bare --json /tmp/fanout.json
    python bench/fanout.py --quick                           # about a minute: N=100,500 for 8 s
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from fanout_cluster import CLUSTER_TARGETS, ClusterServer, Infra, cluster_line, print_cluster_table, source_address

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RATE_HZ = 3.0          # captions per second
FINAL_EVERY = 10       # every tenth caption is a final
WORDS = ("the lecture continues with a short example of how the captions reach every phone in the room "
         "while the presenter keeps talking about fan out latency and loss under load").split()


def now_ms() -> float:
    """Milliseconds of CLOCK_MONOTONIC: one clock for every process on this machine."""
    return time.monotonic() * 1000.0


def percentile(values: list[float], p: float) -> float | None:
    """Return the p-th percentile (nearest rank) of values, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------------------------
# Worker process: many audience clients in one asyncio loop, driven by lines on stdin.
# --------------------------------------------------------------------------------------------------------


def emit_line(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def worker_main(args: argparse.Namespace) -> None:
    import psutil
    import socketio

    me = psutil.Process()
    loop = asyncio.get_running_loop()
    clients: list = []
    latencies: list[float] = []
    final_latencies: list[float] = []
    worst: dict[int, float] = {}  # caption index -> its slowest delivery
    seen: list[set[int]] = []
    state = {"received": 0, "disconnects": 0, "measuring": False}
    lags: list[float] = []

    def make_client(index: int, source: str | None):
        extra = {} if source is None else {"http_session": own_session(source)}
        sio = socketio.AsyncClient(reconnection=False, **extra)
        got: set[int] = set()
        seen.append(got)

        @sio.on("caption")
        async def on_caption(data):
            on_text(got, data.get("text", ""))

        @sio.on("disconnect")
        async def on_disconnect(*_reason):
            state["disconnects"] += 1

        return sio

    def on_text(got: set[int], text: str) -> None:
        arrived = now_ms()
        head = text.split(" ", 2)
        if len(head) < 2 or not head[0].startswith("t="):
            return
        latency = round(arrived - float(head[0][2:]), 3)
        k = int(head[1][2:])
        latencies.append(latency)
        if (k + 1) % FINAL_EVERY == 0:
            final_latencies.append(latency)
        worst[k] = max(worst.get(k, 0.0), latency)
        got.add(k)
        state["received"] += 1

    http = None
    raw_tasks: list[asyncio.Task] = []

    sessions: list = []

    def own_session(source: str):
        """An aiohttp session whose connections leave from this loopback address (for nginx's hash)."""
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, local_addr=(source, 0)))
        sessions.append(session)
        return session

    async def raw_join(join: dict, source: str | None) -> dict:
        """A minimal Socket.IO client over one aiohttp WebSocket: Engine.IO open, ping/pong, join, events."""
        import aiohttp

        nonlocal http
        if http is None:
            http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        session = http if source is None else own_session(source)
        ws_url = args.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = await session.ws_connect(ws_url, autoping=True, max_msg_size=0)
        clients.append(ws)
        got: set[int] = set()
        seen.append(got)
        if not (await ws.receive_str(timeout=30)).startswith("0"):
            raise RuntimeError("no Engine.IO open packet")
        await ws.send_str("40")
        while not (await ws.receive_str(timeout=30)).startswith("40"):
            pass
        acked: asyncio.Future = loop.create_future()
        await ws.send_str("420" + json.dumps(["join", join]))

        async def reader() -> None:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data = msg.data
                if data.startswith('42["caption"'):
                    on_text(got, json.loads(data[2:])[1].get("text", ""))
                elif data == "2":
                    await ws.send_str("3")
                elif data.startswith("430") and not acked.done():
                    acked.set_result(json.loads(data[3:])[0])
            state["disconnects"] += 1

        raw_tasks.append(asyncio.create_task(reader()))
        return await asyncio.wait_for(acked, 60)

    async def join_one(index: int, sem: asyncio.Semaphore, out: list) -> None:
        async with sem:
            started = now_ms()
            join = {"room": args.room, "role": "audience", "name": ""}  # the hub issues the id
            source = None if args.spread_from is None else source_address(args.spread_from + index)
            try:
                if args.client == "raw":
                    ack = await raw_join(join, source)
                else:
                    sio = make_client(index, source)
                    clients.append(sio)
                    await sio.connect(args.url, transports=["websocket"], wait_timeout=30)
                    ack = await sio.call("join", join, timeout=60)
                ok = bool(ack and ack.get("ok"))
            except Exception as exc:  # noqa: BLE001 - any failure counts as a failed join
                ok = False
                if args.verbose:
                    print(f"join failed: {exc!r}", file=sys.stderr)
            out.append((ok, now_ms() - started))

    async def lag_probe() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.02)
            if state["measuring"]:
                lags.append((time.monotonic() - before - 0.02) * 1000.0)

    async def read_command() -> str:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        return line.strip() or "eof"

    probe = asyncio.create_task(lag_probe())
    emit_line({"loaded": True})
    cpu0 = wall0 = None
    while True:
        cmd = await read_command()
        if cmd == "join":
            sem = asyncio.Semaphore(args.concurrency)
            results: list = []
            t0 = now_ms()
            await asyncio.gather(*(join_one(i, sem, results) for i in range(args.count)))
            emit_line({"joined": sum(ok for ok, _ in results), "failed": sum(not ok for ok, _ in results),
                       "start": t0, "end": now_ms(), "join_ms": [round(ms, 2) for ok, ms in results if ok]})
        elif cmd == "start":
            cpu = me.cpu_times()
            cpu0, wall0 = cpu.user + cpu.system, time.monotonic()
            state["measuring"] = True
            latencies.clear()
            final_latencies.clear()
            worst.clear()
            for got in seen:
                got.clear()
            state["received"] = 0
            emit_line({"started": True})
        elif cmd in ("stop", "eof"):
            state["measuring"] = False
            cpu = me.cpu_times()
            wall = time.monotonic() - (wall0 or time.monotonic())
            cpu_s = cpu.user + cpu.system - (cpu0 or 0.0)
            if cmd == "stop":
                emit_line({"lat": latencies, "lat_final": final_latencies, "worst": worst, "unique": sum(len(g) for g in seen), "received": state["received"],
                           "disconnects": state["disconnects"], "cpu_s": round(cpu_s, 3), "wall_s": round(wall, 3),
                           "lag_p99": percentile(lags, 99), "lag_max": max(lags) if lags else None,
                           "rss_mb": round(me.memory_info().rss / 2**20, 1)})
            break
    probe.cancel()
    if args.client == "raw":
        await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
        for task in raw_tasks:
            task.cancel()
        if http is not None:
            await http.close()
    else:
        await asyncio.gather(*(c.disconnect() for c in clients if c.connected), return_exceptions=True)
    await asyncio.gather(*(session.close() for session in sessions), return_exceptions=True)


# --------------------------------------------------------------------------------------------------------
# Orchestrator: servers, workers, the presenter and the measurements.
# --------------------------------------------------------------------------------------------------------


class Server:
    """The system under test in a subprocess on a free loopback port: the CCC hub or the bare relay."""

    def __init__(self, target: str, mode: str, workdir: Path, template_db: Path | None,
                 hub_script: str | None = None):
        self.target, self.mode, self.workdir, self.hub_script = target, mode, workdir, hub_script
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{target}-{mode}-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        self.env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.room = "BENCH"
        self.script = VARIANTS.get(target, {}).get("script") or hub_script
        self.is_hub = target == "ccc" or target in VARIANTS
        self.env.update(VARIANTS.get(target, {}).get("env", {}))
        if self.is_hub:
            db_path = workdir / f"hub-{self.port}.sqlite3"
            shutil.copy(template_db, db_path)
            self.env.update(hub_env(f"sqlite:///{db_path}", self.port, mode))

    def start(self, timeout: float = 30.0) -> "Server":
        if self.is_hub:
            out = subprocess.run([PYTHON, "-m", "flask", "--app", "app", "rooms", "create", "Fan-out bench"],
                                 cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60, check=True)
            self.room = out.stdout.strip().splitlines()[-1]
            cmd = [PYTHON, self.script or "app.py"]
        elif self.target == "node":
            cmd = [node_relay(), str(NODE_RELAY / "server.js"), "--port", str(self.port)]
        else:
            cmd = [PYTHON, str(ROOT / "bench" / "bare_relay.py"), "--port", str(self.port), "--mode", self.mode]
            if self.target == "bare-nodelay":  # experiment: the bare relay with Nagle's algorithm off
                cmd.append("--nodelay")
        log = open(self.log_path, "a")
        # Every server alike on the server's core (all its threads: set before exec, so they inherit it).
        pin = (lambda: os.sched_setaffinity(0, SERVER_CPUS)) if SERVER_CPUS else None
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=log, preexec_fn=pin)
        self.pids = [self.proc.pid]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.target} server exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.target} server did not start in {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


NODE_RELAY = ROOT / "bench" / "node_relay"
INFRA: Infra | None = None  # deploy/cluster.py's services, when a target needs them
SERVER_CPUS: set[int] = set()
# --variant NAME=SCRIPT [--variant-env NAME=KEY=VALUE]: another hub (say, an older commit's app.py) as a target.
VARIANTS: dict[str, dict] = {}  # set by --pin: the server's core; the orchestrator and clients get the rest


def node_relay() -> str:
    """Return the node binary, installing bench/node_relay's pinned socket.io (npm ci) on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise RuntimeError("--target node needs node and npm on PATH")
    if not (NODE_RELAY / "node_modules" / "socket.io").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_RELAY, check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
    return node


def pin_cpus(enabled: bool) -> str:
    """Put the server on the first core and this process (the presenter, and the client workers it starts) on
    the others, so the server never competes with its own clients; return a line saying what was done."""
    cpus = sorted(os.sched_getaffinity(0))
    if not enabled or len(cpus) < 2:
        return "not pinned"
    SERVER_CPUS.clear()
    SERVER_CPUS.add(cpus[0])
    os.sched_setaffinity(0, set(cpus[1:]))
    return f"server on CPU {cpus[0]}, clients and presenter on CPU {','.join(map(str, cpus[1:]))}"


def hub_env(db_url: str, port: int, mode: str) -> dict[str, str]:
    """The environment of a bench hub: loopback, its own SQLite file, default timers and limits."""
    return {"CCC_HOST": "127.0.0.1", "CCC_PORT": str(port), "CCC_DATABASE_URL": db_url,
            "CCC_SECRET_KEY": "bench-secret", "CCC_ADMIN_PASSWORD": "bench-admin",
            "CCC_PUBLIC_URL": f"http://127.0.0.1:{port}", "CCC_ASYNC_MODE": mode}


def migrate_template(workdir: Path) -> Path:
    """Migrate one SQLite file to head; each hub run gets a copy."""
    path = workdir / "template.sqlite3"
    env = dict(os.environ, **hub_env(f"sqlite:///{path}", 0, "gevent"))
    subprocess.run([PYTHON, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    with sqlite3.connect(path) as conn:  # fold the WAL into the file, so a plain copy has everything
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


class Worker:
    """A client worker subprocess, spoken to by lines of JSON."""

    def __init__(self, url: str, room: str, count: int, concurrency: int, verbose: bool, client: str,
                 spread_from: int | None = None):
        self.count = count
        self.proc: asyncio.subprocess.Process | None = None
        if client == "node":  # bench/node_relay/clients.js: the same worker protocol, in Node
            self.cmd = [node_relay(), str(NODE_RELAY / "clients.js"), "--url", url, "--room", room,
                        "--count", str(count), "--concurrency", str(concurrency)]
        else:
            self.cmd = [PYTHON, str(Path(__file__).resolve()), "--worker", "--url", url, "--room", room,
                        "--count", str(count), "--concurrency", str(concurrency), "--client", client] + (
                            ["--verbose"] if verbose else [])
        if spread_from is not None:  # each client from its own loopback address, from this index on
            self.cmd += ["--spread-from", str(spread_from)]

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26)
        await self.expect("loaded", 30)

    async def send(self, cmd: str) -> None:
        self.proc.stdin.write((cmd + "\n").encode())
        await self.proc.stdin.drain()

    async def expect(self, key: str, timeout: float) -> dict:
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            if not line:
                raise RuntimeError(f"worker exited before sending {key!r}")
            msg = json.loads(line)
            if key in msg:
                return msg

    async def close(self) -> None:
        if self.proc and self.proc.returncode is None:
            try:
                self.proc.stdin.close()
                await asyncio.wait_for(self.proc.wait(), 20)
            except (asyncio.TimeoutError, BrokenPipeError, ConnectionResetError):
                self.proc.kill()
                await self.proc.wait()


def caption_text(send_ms: float, k: int, rng: random.Random) -> str:
    """Return 80-200 characters starting with the send time and the caption's index."""
    target = rng.randint(80, 200)
    text = f"t={send_ms:.3f} k={k}"
    while len(text) < target:
        text += " " + rng.choice(WORDS)
    return text[:target]


def start_profile(args: argparse.Namespace, server: "Server", name: str) -> subprocess.Popen | None:
    """With --profile DIR, sample the server with py-spy (collapsed stacks) until stop_profile()."""
    if not args.profile:
        return None
    Path(args.profile).mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    return subprocess.Popen([spy, "record", "--pid", str(server.proc.pid), "--format", "raw", "--rate", "200", "--nonblocking",
                             "--output", str(Path(args.profile) / f"{name}.txt")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profile(spy: subprocess.Popen | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(20)
        except subprocess.TimeoutExpired:
            spy.kill()


def system_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores)."""
    import psutil

    cpu = psutil.cpu_times()
    return sum(cpu) - cpu.idle - getattr(cpu, "iowait", 0.0)


def own_cpu_s() -> float:
    """CPU seconds of this orchestrator process (the presenter lives here)."""
    import psutil

    cpu = psutil.Process().cpu_times()
    return cpu.user + cpu.system


class Sampler:
    """Samples the server processes' RSS and CPU every 0.2 s (summed over them, for a cluster's hubs); reports
    peak RSS and the busiest one-second CPU share."""

    def __init__(self, pids: list[int]):
        import psutil

        self.procs = [psutil.Process(pid) for pid in pids]
        self.peak_rss = 0
        self.samples: list[tuple[float, float]] = []
        self.task: asyncio.Task | None = None

    def cpu_each_s(self) -> list[float]:
        return [cpu.user + cpu.system for cpu in (p.cpu_times() for p in self.procs)]

    def cpu_s(self) -> float:
        return sum(self.cpu_each_s())

    def rss(self) -> int:
        return sum(p.memory_info().rss for p in self.procs)

    async def run(self) -> None:
        while True:
            try:
                self.peak_rss = max(self.peak_rss, self.rss())
                self.samples.append((time.monotonic(), self.cpu_s()))
            except Exception:  # noqa: BLE001 - the process is gone
                return
            await asyncio.sleep(0.2)

    def busiest_second(self, since: float, until: float) -> float | None:
        window = [s for s in self.samples if since <= s[0] <= until]
        best = None
        for i, (t0, c0) in enumerate(window):
            for t1, c1 in window[i + 1:]:
                if t1 - t0 >= 1.0:
                    share = (c1 - c0) / (t1 - t0)
                    best = share if best is None else max(best, share)
                    break
        return best


async def run_presenter(url: str, room: str, seconds: float, seed: int, started: asyncio.Event,
                        ready: asyncio.Event, result: dict) -> None:
    """Join as a presenter, take the floor, send 3 captions a second; record acks and what was sent."""
    import socketio

    rng = random.Random(seed)
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(url, transports=["websocket"], wait_timeout=30)
    ack = await sio.call("join", {"room": room, "role": "presenter", "name": "Bench presenter"}, timeout=60)
    if not ack.get("ok"):
        raise RuntimeError(f"presenter join refused: {ack}")
    ack = await sio.call("requestSpeak", {}, timeout=30)
    if not (ack.get("ok") and ack.get("granted")):
        raise RuntimeError(f"floor not granted: {ack}")
    # One partial and one final before the measured ones: a server's first caption pays for code that runs for
    # the first time (SQLAlchemy compiling each statement once, Node's JIT), once per process, not per lecture.
    # Their text has no "t=" stamp, so the phones receive them but do not count them.
    for is_final in (False, True):
        ack = await sio.call("caption", {"utteranceId": f"{seed}-warm-up", "text": "Warming up.",
                                         "isFinal": is_final}, timeout=30)
        if not ack.get("ok"):
            raise RuntimeError(f"warm-up caption refused: {ack}")
    ready.set()
    await started.wait()
    partial_rtt: list[float] = []
    final_rtt: list[float] = []
    seqs: list[int] = []
    errors: list = []
    pending: set[asyncio.Task] = set()

    async def send(k: int, t_sched: float) -> None:
        is_final = (k + 1) % FINAL_EVERY == 0
        # Partials of one utterance share an id; each final has its own, never seen before.
        utterance = f"{seed}-{k // FINAL_EVERY}" + ("f" if is_final else "")
        sent = now_ms()
        payload = {"utteranceId": utterance, "text": caption_text(sent, k, rng), "isFinal": is_final}
        try:
            ack = await sio.call("caption", payload, timeout=30)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
            return
        rtt = now_ms() - sent
        if not ack or not ack.get("ok"):
            errors.append(ack)
        elif is_final:
            final_rtt.append(rtt)
            seqs.append(ack.get("seq"))
        else:
            partial_rtt.append(rtt)

    t0 = time.monotonic()
    k = 0
    while True:
        t_sched = t0 + k / RATE_HZ
        if t_sched - t0 >= seconds:
            break
        delay = t_sched - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(send(k, t_sched))
        pending.add(task)
        task.add_done_callback(pending.discard)
        k += 1
    if pending:
        await asyncio.wait(pending, timeout=30)
    result.update(sent=k, finals=len(seqs), seqs_ok=seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
                  partial_rtt=partial_rtt, final_rtt=final_rtt, errors=errors[:5], error_count=len(errors),
                  send_wall=time.monotonic() - t0)
    await sio.disconnect()


async def run_one(target: str, mode: str, n: int, args: argparse.Namespace, workdir: Path,
                  template_db: Path | None) -> dict:
    procs = args.procs or (1 if n <= 500 else 2)
    infra = INFRA if target in CLUSTER_TARGETS else None
    if infra:  # hub processes on deploy/cluster.py's PostgreSQL (and Redis, nginx): see fanout_cluster.py
        server = ClusterServer(infra, target, mode, SERVER_CPUS or None).start()
    else:
        server = Server(target, mode, workdir, template_db, args.hub_script).start()
    counts = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    # Phones from many addresses: nginx's hash spreads them, and per-address limits see phones, not one host.
    spread = infra is not None or args.spread
    workers = [Worker(server.url, server.room, count, args.concurrency, args.verbose, args.client,
                      sum(counts[:i]) if spread else None) for i, count in enumerate(counts)]
    sampler = Sampler(server.pids)
    sampler.task = asyncio.create_task(sampler.run())
    out: dict = {"target": target, "mode": mode, "n": n, "procs": procs, "seconds": args.seconds,
                 "client": args.client, "hubs": len(server.pids)}
    try:
        await asyncio.gather(*(w.start() for w in workers))
        rss_idle = sampler.rss()
        cpu_j0 = sampler.cpu_s()
        spy = start_profile(args, server, f"{target}-{mode}-{n}-join")
        for w in workers:
            await w.send("join")
        joins = await asyncio.gather(*(w.expect("joined", 180) for w in workers))
        stop_profile(spy)
        out["join_cpu_s"] = sampler.cpu_s() - cpu_j0
        out["joined"] = sum(j["joined"] for j in joins)
        out["join_failed"] = sum(j["failed"] for j in joins)
        out["join_wall_s"] = (max(j["end"] for j in joins) - min(j["start"] for j in joins)) / 1000.0
        join_ms = [ms for j in joins for ms in j["join_ms"]]
        out["join_p50_ms"], out["join_p99_ms"] = percentile(join_ms, 50), percentile(join_ms, 99)

        started, ready, pres = asyncio.Event(), asyncio.Event(), {}
        presenter_url = getattr(server, "presenter_url", server.url)  # pg-redis-across: another process
        presenter = asyncio.create_task(run_presenter(presenter_url, server.room, args.seconds, n * 7 + len(mode),
                                                      started, ready, pres))
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(1.5)  # let the join storm's coalesced audienceCount settle
        for w in workers:
            await w.send("start")
        await asyncio.gather(*(w.expect("started", 30) for w in workers))
        if infra:
            out["hub_connections"] = server.spread()
            before = infra.snapshot()
        each0 = sampler.cpu_each_s()
        cpu0, t0 = sum(each0), time.monotonic()
        busy0, mine0 = system_busy_s(), own_cpu_s()
        spy = start_profile(args, server, f"{target}-{mode}-{n}-captions")
        started.set()
        await asyncio.wait_for(presenter, args.seconds + 60)
        stop_profile(spy)
        await asyncio.sleep(args.drain)
        t1 = time.monotonic()
        each1 = sampler.cpu_each_s()
        out["hub_cpu_s"] = sum(each1) - cpu0
        out["hub_cpu_each_s"] = [round(b - a, 3) for a, b in zip(each0, each1)]
        busy, mine = system_busy_s() - busy0, own_cpu_s() - mine0
        if infra:  # nginx, Redis and PostgreSQL work for the run too: theirs is not "other load"
            out.update(await infra.costs_since(before))
            mine += sum(out["infra_cpu_s"].values())
        out["hub_cpu_share"] = out["hub_cpu_s"] / (t1 - t0)
        out["hub_cpu_peak_1s"] = sampler.busiest_second(t0, t1)
        for w in workers:
            await w.send("stop")
        stops = await asyncio.gather(*(w.expect("lat", 60) for w in workers))
        out["hub_rss_idle_mb"] = rss_idle / 2**20
        out["hub_rss_peak_mb"] = sampler.peak_rss / 2**20
        lat = [x for s in stops for x in s["lat"]]
        lat_final = [x for s in stops for x in s.get("lat_final", [])]
        worst: dict[int, float] = {}
        for s in stops:
            for k, ms in s.get("worst", {}).items():
                worst[int(k)] = max(worst.get(int(k), 0.0), ms)
        # The captions whose slowest delivery was slowest: is the tail on finals (stored) or on everything?
        slowest = [{"k": k, "final": (k + 1) % FINAL_EVERY == 0, "ms": ms}
                   for k, ms in sorted(worst.items(), key=lambda kv: -kv[1])[:8]]
        expected = pres["sent"] * out["joined"]
        unique = sum(s["unique"] for s in stops)
        out.update(sent=pres["sent"], finals=pres["finals"], seqs_ok=pres["seqs_ok"],
                   presenter_errors=pres["error_count"], presenter_error_sample=pres["errors"],
                   expected=expected, delivered=unique, duplicates=sum(s["received"] for s in stops) - unique,
                   loss=expected - unique, loss_pct=100.0 * (expected - unique) / expected if expected else None,
                   p50=percentile(lat, 50), p95=percentile(lat, 95), p99=percentile(lat, 99),
                   max=max(lat) if lat else None, mean=statistics.fmean(lat) if lat else None,
                   final_p50=percentile(lat_final, 50), final_p99=percentile(lat_final, 99),
                   slowest_captions=slowest,
                   partial_ack_p50=percentile(pres["partial_rtt"], 50),
                   partial_ack_p99=percentile(pres["partial_rtt"], 99),
                   final_ack_p50=percentile(pres["final_rtt"], 50), final_ack_p99=percentile(pres["final_rtt"], 99),
                   client_disconnects=sum(s["disconnects"] for s in stops),
                   # CPU used on this machine by processes other than the server, the workers and this one
                   # (other people's tests, say), in cores: the benchmark's results are only as clean as this.
                   other_load_cores=max(0.0, busy - mine - out["hub_cpu_s"] - sum(s["cpu_s"] for s in stops))
                   / (t1 - t0),
                   client_cpu_share=[round(s["cpu_s"] / s["wall_s"], 2) if s["wall_s"] else None for s in stops],
                   client_lag_p99_ms=[s["lag_p99"] and round(s["lag_p99"], 1) for s in stops],
                   client_lag_max_ms=[s["lag_max"] and round(s["lag_max"], 1) for s in stops])
    finally:
        sampler.task.cancel()
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        server.stop()
    return out


def fmt(value, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_run(r: dict) -> None:
    print(f"  {r['target']:4} {r['mode']:8} {r['client']} N={r['n']:<5} latency p50/p95/p99/max {fmt(r['p50'])}/"
          f"{fmt(r['p95'])}/{fmt(r['p99'])}/{fmt(r['max'])} ms (finals p50/p99 {fmt(r.get('final_p50'))}/"
          f"{fmt(r.get('final_p99'))}) | loss {r['loss']}/{r['expected']} | "
          f"server CPU {r['hub_cpu_s']:.2f} s ({100 * r['hub_cpu_share']:.0f}%, peak 1 s "
          f"{fmt(100 * r['hub_cpu_peak_1s'] if r['hub_cpu_peak_1s'] else None, '.0f')}%) | RSS peak "
          f"{r['hub_rss_peak_mb']:.0f} MB | join {r['joined']}/{r['n']} in {r['join_wall_s']:.2f} s | "
          f"acks partial p99 {fmt(r['partial_ack_p99'])} final p99 {fmt(r['final_ack_p99'])} ms | clients "
          f"x{r['procs']} CPU {r['client_cpu_share']} lag p99 {r['client_lag_p99_ms']} ms | other load "
          f"{r['other_load_cores']:.2f} cores", flush=True)
    if r["presenter_errors"] or r["client_disconnects"] or r["join_failed"] or not r["seqs_ok"]:
        print(f"    !! presenter errors {r['presenter_errors']} {r['presenter_error_sample']} | client "
              f"disconnects {r['client_disconnects']} | join failures {r['join_failed']} | seqs ok {r['seqs_ok']}",
              flush=True)
    if "infra_cpu_s" in r:
        print(f"    {cluster_line(r)}", flush=True)


def print_table(results: list[dict]) -> None:
    print("\n| target | mode | N | p50 ms | p95 ms | p99 ms | max ms | loss | server CPU s (share) | peak RSS MB |"
          " join N s | final ack p99 ms | client CPU | client lag p99 ms | other load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['target']} | {r['mode']} | {r['n']} | {fmt(r['p50'])} | {fmt(r['p95'])} | {fmt(r['p99'])} | "
              f"{fmt(r['max'])} | {r['loss']}/{r['expected']} | {r['hub_cpu_s']:.1f} ({100 * r['hub_cpu_share']:.0f}%)"
              f" | {r['hub_rss_peak_mb']:.0f} | {r['join_wall_s']:.2f} | {fmt(r['final_ack_p99'])} | "
              f"{'/'.join(str(c) for c in r['client_cpu_share'])} | "
              f"{'/'.join(fmt(x) for x in r['client_lag_p99_ms'])} | {r['other_load_cores']:.2f} |")
    print_cluster_table(results)


def print_ratios(results: list[dict], quiet_below: float | None = None) -> None:
    """Print medians over the rounds and each target's p50/p99 as a multiple of the Node relay's."""
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        if quiet_below is None or r["other_load_cores"] < quiet_below:
            groups.setdefault((r["mode"], r["n"], r["target"]), []).append(r)
    if not groups:
        return
    which = "all runs" if quiet_below is None else f"only runs with other load under {quiet_below} cores"
    print(f"\nMedians over the rounds ({which}); ratios are each target's median over the Node relay's "
          "(same mode and N):")
    print("\n| mode | N | target | runs | p50 ms | p95 ms | p99 ms | server CPU s | other load | "
          "p50 / node | p99 / node |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def med(rs: list[dict], key: str) -> float | None:
        values = [r[key] for r in rs if r.get(key) is not None]
        return statistics.median(values) if values else None

    for (mode, n, target), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] == "node")):
        node = groups.get((mode, n, "node"))  # the Node relay ignores the mode; it runs beside each one
        ratio = {}
        for key in ("p50", "p99"):
            mine, theirs = med(rs, key), med(node, key) if node else None
            ratio[key] = mine / theirs if mine is not None and theirs else None
        print(f"| {mode} | {n} | {target} | {len(rs)} | {fmt(med(rs, 'p50'))} | {fmt(med(rs, 'p95'))} | "
              f"{fmt(med(rs, 'p99'))} | {fmt(med(rs, 'hub_cpu_s'), '.2f')} | {fmt(med(rs, 'other_load_cores'), '.2f')} | "
              f"{fmt(ratio['p50'], '.2f')} | {fmt(ratio['p99'], '.2f')} |")


def print_verdict(results: list[dict], p50_max: float = 2.5, p99_max: float = 3.0) -> bool:
    """Print issue #22's check per N: the hub's p50 and p99 over the Node relay's in the same rounds, and no loss.

    Ratios divide medians over the rounds; each round's own ratios are listed, so one noisy run shows.
    Return True when every N passes.
    """
    ok_all = True
    for mode in sorted({r["mode"] for r in results}):
        for n in sorted({r["n"] for r in results}):
            hub = [r for r in results if r["target"] == "ccc" and r["mode"] == mode and r["n"] == n]
            node = [r for r in results if r["target"] == "node" and r["mode"] == mode and r["n"] == n]
            if not hub or not node:
                continue
            med = {key: (statistics.median(r[key] for r in hub), statistics.median(r[key] for r in node))
                   for key in ("p50", "p99")}
            ratio = {key: a / b for key, (a, b) in med.items()}
            per_round = [(h["p50"] / o["p50"], h["p99"] / o["p99"]) for h, o in zip(
                sorted(hub, key=lambda r: r["round"]), sorted(node, key=lambda r: r["round"]))]
            lost = sum(r["loss"] for r in hub + node)
            dropped = sum(r["client_disconnects"] + r["join_failed"] for r in hub + node)
            ok = ratio["p50"] <= p50_max and ratio["p99"] <= p99_max and lost == 0 and dropped == 0
            ok_all &= ok
            print(f"\n{'PASS' if ok else 'FAIL'} {mode} N={n}, {len(hub)} rounds: hub p50/p99 {med['p50'][0]:.1f}/"
                  f"{med['p99'][0]:.1f} ms, Node relay {med['p50'][1]:.1f}/{med['p99'][1]:.1f} ms: p50 "
                  f"{ratio['p50']:.2f}x (target <= {p50_max}x), p99 {ratio['p99']:.2f}x (target <= {p99_max}x); "
                  f"per round " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in per_round) +
                  f"; lost {lost}, disconnected or refused {dropped}; hub CPU "
                  f"{statistics.median(r['hub_cpu_s'] for r in hub):.2f} s, Node "
                  f"{statistics.median(r['hub_cpu_s'] for r in node):.2f} s; other load "
                  f"{max(r['other_load_cores'] for r in hub + node):.2f} cores at most", flush=True)
    return ok_all


async def orchestrate(args: argparse.Namespace) -> int:
    modes = args.mode.split(",")
    targets = args.target.split(",")
    ns = [int(x) for x in args.n.split(",")]
    deadline = time.monotonic() + args.max_minutes * 60
    results: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="ccc-fanout-"))
    try:
        template = migrate_template(workdir) if any(t == "ccc" or t in VARIANTS for t in targets) else None
        if any(t in CLUSTER_TARGETS for t in targets):  # started before pinning: its services use every core
            global INFRA
            INFRA = Infra(hubs=max(CLUSTER_TARGETS[t][0] for t in targets if t in CLUSTER_TARGETS)).start()
            print(f"cluster services (deploy/cluster.py): PostgreSQL, Redis, nginx on {INFRA.cluster.url}; state in "
                  f"{INFRA.state}", flush=True)
        pinned = pin_cpus(not args.no_pin)
        print(f"fan-out bench: N={ns} seconds={args.seconds} modes={modes} targets={targets} rounds={args.rounds} "
              f"rate={RATE_HZ}/s final every {FINAL_EVERY}; {pinned}; logs in {workdir}", flush=True)
        # Targets alternate within each round, so each comparison is between runs minutes apart at most.
        plan = [(rnd, mode, n, target) for rnd in range(1, args.rounds + 1) for mode in modes for n in ns
                for target in targets]
        for rnd, mode, n, target in plan:
            if time.monotonic() > deadline:
                print(f"  stopping: --max-minutes {args.max_minutes} reached", flush=True)
                break
            try:
                r = await asyncio.wait_for(run_one(target, mode, n, args, workdir, template), args.seconds + 400)
            except Exception as exc:  # noqa: BLE001 - report and go on with the next run
                print(f"  {target} {mode} N={n}: FAILED {exc!r}", flush=True)
                continue
            r["round"] = rnd
            results.append(r)
            print_run(r)
        print_table(results)
        print_ratios(results)
        if args.pinned:
            print_verdict(results)
        if args.quiet_below and any(r["other_load_cores"] >= args.quiet_below for r in results):
            print_ratios(results, args.quiet_below)  # the tails are only as clean as the machine
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
            print(f"\nresults written to {args.json}")
    finally:
        if INFRA is not None:
            INFRA.stop(keep=args.keep_logs)
        if not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if results else 1


def main() -> int:
    parser = argparse.ArgumentParser(description="CCC fan-out latency benchmark (loopback only).")
    parser.add_argument("--n", default="100,500,1000", help="audience sizes, comma separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="sending time per size")
    parser.add_argument("--mode", default="gevent", help="gevent, eventlet, or both comma separated")
    parser.add_argument("--target", default="ccc", help="ccc (the hub), bare (bench/bare_relay.py), bare-nodelay (the same with "
                        "TCP_NODELAY), node (bench/node_relay: socket.io on Node, the yardstick), and on "
                        "deploy/cluster.py's PostgreSQL: pg, pg-redis (with CCC_MESSAGE_QUEUE), nginx1 (one hub behind "
                        "nginx), cluster (2 hubs behind nginx; needs --no-pin); comma separated")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every (mode, N, target) this many times, "
                        "interleaved; the summary gives medians and ratios to the node target")
    parser.add_argument("--quiet-below", type=float, default=0.3, metavar="CORES",
                        help="also print the medians and ratios of only the runs whose other load stayed under "
                        "this many cores (0 to skip)")
    parser.add_argument("--pinned", action="store_true", help="issue #22's yardstick: the hub and the Node relay, "
                        "each pinned to one core with 500 raw-WebSocket phones (own addresses) on the other, 20 s, 3 "
                        "interleaved rounds (--n, --seconds, --rounds still apply); prints both ratios, loss and PASS/FAIL")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server to one core and the clients to "
                        "the other (pinning needs 2 or more cores)")
    parser.add_argument("--procs", type=int, default=0, help="client processes (default 1 up to N=500, else 2)")
    parser.add_argument("--client", choices=("sio", "raw", "node"), default="sio",
                        help="audience clients: socketio.AsyncClient (sio), or a minimal Engine.IO/Socket.IO "
                             "speaker over aiohttp WebSockets (raw, several times cheaper, to show client cost), "
                             "or the same speaker in Node (node: bench/node_relay/clients.js, cheaper again, so "
                             "the latency is more the server's)")
    parser.add_argument("--spread", action="store_true", help="each phone connects from its own loopback address "
                        "(127.100.x.y), as a classroom's phones do; the hub's per-address limits then see phones")
    parser.add_argument("--concurrency", type=int, default=50, help="joins in flight per client process")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds to wait for late deliveries")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=100,500 for 8 s (about a minute)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="stop starting new runs after this")
    parser.add_argument("--profile", metavar="DIR", help="record py-spy profiles of the server (join and "
                        "caption phases) as collapsed stacks in DIR (needs py-spy and ptrace rights)")
    parser.add_argument("--hub-script", metavar="PATH", help="experiments: start this script instead of app.py "
                        "for --target ccc (same environment, run from the repo root)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=SCRIPT",
                        help="experiments: a hub target NAME started from SCRIPT (e.g. an older commit's app.py, "
                        "exported with git archive), to compare with ccc in the same rounds")
    parser.add_argument("--variant-env", action="append", default=[], metavar="NAME=KEY=VALUE",
                        help="an environment variable for variant NAME only")
    parser.add_argument("--keep-logs", action="store_true", help="keep the server logs and databases")
    parser.add_argument("--verbose", action="store_true")
    # Internal: the client worker subprocess.
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--room", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--spread-from", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        if not args.url.startswith("http://127.0.0.1:"):
            sys.exit("fanout workers connect to loopback only")
        asyncio.run(worker_main(args))
        return 0
    if args.quick:
        args.n, args.seconds = "100,500", 8.0
    if args.pinned:  # issue #22's harness: the hub and the Node relay alike, same rounds, same phones
        if args.no_pin:
            sys.exit("--pinned and --no-pin contradict each other")
        variants = [spec.split("=", 1)[0] for spec in args.variant]  # e.g. the hub before a change, alongside
        args.target, args.client, args.spread = ",".join(["ccc", *variants, "node"]), "raw", True
        args.n = args.n if args.n != parser.get_default("n") else "500"
        args.seconds = args.seconds if args.seconds != parser.get_default("seconds") else 20.0
        args.rounds = args.rounds if args.rounds != parser.get_default("rounds") else 3
    if "cluster" in args.target.split(",") and not args.no_pin:
        sys.exit("--target cluster needs --no-pin: pinned, both hub processes would share the server's one core")
    for spec in args.variant:
        name, script = spec.split("=", 1)
        VARIANTS.setdefault(name, {"env": {}})["script"] = str(Path(script).resolve())
    for spec in args.variant_env:
        name, key, value = spec.split("=", 2)
        VARIANTS.setdefault(name, {"env": {}})["env"][key] = value
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        sys.exit("bench/fanout.py needs aiohttp for socketio.AsyncClient: pip install aiohttp")
    return asyncio.run(orchestrate(args))


if __name__ == "__main__":
    sys.exit(main())
