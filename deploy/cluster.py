"""Run CCC as a campus would, on this machine: nginx in front of N hub processes, one PostgreSQL, one Redis.

    python deploy/cluster.py start [--port 8080] [--hubs 2] [--dir .cluster]   (what `make cluster` runs)
    python deploy/cluster.py stop [--dir .cluster]                             (`make cluster-stop`)

Everything listens on loopback only and keeps its state (database, logs, pid files, nginx's config) under
the directory given, so a stop and a `rm -rf .cluster` leave nothing behind. Debian's postgresql,
redis-server and nginx must be installed (`make system-deps`); run as root or as a user that may run them.
The tests import `Cluster` to start a cluster of their own in a temporary directory.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "ccc-site.conf.template"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

# The main nginx.conf of a private nginx: its pid, logs and temporary files under the cluster's directory.
NGINX_MAIN = """\
worker_processes 1;
pid {state}/nginx.pid;
error_log {state}/nginx-error.log warn;
{user}
# Each phone costs nginx two connections (its own and one to a hub), each a file descriptor.
worker_rlimit_nofile {nofile};
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {state}/nginx-access.log;
    client_body_temp_path {state}/nginx-tmp/body;
    proxy_temp_path {state}/nginx-tmp/proxy;
    fastcgi_temp_path {state}/nginx-tmp/fastcgi;
    uwsgi_temp_path {state}/nginx-tmp/uwsgi;
    scgi_temp_path {state}/nginx-tmp/scgi;
    include {state}/ccc-site.conf;
}}
"""


def nofile_limit() -> int:
    """Return how many file descriptors nginx may ask for here: the hard limit, at most 65,536."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)


