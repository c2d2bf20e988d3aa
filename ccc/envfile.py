"""The classroom PC's one settings file (/etc/ccc/ccc.env): KEY=VALUE lines that systemd and the doctor read."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

DEFAULT_PATH = Path("/etc/ccc/ccc.env")


def path() -> Path:
    """Return the settings file in use (CCC_SETTINGS overrides /etc/ccc/ccc.env)."""
    return Path(os.environ.get("CCC_SETTINGS") or DEFAULT_PATH)


def read(file: Path) -> dict[str, str]:
    """Return the KEY=VALUE pairs of an environment file (comments and blank lines skipped; quotes removed)."""
    values: dict[str, str] = {}
    if not file.is_file():
        return values
    for line in file.read_text().splitlines():  # PermissionError is the caller's: it knows what to advise
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value)
        except ValueError:
            parts = [value]
        values[key.strip()] = " ".join(parts) if parts else ""
    return values


def settings(file: Path | None = None) -> dict[str, str]:
    """Return the settings file's values with this process's environment over them (it wins, as for the hub)."""
    return {**read(file or path()), **os.environ}
