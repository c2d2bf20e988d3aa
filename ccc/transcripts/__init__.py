"""Transcript exports: TXT, Markdown, SRT, WebVTT, JSON and DOCX from a Transcript, with no Flask and no DB.

The hub builds a :class:`Transcript` from the database and calls ``export(fmt, transcript)``; the bytes go
out with ``CONTENT_TYPES[fmt]`` under a name from ``filename(transcript, fmt)``.
"""
from __future__ import annotations

import re
from datetime import tzinfo
from typing import Callable

from .docxexport import to_docx
from .jsonexport import FORMAT_NAME, FORMAT_VERSION, to_json
from .model import CaptionRecord, Revision, SessionRecord, Transcript, Word
from .subtitles import to_srt, to_vtt
from .text import to_markdown, to_txt

__all__ = [
    "CONTENT_TYPES", "EXTENSIONS", "FORMATS", "FORMAT_NAME", "FORMAT_VERSION", "CaptionRecord", "Revision",
    "SessionRecord", "Transcript", "UnknownFormat", "Word", "export", "filename",
]

# Formats whose text shows wall-clock times take the time zone; the others have no use for it.
_EXPORTERS: dict[str, Callable[[Transcript, tzinfo | None], bytes]] = {
    "txt": to_txt,
    "md": to_markdown,
    "srt": lambda transcript, tz: to_srt(transcript),
    "vtt": lambda transcript, tz: to_vtt(transcript),
    "json": lambda transcript, tz: to_json(transcript),
    "docx": to_docx,
}
FORMATS = tuple(_EXPORTERS)
CONTENT_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
EXTENSIONS = {fmt: f".{fmt}" for fmt in FORMATS}


class UnknownFormat(ValueError):
    """An export format this module does not write."""


def export(fmt: str, transcript: Transcript, tz: tzinfo | None = None) -> bytes:
    """Return the transcript in format ``fmt``; wall-clock times are in ``tz``, or this machine's zone."""
    try:
        exporter = _EXPORTERS[fmt]
    except KeyError:
        raise UnknownFormat(f"unknown transcript format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    return exporter(transcript, tz)


def filename(transcript: Transcript, fmt: str, session: int | None = None) -> str:
    """Return a safe download name, e.g. 'physics-101-ABC23-session-2.srt'."""
    # ASCII only: a Content-Disposition filename must survive any browser; Korean titles fall back to the code.
    slug = re.sub(r"[^a-z0-9]+", "-", transcript.room_title.lower()).strip("-")[:40].strip("-")
    parts = [slug, re.sub(r"[^A-Za-z0-9]+", "", transcript.room_code)]
    if session is not None:
        parts.append(f"session-{session}")
    return ("-".join(part for part in parts if part) or "transcript") + EXTENSIONS[fmt]
