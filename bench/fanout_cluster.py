"""bench/fanout.py's targets on a deploy/cluster.py cluster: PostgreSQL, Redis, nginx and hub processes.

One cluster serves the whole invocation (PostgreSQL, Redis and nginx start once, ~10 s); each run stops the
hubs of the last one and starts its own, on the same ports, so every run begins with fresh processes and a
new room. The targets differ in one thing at a time:

    pg        one hub process on PostgreSQL, no message queue; the phones connect to its port
    pg-redis  the same with CCC_MESSAGE_QUEUE (Redis): every emit is also published to Redis (a process
              sends to its own phones first, then publishes; its own copy back from Redis it ignores)
    pg-redis-across  two hub processes with Redis, the presenter on the first, every phone on the second:
              each caption reaches the phones only through Redis (the hop's latency: this minus pg-redis)
    nginx1    one hub process with Redis, behind nginx (the other process is down; nginx skips it)
    cluster   two hub processes with Redis, behind nginx; the phones spread over them by source address

nginx is sticky by client address (`hash $remote_addr consistent`), so phones that all come from 127.0.0.1
would all land on one process. For the targets behind nginx each phone binds its own loopback source
address (Linux routes the whole 127/8 to `lo`), and nginx's hash spreads them as it would spread a
classroom's Wi-Fi addresses; the bench counts the connections each hub process holds and prints the split.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("ccc_deploy_cluster", ROOT / "deploy" / "cluster.py")
deploy_cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy_cluster)

# target: (hub processes, message queue, through nginx)
CLUSTER_TARGETS = {"pg": (1, False, False), "pg-redis": (1, True, False), "pg-redis-across": (2, True, False),
                   "nginx1": (1, True, True), "cluster": (2, True, True)}


def source_address(index: int) -> str:
    """Return the loopback address phone ``index`` connects from: 127.100.0.1, 127.100.0.2, ..."""
    return f"127.{100 + index // 65025}.{(index // 255) % 255}.{index % 255 + 1}"


@contextlib.contextmanager
def affinity(cpus: set[int] | None):
    """Run the body with this thread on ``cpus`` (the processes it starts inherit them), then restore."""
    before = os.sched_getaffinity(0)
    if cpus:
        os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


class Infra:
    """A deploy/cluster.py Cluster for the whole bench: PostgreSQL, Redis, nginx; hub processes per run."""

    def __init__(self, hubs: int = 2):
        # Not under the bench's 0700 workdir: PostgreSQL runs as its own user and must reach its folder.
        self.state = Path(tempfile.mkdtemp(prefix="ccc-fanout-cluster-"))
        self.cluster = deploy_cluster.Cluster(self.state, port=deploy_cluster.free_port(), hubs=hubs)

    def start(self) -> "Infra":
        self.cluster.start()
        return self

    def stop(self, keep: bool = False) -> None:
        self.cluster.stop()
        if not keep:
            import shutil

            shutil.rmtree(self.state, ignore_errors=True)

    def pids(self) -> dict[str, list[int]]:
        """Return the pids of nginx, Redis and PostgreSQL (each with its worker processes)."""
        import psutil

        out = {}
        for name, pidfile in (("nginx", "nginx.pid"), ("redis", "redis.pid"),
                              ("postgres", "postgres/db/postmaster.pid")):
            try:
                pid = int((self.state / pidfile).read_text().split()[0])
                out[name] = [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]
            except (OSError, ValueError, IndexError, psutil.Error):
                out[name] = []
        return out

    def cpu_s(self) -> dict[str, float]:
        """Return the CPU seconds nginx, Redis and PostgreSQL have used so far (processes alive now)."""
        import psutil

        out = {}
        for name, pids in self.pids().items():
            total = 0.0
            for pid in pids:
                try:
                    cpu = psutil.Process(pid).cpu_times()
                    total += cpu.user + cpu.system + cpu.children_user + cpu.children_system
                except psutil.Error:
                    pass
            out[name] = total
        return out

    def redis_stats(self) -> dict[str, int]:
        """Return Redis's counters of commands and bytes in and out."""
        import redis

        info = redis.Redis.from_url(self.cluster.redis_url).info("stats")
        return {key: int(info[key]) for key in ("total_commands_processed", "total_net_input_bytes",
                                                "total_net_output_bytes")}

    def postgres_stats(self) -> dict[str, int]:
        """Return PostgreSQL's counters: committed transactions, and rows inserted, updated, deleted."""
        import psycopg

        url = f"postgresql://ccc@127.0.0.1:{self.cluster.info['postgres_port']}/ccc"
        with psycopg.connect(url) as conn:
            xacts = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = 'ccc'").fetchone()[0]
            tables = {name: int(rows) for name, rows in conn.execute(
                "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")}
            ins, upd, dele = conn.execute("SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0), "
                                          "coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables").fetchone()
        return {"xact_commit": int(xacts), "rows_inserted": int(ins), "rows_updated": int(upd),
                "rows_deleted": int(dele), **{f"rows_written:{name}": rows for name, rows in tables.items()}}


    def forget_connections(self) -> None:
        """Mark every participant disconnected, as a restart of the whole campus would.

        Stopped hub processes leave their participants "connected" in the database for the survivors to
        sweep (ccc/hub/processes.py). Between runs that sweep would fall into the next run's window: a
        queue-mode hub after a run without the queue swept 495 leftover phones, one "process" each, and used
        a second of CPU on it.
        """
        import psycopg

        url = f"postgresql://ccc@127.0.0.1:{self.cluster.info['postgres_port']}/ccc"
        with psycopg.connect(url) as conn:
            conn.execute("UPDATE participants SET sid = NULL WHERE sid IS NOT NULL")

    def snapshot(self) -> tuple[dict, dict, dict, float]:
        """Return the services' CPU seconds and Redis's and PostgreSQL's counters (and when), to subtract later."""
        return self.cpu_s(), self.redis_stats(), self.postgres_stats(), time.monotonic()

    async def costs_since(self, before: tuple[dict, dict, dict, float]) -> dict:
        """Return what nginx, Redis and PostgreSQL did since ``before``: CPU seconds and counter deltas."""
        import asyncio

        cpu, redis_now = self.cpu_s(), self.redis_stats()
        out = {"infra_cpu_s": {name: round(cpu[name] - before[0].get(name, 0.0), 3) for name in cpu},
               "redis_delta": {key: redis_now[key] - before[1][key] for key in redis_now}}
        # A PostgreSQL backend that has gone idle reports its last counts within 10 s (PGSTAT_IDLE_INTERVAL).
        await asyncio.sleep(11)
        pg = self.postgres_stats()
        out["postgres_delta"] = {key: pg[key] - before[2].get(key, 0) for key in pg}
        out["postgres_window_s"] = round(time.monotonic() - before[3], 2)
        return out


