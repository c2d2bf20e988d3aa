"""Resumable, verified downloads of model files: Vosk and Whisper models for the station, translation models.

Every download goes through a ``.part`` file that grows with HTTP Range requests from where it ends, so a
dropped connection is resumed at once (while each try moves the file on) and a killed run by the next one.
A finished file is checked against the size and digest its list publishes before anything uses it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import requests


class DownloadError(Exception):
    """A download that cannot finish now; the message is one line saying what to do."""


def size_of(path: Path) -> int:
    """Return the size of ``path`` in bytes, 0 when it does not exist."""
    return path.stat().st_size if path.exists() else 0


def digest(path: Path, algorithm: str = "sha256") -> str:
    """Return the hex digest of the file ``path``, read in 1 MB blocks."""
    found = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            found.update(block)
    return found.hexdigest()


def fetch(url: str, part: Path, size: int, bar, attempts: int = 5) -> None:
    """Append ``url`` to ``part`` from where it ends, counting bytes on ``bar``; resume after each drop.

    ``size`` is the listed length (0 when the list gives none: one whole answer is then the file). A part
    file already that long is left alone; a server that ignores Range starts the file over. Raises
    DownloadError when the server cannot be reached, answers an error, or drops without sending anything.
    """
    for _attempt in range(attempts):
        have = size_of(part)
        if size and have >= size:
            return
        try:
            if not _append(url, part, have, size, bar) or not size:
                return
        except requests.RequestException as exc:
            if size_of(part) > have:
                continue  # a drop after some bytes: ask for the rest at once
            if isinstance(exc, requests.ConnectionError):
                raise DownloadError(f"cannot reach {url}: are you offline? Run the same command again to resume") \
                    from None
            raise DownloadError(f"download of {url} failed: {exc}; run the same command again to resume") from None
    if size and size_of(part) < size:
        raise DownloadError(f"{part.name}: the connection keeps dropping; run the same command again to resume")


def check(part: Path, size: int, name: str, algorithm: str = "", expected: str = "") -> None:
    """Raise DownloadError when ``part`` is not ``size`` bytes or its digest is not ``expected``.

    A file that can never come right (longer than listed, or the wrong digest) is removed, so the next run
    fetches it anew; a short one is kept for the next run to resume.
    """
    got = size_of(part)
    if size and got != size:
        if got > size:
            part.unlink()
        raise DownloadError(f"{name}: {got} bytes, the list says {size}; run the same command again")
    if expected and digest(part, algorithm) != expected:
        part.unlink()
        label = {"sha256": "SHA-256"}.get(algorithm, algorithm.upper())
        raise DownloadError(f"{name} is corrupt ({label} mismatch); run the same command again")


def _append(url: str, part: Path, have: int, size: int, bar) -> bool:
    """Make one request for the rest of ``url``; return False when the server says there is no rest."""
    with requests.get(url, headers={"Range": f"bytes={have}-"} if have else {}, stream=True, timeout=30) as response:
        if response.status_code == 416:
            return False  # nothing past what we have: the check judges it
        response.raise_for_status()
        if response.status_code != 206 and have:
            bar.update(-have)  # the server ignored Range: start over rather than append a second copy
            have = 0
        if not size and bar.total is None:
            bar.total = have + int(response.headers.get("Content-Length", 0)) or None
        with open(part, "ab" if have else "wb") as out:
            for block in response.iter_content(1 << 15):
                out.write(block)
                bar.update(len(block))
    return True
