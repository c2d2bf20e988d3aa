"""The JSON export: everything the hub stored, with the full revision history (schema in docs/transcripts.md).

Keys are camelCase as on the wire; every time is in epoch milliseconds; times the hub never received are null.
"""
from __future__ import annotations

import json
from typing import Any

from .model import CaptionRecord, Revision, SessionRecord, Transcript, Word

FORMAT_NAME = "ccc-transcript"
FORMAT_VERSION = 1


def _ms(epoch_s: float | None) -> int | None:
    """Return epoch seconds as whole epoch milliseconds, keeping None."""
    return None if epoch_s is None else round(epoch_s * 1000)


def _word(word: Word) -> dict[str, Any]:
    """Return one word timing as JSON."""
    return {"word": word.word, "start": word.start, "end": word.end, "conf": word.conf}


def _revision(revision: Revision) -> dict[str, Any]:
    """Return one correction as JSON."""
    return {
        "rev": revision.rev,
        "editedBy": revision.edited_by,
        "editedAt": _ms(revision.edited_at),
        "before": revision.before,
        "after": revision.after,
    }


def _caption(caption: CaptionRecord) -> dict[str, Any]:
    """Return one caption as JSON, with its original text and revisions oldest first."""
    return {
        "seq": caption.seq,
        "utteranceId": caption.utterance_id,
        "speakerId": caption.speaker_id,
        "speakerName": caption.speaker_name,
        "text": caption.text,
        "originalText": caption.original_text,
        "startedAt": caption.started_at,
        "endedAt": caption.ended_at,
        "createdAt": _ms(caption.created_at),
        "words": None if caption.words is None else [_word(word) for word in caption.words],
        "revisions": [_revision(r) for r in sorted(caption.revisions, key=lambda r: r.rev)],
    }


def _session(session: SessionRecord) -> dict[str, Any]:
    """Return one session and its captions as JSON."""
    return {
        "number": session.number,
        "title": session.title,
        "startedAt": _ms(session.started_at),
        "endedAt": _ms(session.ended_at),
        "captions": [_caption(caption) for caption in session.captions],
    }


def transcript_document(transcript: Transcript) -> dict[str, Any]:
    """Return the transcript as the JSON document's dict."""
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "room": {"code": transcript.room_code, "title": transcript.room_title},
        "sessions": [_session(session) for session in transcript.sessions],
    }
    if transcript.lang:  # only then, so the record's own documents stay as they were
        document["translation"] = {"lang": transcript.lang, "machineTranslated": True, "note": transcript.translation}
    return document


def to_json(transcript: Transcript) -> bytes:
    """Return the transcript as a UTF-8 JSON document."""
    # No export time inside: the same transcript always gives the same bytes.
    return json.dumps(transcript_document(transcript), ensure_ascii=False, indent=2).encode("utf-8")