class ClusterServer:
    """One run's system under test on the Infra: its hub processes started afresh, a new room, an address."""

    def __init__(self, infra: Infra, target: str, mode: str, server_cpus: set[int] | None):
        self.infra, self.target, self.mode, self.server_cpus = infra, target, mode, server_cpus
        self.hubs, self.queue, self.via_nginx = CLUSTER_TARGETS[target]
        self.is_hub = True
        self.room = ""
        self.url = ""
        self.proc = None
        self.pids: list[int] = []

    def start(self) -> "ClusterServer":
        cluster = self.infra.cluster
        for index in range(cluster.hub_count):
            cluster.stop_hub(index)
        self.infra.forget_connections()
        cluster.extra_env["CCC_ASYNC_MODE"] = self.mode
        if self.queue:
            cluster.extra_env.pop("CCC_MESSAGE_QUEUE", None)  # the cluster's Redis
        else:
            cluster.extra_env["CCC_MESSAGE_QUEUE"] = ""  # unset: config reads "" as none
        with affinity(self.server_cpus):
            cluster.start_hubs(list(range(self.hubs)))
        if self.via_nginx:  # nginx remembers a hub it found down in the last run: start it afresh
            cluster.reload_nginx()
            time.sleep(1)
        self.room = cluster.flask("rooms", "create", "Fan-out bench").strip().splitlines()[-1]
        self.url = cluster.url if self.via_nginx else cluster.hub_url(self.hubs - 1)
        self.presenter_url = cluster.url if self.via_nginx else cluster.hub_url(0)
        self.proc = cluster.procs[0]
        self.pids = [cluster.procs[i].pid for i in range(self.hubs)]
        return self

    def spread(self) -> list[int]:
        """Return how many TCP connections each hub process holds (phones, presenter, nginx's keep-alives)."""
        import psutil

        counts = []
        for index, pid in enumerate(self.pids):
            port = int(self.infra.cluster.hub_url(index).rsplit(":", 1)[1])
            conns = psutil.Process(pid).net_connections(kind="tcp")
            counts.append(sum(1 for c in conns if c.laddr and c.laddr.port == port and c.status == "ESTABLISHED"))
        return counts

    def stop(self) -> None:
        for index in range(self.hubs):
            self.infra.cluster.stop_hub(index)


