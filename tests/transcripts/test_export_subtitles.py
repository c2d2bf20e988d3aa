"""SRT and WebVTT exports, read back with the srt and webvtt-py parsers."""
from __future__ import annotations

import html
import io
from datetime import timedelta

import srt
import webvtt

from ccc.transcripts import SessionRecord, Transcript, export

MAX_LINE = 42


def read_srt(data: bytes) -> list[srt.Subtitle]:
    """Parse SRT bytes with the srt library."""
    return list(srt.parse(data.decode("utf-8")))


def read_vtt(data: bytes) -> list[webvtt.Caption]:
    """Parse WebVTT bytes with webvtt-py, strictly."""
    return list(webvtt.from_buffer(io.StringIO(data.decode("utf-8")), strict=True))


def vtt_lines(cue: webvtt.Caption) -> list[str]:
    """Return a WebVTT cue's visible lines: tags removed, character references decoded."""
    return [html.unescape(line) for line in cue.text.split("\n")]


def squeeze(text: str) -> str:
    """Remove all whitespace, so hard-wrapped words compare equal to the original."""
    return "".join(text.split())


def labelled_texts(transcript: Transcript) -> list[str]:
    """Return each caption's text as SRT should show it: 'Name: ' in front when the speaker changes."""
    out = []
    for session in transcript.sessions:
        last = None
        for c in session.captions:
            name = " ".join(c.speaker_name.split()) or "Unknown speaker"
            out.append(c.text if (c.speaker_id, name) == last else f"{name}: {c.text}")
            last = (c.speaker_id, name)
    return out


def assert_cue_rules(times: list[tuple[timedelta, timedelta]], lines: list[list[str]]) -> None:
    """Assert the caption rules: 1-2 lines of at most 42 characters, start < end, in order, no overlap."""
    for (start, end), cue_lines in zip(times, lines):
        assert start < end
        assert 1 <= len(cue_lines) <= 2, cue_lines
        assert all(0 < len(line) <= MAX_LINE for line in cue_lines), cue_lines
    for (_, end), (next_start, _) in zip(times, times[1:]):
        assert end <= next_start


def test_srt_reads_back_with_every_caption_in_order(transcript):
    subtitles = read_srt(export("srt", transcript))
    assert [s.index for s in subtitles] == list(range(1, len(subtitles) + 1))
    assert_cue_rules([(s.start, s.end) for s in subtitles], [s.content.split("\n") for s in subtitles])
    assert squeeze(" ".join(s.content for s in subtitles)) == squeeze(" ".join(labelled_texts(transcript)))


def test_srt_names_the_speaker_when_it_changes(transcript):
    contents = [s.content for s in read_srt(export("srt", transcript))]
    assert contents[0].startswith("김민지 (Prof. Kim): 안녕하세요")
    assert any(c.startswith("<Ana & Bo> </v>: Is <b>this</b>") for c in contents)
    assert sum(c.startswith("김민지 (Prof. Kim):") for c in contents) == 4


def test_srt_times_count_from_the_session_start(transcript):
    first, *_ = read_srt(export("srt", transcript))
    assert (first.start, first.end) == (timedelta(seconds=5), timedelta(milliseconds=8886))  # its first and last words


def test_srt_shows_corrections_not_the_recognized_text(transcript):
    body = export("srt", transcript).decode()
    assert "Schrödinger's cat" in body
    assert "shredding" not in body and "Schrödinger cat" not in body


def test_srt_long_utterance_follows_its_word_timings(transcript, captions):
    long = captions[4]
    subtitles = read_srt(export("srt", transcript))
    origin = transcript.sessions[0].started_at * 1000
    word_starts = {timedelta(milliseconds=round(w.start - origin)) for w in long.words}
    word_ends = {timedelta(milliseconds=round(w.end - origin)) for w in long.words}
    said = (timedelta(milliseconds=long.started_at - origin), timedelta(milliseconds=long.ended_at - origin))
    pieces = [s for s in subtitles if said[0] <= s.start < said[1]]
    assert len(pieces) >= 5
    assert squeeze("".join(s.content for s in pieces)) == squeeze(long.text)
    assert all(s.start in word_starts for s in pieces)
    assert all(s.end in word_ends for s in pieces[:-1])  # the last one may be clipped by the next caption


def test_vtt_reads_back_with_voices_and_text(transcript, captions):
    cues = read_vtt(export("vtt", transcript))
    assert_cue_rules([(timedelta(milliseconds=c.start_time.in_milliseconds()),
                       timedelta(milliseconds=c.end_time.in_milliseconds())) for c in cues],
                     [vtt_lines(c) for c in cues])
    assert squeeze(" ".join(" ".join(vtt_lines(c)) for c in cues)) == squeeze(" ".join(c.text for c in captions))
    voices = [html.unescape(c.voice) for c in cues]
    assert voices[0] == "김민지 (Prof. Kim)"
    assert "<Ana & Bo> </v>" in voices
    assert "Lee" in voices


def test_vtt_names_and_text_cannot_inject_tags(transcript):
    cues = read_vtt(export("vtt", transcript))
    for cue in cues:
        # The voice span is the only tag: every other < and > in names and text arrived escaped.
        assert cue.raw_text.count("<") == 1 and cue.raw_text.startswith("<v ")
        assert cue.raw_text.count(">") == 1
    tricky = [c for c in cues if html.unescape(c.voice) == "<Ana & Bo> </v>"]
    assert vtt_lines(tricky[0]) == ["Is <b>this</b> on the exam? Tom & Jerry", "&lt;3 --> maybe"]
    assert "&lt;b&gt;this&lt;/b&gt;" in tricky[0].raw_text and "&amp;lt;3" in tricky[0].raw_text


def test_vtt_cues_continue_across_sessions(transcript):
    cues = read_vtt(export("vtt", transcript))
    welcome = next(c for c in cues if vtt_lines(c)[0].startswith("Welcome back."))
    assert welcome.start == "24:00:20.000" and welcome.end == "24:00:23.000"
    assert html.unescape(welcome.voice) == "Lee"


def test_empty_transcript_gives_valid_empty_subtitles():
    empty = Transcript("R", "", (SessionRecord(1, "", 0.0, None, ()),))
    assert read_srt(export("srt", empty)) == []
    assert export("vtt", empty).decode().startswith("WEBVTT")
    assert read_vtt(export("vtt", empty)) == []
