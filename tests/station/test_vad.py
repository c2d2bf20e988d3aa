"""The Segmenter on real read speech: cuts where the speaker pauses, never inside a word, nothing dropped."""
from ccc.station import audio, vad

INSIDE_MS = 40  # PocketSphinx's word edges are 10 ms frames and a little generous


def pieces(pcm: bytes, **kwargs) -> list[tuple[int, int]]:
    """Return each caption's (start, cut) in ms after segmenting ``pcm`` in 100 ms chunks as the station does."""
    segmenter = vad.Segmenter(**kwargs)
    events = [e for i in range(0, len(pcm), 3200) for e in segmenter.push(pcm[i:i + 3200])] + segmenter.end()
    spans, start, fed = [], None, 0
    for kind, value in events:
        if kind == "start":
            assert start is None, "a caption starts before the last one was cut"
            start, fed = value, 0
        elif kind == "audio":
            fed += len(value) // 2
        elif kind == "cut":
            assert fed == value - start, "the recognizer got exactly the caption's audio, nothing dropped"
            spans.append((start // 16, value // 16))
            start = None
    assert start is None
    return spans


def events_of(pcm: bytes) -> list[tuple[str, int]]:
    """Return the segmenter's events but audio, with times in ms, fed ``pcm`` in 100 ms chunks."""
    segmenter = vad.Segmenter()
    events = [e for i in range(0, len(pcm), 3200) for e in segmenter.push(pcm[i:i + 3200])] + segmenter.end()
    return [(kind, value // 16) for kind, value in events if kind != "audio"]


def inside_a_word(cut: int, words) -> bool:
    """Tell whether ``cut`` (ms) falls inside a word, not at its edge."""
    return any(s + INSIDE_MS < cut < e - INSIDE_MS for s, e in words)


def covered(words, spans) -> bool:
    """Tell whether every word lies inside some caption (give or take the edge of a word)."""
    return all(any(a - INSIDE_MS <= s and e <= b + INSIDE_MS for a, b in spans) for s, e in words)


def test_one_caption_per_sentence_cut_in_the_pause(lecture):
    talk = lecture(0.8)
    spans = pieces(talk.pcm)
    assert len(spans) == len(talk.clip_ends), spans
    for (_, cut), clip_end in zip(spans, talk.clip_ends):
        last_word = max(e for s, e in talk.words if e <= clip_end)
        next_word = min((s for s, e in talk.words if s >= clip_end), default=len(talk.pcm) // 32)
        assert last_word < cut <= next_word, (cut, last_word, next_word)
    assert covered(talk.words, spans)
    # Leading silence is skipped except a short pre-roll, so a caption's times are close to its speech.
    first_word = talk.words[0][0]
    assert first_word - 1000 * vad.PREROLL_S - 60 <= spans[0][0] < first_word


def test_run_on_speech_is_cut_before_fifteen_seconds_between_words(lecture):
    talk = lecture(0.1, trim=True)  # no half-second pause anywhere: only the shorter pauses allowed late cut
    spans = pieces(talk.pcm)
    assert len(spans) >= 4
    assert max(b - a for a, b in spans) <= 1000 * vad.MAX_S + 20
    assert not [b for _, b in spans if inside_a_word(b, talk.words)]
    assert covered(talk.words, spans)


def test_the_cap_cuts_at_the_quietest_moment_without_any_pause(lecture):
    # A pause threshold no speech reaches leaves only the 15 s rule: its cut must still miss every word.
    talk = lecture(0.1, trim=True)
    spans = pieces(talk.pcm, pause_s=5.0)
    assert len(spans) >= 4
    assert max(b - a for a, b in spans) <= 1000 * vad.MAX_S + 20
    assert not [b for _, b in spans[:-1] if inside_a_word(b, talk.words)]
    assert covered(talk.words, spans)


def test_silence_and_room_tone_make_no_caption(librivox):
    tone = audio.read_wav(librivox[1][0])[: 2 * int(0.2 * audio.RATE)] * 15  # a recording's own lead-in, 3 s
    assert pieces(bytes(2 * 3 * audio.RATE)) == []
    assert pieces(tone) == []


def test_a_pause_is_announced_while_it_lasts_and_speech_after_it_too(lecture):
    talk = lecture(0.8)
    events = events_of(talk.pcm)
    cuts = [at for kind, at in events if kind == "cut"]
    assert len(cuts) == len(talk.clip_ends), events
    for clip_end, cut in zip(talk.clip_ends, cuts):
        # Each sentence's pause is announced, after the last word and before the cut, and speech does not
        # come back in between: Whisper may decode the caption from then on and it is the whole caption.
        last_word = max(e for s, e in talk.words if e <= clip_end)
        kind, at = [(k, a) for k, a in events if a <= cut and k in ("pause", "resume")][-1]
        assert kind == "pause" and last_word + 1000 * vad.EARLY_S - INSIDE_MS <= at < cut, (events, last_word)
    # A hesitation of 0.35 s inside the first sentence (no cut) is announced too, then taken back when the
    # next word starts.
    first = [(s, e) for s, e in talk.words if e <= talk.clip_ends[0]]
    gap = next(i for i in range(1, len(first)) if first[i - 1][1] > 2500)
    at = (first[gap - 1][1] + first[gap][0]) // 2 * 32
    hesitant = talk.pcm[:at] + bytes(2 * round(0.35 * audio.RATE)) + talk.pcm[at:2 * 16 * talk.clip_ends[0]]
    events = events_of(hesitant)
    kinds = [kind for kind, _ in events]
    assert kinds[:3] == ["start", "pause", "resume"] and kinds.count("cut") == 1 and kinds[-1] == "cut", events
    assert first[gap - 1][1] + 1000 * vad.EARLY_S - INSIDE_MS <= events[1][1] <= first[gap][0] + 350, events
    assert abs(events[2][1] - (first[gap][0] + 350)) <= 150, (events, "the next word")
