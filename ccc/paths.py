"""Where CCC keeps files on the machine, shared by the hub, the station and the translation layer (no Flask)."""
from __future__ import annotations

import os
from pathlib import Path


def models_dir() -> Path:
    """Return the folder models are kept in (CCC_MODELS_DIR, else ~/.local/share/ccc/models)."""
    configured = os.environ.get("CCC_MODELS_DIR")
    return Path(configured) if configured else Path.home() / ".local" / "share" / "ccc" / "models"
