"""A room's vocabulary on the station: terms the recognizer should expect, and replacements for its output.

The hub sends {"terms": [str, ...], "replacements": [{"from": str, "to": str}, ...]} (and "verbatim": true
when the room keeps hesitations) in the presenter's join state and in `vocabularyUpdated`. It comes over
the network, so it is parsed defensively and bounded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_TERMS = 200
MAX_REPLACEMENTS = 200
MAX_TERM_CHARS = 80
# Whisper reads the terms as a prompt of at most 223 tokens; about 4 characters a token.
MAX_PROMPT_CHARS = 800
_EDGE_PUNCT = ".,;:!?\"'()[]"


def _clean(value, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit]


def _key(token: str) -> str:
    return token.strip(_EDGE_PUNCT).lower()


@dataclass(frozen=True)
class Vocabulary:
    """Terms to expect and from -> to replacements, applied to captions before they are sent."""

    terms: tuple[str, ...] = ()
    replacements: tuple[tuple[str, str], ...] = ()
    verbatim: bool = False  # the room keeps hesitations ("uh", "um") in its captions
    _patterns: tuple = field(default=(), repr=False, compare=False)

    def __post_init__(self):
        patterns = tuple(
            (re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, old.split())) + r"(?!\w)", re.IGNORECASE), new)
            for old, new in self.replacements
        )
        object.__setattr__(self, "_patterns", patterns)

    @classmethod
    def parse(cls, data) -> Vocabulary:
        """Return the vocabulary in ``data``; anything malformed or too long is dropped, never raised."""
        if not isinstance(data, dict):
            return cls()
        terms = data.get("terms") if isinstance(data.get("terms"), list) else []
        rules = data.get("replacements") if isinstance(data.get("replacements"), list) else []
        kept_terms = tuple(dict.fromkeys(t for t in (_clean(v, MAX_TERM_CHARS) for v in terms[:MAX_TERMS]) if t))
        kept_rules = []
        for rule in rules[:MAX_REPLACEMENTS]:
            if isinstance(rule, dict):
                old, new = _clean(rule.get("from"), MAX_TERM_CHARS), _clean(rule.get("to"), MAX_TERM_CHARS)
                if old and re.search(r"\w", old):
                    kept_rules.append((old, new))
        return cls(kept_terms, tuple(kept_rules), data.get("verbatim") is True)

    def __bool__(self) -> bool:
        return bool(self.terms or self.replacements)

    def prompt(self) -> str:
        """Return the terms as one hint phrase for the recognizer, cut to what it can read."""
        text = ", ".join(self.terms)
        return text[:MAX_PROMPT_CHARS].rsplit(",", 1)[0] if len(text) > MAX_PROMPT_CHARS else text

    def apply(self, text: str) -> str:
        """Return ``text`` with every replacement made: whole words or phrases, any case, the rule's spelling."""
        for pattern, new in self._patterns:
            text = pattern.sub(new.replace("\\", "\\\\"), text)
        return " ".join(text.split())

    def apply_words(self, words: list[dict]) -> list[dict]:
        """Return ``words`` with the same replacements: the words of a matched phrase merge into one entry.

        The entry spans the first word's start to the last word's end, keeps the lowest confidence and the
        last word's trailing punctuation. A replacement to nothing removes the words.
        """
        if not self._patterns:
            return words
        rules = [(tuple(_key(t) for t in old.split()), new) for old, new in self.replacements]
        out: list[dict] = []
        i = 0
        while i < len(words):
            for old, new in rules:
                span = words[i:i + len(old)]
                if len(span) == len(old) and all(_key(w["word"]) == o for w, o in zip(span, old)):
                    last = span[-1]["word"]
                    tail = last[len(last.rstrip(_EDGE_PUNCT)):]
                    if new:
                        merged = {**span[0], "word": new + tail, "end": span[-1]["end"]}
                        confs = [w["conf"] for w in span if w.get("conf") is not None]
                        if confs:
                            merged["conf"] = min(confs)
                        out.append(merged)
                    i += len(old)
                    break
            else:
                out.append(words[i])
                i += 1
        return out
