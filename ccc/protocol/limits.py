"""Limits of the wire protocol: every length, count and number a client may send is bounded by these."""
from __future__ import annotations

import re

MAX_TEXT = 2000
MAX_LANG = 12  # a language code: "pt", "pt-BR", "zh-Hant"
LANG_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
MAX_NAME = 60
MAX_ID = 64
MAX_CODE = 16
MAX_PIN = 32
MAX_PASSWORD = 64  # a private room's read password
MAX_TOKEN = 64  # a resumeToken the hub issued (32 characters today)
MAX_WORDS = 1000
# A room's vocabulary (names and terms for the recognizer, and replacements applied to finals).
MAX_TERMS = 200
MAX_TERM = 60
MAX_REPLACEMENTS = 200
MAX_REPLACE_FROM = 100
MAX_REPLACE_TO = 100
MAX_WORD = 50
# Presenters waiting for the floor in one room (raised hands).
MAX_QUEUE = 20
# Sequence numbers stay within what a browser's Number holds exactly.
MAX_SEQ = 2**53 - 1
# Recognizers give one word timing per word of the text; a few more (fillers) are tolerated, no more.
EXTRA_WORDS = 10
# Every number on the wire is finite. Caption times are epoch ms within this many ms of the hub's clock
# (a PC whose clock is a few years off still works; 1e300 or a 1970 clock does not).
TIME_WINDOW_MS = 5 * 365 * 24 * 3600 * 1000
# One utterance (a push-to-talk hold) lasts at most this long; word times may overhang it by a little.
MAX_UTTERANCE_MS = 30 * 60 * 1000
WORD_SLACK_MS = 5_000
# Epoch ms are above this (1973); smaller word times are offsets from the utterance start.
EPOCH_MS_FLOOR = 1e11
# Stored times outside [0, this] (year 5138) are read back as missing, so no export or join breaks.
MAX_STORED_MS = 1e14
# A room code uses letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# End-to-end encrypted rooms (docs/security.md): caption text is an envelope the hub cannot open. Its size
# bounds the plaintext (text and word timings as JSON) to about 17,900 bytes: 2,000 characters of any script
# with their word timings fit; a station drops the timings of an utterance whose envelope would not.
E2E_PREFIX = "e2e1."
MAX_ENVELOPE = 24_000
ENVELOPE_PATTERN = re.compile(r"^e2e1\.[A-Za-z0-9_-]{38,}$")  # 12-byte nonce + 16-byte tag at the least
E2E_REQUIRED = ("this room is end-to-end encrypted: caption text must be an e2e1 envelope sealed with the "
                "room key (see docs/security.md), never plain text")


