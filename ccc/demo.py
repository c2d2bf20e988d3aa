"""`make demo`: a hub plus a station reading a recorded lecture, so captions flow with no microphone.

Starts ``python app.py``, makes sure a room exists, and plays a short public-domain reading (ccc/demo_audio/)
sentence by sentence through the default recognizer, again and again.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from ccc.station import StationError, audio, engines
from ccc.station.hub_link import HubLink
from ccc.station.spool import Spool
from ccc.station.station import Station, StatusLine

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "instance" / "demo"
# A public-domain LibriVox reading kept in the repo: real speech, which every engine recognizes reasonably.
RECORDING_DIR = Path(__file__).resolve().parent / "demo_audio"


def lecture() -> list[Path]:
    """Return the demo recording's sentences, in order."""
    sentences = sorted(RECORDING_DIR.glob("*.wav"))
    if not sentences:
        raise StationError(f"the demo recording is missing from {RECORDING_DIR}")
    return sentences


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start_hub(port: int, env: dict) -> subprocess.Popen:
    """Start `python app.py` on ``port`` and wait until it answers."""
    hub = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise StationError("the hub exited at start; see its output above")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return hub
        except requests.RequestException:
            time.sleep(0.2)
    hub.terminate()
    raise StationError("the hub did not answer within 30 s")


def demo_room(env: dict) -> str:
    """Migrate the database and return the code of the demo room (created when no room exists)."""
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for command in (["db", "upgrade"], ["rooms", "ensure-demo"], ["rooms", "create", "Demo classroom"]):
        out = subprocess.run([*flask, *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if out.returncode and command[0] == "db":
            raise StationError(f"flask db upgrade failed: {out.stderr.strip().splitlines()[-1:]}")
        if out.returncode == 0 and command[0] == "rooms":
            return out.stdout.strip().splitlines()[-1]
    raise StationError(f"cannot make the demo room: {out.stderr.strip().splitlines()[-1:]}")


def play(station: Station, sentences: list[Path], once: bool) -> None:
    """Read the lecture into the station, one key press per sentence, until Ctrl-C (or once)."""
    while True:
        for path in sentences:
            source = audio.WavSource(path, speed=1.0)
            source.on_pass_start = lambda: station.key(True)
            source.on_pass_end = lambda: station.key(False)
            source.start(station.audio)
            source._thread.join()
            time.sleep(1.5)  # A breath between sentences, as a lecturer lets go of the pedal.
        if once:
            return


def main(argv: list[str] | None = None) -> int:
    """Run the demo until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m ccc.demo")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CCC_PORT", "5000")))
    parser.add_argument("--once", action="store_true", help="read the lecture once, then stop")
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a terminated demo stops its hub too
    if not _port_free(options.port):
        print(f"error: port {options.port} is busy; set CCC_PORT or use --port", file=sys.stderr)
        return 2
    env = {**os.environ, "CCC_PORT": str(options.port), "PYTHONUNBUFFERED": "1"}
    hub = None
    try:
        sentences = lecture()
        recognizer = engines.load()
        code = demo_room(env)
        hub = start_hub(options.port, env)
        base = os.environ.get("CCC_PUBLIC_URL") or f"http://localhost:{options.port}"
        print(f"\nCCC demo: room {code}\n  projector {base}/r/{code}/projector\n  audience  {base}/r/{code}\n"
              "Open one of them; captions start within a few seconds. Ctrl-C stops the demo.\n", flush=True)
        # The demo keeps its own spool (CCC_SPOOL overrides it), so it never mixes with a real station's.
        spool = Spool(Path(os.environ.get("CCC_SPOOL") or DEMO_DIR / "spool.sqlite3"), code)
        link = HubLink(f"http://127.0.0.1:{options.port}", code, "Demo lecturer", spool)
        station = Station(recognizer, link, status=StatusLine(sys.stderr),
                          on_final=lambda payload: print(f"final: {payload['text']}", flush=True))
        link.start()
        station.start()
        play(station, sentences, options.once)
        station.end_of_input()  # The last final may still be decoding: let it reach the spool before draining.
        station.join(60)
        link.drain(10)
        link.close()
    except StationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopping the demo", file=sys.stderr)
    finally:
        if hub is not None:
            hub.terminate()
            hub.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