def per_caption(r: dict) -> dict:
    """Return a run's costs per caption sent (and PostgreSQL rows per final stored)."""
    sent, finals = r["sent"] or 1, r["finals"] or 1
    out = {"hub_ms": 1000 * r["hub_cpu_s"] / sent}
    if "infra_cpu_s" in r:
        pg = r["postgres_delta"]
        out.update({f"{name}_ms": 1000 * cpu / sent for name, cpu in r["infra_cpu_s"].items()},
                   redis_cmds=r["redis_delta"]["total_commands_processed"] / sent,
                   redis_out_kb=r["redis_delta"]["total_net_output_bytes"] / sent / 1024,
                   pg_xacts_s=pg["xact_commit"] / r["postgres_window_s"],
                   # The participants' rows are joins and leaves (some of the join storm's reach the statistics
                   # late); a caption writes the others: its own row, the room's counter, a session now and then.
                   pg_rows_per_final=sum(v for k, v in pg.items() if k.startswith("rows_written:")
                                         and k != "rows_written:participants") / finals)
    return out


def cluster_line(r: dict) -> str:
    c = per_caption(r)
    return (f"hubs {r['hubs']}: connections {r['hub_connections']}, CPU {r['hub_cpu_each_s']} s | per caption: "
            f"hubs {c['hub_ms']:.1f} ms, nginx {c['nginx_ms']:.2f} ms, Redis {c['redis_ms']:.2f} ms "
            f"({c['redis_cmds']:.1f} commands, {c['redis_out_kb']:.1f} KB out), PostgreSQL {c['postgres_ms']:.2f} ms "
            f"| PostgreSQL rows written per final (not participants) {c['pg_rows_per_final']:.1f}, transactions/s "
            f"{c['pg_xacts_s']:.1f}")


def print_cluster_table(results: list[dict]) -> None:
    """Print the runs on deploy/cluster.py's services: the split over hubs and each service's cost per caption."""
    rows = [r for r in results if "infra_cpu_s" in r]
    if not rows:
        return
    print("\n| target | N | hubs | connections per hub | p50 ms | p99 ms | loss | hub CPU ms/caption | "
          "nginx ms/caption |"
          " Redis ms/caption | Redis commands/caption | PostgreSQL rows/final (not participants) | other load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c = per_caption(r)
        print(f"| {r['target']} | {r['n']} | {r['hubs']} | {'/'.join(map(str, r['hub_connections']))} | "
              f"{r['p50']:.1f} | {r['p99']:.1f} | {r['loss']}/{r['expected']} | {c['hub_ms']:.1f} | "
              f"{c['nginx_ms']:.2f} | {c['redis_ms']:.2f} | {c['redis_cmds']:.1f} | {c['pg_rows_per_final']:.1f} | "
              f"{r['other_load_cores']:.2f} |")
