"""Recognizers on real speech, the default engine choice, and clear errors for models that cannot load."""
import re
import subprocess
import sys

import jiwer
import pytest

from ccc.station import StationError, audio, engines
from ccc.station import vosk_models as model_store

# Measured WER of PocketSphinx's bundled English model over the five LibriVox clips, fed in 100 ms chunks
# as the station does: 0.34 on this machine (2 cores, x86-64). The bound leaves a little room for other CPUs.
LIBRIVOX_WER_BOUND = 0.40
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def recognize(recognizer, path):
    pcm = audio.read_wav(path)
    partials = []
    for offset in range(0, len(pcm), 3200):
        recognizer.feed(pcm[offset:offset + 3200])
        partials.append(recognizer.partial())
    return partials, recognizer.finish()


def test_pocketsphinx_transcribes_librivox_within_the_wer_bound(sphinx, librivox):
    refs, hyps = [], []
    for path, ref in librivox:
        partials, final = recognize(sphinx, path)
        assert any(partials), "no partial text while speaking"
        refs.append(ref)
        hyps.append(final.text)
    error = jiwer.wer(refs, hyps)
    assert error < LIBRIVOX_WER_BOUND, (error, hyps)


def test_pocketsphinx_gives_word_timings_in_ms(sphinx, librivox):
    _, final = recognize(sphinx, librivox[1][0])
    assert final.words and all(w["end"] > w["start"] >= 0 for w in final.words)
    assert final.words[-1]["end"] <= 3000 + 100  # the clip is 2.99 s long
    assert "<s>" not in final.text and not any("(" in w["word"] for w in final.words)


def test_vosk_korean_model_recognizes_korean_speech(korean, say):
    partials, final = recognize(korean, say("안녕하세요 오늘은 날씨가 좋습니다", voice="ko"))
    assert HANGUL.search(final.text), final.text
    assert any(HANGUL.search(p) for p in partials)
    assert final.words and all(0 <= w["conf"] <= 1 for w in final.words)
    _, again = recognize(korean, say("감사합니다", voice="ko"))
    assert again.words[0]["start"] < 2000  # a fresh utterance starts its clock at zero


def test_default_is_whisper_and_falls_back_to_pocketsphinx_only_when_whisper_cannot_load():
    warnings = []
    assert engines.load(warn=warnings.append).name == "whisper+pocketsphinx" and warnings == []
    broken = model_store.models_dir() / "whisper-tiny.en"  # a downloaded tiny.en takes precedence
    broken.mkdir(parents=True)
    (broken / "model.bin").write_bytes(b"truncated")
    recognizer = engines.load(warn=warnings.append)
    assert recognizer.name == "pocketsphinx"
    assert len(warnings) == 1 and "broken or incomplete" in warnings[0] and "using PocketSphinx" in warnings[0]


def test_explicit_vosk_without_a_model_names_the_fix():
    with pytest.raises(StationError, match="models download en-us"):
        engines.load("vosk")
    with pytest.raises(StationError, match="models download fr"):
        engines.load(model="fr")


def test_broken_model_names_the_fix(tmp_path):
    broken = tmp_path / "vosk-model-small-fr-0.22"
    (broken / "am").mkdir(parents=True)
    (broken / "am" / "final.mdl").write_bytes(b"not a model")
    with pytest.raises(StationError, match="broken or incomplete.*models download"):
        engines.load(model=str(broken))


def test_cli_refuses_an_engine_it_cannot_load_in_one_line(say, station_env):
    out = subprocess.run(
        [sys.executable, "-m", "ccc.station", "--hub", "http://127.0.0.1:9", "--room", "ABCD", "--name", "T",
         "--engine", "vosk", "--input", str(say("hello"))],
        capture_output=True, text=True, env=station_env, timeout=60,
    )
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0 and "models download" in out.stderr
