"""Property test: any list of captions gives readable, ordered, non-overlapping SRT and WebVTT cues."""
from __future__ import annotations

import html
import io
from datetime import timedelta

import srt
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccc.transcripts import CaptionRecord, SessionRecord, Transcript, Word, export

T0_MS = 1_709_629_200_000
MAX_LINE = 42
MS = timedelta(milliseconds=1)

# Letters, Korean, markup characters, an arrow's dashes, accents, and odd whitespace (including line breaks
# that parsers split on); control characters are left out as the exports drop them by design.
_chars = st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("ab가나<>&-: \n\t\u2028")
_word = st.text(_chars, min_size=1, max_size=12).filter(lambda w: w.strip()) | st.text("xyz", min_size=43, max_size=100)
_name = st.text(_chars, max_size=20)


@st.composite
def caption_lists(draw):
    """Draw a session of captions with any mix of timings, overlaps, word timings and odd text."""
    captions = []
    for seq in range(1, draw(st.integers(0, 12)) + 1):
        words = draw(st.lists(_word, min_size=0, max_size=70))
        text = draw(st.sampled_from([" ", "  ", "\n"])).join(words)
        start = draw(st.none() | st.integers(-20_000, 600_000).map(lambda ms: T0_MS + ms))
        duration = draw(st.none() | st.integers(0, 40_000))
        end = None if start is None or duration is None else start + duration
        created = (T0_MS + draw(st.integers(0, 700_000))) / 1000
        timings = None
        if words and draw(st.booleans()):
            base = start if start is not None else T0_MS + draw(st.integers(0, 600_000))
            offsets = draw(st.lists(st.integers(0, 30_000), min_size=2 * len(words), max_size=2 * len(words)))
            timings = tuple(Word(w.strip(), base + min(a, b), base + max(a, b), None)
                            for w, a, b in zip(words, offsets[::2], offsets[1::2]))
        speaker = draw(st.sampled_from(["p1", "p2", "p3"]))
        captions.append(CaptionRecord(seq, f"u{seq}", speaker, draw(_name), text, start, end, created, timings, ()))
    return Transcript("R", "t", (SessionRecord(1, "", T0_MS / 1000, None, tuple(captions)),))


def _squeeze(text: str) -> str:
    """Remove all whitespace, so texts compare however they were broken into lines."""
    return "".join(text.split())


def _check(times: list[tuple[int, int]], lines: list[list[str]]) -> None:
    """Assert the cue rules on cues read back from a file."""
    for (start, end), cue_lines in zip(times, lines):
        assert 0 <= start < end
        assert 1 <= len(cue_lines) <= 2, cue_lines
        assert all(0 < len(line) <= MAX_LINE for line in cue_lines), cue_lines
    for (_, end), (next_start, _) in zip(times, times[1:]):
        assert end <= next_start


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caption_lists())
def test_any_captions_make_valid_subtitles(transcript):
    spoken = _squeeze("".join(c.text for c in transcript.sessions[0].captions))

    subtitles = list(srt.parse(export("srt", transcript).decode("utf-8")))
    _check([(s.start // MS, s.end // MS) for s in subtitles],
           [s.content.split("\n") for s in subtitles])
    # SRT adds speaker labels, so the spoken text must appear in order with only labels in between.
    srt_text = _squeeze("".join(s.content for s in subtitles))
    position = 0
    for caption in transcript.sessions[0].captions:
        found = srt_text.find(_squeeze(caption.text), position)
        assert found >= 0
        position = found + len(_squeeze(caption.text))

    cues = list(webvtt.from_buffer(io.StringIO(export("vtt", transcript).decode("utf-8")), strict=True))
    lines = [[html.unescape(line) for line in cue.text.split("\n")] for cue in cues]
    _check([(c.start_time.in_milliseconds(), c.end_time.in_milliseconds()) for c in cues], lines)
    assert _squeeze("".join("".join(cue_lines) for cue_lines in lines)) == spoken
    assert len(subtitles) >= len(cues)
