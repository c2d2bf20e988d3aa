"""Which recognizer a station runs: the engine table, the defaults per language, and the fallbacks.

English defaults to two passes, Whisper (base or tiny.en, as ccc/station/choice.py measured this PC) for
finals and a streaming engine for partials; other languages get Whisper base, or their Vosk model.
PocketSphinx is the fallback when Whisper cannot load. The engines themselves are in recognizers.py,
whisper.py and languages.py; this module only chooses among them.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ccc.station import StationError, choice, whisper, whisper_base
from ccc.station import vosk_models as model_store
from ccc.station.languages import translator, whisper_for, whisper_language
from ccc.station.recognizers import Recognizer, SphinxRecognizer, VoskRecognizer, english_vosk

FALLBACK_WARNING = (
    "warning: Whisper cannot load ({reason}), using PocketSphinx (English only, much less accurate). "
    "For better captions fix that, e.g. pip install -r requirements.txt"
)
ENGINES = ("whisper", "vosk", "pocketsphinx")



def load(engine: str | None = None, model: str | None = None, warn=None, lang: str = "en",
         translate_to: str | None = None) -> Recognizer:
    """Return the recognizer asked for; by default Whisper in two passes for English, Whisper base for others."""
    warn = warn or (lambda message: print(message, file=sys.stderr))
    english = lang.lower().startswith("en")
    if translate_to:
        return translator(engine, model, lang, translate_to)
    if engine == "pocketsphinx":
        return SphinxRecognizer(_sphinx_model(model))
    if engine == "whisper" or (engine is None and model and whisper.is_whisper_model(model)):
        if not english:
            return whisper_for(lang, model or "base")
        return whisper.TwoPassRecognizer(streaming_engine(), whisper.WhisperRecognizer(model or _english_default()))
    if engine == "vosk" or model:
        return _vosk(model or ("" if english else lang))
    if engine:
        raise StationError(f"unknown engine {engine!r}: use {', '.join(ENGINES)}")
    if not english:
        if whisper_language(lang) and _base_available():
            try:
                return whisper_for(lang, "base")
            except StationError as exc:
                warn(f"warning: Whisper base cannot load ({exc}), using the Vosk model for {lang}")
        return _vosk(lang)
    chosen = _english_default(warn)  # a wrong CCC_WHISPER_DEFAULT is an error, not a fallback
    try:
        try:
            final_pass = whisper.WhisperRecognizer(chosen)
        except StationError as exc:
            if chosen == whisper.BUNDLED:
                raise
            warn(f"warning: Whisper {chosen} cannot load ({exc}), using tiny.en")
            final_pass = whisper.WhisperRecognizer(whisper.BUNDLED)
    except StationError as exc:
        if english_vosk() is not None:
            warn(f"warning: Whisper cannot load ({exc}), using the English Vosk model")
            return _vosk("")
        warn(FALLBACK_WARNING.format(reason=exc))
        return SphinxRecognizer()
    return whisper.TwoPassRecognizer(streaming_engine(), final_pass)


def _base_available() -> bool:
    return whisper_base.joined() or whisper_base.sources() is not None


def _english_default(warn=None) -> str:
    return choice.default_english(warn)["model"]


def streaming_engine() -> Recognizer:
    """Return the partials engine of the two passes: an English Vosk model if installed, else PocketSphinx.

    Chosen by measurement (docs/accuracy.md): both stream at a fraction of real time, leaving the CPU to
    Whisper and the hub; re-decoding with Whisper for partials does not keep up on 2 shared cores.
    """
    found = english_vosk()
    if found is not None:
        try:
            return VoskRecognizer(found["path"], found["lang"])
        except StationError:
            pass  # A broken English model still leaves PocketSphinx for partials; finals are Whisper's.
    return SphinxRecognizer(partials_only=True)


def _vosk(model: str) -> Recognizer:
    if model:
        return VoskRecognizer(model_store.resolve(model), model if "/" not in model else "")
    found = english_vosk() or next(iter(model_store.installed()), None)
    if not found:
        raise StationError(
            f"no Vosk model in {model_store.models_dir()}; run: {model_store.FIX_HINT.format(lang='en-us')}"
        )
    return VoskRecognizer(found["path"], found["lang"])


def _sphinx_model(model: str | None) -> Path | None:
    if not model or model.lower() in {"en", "en-us"}:
        return None
    path = Path(model).expanduser()
    if not path.is_dir():
        raise StationError(f"PocketSphinx speaks English only (en-us) or needs a model folder; got {model!r}")
    return path
