"""A long key hold through the real station into a real hub: captions cut at pauses, in order, nothing lost."""
import re
import subprocess

import jiwer
import pytest
from test_recognizers import LIBRIVOX_WER_BOUND
from test_vad import INSIDE_MS

from ccc.station import audio, engines, vad

LONGEST_MS = 1000 * vad.MAX_S + 100


def finals(client):
    return [c for c in client.of("caption") if c["isFinal"]]


def words_of(text: str) -> list[str]:
    """Return the words of a caption or reference, without case or punctuation."""
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


@pytest.fixture(scope="module")
def engine():
    """Return the recognizer `python -m ccc.station` loads by default."""
    return engines.load(warn=lambda message: None)


@pytest.fixture(scope="module")
def one_by_one(engine, librivox):
    """Return the default engine's text of each lecture clip spoken alone, one key press each."""
    texts = []
    for path, _ in librivox:
        pcm = audio.read_wav(path)
        for offset in range(0, len(pcm), 3200):
            engine.feed(pcm[offset:offset + 3200])
        texts.append(engine.finish().text)
    return texts + texts[::-1]


def deletions(refs: list[str], hyps: list[str]) -> int:
    """Return how many reference words are missing from the hypotheses."""
    return jiwer.process_words(" ".join(words_of(" ".join(refs))), " ".join(words_of(" ".join(hyps)))).deletions


def assert_well_timed(caps: list[dict], lecture_ms: int) -> None:
    """Check each caption's length, its word times, their order, and that times count audio, not wall clock."""
    for cap in caps:
        length = cap["endedAt"] - cap["startedAt"]
        assert 0 < length <= LONGEST_MS, cap
        assert all(0 <= w["start"] <= w["end"] <= length + 50 for w in cap.get("words", [])), cap
    assert all(b["startedAt"] >= a["endedAt"] for a, b in zip(caps, caps[1:]))
    assert lecture_ms - 1500 <= caps[-1]["endedAt"] - caps[0]["startedAt"] <= lecture_ms


@pytest.mark.timeout(420)  # a minute of speech, recognized twice, on a machine shared with other jobs
def test_a_minute_long_hold_gives_one_caption_per_sentence(hub, client, station_cmd, station_env, lecture,
                                                          one_by_one):
    talk = lecture(0.8)  # 56 s: ten read sentences, each followed by a pause
    code = hub.create_room("Lecture")
    audience = client(hub.url)
    audience.join(code)
    out = subprocess.run(station_cmd(hub.url, code, "--name", "Lecturer", "--input", str(talk.path),
                                     "--speed", "0", "--ptt", "file"),
                         capture_output=True, text=True, env=station_env, timeout=170)
    assert out.returncode == 0, out.stderr
    audience.wait_for("speakerStopped", timeout=30)
    caps = finals(audience)
    hyps = [c["text"] for c in caps]
    assert len(caps) == len(talk.refs), hyps  # every pause between sentences cut, nothing cut inside one
    assert [c["seq"] for c in caps] == list(range(1, len(caps) + 1))
    assert len({c["utteranceId"] for c in caps}) == len(caps)
    assert_well_timed(caps, len(talk.pcm) // 32)
    partial_ids = {c["utteranceId"] for c in audience.of("caption") if not c["isFinal"]}
    assert len(partial_ids & {c["utteranceId"] for c in caps}) >= 2, "partials follow each new utterance"

    # The floor is taken once and given back once, after the last caption: no stopSpeak between segments.
    assert len(audience.of("speakerChanged")) == 1
    names = [(e, d.get("isFinal") if e == "caption" else None) for e, d in audience.events]
    assert names.index(("speakerStopped", None)) > max(i for i, n in enumerate(names) if n == ("caption", True))

    # Nothing is lost at a cut: the words match the reference as well as each sentence spoken alone does,
    # and a sentence's first and last words survive wherever the engine gets them alone.
    assert jiwer.wer([" ".join(words_of(r)) for r in talk.refs], [" ".join(words_of(h)) for h in hyps]) \
        < LIBRIVOX_WER_BOUND
    assert deletions(talk.refs, hyps) <= deletions(talk.refs, one_by_one) + 2
    for ref, alone, got in zip(talk.refs, one_by_one, hyps):
        for edge in (0, -1):
            if words_of(alone)[edge] == words_of(ref)[edge]:
                assert words_of(got)[edge] == words_of(ref)[edge], (ref, got)


@pytest.mark.timeout(420)
def test_a_run_on_lecture_in_real_time_is_cut_between_words_within_fifteen_seconds(hub, client, rig, engine,
                                                                                    lecture, one_by_one):
    talk = lecture(0.1, trim=True)  # 47 s without a half-second pause
    code = hub.create_room("Run-on")
    audience = client(hub.url)
    audience.join(code)
    station = rig(hub.url, code, engine)
    station.wait_joined()
    station.play(talk.path, speed=1)
    audience.wait_for("speakerStopped", timeout=120)
    caps = finals(audience)
    assert len(caps) >= 4
    assert_well_timed(caps, len(talk.pcm) // 32)
    cuts = [c["endedAt"] - station.station._hold_at for c in caps[:-1]]
    assert not [cut for cut in cuts if any(s + INSIDE_MS < cut < e - INSIDE_MS for s, e in talk.words)]
    hyps = [c["text"] for c in caps]
    assert jiwer.wer(" ".join(words_of(talk.reference)), " ".join(words_of(" ".join(hyps)))) < LIBRIVOX_WER_BOUND
    assert deletions(talk.refs, hyps) <= deletions(talk.refs, one_by_one) + 3
    assert len(audience.of("speakerChanged")) == 1 and len(audience.of("speakerStopped")) == 1
