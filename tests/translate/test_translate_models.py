"""`python -m ccc.translate models download LANG` against a school's mirror of Mozilla's registry (a real HTTP server).

The mirror speaks Remote Settings as Firefox reads it: ``/v1/`` names the attachments' base URL and
``/v1/buckets/main/collections/translations-models-v2/records`` lists one record per file with its size and
SHA-256 of the zstd file it serves (and ``decompressedHash``, of the file unpacked), as Mozilla publishes them.
No Spanish model can be fetched here, so the "es" pair it serves is a stand-in: the bundled English <->
Portuguese files under en-es / es-en names.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import zstandard

from ccc.translate import store
from ccc.translate.engine import Translations
from hubkit import PYTHON, ROOT, free_port

RECORDS = "/v1/buckets/main/collections/translations-models-v2/records"


@functools.cache
def _packed(path: Path) -> bytes:
    return zstandard.ZstdCompressor(level=1).compress(path.read_bytes())


class Mirror:
    """A registry mirror serving a stand-in es pair; it can hang halfway through the first model transfer."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.records: list[dict] = []
        for src, dst in (("en", "es"), ("es", "en")):
            real = next(p for p in store.installed() if (p.src, p.dst) == (src.replace("es", "pt"), dst.replace("es", "pt")))
            for kind in ("model", "srcvocab", "lex"):
                name = real.files[kind].name.replace("enpt", src + dst).replace("pten", src + dst)
                data = real.files[kind].read_bytes()
                packed = _packed(real.files[kind])
                location = f"main/translations-models-v2/{src}{dst}-{kind}.zst"
                self.files[f"/attachments/{location}"] = packed
                self.records.append({
                    "name": name, "sourceLanguage": src, "targetLanguage": dst, "version": "3.0", "architecture": "tiny",
                    "fileType": "vocab" if kind == "srcvocab" else kind, "filter_expression": "",
                    "decompressedHash": hashlib.sha256(data).hexdigest(), "decompressedSize": len(data),
                    "attachment": {"filename": name + ".zst", "location": location, "mimetype": "application/zstd",
                                   "hash": hashlib.sha256(packed).hexdigest(), "size": len(packed)}})
        self.records.append({**self.records[0], "version": "2.0"})  # an older format the engine skips
        self.gets: list[tuple[str, str | None]] = []
        self.stall_once = threading.Event()
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - the name http.server calls
                mirror.gets.append((self.path, self.headers.get("Range")))
                base = f"http://127.0.0.1:{mirror.server.server_address[1]}/attachments/"
                if self.path == "/v1/":
                    return self._send(200, json.dumps({"capabilities": {"attachments": {"base_url": base}}}).encode())
                if self.path == RECORDS:
                    return self._send(200, json.dumps({"data": mirror.records}).encode())
                data = mirror.files.get(self.path)
                if data is None:
                    return self._send(404, b"")
                start = int(re.match(r"bytes=(\d+)-", self.headers.get("Range", "bytes=0-")).group(1))
                if self.path.endswith("enes-model.zst") and mirror.stall_once.is_set():
                    mirror.stall_once.clear()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                    mirror.released.wait(60)  # the Wi-Fi hangs; the user gives up and kills the download
                    self.close_connection = True
                    return None
                headers = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"} if start else {}
                return self._send(206 if start else 200, data[start:], headers)

        return Handler

    def close(self) -> None:
        """Stop serving."""
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror():
    """Return a running registry mirror (stopped after the test)."""
    served = Mirror()
    yield served
    served.close()


def env(tmp_path: Path, url: str) -> dict[str, str]:
    """Return the environment of a command with its models in tmp_path and the registry at ``url``."""
    return {**os.environ, "CCC_MODELS_DIR": str(tmp_path / "models"), "CCC_TRANSLATE_MODELS_URL": url}


def translate(tmp_path: Path, *args: str, url: str) -> subprocess.CompletedProcess:
    """Run `python -m ccc.translate ...` with its models in tmp_path and the registry at ``url``."""
    return subprocess.run([PYTHON, "-m", "ccc.translate", *args], cwd=ROOT, env=env(tmp_path, url),
                          capture_output=True, text=True, timeout=120)


