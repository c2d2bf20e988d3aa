"""Names compared as readers see them: "Dr Lee", "dr. lee" and "Dr Lее" (Cyrillic e) are one name."""
from __future__ import annotations

import unicodedata

# Letters of other scripts that look like Latin ones (NFKC keeps them apart); the common ones are enough
# to stop a look-alike of a verified name on a phone's screen.
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "һ": "h", "ԁ": "d", "ɡ": "g", "ı": "i",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ϲ": "c", "ℓ": "l",
})


def name_key(name: str) -> str:
    """Return what a name reads as: NFKC, case-folded, look-alikes mapped, only letters and digits kept."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_CONFUSABLES)
    # Accents dropped too: "José" and "Jose" read as one name on a projector.
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    return "".join(ch for ch in stripped if ch.isalnum())
