"""The export registry: format keys, content types, extensions, download names and odd input."""
from __future__ import annotations

import io
import json
from datetime import timezone

import docx
import pytest

from ccc.transcripts import (
    CONTENT_TYPES,
    EXTENSIONS,
    FORMATS,
    CaptionRecord,
    SessionRecord,
    Transcript,
    UnknownFormat,
    export,
    filename,
)


def test_every_format_is_registered_with_a_content_type_and_extension():
    assert FORMATS == ("txt", "md", "srt", "vtt", "json", "docx")
    assert set(CONTENT_TYPES) == set(EXTENSIONS) == set(FORMATS)
    assert CONTENT_TYPES["vtt"].startswith("text/vtt") and EXTENSIONS["docx"] == ".docx"


def test_unknown_format_is_refused():
    with pytest.raises(UnknownFormat, match="pdf"):
        export("pdf", Transcript("R", "", ()))


def test_download_name_is_ascii_and_names_the_session(transcript):
    assert filename(transcript, "srt") == "physics-101-optics-PHY7K.srt"
    assert filename(transcript, "vtt", session=2) == "physics-101-optics-PHY7K-session-2.vtt"
    assert filename(Transcript("AB2", "물리학", ()), "txt") == "AB2.txt"


def test_control_characters_in_text_do_not_break_any_format():
    said = CaptionRecord(1, "u1", "p1", "Kim\x00", "bell\x07 and\x0bvertical tab", 1e12, 1e12 + 2000, 1e9, None, ())
    transcript = Transcript("R", "Title\x1b", (SessionRecord(1, "", 1e9, None, (said,)),))
    for fmt in FORMATS:
        assert export(fmt, transcript, timezone.utc)
    paragraphs = docx.Document(io.BytesIO(export("docx", transcript, timezone.utc))).paragraphs
    assert paragraphs[-1].text == "Kim (01:46:40): bell and vertical tab"
    assert json.loads(export("json", transcript))["sessions"][0]["captions"][0]["text"] == said.text