def test_download_checks_lands_and_is_listed(tmp_path, mirror, monkeypatch):
    done = translate(tmp_path, "models", "download", "es", url=mirror.url)
    assert done.returncode == 0, done.stderr
    root = tmp_path / "models" / "translate"
    assert done.stdout.splitlines() == [f"model ready: {root / 'en-es'}", f"model ready: {root / 'es-en'}"]
    assert re.search(r"translate es: 100%\|█+\| [\d.]+MB / [\d.]+MB", done.stderr), done.stderr  # a progress bar
    assert not list((root / ".partial").iterdir())
    listed = translate(tmp_path, "models", "list", url=mirror.url)
    assert re.search(rf"installed\s+en -> es\s+downloaded\s+[\d.]+ MB\s+{re.escape(str(root / 'en-es'))}",
                     listed.stdout), listed.stdout
    assert "readers of English (en) captions can pick: Español (es), Português (pt)" in listed.stdout
    assert re.search(r"installed\s+es\s+Español\s+en->es es->en\s+[\d.]+ MB\s+models download es", listed.stdout)
    monkeypatch.setenv("CCC_MODELS_DIR", str(tmp_path / "models"))
    service = Translations()
    try:  # the unpacked stand-in writes Portuguese: the downloaded files are the ones used
        assert "livros" in service.translate("Please open your books.", "en", "es", timeout=10).lower()
    finally:
        service.close()
    before = len(mirror.gets)
    again = translate(tmp_path, "models", "download", "es", url=mirror.url)
    assert again.returncode == 0, again.stderr
    assert [path for path, _ in mirror.gets[before:]] == [RECORDS]  # installed and current: nothing fetched again


def test_a_download_killed_mid_file_resumes_in_the_next_run(tmp_path, mirror):
    mirror.stall_once.set()
    first = subprocess.Popen([PYTHON, "-m", "ccc.translate", "models", "download", "es"], cwd=ROOT,
                             env=env(tmp_path, mirror.url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = tmp_path / "models" / "translate" / ".partial" / f"en-es.{mirror.records[0]['name']}.zst.part"
    half, deadline = len(mirror.files["/attachments/main/translations-models-v2/enes-model.zst"]) // 2, \
        time.monotonic() + 60
    while not part.exists() or part.stat().st_size < half - 64 * 1024:  # the file buffer may hold the rest
        assert first.poll() is None and time.monotonic() < deadline, "the first half never arrived"
        time.sleep(0.05)
    first.kill()  # a power cut or kill -9
    first.wait(10)
    kept = part.stat().st_size
    again = translate(tmp_path, "models", "download", "es", url=mirror.url)
    assert again.returncode == 0, again.stderr
    model_gets = [rng for path, rng in mirror.gets if path.endswith("enes-model.zst")]
    assert model_gets == [None, f"bytes={kept}-"]  # only what the killed run did not get
    assert not part.exists()
    model = tmp_path / "models" / "translate" / "en-es" / mirror.records[0]["name"]
    assert hashlib.sha256(model.read_bytes()).hexdigest() == mirror.records[0]["decompressedHash"]  # unpacked


def test_a_corrupt_file_is_refused_and_nothing_is_installed(tmp_path, mirror):
    path = "/attachments/main/translations-models-v2/enes-lex.zst"
    mirror.files[path] = mirror.files[path][:-4] + b"\0\0\0\0"  # same size, other bytes
    done = translate(tmp_path, "models", "download", "es", url=mirror.url)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: lex.50.50.enes.s2t.bin.zst is corrupt (SHA-256 mismatch)")
    assert not (tmp_path / "models" / "translate" / "en-es").exists()
    listed = translate(tmp_path, "models", "list", url=mirror.url)
    assert "en -> es" not in listed.stdout and "captions can pick: Português (pt)" in listed.stdout


def test_offline_is_one_clear_line_and_exit_code_2(tmp_path):
    nobody = f"http://127.0.0.1:{free_port()}/v1"
    done = translate(tmp_path, "models", "download", "es", url=nobody)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: cannot reach {nobody}: are you offline? Copy a model folder into "
        f"{tmp_path / 'models' / 'translate'} (or set CCC_TRANSLATE_MODELS_URL to a mirror) and run the same command again"]
    listed = translate(tmp_path, "models", "list", url=nobody)
    assert listed.returncode == 0 and listed.stdout.splitlines()[0].startswith("installed  en -> pt  bundled")
    assert listed.stdout.strip().splitlines()[-1].startswith("the online list of translation models could not be")
