"""Model download against a local HTTP server: list, verify, unpack, resume with Range, fail clearly offline."""
import hashlib
import http.server
import io
import json
import re
import subprocess
import sys
import threading
import zipfile

import pytest

from ccc.station import StationError, engines
from ccc.station import vosk_models as models


class Server(http.server.ThreadingHTTPServer):
    """Serve a model list and archives from memory, honouring Range, and remember what was asked."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.cut_after: int | None = None  # send only this many bytes of an archive, then hang up

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server: Server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        match = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match:
            start = int(match.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        chunk = body[start:]
        if server.cut_after is not None and self.path.endswith(".zip"):
            chunk, server.cut_after = chunk[:server.cut_after], None
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            self.wfile.write(chunk)
            self.wfile.flush()
            self.connection.shutdown(2)  # a dropped connection halfway through
            return
        self.send_header("Content-Length", str(len(chunk)))
        self.end_headers()
        self.wfile.write(chunk)


def fake_model_zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(f"{name}/am/final.mdl", b"x" * 50_000)
        bundle.writestr(f"{name}/conf/model.conf", "--sample-frequency=16000\n")
        bundle.writestr(f"{name}/README", "fake model for tests\n")
    return buffer.getvalue()


@pytest.fixture
def server(monkeypatch):
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    name = "vosk-model-small-xx-0.1"
    archive = fake_model_zip(name)
    srv.files[f"/{name}.zip"] = archive
    entries = [
        {"lang": "xx", "lang_text": "Test", "name": name, "type": "small", "obsolete": "false", "version": "0.1",
         "url": f"{srv.base}/{name}.zip", "size": len(archive), "md5": hashlib.md5(archive).hexdigest(),
         "size_text": "50KiB"},
        {"lang": "xx", "lang_text": "Test", "name": "vosk-model-xx-0.0", "type": "big", "obsolete": "true",
         "version": "0.0", "url": f"{srv.base}/old.zip", "size": 1, "md5": "0"},
    ]
    srv.files["/model-list.json"] = json.dumps(entries).encode()
    monkeypatch.setenv("CCC_VOSK_MODEL_LIST_URL", f"{srv.base}/model-list.json")
    yield srv
    srv.shutdown()


def test_download_verifies_unpacks_and_makes_the_model_findable(server):
    path = models.download("xx", progress=False)
    assert (path / "am" / "final.mdl").is_file()
    assert models.resolve("xx") == path
    assert [m["lang"] for m in models.installed()] == ["xx"]
    assert not list(models.models_dir().glob("*.part"))
    assert models.download("xx", progress=False) == path  # a second run fetches nothing
    assert sum(1 for p, _ in server.requests if p.endswith(".zip")) == 1


def test_a_dropped_download_resumes_with_range_in_the_same_run(server):
    server.cut_after = 40_000
    path = models.download("xx", progress=False)
    assert (path / "README").read_text() == "fake model for tests\n"
    first, then = [r for p, r in server.requests if p.endswith(".zip")]
    assert first is None and 0 < int(then.removeprefix("bytes=").rstrip("-")) <= 40_000  # the rest only, at once


def test_a_download_killed_mid_file_resumes_in_the_next_run(server):
    archive = server.files["/vosk-model-small-xx-0.1.zip"]
    models.models_dir().mkdir(parents=True, exist_ok=True)
    (models.models_dir() / "vosk-model-small-xx-0.1.zip.part").write_bytes(archive[:30_000])  # what a kill leaves
    path = models.download("xx", progress=False)
    assert (path / "README").read_text() == "fake model for tests\n"
    assert [r for p, r in server.requests if p.endswith(".zip")] == ["bytes=30000-"]


def test_corrupt_archive_is_refused_and_removed(server):
    name = "/vosk-model-small-xx-0.1.zip"
    good = server.files[name]
    server.files[name] = good[:100] + bytes([good[100] ^ 1]) + good[101:]
    with pytest.raises(StationError, match="MD5"):
        models.download("xx", progress=False)
    assert not list(models.models_dir().glob("*"))


def test_offline_and_unknown_language_fail_clearly(server, monkeypatch):
    with pytest.raises(StationError, match="no Vosk model for 'zz'"):
        models.download("zz", progress=False)
    monkeypatch.setenv("CCC_VOSK_MODEL_LIST_URL", "http://127.0.0.1:9/model-list.json")
    with pytest.raises(StationError, match="offline"):
        models.fetch_list()


def test_installed_fake_model_is_found_by_language_and_its_breakage_names_the_fix(server):
    models.download("xx", progress=False)
    warnings = []
    assert engines.load(warn=warnings.append).name == "whisper+pocketsphinx"  # English is not Vosk's
    assert warnings == []
    with pytest.raises(StationError, match="models download xx"):
        engines.load(lang="xx")
    with pytest.raises(StationError, match="models download xx"):
        engines.load(model="xx")


def test_models_cli_lists_and_downloads(server, station_env, monkeypatch):
    env = {**station_env, "CCC_VOSK_MODEL_LIST_URL": f"{server.base}/model-list.json"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "ccc.station", "models", *a],  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=60)
    listed = run("list")
    assert listed.returncode == 0 and "vosk-model-small-xx-0.1" in listed.stdout and "0.0" not in listed.stdout
    got = run("download", "xx")
    assert got.returncode == 0 and "model ready" in got.stdout
    assert "installed  vosk     xx" in run("list").stdout
    offline = subprocess.run([sys.executable, "-m", "ccc.station", "models", "list"], capture_output=True, text=True,
                             env={**env, "CCC_VOSK_MODEL_LIST_URL": "http://127.0.0.1:9/x.json"}, timeout=60)
    # Offline, the list still shows what is installed, and says in one line that the online list is missing.
    assert offline.returncode == 0 and "installed  vosk     xx" in offline.stdout
    assert "online list of Vosk models could not be fetched" in offline.stdout and "offline" in offline.stdout
