"""`make run` starts the hub, says why no station started when the PC has no microphone, and checks the PC."""
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from hubkit import ROOT, free_port


def test_make_run_starts_the_hub_and_explains_the_missing_microphone(tmp_path):
    port = free_port()
    env = {**os.environ, "CCC_PORT": str(port), "CCC_HOST": "127.0.0.1",
           "CCC_DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}", "PYTHONUNBUFFERED": "1"}
    env.pop("DISPLAY", None)
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        launcher = subprocess.Popen([sys.executable, "-m", "ccc.launch"], cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        done = ("No presenter station started", "problem")  # the station's verdict, and the doctor's checklist
        while not all(w in log_path.read_text() for w in done) and time.monotonic() < deadline:
            assert launcher.poll() is None, log_path.read_text()
            time.sleep(0.2)
        out = log_path.read_text()
        assert "No presenter station started: no microphone was found" in out, out
        assert f"--hub http://127.0.0.1:{port} --room CAPTN" in out and "make demo" in out
        # The doctor's quick checklist: the hub it found, and why phones cannot reach a hub on loopback.
        assert f"✓ Hub: http://127.0.0.1:{port} answers" in out, out
        assert "✗ Microphone: no input device" in out and "✗ Address for phones: " in out, out
        assert requests.get(f"http://127.0.0.1:{port}/r/CAPTN", timeout=5).ok
        # Whisper base joined from its two PyPI halves into the models folder, where `models list` finds it
        joined = Path(os.environ["CCC_MODELS_DIR"]) / "whisper-base"
        assert f"Whisper base: {joined}" in out and (joined / "model.bin").stat().st_size == 145_217_532, out
        assert "English model: English default Whisper tiny.en: set by CCC_WHISPER_DEFAULT" in out, out
    finally:
        launcher.terminate()
        launcher.wait(10)
