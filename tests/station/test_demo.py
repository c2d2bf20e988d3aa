"""`make demo`: a newcomer with no microphone sees captions arrive within a minute."""
import os
import re
import subprocess
import sys
import time

import jiwer
import requests

from ccc.demo import lecture
from hubkit import ROOT, free_port


def test_demo_captions_reach_a_phone(tmp_path, client):
    port = free_port()
    env = {**os.environ, "CCC_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "CCC_HOST": "127.0.0.1",
           "CCC_PUBLIC_URL": f"http://127.0.0.1:{port}", "PYTHONUNBUFFERED": "1",
           "CCC_SPOOL": str(tmp_path / "spool.sqlite3")}  # finals left by an earlier, killed run stay out
    log = open(tmp_path / "demo.log", "w+")
    demo = subprocess.Popen([sys.executable, "-m", "ccc.demo", "--once", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # loading Whisper, migrating and starting the hub, on a shared machine
        code = None
        while code is None and time.monotonic() < deadline:
            assert demo.poll() is None, (tmp_path / "demo.log").read_text()
            found = re.search(r"CCC demo: room (\w+)", (tmp_path / "demo.log").read_text())
            code = found and found.group(1)
            time.sleep(0.2)
        assert code, (tmp_path / "demo.log").read_text()
        assert requests.get(f"http://127.0.0.1:{port}/r/{code}/projector", timeout=5).ok
        phone = client(f"http://127.0.0.1:{port}")
        state = phone.join(code, "audience")["state"]
        finals = {c["seq"]: c["text"] for c in state["captions"]}
        phone.wait_for(lambda c: len(finals | {m["seq"]: m["text"] for m in c.of("caption") if m["isFinal"]})
                       >= len(lecture()), timeout=90)
        finals |= {m["seq"]: m["text"] for m in phone.of("caption") if m["isFinal"]}
        heard = " ".join(finals[seq] for seq in sorted(finals))
        reference = " ".join(line.split(". ", 1)[1] for line in
                             (ROOT / "ccc/demo_audio/README.md").read_text().splitlines() if re.match(r"\d\. ", line))
        assert jiwer.wer(reference, heard.lower()) < 0.5, heard
        assert demo.wait(30) == 0
    finally:
        if demo.poll() is None:
            demo.terminate()
            demo.wait(10)
