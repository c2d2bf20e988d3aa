"""Plain-text and Markdown exports: a header, then one line or paragraph per caption with speaker and time."""
from __future__ import annotations

import re
from datetime import datetime, tzinfo

from .cues import caption_span, clean_text, speaker_label
from .model import CaptionRecord, SessionRecord, Transcript


def wall_clock(epoch_s: float, tz: tzinfo | None = None) -> datetime:
    """Return an epoch time as an aware datetime in ``tz``, or in this machine's zone when None."""
    return datetime.fromtimestamp(epoch_s, tz) if tz else datetime.fromtimestamp(epoch_s).astimezone()


def room_heading(transcript: Transcript) -> str:
    """Return the title of the export: the room title, or its code when it has none."""
    heading = clean_text(transcript.room_title) or f"Room {transcript.room_code}"
    return f"{heading} ({transcript.translation})" if transcript.translation else heading


def session_heading(session: SessionRecord) -> str:
    """Return a session's heading, e.g. 'Session 2: Optics'."""
    title = clean_text(session.title)
    return f"Session {session.number}: {title}" if title else f"Session {session.number}"


def session_when(session: SessionRecord, tz: tzinfo | None = None) -> str:
    """Return when a session ran, e.g. '2024-03-05 09:00–10:30 (UTC+0900)'."""
    start = wall_clock(session.started_at, tz)
    when = start.strftime("%Y-%m-%d %H:%M")
    if session.ended_at is not None:
        end = wall_clock(session.ended_at, tz)
        when += "–" + end.strftime("%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M")
    return f"{when} ({start.strftime('UTC%z')})"


def caption_clock(caption: CaptionRecord, tz: tzinfo | None = None) -> str:
    """Return the wall-clock time a caption began, as HH:MM:SS."""
    return wall_clock(caption_span(caption)[0] / 1000, tz).strftime("%H:%M:%S")


def spoken(session: SessionRecord) -> list[tuple[CaptionRecord, str, str]]:
    """Return (caption, speaker, text) for each caption with text, cleaned for one-line display."""
    shown = []
    for caption in session.captions:
        text = clean_text(caption.text)
        if text:
            shown.append((caption, speaker_label(caption.speaker_name), text))
    return shown


def to_txt(transcript: Transcript, tz: tzinfo | None = None) -> bytes:
    """Return the transcript as plain text, one '[time] Speaker: text' line per caption."""
    out = [room_heading(transcript), f"Room code: {transcript.room_code}", ""]
    for session in transcript.sessions:
        out += [session_heading(session), session_when(session, tz), ""]
        out += [f"[{caption_clock(c, tz)}] {speaker}: {text}" for c, speaker, text in spoken(session)]
        out.append("")
    return "\n".join(out).encode("utf-8")


# Markdown punctuation that could start emphasis, a link, code, a table cell or inline HTML. A backslash
# makes any of them literal in CommonMark; line-start markers need no escape as a line never starts with text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|])")


def escape_markdown(text: str) -> str:
    """Escape text so Markdown shows it verbatim and cannot inject markup or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def to_markdown(transcript: Transcript, tz: tzinfo | None = None) -> bytes:
    """Return the transcript as Markdown: a heading per session, a '**Speaker** (time): text' paragraph each."""
    out = [f"# {escape_markdown(room_heading(transcript))}", "",
           f"Room code: {escape_markdown(transcript.room_code)}", ""]
    for session in transcript.sessions:
        out += [f"## {escape_markdown(session_heading(session))}", "", f"*{session_when(session, tz)}*", ""]
        for caption, speaker, text in spoken(session):
            out += [f"**{escape_markdown(speaker)}** ({caption_clock(caption, tz)}): {escape_markdown(text)}", ""]
    return "\n".join(out).encode("utf-8")
