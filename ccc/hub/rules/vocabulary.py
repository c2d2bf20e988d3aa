"""A room's vocabulary: names and terms the stations' recognizers should know, and a replacement table.

Validated by ``protocol.Vocabulary`` like any input from the wire, whether it comes from /admin or the CLI.
The text form (used by `rooms vocabulary --from-file` and the /admin textareas) is one term per line and
``from => to`` for a replacement.
"""
from __future__ import annotations

from typing import Any

from ccc import protocol
from ccc.protocol import ProtocolError, normalize_code
from ccc.store.db import db
from ccc.store.models import Room

from .rooms import RoomError, find_room

ARROW = "=>"
# A text form longer than the largest valid vocabulary is refused before it is split into lines.
MAX_TEXT_CHARS = protocol.MAX_REPLACEMENTS * (protocol.MAX_REPLACE_FROM + protocol.MAX_REPLACE_TO + 8) + (
    protocol.MAX_TERMS * (protocol.MAX_TERM + 2))


def _lines(text: str) -> list[str]:
    if len(text) > MAX_TEXT_CHARS:
        raise RoomError(f"the vocabulary text is too long (at most {MAX_TEXT_CHARS} characters)")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def rule(line: str, separator: str = ARROW) -> dict[str, str]:
    """Return a replacement rule from ``from => to`` (or ``FROM=TO`` with ``separator='='``)."""
    source, found, target = line.partition(separator)
    if not found:
        shape = "FROM=TO" if separator == "=" else f"from {separator} to"
        raise RoomError(f"a replacement reads '{shape}', got {line[:60]!r}")
    return {"from": source.strip(), "to": target.strip()}


def from_text(terms_text: str = "", replacements_text: str = "", mixed_text: str = "") -> dict[str, Any]:
    """Return the raw vocabulary of the text form: terms one per line, ``from => to`` replacements.

    ``mixed_text`` holds both (a file): its lines with ``=>`` are replacements, the others terms.
    """
    terms = _lines(terms_text)
    replacements = [rule(line) for line in _lines(replacements_text)]
    for line in _lines(mixed_text):
        if ARROW in line:
            replacements.append(rule(line))
        else:
            terms.append(line)
    return {"terms": terms, "replacements": replacements}


def to_text(vocabulary: dict[str, Any]) -> tuple[str, str]:
    """Return a vocabulary as the text form: the terms and the replacements, one per line."""
    terms = "\n".join(vocabulary["terms"])
    replacements = "\n".join(f"{r['from']} {ARROW} {r['to']}".rstrip() for r in vocabulary["replacements"])
    return terms, replacements


def check(raw: dict[str, Any]) -> dict[str, Any]:
    """Return ``raw`` validated and normalized (whitespace, duplicates), or raise RoomError saying why not."""
    try:
        return protocol.parse(protocol.Vocabulary, raw).wire()
    except ProtocolError as exc:
        raise RoomError(f"vocabulary refused: {_readable(exc.message, raw)}") from None


def _readable(message: str, raw: dict[str, Any]) -> str:
    """Name the offending line ("term 3 'x'") instead of the model path ("terms.2")."""
    where, _, why = message.partition(": ")
    parts = where.split(".")
    if len(parts) >= 2 and parts[0] in raw and parts[1].isdigit():
        index = int(parts[1])
        item = raw[parts[0]][index]
        shown = item if isinstance(item, str) else item.get("from", "") if isinstance(item, dict) else item
        kind = "term" if parts[0] == "terms" else "replacement"
        field = f" ({parts[2]})" if len(parts) > 2 else ""
        return f"{kind} {index + 1}{field} {str(shown)[:40]!r}: {why.removeprefix('Value error, ')}"
    return message.removeprefix("Value error, ")


def set_vocabulary(code: str, raw: dict[str, Any]) -> Room:
    """Validate and store the vocabulary of an open room; nothing changes when it is refused."""
    room = find_room(code)
    if room is None:
        raise RoomError(f"no open room with code {normalize_code(code)!r}")
    cleaned = check(raw)
    room.vocabulary = cleaned if cleaned["terms"] or cleaned["replacements"] or cleaned.get("verbatim") else None
    db.session.commit()
    return room


def describe(vocabulary: dict[str, Any]) -> str:
    """Return a one-line count of terms and replacements, and whether hesitations are kept."""
    terms, rules = len(vocabulary["terms"]), len(vocabulary["replacements"])
    kept = ", hesitations kept (verbatim)" if vocabulary.get("verbatim") else ""
    return f"{terms} term{'' if terms == 1 else 's'}, {rules} replacement{'' if rules == 1 else 's'}{kept}"


def set_verbatim(code: str, verbatim: bool) -> Room:
    """Keep (or leave out, the default) hesitations in the captions of an open room's stations."""
    room = find_room(code)
    if room is None:
        raise RoomError(f"no open room with code {normalize_code(code)!r}")
    return set_vocabulary(room.code, {**room.vocabulary_wire(), "verbatim": verbatim})
