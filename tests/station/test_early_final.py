"""A caption's final is decoded from the moment its speaker pauses, not from the cut half a second later.

Real read sentences (LibriVox) go through the station's real pipeline (Silero cuts, the default engine).
At a pause the station hands Whisper the caption (ccc/station/whisper.py, pause()); if the pause becomes a
cut, that decoding is the final, and if the speaker goes on after a hesitation it is dropped and the
caption is decoded whole at its end. Either way every word is shown once, as in each recording decoded alone.
"""
import threading

import corpora
import jiwer
import numpy as np
import pytest
from test_cuts import hold as play

from ccc.station import audio, engines
from ccc.station.recognizers import SphinxRecognizer

TOLERANCE = 0.03  # WER the hold may lose against each recording decoded whole (2 words of 71)


@pytest.fixture(scope="module")
def engine():
    """Return the recognizer `python -m ccc.station` loads by default."""
    return engines.load(warn=lambda message: None)


def hold(recognizer, pcm: bytes) -> tuple[list[dict], list[tuple[int, str]]]:
    """Hold the key over ``pcm`` (100 ms chunks); return the finals and each Whisper decoding's caption and thread."""
    threads: list[tuple[int, str]] = []
    whisper = recognizer.whisper
    real = whisper._decode
    finals: list[dict] = []

    def watched(*args, **kwargs):
        threads.append((len(finals), threading.current_thread().name))
        return real(*args, **kwargs)

    whisper._decode = watched
    try:
        play(recognizer, pcm, finals)
    finally:
        del whisper._decode  # the instance attribute goes; the method is back
    return finals, threads


def tone(seconds: float) -> bytes:
    return corpora.room_tone(seconds, seed=5).astype(np.int16).tobytes()


@pytest.mark.timeout(300)
def test_a_sentence_ended_by_a_pause_is_decoded_from_the_pause(engine, librivox):
    clips = librivox[:3]
    alone = [" ".join(f["text"] for f in hold(engine, audio.read_wav(path))[0]) for path, _ in clips]
    finals, threads = hold(engine, tone(0.8).join(audio.read_wav(path) for path, _ in clips))
    texts = [f["text"] for f in finals]
    assert len(finals) == len(clips), texts  # one caption per sentence, cut in the 0.8 s pauses
    assert corpora.wer([ref for _, ref in clips], texts) <= corpora.wer([ref for _, ref in clips], alone) + TOLERANCE
    # The captions cut at a pause were decoded from the pause on, not again after the cut.
    for caption in range(len(clips) - 1):
        assert [name for k, name in threads if k == caption][-1] == "whisper-early", threads


@pytest.mark.timeout(300)
def test_a_hesitation_inside_a_sentence_loses_no_word(engine, librivox):
    path, reference = librivox[2]  # 5.3 s: "unless to be rather cold hearted ..."
    pcm = audio.read_wav(path)
    sphinx = SphinxRecognizer()
    sphinx.feed(pcm)
    words = sphinx.finish().words
    gap = next(i for i in range(1, len(words)) if words[i - 1]["end"] > 2500)  # after 2.5 s of the sentence
    at = (words[gap - 1]["end"] + words[gap]["start"]) // 2 * 32
    alone = " ".join(f["text"] for f in hold(engine, pcm)[0])

    finals, threads = hold(engine, pcm[:at] + tone(0.35) + pcm[at:])  # too short to cut, long enough to pause

    texts = [f["text"] for f in finals]
    assert len(finals) == 1, texts  # the hesitation did not cut the sentence
    said, whole = corpora.normalize(texts[0]), corpora.normalize(alone)
    assert jiwer.wer(corpora.normalize(reference), said) <= jiwer.wer(corpora.normalize(reference), whole) + TOLERANCE, (
        texts, alone)
    names = [name for _, name in threads]
    assert names[0] == "whisper-early" and len(names) >= 2, threads  # begun at the hesitation, then dropped
