"""TXT, Markdown, JSON and DOCX exports, read back and compared with the captions."""
from __future__ import annotations

import io
import json
import re
from datetime import timezone
from zoneinfo import ZoneInfo

import docx

from ccc.transcripts import FORMAT_NAME, export

UTC = timezone.utc


def test_txt_has_a_header_and_one_attributed_line_per_caption(transcript, captions):
    lines = export("txt", transcript, UTC).decode("utf-8").split("\n")
    assert lines[:2] == ["Physics 101 & <Optics>", "Room code: PHY7K"]
    assert "Session 1: Light: waves or particles?" in lines
    assert "2024-03-05 09:00–10:00 (UTC+0000)" in lines
    assert "Session 2" in lines and "2024-03-06 09:00 (UTC+0000)" in lines
    said = [line for line in lines if line.startswith("[")]
    assert said == [f"[{clock}] {c.speaker_name}: {c.text}" for clock, c in zip(
        ["09:00:05", "09:00:10", "09:00:14", "09:00:18", "09:00:22", "09:00:50", "09:00:51", "09:00:56",
         "09:00:20", "09:00:25"], captions)]


def test_txt_uses_the_time_zone_asked_for(transcript):
    text = export("txt", transcript, ZoneInfo("Asia/Seoul")).decode("utf-8")
    assert "2024-03-05 18:00–19:00 (UTC+0900)" in text
    assert "[18:00:05] 김민지 (Prof. Kim): 안녕하세요" in text


def test_markdown_has_a_heading_per_session_and_bold_speakers(transcript, captions):
    text = export("md", transcript, UTC).decode("utf-8")
    assert text.startswith("# Physics 101 \\& \\<Optics\\>\n")
    assert re.findall(r"^## (.*)$", text, re.M) == ["Session 1: Light: waves or particles?", "Session 2"]
    paragraphs = re.findall(r"^\*\*(.+?)\*\* \((\d\d:\d\d:\d\d)\): (.*)$", text, re.M)
    assert len(paragraphs) == len(captions)
    # Undoing the backslash escapes gives back exactly what was said, by whom.
    unescape = lambda s: re.sub(r"\\(.)", r"\1", s)  # noqa: E731
    assert [(unescape(name), unescape(said)) for name, _, said in paragraphs] == [
        (c.speaker_name, c.text) for c in captions]


def test_markdown_text_cannot_inject_markup(transcript):
    text = export("md", transcript, UTC).decode("utf-8")
    assert "**\\<Ana \\& Bo\\> \\</v\\>**" in text
    assert "Is \\<b\\>this\\</b\\> on the exam? Tom \\& Jerry \\&lt;3 --\\> maybe" in text
    assert "<b>" not in text


def test_json_holds_everything_with_history(transcript, captions):
    document = json.loads(export("json", transcript))
    assert (document["format"], document["version"]) == (FORMAT_NAME, 1) == ("ccc-transcript", 1)
    assert document["room"] == {"code": "PHY7K", "title": "Physics 101 & <Optics>"}
    sessions = document["sessions"]
    assert [(s["number"], s["title"], s["startedAt"], s["endedAt"]) for s in sessions] == [
        (1, "Light: waves or particles?", 1_709_629_200_000, 1_709_632_800_000),
        (2, "", 1_709_715_600_000, None),
    ]
    read = [c for s in sessions for c in s["captions"]]
    assert [(c["seq"], c["utteranceId"], c["speakerId"], c["speakerName"], c["text"]) for c in read] == [
        (c.seq, c.utterance_id, c.speaker_id, c.speaker_name, c.text) for c in captions]
    assert [(c["startedAt"], c["endedAt"], c["createdAt"]) for c in read] == [
        (c.started_at, c.ended_at, round(c.created_at * 1000)) for c in captions]
    first = read[0]
    assert first["words"][0] == {"word": "안녕하세요", "start": 1_709_629_205_000.0,
                                 "end": captions[0].words[0].end, "conf": 0.9}
    assert read[1]["words"] is None and read[5]["startedAt"] is None


def test_json_keeps_original_text_and_every_revision(transcript):
    read = [c for s in json.loads(export("json", transcript))["sessions"] for c in s["captions"]]
    corrected = read[3]
    assert corrected["text"] == "Yes, Schrödinger's cat is on the exam."
    assert corrected["originalText"] == "Yes, shredding its cat is on the exam."
    assert corrected["revisions"] == [
        {"rev": 3, "editedBy": "Captioner", "editedAt": 1_709_629_230_000,
         "before": "Yes, shredding its cat is on the exam.", "after": "Yes, Schrödinger cat is on the exam."},
        {"rev": 7, "editedBy": "김민지 (Prof. Kim)", "editedAt": 1_709_629_245_000,
         "before": "Yes, Schrödinger cat is on the exam.", "after": "Yes, Schrödinger's cat is on the exam."},
    ]
    assert read[0]["originalText"] == read[0]["text"] and read[0]["revisions"] == []


def test_json_is_the_same_bytes_every_time(transcript):
    assert export("json", transcript) == export("json", transcript)


def test_docx_has_title_session_headings_and_bold_speakers(transcript, captions):
    document = docx.Document(io.BytesIO(export("docx", transcript, UTC)))
    paragraphs = document.paragraphs
    assert (paragraphs[0].style.name, paragraphs[0].text) == ("Title", "Physics 101 & <Optics>")
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Session 1: Light: waves or particles?", "Session 2"]
    said = [p for p in paragraphs if any(run.bold for run in p.runs)]
    assert [[run.text for run in p.runs if run.bold] for p in said] == [[c.speaker_name] for c in captions]
    assert [p.text for p in said] == [f"{c.speaker_name} ({clock}): {c.text}" for clock, c in zip(
        ["09:00:05", "09:00:10", "09:00:14", "09:00:18", "09:00:22", "09:00:50", "09:00:51", "09:00:56",
         "09:00:20", "09:00:25"], captions)]


def test_every_format_shows_the_correction_and_not_the_first_guess(transcript):
    for fmt in ("txt", "md", "srt", "vtt"):
        text = export(fmt, transcript, UTC).decode("utf-8")
        assert "Schrödinger's cat" in text, fmt
        assert "shredding" not in text and "Schrödinger cat" not in text, fmt
    body = " ".join(p.text for p in docx.Document(io.BytesIO(export("docx", transcript, UTC))).paragraphs)
    assert "Schrödinger's cat" in body and "shredding" not in body
