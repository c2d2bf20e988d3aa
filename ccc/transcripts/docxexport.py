"""The Word (DOCX) export, written with python-docx: a title, a heading per session, a paragraph per caption."""
from __future__ import annotations

import io
from datetime import tzinfo

from .model import Transcript
from .text import caption_clock, room_heading, session_heading, session_when, spoken


def to_docx(transcript: Transcript, tz: tzinfo | None = None) -> bytes:
    """Return the transcript as a Word document: '**Speaker** (time): text' per caption, as in Markdown."""
    import docx  # noqa: PLC0415 - python-docx and lxml cost every hub start 0.15 s; only this export needs them

    document = docx.Document()
    document.add_heading(room_heading(transcript), level=0)
    document.add_paragraph(f"Room code: {transcript.room_code}")
    for session in transcript.sessions:
        document.add_heading(session_heading(session), level=1)
        document.add_paragraph().add_run(session_when(session, tz)).italic = True
        for caption, speaker, text in spoken(session):
            # Two runs a caption, not three: run formatting is most of the time on a long lecture.
            paragraph = document.add_paragraph()
            paragraph.add_run(speaker).bold = True
            paragraph.add_run(f" ({caption_clock(caption, tz)}): {text}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
