"""Caption timing and cue layout: spans, estimates, line breaking, word-timed splits, no overlap."""
from __future__ import annotations

from ccc.transcripts import CaptionRecord, SessionRecord, Transcript, Word
from ccc.transcripts.cues import MAX_ESTIMATE_MS, MIN_CUE_MS, MIN_ESTIMATE_MS, build_cues, caption_cues, caption_span

EPOCH_MS = 1_709_629_200_000.0
MAX_LINE = 42  # the rule itself, not the module's constant, so a change to the constant fails here


def record(text: str, start: float | None = None, end: float | None = None, created: float = 0.0,
           words: tuple[Word, ...] | None = None, seq: int = 1, speaker: str = "Kim") -> CaptionRecord:
    """Build a caption with only what the test needs."""
    return CaptionRecord(seq, f"u{seq}", speaker.lower(), speaker, text, start, end, created, words, ())


def assert_readable(cues) -> None:
    """Assert every cue has 1-2 lines of at most 42 characters, and cues run forward without overlap."""
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert all(0 < len(line) <= MAX_LINE for line in cue.lines)
        assert cue.end - cue.start >= MIN_CUE_MS
    for before, after in zip(cues, cues[1:]):
        assert before.end <= after.start


def test_span_uses_recorded_times():
    assert caption_span(record("hi", EPOCH_MS, EPOCH_MS + 1234, 5.0)) == (EPOCH_MS, EPOCH_MS + 1234)


def test_span_without_timings_ends_when_stored_and_lasts_by_text_length():
    text = "x" * 45  # 45 characters at 15 a second: 3 s
    assert caption_span(record(text, created=1_709_629_260.5)) == (1_709_629_257_500, 1_709_629_260_500)


def test_estimated_duration_is_clamped():
    short = caption_span(record("ok", created=100.0))
    long = caption_span(record("word " * 200, created=100.0))
    assert short[1] - short[0] == MIN_ESTIMATE_MS
    assert long[1] - long[0] == MAX_ESTIMATE_MS


def test_span_comes_from_words_when_utterance_times_are_missing():
    words = (Word("a", EPOCH_MS + 100, EPOCH_MS + 300, 1.0), Word("b", EPOCH_MS + 400, EPOCH_MS + 900, None))
    assert caption_span(record("a b", created=0, words=words)) == (EPOCH_MS + 100, EPOCH_MS + 900)


def test_relative_word_times_are_anchored_at_the_utterance_start():
    words = (Word("a", 0, 500, None), Word("b", 600, 2000, None))
    cue = caption_cues(record("a b", EPOCH_MS, EPOCH_MS + 2000, words=words))[0]
    assert (cue.start, cue.end) == (EPOCH_MS, EPOCH_MS + 2000)


def test_long_utterance_is_cut_at_word_boundaries_into_two_line_cues():
    text = " ".join(f"word{i:03d}" for i in range(60))  # 479 characters
    cues = caption_cues(record(text, EPOCH_MS, EPOCH_MS + 30_000))
    assert len(cues) > 3
    assert_readable(cues)
    assert " ".join(line for cue in cues for line in cue.lines) == text
    assert all(len(cue.lines) == 2 for cue in cues[:-1])


def test_proportional_split_shares_time_by_characters():
    text = "a" * 40 + " " + "b" * 40 + " " + "c" * 40 + " " + "d" * 40  # 4 lines, 2 cues of equal length
    first, second = caption_cues(record(text, EPOCH_MS, EPOCH_MS + 10_000))
    assert first.start == EPOCH_MS and second.end == EPOCH_MS + 10_000
    assert first.end == second.start == EPOCH_MS + 5_000


def test_word_timings_decide_cue_boundaries():
    tokens = [f"w{i:02d}xxxxxxxxx" for i in range(14)]  # 12 chars each: 3 a line, 6 a cue
    words = tuple(Word(t, EPOCH_MS + i * 1000, EPOCH_MS + i * 1000 + 700, 0.9) for i, t in enumerate(tokens))
    cues = caption_cues(record(" ".join(tokens), EPOCH_MS, EPOCH_MS + 20_000, words=words))
    assert [(c.start - EPOCH_MS, c.end - EPOCH_MS) for c in cues] == [(0, 5700), (6000, 11700), (12000, 13700)]


def test_word_timings_that_no_longer_match_a_corrected_text_are_not_used():
    words = (Word("helo", EPOCH_MS, EPOCH_MS + 9000, 0.4),)
    cue = caption_cues(record("hello there", EPOCH_MS, EPOCH_MS + 1000, words=words))[0]
    assert (cue.start, cue.end) == (EPOCH_MS, EPOCH_MS + 1000)


def test_word_longer_than_a_line_is_hard_wrapped():
    word = "".join(chr(ord("a") + i % 26) for i in range(100))
    cues = caption_cues(record(f"see {word} here", EPOCH_MS, EPOCH_MS + 5000))
    lines = [line for cue in cues for line in cue.lines]
    assert_readable(cues)
    assert "".join(lines).replace(" ", "") == f"see{word}here"
    assert word[:MAX_LINE] in lines


def test_speaker_label_opens_the_first_line_and_counts_towards_its_length():
    cue = caption_cues(record("x" * 40, EPOCH_MS, EPOCH_MS + 3000), prefix="Kim:")[0]
    assert cue.lines == ["Kim:", "x" * 40]


def test_overlapping_captions_are_clipped_and_kept_in_order():
    session = SessionRecord(1, "", EPOCH_MS / 1000, None, (
        record("first caption", EPOCH_MS + 1000, EPOCH_MS + 5000, seq=1),
        record("second one starts early", EPOCH_MS + 3000, EPOCH_MS + 6000, seq=2, speaker="Lee"),
        record("third starts before the first", EPOCH_MS + 500, EPOCH_MS + 700, seq=3),
    ))
    cues = build_cues(Transcript("R", "", (session,)))
    assert [(c.start, c.end) for c in cues] == [(1000, 3000), (3000, 6000), (6000, 6000 + MIN_CUE_MS)]
    assert_readable(cues)


def test_times_count_from_the_session_start_and_blank_captions_make_no_cue():
    session = SessionRecord(1, "", EPOCH_MS / 1000, None, (
        record("  \n ", EPOCH_MS + 1000, EPOCH_MS + 2000, seq=1),
        record("hello", EPOCH_MS + 61_000, EPOCH_MS + 62_000, seq=2),
    ))
    cues = build_cues(Transcript("R", "", (session,)))
    assert [(c.start, c.end, c.lines) for c in cues] == [(61_000, 62_000, ["hello"])]


def test_caption_before_the_session_start_moves_the_origin():
    session = SessionRecord(1, "", EPOCH_MS / 1000, None, (record("early", EPOCH_MS - 4000, EPOCH_MS - 1000),))
    assert [(c.start, c.end) for c in build_cues(Transcript("R", "", (session,)))] == [(0, 3000)]
