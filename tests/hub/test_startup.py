"""Starting the hub where it cannot listen says why in one line, and leaves the hub already there alone."""
from __future__ import annotations

import subprocess

import requests

from hubkit import PYTHON, ROOT, hub_env


def test_a_second_hub_on_the_same_port_stops_with_one_line_and_the_first_serves_on(hub, tmp_path):
    port = hub.url.rsplit(":", 1)[1]
    env = hub_env(f"sqlite:///{tmp_path / 'second.sqlite3'}", int(port), CCC_AUTO_MIGRATE="1")
    run = subprocess.run([PYTHON, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last == (f"ccc hub: port {port} on 127.0.0.1: address already in use (is the hub already running? "
                    "Stop it, or set CCC_PORT to another port)"), run.stderr
    assert "Traceback" not in run.stderr
    assert requests.get(f"{hub.url}/healthz", timeout=5).ok
