"""End-to-end encrypted rooms: the room key and the caption envelope (see docs/security.md).

The key is 256 random bits, written base64url without padding (43 characters) in the fragment of a room's
links (``#k=KEY``), which browsers never send to the hub. A caption's ``text`` on the wire is then the
envelope ``e2e1.<base64url(nonce 12 bytes || AES-256-GCM ciphertext and tag)>``; the plaintext is the JSON
``{"text": ..., "words": [...]?, "translations": {"pt": ...}?}`` (translations: a station's ``--translate``), and the associated data ``ccc-e2e-v1|<CODE>|<utteranceId>`` binds it to
its room and utterance, so an envelope replayed into another room or utterance does not open.

Shared by the station, the transcripts command and the tests; it imports neither Flask nor the hub (which
never holds a key and only checks an envelope's shape, with ``protocol.is_envelope``).
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ccc.protocol import E2E_PREFIX, MAX_ENVELOPE, normalize_code

KEY_BYTES = 32
NONCE_BYTES = 12
AD_PREFIX = "ccc-e2e-v1"
_KEY_TEXT = re.compile(r"^[A-Za-z0-9_-]{43}$")


class E2EError(ValueError):
    """A key that is not a room key, or an envelope that does not open (wrong key, tampered, replayed)."""


def b64url(data: bytes) -> str:
    """Return ``data`` as base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Return the bytes of base64url text with or without padding; raise E2EError when it is not."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise E2EError("not base64url") from exc


def new_key() -> str:
    """Return a new room key: 256 random bits as base64url (43 characters)."""
    return b64url(os.urandom(KEY_BYTES))


def parse_key(text: str) -> bytes:
    """Return the 32 bytes of a room key written as base64url; raise E2EError for anything else."""
    text = (text or "").strip()
    if not _KEY_TEXT.match(text):
        raise E2EError("a room key is 43 base64url characters (the part after #k= in the room's link)")
    return unb64url(text)


def from_join_url(url: str) -> tuple[str, str, str]:
    """Return (hub URL, room code, key) of a room link like ``http://hub:5000/r/CODE#k=KEY``."""
    parts = urlsplit(url)
    match = re.match(r"^/r/([^/]+)", parts.path or "")
    key = (parse_qs(parts.fragment).get("k") or [""])[0]
    if not parts.scheme or not parts.netloc or not match:
        raise E2EError("a join URL looks like http://HUB:5000/r/CODE#k=KEY")
    return f"{parts.scheme}://{parts.netloc}", normalize_code(match.group(1)), key


def associated_data(room: str, utterance_id: str) -> bytes:
    """Return the associated data that binds a caption's envelope to its room and utterance."""
    return f"{AD_PREFIX}|{normalize_code(room)}|{utterance_id}".encode()


def seal(key: bytes, room: str, utterance_id: str, text: str, words: list[dict] | None = None,
         translations: dict[str, str] | None = None) -> str:
    """Return the envelope of a caption's text (word timings, the station's translations) for this room and utterance."""
    plain: dict[str, Any] = {"text": text}
    if words:
        plain["words"] = words
    if translations:
        plain["translations"] = translations  # {"pt": ...}: machine translations made by the station
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(key).encrypt(nonce, json.dumps(plain, ensure_ascii=False).encode(),
                               associated_data(room, utterance_id))
    return E2E_PREFIX + b64url(nonce + body)


def open_envelope(key: bytes, room: str, utterance_id: str, envelope: str) -> dict[str, Any]:
    """Return the plaintext ``{"text", "words"?}`` of an envelope; raise E2EError when it does not open."""
    if not isinstance(envelope, str) or not envelope.startswith(E2E_PREFIX):
        raise E2EError("not an e2e1 envelope")
    raw = unb64url(envelope[len(E2E_PREFIX):])
    if len(raw) < NONCE_BYTES + 16:
        raise E2EError("envelope too short")
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(room, utterance_id))
    except InvalidTag as exc:
        raise E2EError("the caption does not open with this key (wrong key, tampered, or another room's)") from exc
    try:
        data = json.loads(plain)
    except ValueError as exc:
        raise E2EError("the caption's plaintext is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise E2EError("the caption's plaintext has no text")
    return data


def seal_caption(key: bytes, room: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Return a caption payload with its text, words and translations moved into an envelope (times stay visible)."""
    sealed = {k: v for k, v in payload.items() if k not in ("words", "translations")}
    uid, text, words, translations = payload["utteranceId"], payload["text"], payload.get("words"), \
        payload.get("translations")
    sealed["text"] = seal(key, room, uid, text, words, translations)
    if len(sealed["text"]) > MAX_ENVELOPE:  # the words are a nicety, the translations a help; the text is not
        sealed["text"] = seal(key, room, uid, text, None, translations)
    if len(sealed["text"]) > MAX_ENVELOPE:
        sealed["text"] = seal(key, room, uid, text)
    return sealed
