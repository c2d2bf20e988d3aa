"""A station's own translations, for end-to-end encrypted rooms (``--translate pt,es``).

The hub cannot read an e2e room's captions, so it cannot translate them. A station started with
``--translate`` translates each of its finals (and corrections) itself, on ccc.translate's worker process,
and the translations travel inside the final's sealed envelope beside the text (ccc.e2e): the hub, its
database and its logs only ever hold the envelope. Pages that hold the room key show the reader's language.
"""
from __future__ import annotations

import re
from typing import Callable

from ccc.protocol import LANG_PATTERN
from ccc.station import StationError

TIMEOUT_S = 2.0  # per final, all languages: a final is late by this much at most, never lost


def make_translator(spec: str, spoken: str) -> Callable[[str], dict[str, str]]:
    """Return a function giving a text in each language of ``spec`` ("pt,es"); refuse one with no model."""
    langs = list(dict.fromkeys(code.strip() for code in spec.split(",") if code.strip()))
    bad = [code for code in langs if not re.match(LANG_PATTERN, code)]
    if not langs or bad:
        raise StationError(f"--translate takes language codes such as pt,es; got {spec!r}")
    from ccc.translate.engine import Translations  # noqa: PLC0415 - the models only when asked for

    engine = Translations()
    missing = [code for code in langs if code == spoken or not engine.can_translate(spoken, code)]
    if missing:
        engine.close()
        have = ", ".join(engine.languages(spoken)) or "none"
        raise StationError(f"no translation model for {spoken} -> {', '.join(missing)} (installed: {have}); "
                           f"fetch one with: python -m ccc.translate models download {missing[0]}")
    for code in langs:
        engine.warm(spoken, code)  # loaded while the recognizer loads, not on the first final

    def translate(text: str) -> dict[str, str]:
        """Return ``text`` in each language that was ready in time (a late one is left out: the original shows)."""
        return {code: done for code, done in engine.translate_each(text, spoken, langs, TIMEOUT_S) if done}

    return translate