def free_port() -> int:
    """Return a loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_site(listen: str, server_name: str, hub_ports: list[int], static_root: Path, read_timeout: int) -> str:
    """Fill the nginx site template for hubs on these loopback ports."""
    hubs = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in hub_ports)
    fields = {"LISTEN": listen, "SERVER_NAME": server_name, "HUBS": hubs,
              "STATIC_ROOT": f"{str(static_root).rstrip('/')}/", "READ_TIMEOUT": str(read_timeout)}
    text = TEMPLATE.read_text()
    for name, value in fields.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def read_timeout(env: dict[str, str]) -> int:
    """Return nginx's proxy timeout for Socket.IO: the hub's ping interval plus timeout, and a margin."""
    interval = float(env.get("CCC_PING_INTERVAL_S", "5"))
    timeout = float(env.get("CCC_PING_TIMEOUT_S", "5"))
    return math.ceil(interval + timeout) + 10


class Cluster:
    """nginx + N hub processes + PostgreSQL + Redis, all on loopback, all state under ``state``."""

    def __init__(self, state: Path, port: int = 8080, hubs: int = 2, postgres_options: str = "", **hub_env: str):
        self.state = Path(state).resolve()
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.hub_count = hubs
        self.extra_env = hub_env
        self.postgres_options = postgres_options  # e.g. "-c fsync=off" for a throwaway test cluster
        self.info_path = self.state / "cluster.json"
        self.info: dict = json.loads(self.info_path.read_text()) if self.info_path.exists() else {}
        self.procs: dict[int, subprocess.Popen] = {}

    # Pieces ----------------------------------------------------------------------------------------------

    def _as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _pg(self, tool: str, *args: str) -> None:
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        subprocess.run([*self._as_postgres(), str(bindir / tool), *map(str, args)], check=True,
                       capture_output=True, timeout=120)

    def _start_postgres(self) -> None:
        pg = self.state / "postgres"
        if not (pg / "db" / "PG_VERSION").exists():
            pg.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:  # PostgreSQL refuses to run as root: its user must reach its folder
                shutil.chown(pg, "postgres")
                self.state.chmod(self.state.stat().st_mode | 0o111)
            self._pg("initdb", "-D", pg / "db", "--auth=trust", "-U", "ccc", "--no-sync")
        port = self.info["postgres_port"]
        self._pg("pg_ctl", "-D", pg / "db", "-l", pg / "log", "-w", "start",
                 "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {pg} {self.postgres_options}")
        try:
            self._pg("createdb", "-h", "127.0.0.1", "-p", port, "-U", "ccc", "ccc")
        except subprocess.CalledProcessError as exc:
            if b"already exists" not in exc.stderr:
                raise

    def _start_redis(self) -> None:
        """Start Redis on loopback with a password, from a config file only its owner reads (not argv: ps)."""
        port = self.info["redis_port"]
        self.info.setdefault("redis_password", secrets.token_urlsafe(24))
        conf = self.state / "redis.conf"
        conf.touch(mode=0o600)
        conf.chmod(0o600)
        conf.write_text(f"port {port}\nbind 127.0.0.1 ::1\nprotected-mode yes\nrequirepass {self.info['redis_password']}\n"
                        f'save ""\nappendonly no\ndaemonize yes\npidfile {self.state / "redis.pid"}\n'
                        f'logfile {self.state / "redis.log"}\ndir {self.state}\n')
        subprocess.run(["redis-server", str(conf)], check=True, timeout=30)
        auth = {**os.environ, "REDISCLI_AUTH": self.info["redis_password"]}
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True,
                             env=auth).stdout.strip() != "PONG":
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.state / 'redis.log'}")
            time.sleep(0.05)

    @property
    def redis_url(self) -> str:
        """Return the message queue's URL, with its password (as /etc/ccc/hub.env holds it, mode 600)."""
        return f"redis://:{self.info['redis_password']}@127.0.0.1:{self.info['redis_port']}/0"

    def hub_environment(self, index: int) -> dict[str, str]:
        """Return the environment of hub process ``index`` (what /etc/ccc/hub.env holds on a campus server)."""
        env = dict(os.environ)
        env.update({
            "CCC_HOST": "127.0.0.1",  # only nginx reaches the hubs, so only nginx can set X-Forwarded-For
            "CCC_PORT": str(self.info["hub_ports"][index]),
            "CCC_DATABASE_URL": f"postgresql+psycopg://ccc@127.0.0.1:{self.info['postgres_port']}/ccc",
            "CCC_MESSAGE_QUEUE": self.redis_url,
            "CCC_SECRET_KEY": self.info["secret_key"],  # one key: a cookie one process signed, all accept
            "CCC_ADMIN_PASSWORD": self.info["admin_password"],
            "CCC_PUBLIC_URL": self.url,
            "CCC_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CCC_TRUSTED_PROXIES": "1",
            "CCC_AUTO_MIGRATE": "1" if index == 0 else "0",  # the first migrates; the others start after it
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    def flask(self, *args: str) -> str:
        """Run a `flask --app app` command against the cluster's database; return its output."""
        out = subprocess.run([PYTHON, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=self.hub_environment(0),
                             capture_output=True, text=True, timeout=120)
        if out.returncode:
            raise RuntimeError(out.stderr or out.stdout)
        return out.stdout

    def start_hub(self, index: int, timeout: float = 60, may_move: bool = False) -> None:
        """Start hub process ``index`` and wait until its /healthz answers."""
        self.start_hubs([index], timeout, may_move)

    def start_hubs(self, indexes: list[int], timeout: float = 60, may_move: bool = False) -> None:
        """Start these hub processes side by side and wait until each one's /healthz answers.

        ``may_move`` (before nginx knows the hubs' ports): a hub whose port another program took since it was
        picked is started again on a new one.
        """
        for index in indexes:
            self._spawn(index)
        deadline = time.monotonic() + timeout
        for index in indexes:
            moves = 3 if may_move else 0
            while True:
                if self.procs[index].poll() is not None:
                    log = self.state / f"hub{index}.log"
                    if moves and "already in use" in log.read_text(errors="replace")[-2000:]:
                        moves -= 1
                        self.info["hub_ports"][index] = free_port()
                        self.info_path.write_text(json.dumps(self.info, indent=2))
                        self._spawn(index)
                        continue
                    raise RuntimeError(f"hub {index} exited; see {log}")
                try:
                    if requests.get(f"{self.hub_url(index)}/healthz", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"hub {index} did not start in {timeout:.0f} s; "
                                       f"see {self.state / f'hub{index}.log'}")
                time.sleep(0.1)

    def _spawn(self, index: int) -> None:
        with open(self.state / f"hub{index}.log", "a") as log:
            self.procs[index] = subprocess.Popen([PYTHON, "app.py"], cwd=ROOT, env=self.hub_environment(index),
                                                 stdout=log, stderr=log, start_new_session=True)
        (self.state / f"hub{index}.pid").write_text(str(self.procs[index].pid))

    def hub_url(self, index: int) -> str:
        """Return the loopback address of hub process ``index`` (to reach one process without nginx)."""
        return f"http://127.0.0.1:{self.info['hub_ports'][index]}"

    def kill_hub(self, index: int) -> None:
        """Kill hub process ``index`` at once (SIGKILL), as a crash would."""
        pid = int((self.state / f"hub{index}.pid").read_text())
        _signal(pid, signal.SIGKILL)
        if index in self.procs:
            self.procs[index].wait(10)

    def stop_hub(self, index: int) -> None:
        """Stop hub process ``index`` (SIGTERM, as `systemctl stop` would) and wait until it has ended."""
        _stop_pidfile(self.state / f"hub{index}.pid", signal.SIGTERM)
        self.procs.pop(index, None)

    def reload_nginx(self) -> None:
        """Have nginx start fresh workers: they forget which hub processes they found down."""
        subprocess.run(["nginx", "-c", str(self.state / "nginx.conf"), "-p", str(self.state), "-s", "reload"],
                       check=True, capture_output=True, timeout=30)

    def _start_nginx(self) -> None:
        (self.state / "nginx-tmp").mkdir(exist_ok=True)
        site = render_site(f"127.0.0.1:{self.port}", "127.0.0.1 localhost", self.info["hub_ports"], ROOT / "static",
                           read_timeout(self.hub_environment(0)))
        (self.state / "ccc-site.conf").write_text(site)
        user = "user root;" if os.geteuid() == 0 else ""  # workers read static/ wherever the checkout is
        nofile = nofile_limit()
        (self.state / "nginx.conf").write_text(NGINX_MAIN.format(state=self.state, user=user, nofile=nofile,
                                                                 connections=min(16384, nofile - 256)))
        subprocess.run(["nginx", "-t", "-q", "-c", str(self.state / "nginx.conf"), "-p", str(self.state)],
                       check=True, capture_output=True, timeout=30)
        subprocess.run(["nginx", "-c", str(self.state / "nginx.conf"), "-p", str(self.state)], check=True,
                       capture_output=True, timeout=30)

    # The whole -------------------------------------------------------------------------------------------

    def start(self) -> "Cluster":
        """Start PostgreSQL, Redis, migrate, N hubs and nginx; return when the public address answers."""
        self.state.mkdir(parents=True, exist_ok=True)
        if not self.info:
            self.info = {"postgres_port": free_port(), "redis_port": free_port(),
                         "secret_key": secrets.token_hex(32), "admin_password": secrets.token_urlsafe(9)}
        self.info.update(port=self.port, hub_ports=[free_port() for _ in range(self.hub_count)])
        self.info_path.touch(mode=0o600)
        self.info_path.chmod(0o600)  # the admin password, the secret key and the Redis password
        self.info_path.write_text(json.dumps(self.info, indent=2))
        self._start_postgres()
        self._start_redis()
        self.info_path.write_text(json.dumps(self.info, indent=2))  # now with the Redis password
        # Ports were picked above; on a busy machine another program may take one meanwhile: nginx is not
        # configured yet, so such a hub moves to another port.
        self.start_hub(0, may_move=True)  # it brings the schema up to date first, as `python app.py` does
        self.start_hubs(list(range(1, self.hub_count)), may_move=True)
        self._start_nginx()
        deadline = time.monotonic() + 10
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx does not answer on {self.url}; see {self.state / 'nginx-error.log'}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop nginx, the hubs, Redis and PostgreSQL (whatever of them runs); keep the data."""
        _stop_pidfile(self.state / "nginx.pid", signal.SIGTERM)  # fast: long-polls would hold a graceful stop
        for pidfile in sorted(self.state.glob("hub*.pid")):
            _stop_pidfile(pidfile, signal.SIGTERM)
        _stop_pidfile(self.state / "redis.pid", signal.SIGTERM)
        if (self.state / "postgres" / "db" / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", self.state / "postgres" / "db", "-m", "fast", "-w", "stop")


def _signal(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def _stop_pidfile(pidfile: Path, sig: int, wait: float = 10) -> None:
    """Signal the process a pid file names, wait for it to end, and remove the pid file."""
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text().split()[0])
    except (ValueError, IndexError):
        pidfile.unlink(missing_ok=True)
        return
    if _signal(pid, sig):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Tell whether a process still runs (an exited one nobody has reaped yet counts as gone)."""
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def main() -> None:
    """Start or stop the cluster from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", default=str(ROOT / ".cluster"), help="state directory (default .cluster/)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CCC_CLUSTER_PORT", "8080")))
    parser.add_argument("--hubs", type=int, default=2, help="hub processes behind nginx (default 2)")
    args = parser.parse_args()
    cluster = Cluster(Path(args.dir), port=args.port, hubs=args.hubs)
    if args.action == "stop":
        cluster.stop()
        print(f"Stopped the cluster in {cluster.state} (its data stays; remove the folder to forget it)")
        return
    cluster.stop()  # a second `make cluster` restarts cleanly instead of tripping over the first
    try:
        cluster.start()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.decode(errors="replace") if isinstance(exc, subprocess.CalledProcessError) and exc.stderr \
            else ""
        print(f"cluster: {exc}\n{detail}", file=sys.stderr)
        cluster.stop()
        sys.exit(1)
    print(f"nginx on {cluster.url} in front of {args.hubs} hub processes "
          f"({', '.join(cluster.hub_url(i) for i in range(args.hubs))}), PostgreSQL and Redis; state in {cluster.state}")
    print(f"Admin password: {cluster.info['admin_password']}   Stop: make cluster-stop")
    print(cluster.url)


if __name__ == "__main__":
    main()
