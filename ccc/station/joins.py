"""Join the finals of one hold's cuts: keep only the words past a decoding's context, drop a word heard twice.

Whisper decodes each cut after some of the hold's audio before it (ccc/station/whisper.py, CONTEXT_S); these
functions take the new words out of such a decoding, so no audio an earlier final covered is shown again.
"""
from __future__ import annotations

import re

ECHO_WORDS = 3  # drop_echo() looks at this many words either side of a cut
ECHO_S = 1.0  # ... within the first second of the later final


def bare_words(text: str) -> list[str]:
    """Return the words of ``text`` in lower case, without punctuation, hyphens split."""
    return re.sub(r"[^\w ]", "", text.lower().replace("-", " ")).split()


def join_words(words: list[dict]) -> str:
    """Return the caption text of some word timings: Whisper's "cold" "-hearted" is one word."""
    return re.sub(r" (?=-)", "", " ".join(w["word"] for w in words))


def after_context(words: list[dict], context_s: float) -> tuple[str, list[dict]]:
    """Return the text and words of a decoding that lie after its first ``context_s``, times made relative."""
    shift = round(context_s * 1000)
    kept = [{**w, "start": max(0, w["start"] - shift), "end": max(0, w["end"] - shift)}
            for w in words if (w["start"] + w["end"]) / 2 >= shift]
    return join_words(kept), kept


def drop_echo(last: list[list[str]], text: str, words: list[dict]) -> tuple[str, list[dict]]:
    """Drop the words a final opens with when they repeat the previous final's last words across the cut.

    A word cut in two at the 15 s limit, or one straddling the end of the context (after_context), is
    heard on both sides of the cut ("and And"); a speaker repeating a word across a half-second pause
    is rarer than that, and only the first ``ECHO_S`` of a final is looked at.
    """
    for count in range(min(ECHO_WORDS, len(last), len(words)), 0, -1):
        head = words[:count]
        if [bare_words(w["word"]) for w in head] == last[-count:] and head[-1]["start"] < ECHO_S * 1000:
            kept = [dict(w) for w in words[count:]]
            if kept and head[0]["word"][:1].isupper():  # the dropped word began the sentence
                kept[0]["word"] = kept[0]["word"][:1].upper() + kept[0]["word"][1:]
            return join_words(kept), kept
    return text, words
