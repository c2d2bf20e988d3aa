"""Mozilla's Firefox Translations model registry (Remote Settings), or a school's mirror of it, and the download.

The registry is what Firefox itself reads: ``BASE/buckets/main/collections/translations-models-v2/records``
lists one record per file (``sourceLanguage``, ``targetLanguage``, ``version``, ``fileType``: model, vocab,
srcvocab, trgvocab, lex; ``decompressedHash``) with its ``attachment`` (``location``, ``size``, ``hash``: the
SHA-256 of the zstd file). Attachments are served under the ``capabilities.attachments.base_url`` that
``BASE/`` names (a mirror without it serves them under ``BASE/attachments/``). ``CCC_TRANSLATE_MODELS_URL``
sets BASE.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import requests

from ccc import downloads
from ccc.translate import TranslateError, store

DEFAULT_URL = "https://firefox.settings.services.mozilla.com/v1"
COLLECTION = "buckets/main/collections/translations-models-v2/records"
ENGINE_MAJOR = 3  # the model format fxtranslate 0.5.0 runs, as Firefox does: other majors are skipped
WANTED = {"model", "vocab", "srcvocab", "trgvocab", "lex"}


def base_url() -> str:
    """Return the registry's base URL (``CCC_TRANSLATE_MODELS_URL`` names a mirror)."""
    return (os.environ.get("CCC_TRANSLATE_MODELS_URL") or DEFAULT_URL).rstrip("/")


def _get(url: str):
    try:
        with requests.get(url, timeout=20) as response:
            response.raise_for_status()
            return response.json()
    except requests.ConnectionError:
        raise TranslateError(
            f"cannot reach {base_url()}: are you offline? Copy a model folder into {store.translate_dir()} "
            f"(or set CCC_TRANSLATE_MODELS_URL to a mirror) and run the same command again") from None
    except (requests.RequestException, ValueError) as exc:
        raise TranslateError(f"cannot read {url}: {exc}") from None


def records() -> list[dict]:
    """Return the registry's records of files the engine can run (release channel, model format 3)."""
    data = _get(f"{base_url()}/{COLLECTION}").get("data", [])
    return [r for r in data if isinstance(r, dict) and r.get("fileType") in WANTED and not r.get("filter_expression")
            and _version(r)[0] == ENGINE_MAJOR]


def _version(record: dict) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(record.get("version", "")).split("."))
    except ValueError:
        return (0,)  # a pre-release ("3.0a1"): not for a classroom


def pairs(entries: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """Return the newest files of each (src, dst) pair the registry lists."""
    newest: dict[tuple[str, str], tuple] = {}
    for r in entries:
        key = (r.get("sourceLanguage", ""), r.get("targetLanguage", ""))
        newest[key] = max(newest.get(key, ()), _version(r))
    chosen: dict[tuple[str, str], list[dict]] = {}
    for r in entries:
        key = (r.get("sourceLanguage", ""), r.get("targetLanguage", ""))
        if _version(r) == newest[key]:
            chosen.setdefault(key, []).append(r)
    return {key: files for key, files in chosen.items() if any(f["fileType"] == "model" for f in files)}


def attachments_url() -> str:
    """Return where the registry's attachments are served."""
    root = _get(f"{base_url()}/")
    url = ((root.get("capabilities") or {}).get("attachments") or {}).get("base_url") if isinstance(root, dict) else None
    return (url or f"{base_url()}/attachments/").rstrip("/") + "/"


def download(lang: str, progress: bool = True) -> list[Path]:
    """Download the pairs English -> ``lang`` and ``lang`` -> English; return their folders."""
    if lang == store.PIVOT:
        raise TranslateError("English is the language every model goes to or from; name the other one, e.g. es")
    offered = pairs(records())
    wanted = [key for key in ((store.PIVOT, lang), (lang, store.PIVOT)) if key in offered]
    if not wanted:
        languages = sorted({code for key in offered for code in key} - {store.PIVOT})
        raise TranslateError(f"the registry has no model for {lang!r}; languages: {', '.join(languages)}")
    fetch_now = [key for key in wanted if not _current(key, offered[key])]
    if not fetch_now:
        return [_folder(key) for key in wanted]
    base = attachments_url()
    files = [(key, r) for key in fetch_now for r in offered[key]]
    from tqdm import tqdm  # noqa: PLC0415 - only the download shows a progress bar

    staging = store.translate_dir() / ".partial"
    total = sum(int(r["attachment"]["size"]) for _, r in files)
    have = sum(downloads.size_of(staging / _part_name(r)) for _, r in files)
    with tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=f"translate {lang}", disable=not progress,
              bar_format="{l_bar}{bar}| {n_fmt}B / {total_fmt}B [{elapsed}<{remaining}, {rate_fmt}]") as bar:
        for key in fetch_now:
            _install(key, offered[key], base, staging, bar)
    return [_folder(key) for key in wanted]


def _folder(key: tuple[str, str]) -> Path:
    return store.translate_dir() / f"{key[0]}-{key[1]}"


def _hashes(entries: list[dict]) -> dict[str, str]:
    return {r["name"]: r.get("decompressedHash") or r["attachment"]["hash"] for r in entries}


def _current(key: tuple[str, str], entries: list[dict]) -> bool:
    """Tell whether the pair is installed with exactly these files: nothing to fetch again."""
    marker = _folder(key) / store.MARKER
    try:
        return json.loads(marker.read_text()).get("files") == _hashes(entries)
    except (OSError, ValueError):
        return False


def _part_name(record: dict) -> str:
    return f"{record['sourceLanguage']}-{record['targetLanguage']}.{record['attachment']['filename']}.part"


def _install(key: tuple[str, str], entries: list[dict], base: str, staging: Path, bar) -> Path:
    """Fetch, verify and unpack one pair's files, then move the whole folder in at once."""
    from fxtranslate import discovery  # noqa: PLC0415 - its zstd decoder checks the decompressed SHA-256

    target = _folder(key)
    building = staging / target.name
    building.mkdir(parents=True, exist_ok=True)
    for record in entries:
        attachment = record["attachment"]
        part = staging / _part_name(record)
        try:
            downloads.fetch(base + attachment["location"].lstrip("/"), part, int(attachment["size"]), bar)
            downloads.check(part, int(attachment["size"]), attachment["filename"], "sha256", attachment["hash"])
        except downloads.DownloadError as exc:
            raise TranslateError(str(exc)) from None
        data = part.read_bytes()
        if attachment["filename"].endswith(".zst"):
            try:
                data = discovery.verify_and_decompress(data, record.get("decompressedHash"))
            except ValueError as exc:
                part.unlink()
                raise TranslateError(f"{attachment['filename']} cannot be unpacked: {exc}") from None
        (building / record["name"]).write_bytes(data)
    (building / store.MARKER).write_text(json.dumps({
        "src": key[0], "dst": key[1], "version": entries[0].get("version"), "registry": base_url(),
        "files": _hashes(entries)}, indent=1))
    if target.exists():
        shutil.rmtree(target)
    building.replace(target)
    for record in entries:
        (staging / _part_name(record)).unlink(missing_ok=True)
    return target
