"""Export an end-to-end encrypted room's transcript where its key is, with no Flask and no database:

    CCC_ROOM_KEY=KEY python -m ccc.transcripts export --hub URL --room CODE --format srt [--session N] [-o FILE]

The key comes from ``CCC_ROOM_KEY``, ``--key-file FILE`` or standard input (``--key-file -``); ``--key KEY``
works too, but a command line is readable by every user of the PC (``ps``).

The hub serves the sealed captions as ``/r/<code>/transcript.json``; this opens them with the room key and
writes them with the same exporters the hub uses for ordinary rooms (see docs/security.md).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import requests

from ccc import e2e
from ccc.protocol import normalize_code
from ccc.transcripts import FORMATS, CaptionRecord, Revision, SessionRecord, Transcript, Word, export

UNREADABLE = "[unreadable caption]"
NOT_SEALED = "[not from this room]"


class Opener:
    """Open the envelopes of one room with its key, counting those that do not open."""

    def __init__(self, key: bytes, code: str):
        self.key, self.code = key, code
        self.failed: set[str] = set()  # utteranceIds with a text (current or a revision) that did not open
        self.unsealed: set[str] = set()  # utteranceIds with a text that is no envelope at all

    def open(self, utterance_id: str, text: str) -> dict[str, Any]:
        """Return the plaintext {text, words?} of an envelope; a text that is none is not from this room.

        The hub cannot seal: a caption it stored in the clear (a hub that was changed, an older client that
        sent plain text) would otherwise read as genuine speech in a room whose point is that it cannot.
        """
        if not text.startswith("e2e1."):
            self.unsealed.add(utterance_id)
            return {"text": NOT_SEALED}
        try:
            return e2e.open_envelope(self.key, self.code, utterance_id, text)
        except e2e.E2EError:
            self.failed.add(utterance_id)
            return {"text": UNREADABLE}


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def _caption(item: dict[str, Any], opener: Opener) -> CaptionRecord:
    uid = item["utteranceId"]
    plain = opener.open(uid, item["text"])
    words = plain.get("words") or item.get("words")
    revisions = tuple(Revision(rev=r["rev"], edited_by=r["editedBy"], edited_at=_seconds(r["editedAt"]) or 0,
                               before=opener.open(uid, r["before"])["text"], after=opener.open(uid, r["after"])["text"])
                      for r in item.get("revisions") or [])
    return CaptionRecord(
        seq=item["seq"], utterance_id=uid, speaker_id=item["speakerId"], speaker_name=item["speakerName"],
        text=plain["text"], started_at=item.get("startedAt"), ended_at=item.get("endedAt"),
        created_at=_seconds(item.get("createdAt")) or 0,
        words=tuple(Word(w["word"], w["start"], w["end"], w.get("conf")) for w in words) if words else None,
        revisions=revisions)


def opened_transcript(doc: dict[str, Any], opener: Opener) -> Transcript:
    """Return the Transcript of a JSON export document with every envelope opened."""
    sessions = tuple(SessionRecord(
        number=s["number"], title=s["title"], started_at=_seconds(s["startedAt"]) or 0,
        ended_at=_seconds(s.get("endedAt")), captions=tuple(_caption(c, opener) for c in s["captions"]))
        for s in doc["sessions"])
    return Transcript(room_code=doc["room"]["code"], room_title=doc["room"]["title"], sessions=sessions)


def room_key(options: argparse.Namespace) -> str:
    """Return the room key from --key, --key-file (``-``: standard input) or CCC_ROOM_KEY."""
    if options.key:
        return options.key
    if options.key_file:
        text = sys.stdin.read() if options.key_file == "-" else Path(options.key_file).read_text()
        return text.strip()
    if os.environ.get("CCC_ROOM_KEY"):
        return os.environ["CCC_ROOM_KEY"].strip()
    raise e2e.E2EError("no room key: set CCC_ROOM_KEY, or give --key-file FILE (- reads standard input)")


def export_command(options: argparse.Namespace) -> int:
    """Fetch, open and write one room's transcript; return the exit status."""
    code = normalize_code(options.room)
    key = e2e.parse_key(room_key(options))
    url = f"{options.hub.rstrip('/')}/r/{code}/transcript.json"
    response = requests.get(url, params={"session": options.session} if options.session else None, timeout=60)
    if not response.ok:
        raise SystemExit(f"error: {url} answered {response.status_code}: {response.text.strip()[:200]}")
    opener = Opener(key, code)
    data = export(options.format, opened_transcript(response.json(), opener))
    if options.output:
        Path(options.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    status = 0
    if opener.failed:
        print(f"warning: {len(opener.failed)} captions did not open with this key (wrong key, or tampered); "
              f"they read {UNREADABLE}", file=sys.stderr)
        status = 1
    if opener.unsealed:
        print(f"warning: {len(opener.unsealed)} captions were not sealed with the room key, so nobody in the room "
              f"wrote them (or they were changed on the way); they read {NOT_SEALED}", file=sys.stderr)
        status = 1
    return status


def _key_joined(argv: list[str]) -> list[str]:
    """Return ``argv`` with ``--key VALUE`` as ``--key=VALUE``: a room key may begin with "-" (base64url).

    argparse would take such a key for an option and answer "--key: expected one argument".
    """
    out = list(argv)
    for i, arg in enumerate(out[:-1]):
        if arg == "--key":
            out[i:i + 2] = [f"--key={out[i + 1]}"]
            break
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python -m ccc.transcripts")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("export", help="export an end-to-end encrypted room's transcript with its key")
    cmd.add_argument("--hub", required=True, help="hub URL, e.g. http://192.168.1.10:5000")
    cmd.add_argument("--room", required=True, help="room code")
    cmd.add_argument("--key", help="the room key (the part after #k= in its links); better CCC_ROOM_KEY or "
                                    "--key-file, which other users of the PC cannot read with ps")
    cmd.add_argument("--key-file", help="a file holding the room key; - reads it from standard input")
    cmd.add_argument("--format", choices=FORMATS, default="txt")
    cmd.add_argument("--session", type=int, help="one session's number (default: all, in order)")
    cmd.add_argument("-o", "--output", help="file to write (default: standard output)")
    options = parser.parse_args(_key_joined(sys.argv[1:] if argv is None else argv))
    try:
        return export_command(options)
    except e2e.E2EError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except requests.RequestException as exc:  # an OSError too: before the next clause
        print(f"error: the hub could not be reached: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot read the room key: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
