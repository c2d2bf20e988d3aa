"""Leave hesitation fillers ("uh", "um", "er", "hmm") out of captions, and tidy what they leave behind.

Whisper writes a speaker's hesitations as words ("Um, so the, uh... the results"). A caption reader gains
nothing from them, so finals and partials go out without them unless the station runs with ``--verbatim``.
Only sounds that carry no meaning are fillers: "oh", "ah", "uh-huh" and "mm-hmm" (yes, no, surprise) stay.
"""
from __future__ import annotations

import re

# "uh", "uhh", "um", "umm", "uhm", "er", "erm", "hm", "hmm", "mm", "mmm": spelled with any number of repeats.
FILLER = re.compile(r"^(u+h+|u+h*m+|e+r+m*|h+m+|m{2,})$", re.IGNORECASE)
_EDGE = re.compile(r"^([\"'(\[]*)(.*?)([.,!?;:\u2026\-\u2014\"')\]]*)$")
_ENDS = ".!?"


def is_filler(token: str) -> bool:
    """Tell whether a word as written (punctuation and all) is a hesitation filler."""
    return bool(FILLER.match(_EDGE.match(token).group(2)))


def drop_fillers(tokens: list[str]) -> list[tuple[int, str]]:
    """Return the tokens that are not fillers, as (index, token), with punctuation and capitals mended.

    A filler's sentence end ("so it works, um.") moves to the word before it; its comma or "..." goes
    with it; the word after a filler that began a sentence takes the capital the filler had.
    """
    kept: list[tuple[int, str]] = []
    capitalize = dropped = False
    for index, token in enumerate(tokens):
        lead, core, trail = _EDGE.match(token).groups()
        if not core and dropped:  # "um ..." written apart: the "..." goes with the filler
            continue
        dropped = bool(FILLER.match(core))
        if not dropped:
            if capitalize and core[:1].islower():
                token = lead + core[:1].upper() + core[1:] + trail
            capitalize = False
            kept.append((index, token))
            continue
        last = kept[-1][1].rstrip("\"')]") if kept else "."
        opens_sentence = not last or last[-1] in _ENDS
        if opens_sentence and core[:1].isupper():
            capitalize = True
        end = next((c for c in trail.replace("...", "").replace("\u2026", "") if c in _ENDS), "")
        if end and kept and not opens_sentence:
            at, previous = kept[-1]
            kept[-1] = (at, previous.rstrip(",;:\u2026-\u2014") + end)  # "works, um." -> "works."
    return kept


def strip_fillers(text: str) -> str:
    """Return ``text`` without fillers: no stray "...", lone punctuation or double spaces left behind."""
    return " ".join(token for _, token in drop_fillers(text.split()))


def strip_filler_words(words: list[dict]) -> list[dict]:
    """Return a final's word timings without the fillers, each kept word spelled as in the stripped text."""
    kept = drop_fillers([w.get("word", "") for w in words])
    return [{**words[index], "word": token} for index, token in kept]
