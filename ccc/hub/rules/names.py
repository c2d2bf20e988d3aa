"""Names compared as readers see them: "Dr Lee", "dr. lee", "Dr Lее" (Cyrillic e) and "Dr ʟee" are one name.

What a name "reads as" follows Unicode TR 39's idea of a skeleton: each letter that looks like a Latin letter
or digit stands for it, using the confusables data of Unicode (the maintained `confusable_homoglyphs`
package, not a hand list). ASCII letters are never merged with each other, except the TR 39 prototypes that
readers cannot tell apart on a projector: 1 and | read as l, 0 as o, and a capital I as l too (name_keys).
"""
from __future__ import annotations

import functools
import unicodedata

from confusable_homoglyphs.confusables import confusables_data

_ASCII_PROTOTYPES = str.maketrans({"1": "l", "|": "l", "0": "o"})
_HOPS = 3  # в (Cyrillic) -> ʙ -> ᏼ (Cherokee) -> Ᏼ -> B: look-alikes of look-alikes, but no further


def _fold(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).casefold()


@functools.cache
def _prototype(ch: str) -> str:
    """Return the ASCII letter or digit a non-ASCII character looks like, or the character itself."""
    seen, frontier = {ch}, [ch]
    for _ in range(_HOPS):
        found, following = [], []
        for node in frontier:
            for glyph in confusables_data.get(node, []) + confusables_data.get(_fold(node), []):
                other = glyph["c"].strip("\u200e")
                if len(other) != 1:
                    continue
                if other.isascii() and other.isalnum():
                    found.append(other)
                elif other not in seen:
                    seen.add(other)
                    following.append(_fold(other) if len(_fold(other)) == 1 else other)
        if found:
            return sorted(found, key=lambda c: (not c.isalpha(), c))[0]
        frontier = following
    return ch


def name_keys(name: str) -> set[str]:
    """Return what a name may read as: its key, and its key with a capital I taken for an l ("Dr Iee").

    Two names read alike when their keys meet. The capital I is a second key, not a mapping, so that case
    still does not count: "ADMIN" reads as "admin", and "ivan" is not "lvan".
    """
    return {name_key(name), name_key(name.replace("I", "l"))}


def name_key(name: str) -> str:
    """Return what a name reads as: NFKC, look-alikes mapped, case-folded, only letters and digits kept."""
    normal = unicodedata.normalize("NFKC", name).translate(_ASCII_PROTOTYPES)
    mapped = "".join(ch if ch.isascii() else _prototype(ch) for ch in normal).translate(_ASCII_PROTOTYPES)
    # Accents dropped too: "José" and "Jose" read as one name on a projector.
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", mapped.casefold()) if not unicodedata.combining(ch))
    return "".join(ch for ch in stripped if ch.isalnum())
