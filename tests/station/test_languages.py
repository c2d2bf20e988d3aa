"""Other languages through Whisper base: real Spanish captions with punctuation, and English translation."""
import subprocess
import sys

import corpora
import pytest
from test_flow import captions

from ccc.station import StationError, audio, engines

# Measured on the three test prompts: WER 0.03 (one word: "para" for "pero"); the 16 held-out prompts 0.12
# (bench/models.py, docs/accuracy.md). Translation of the test prompt: WER 0.11 against its English twin.
SPANISH_WER_BOUND = 0.15
TRANSLATION_WER_BOUND = 0.35


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Return Whisper base recognizers for Spanish and for Spanish into English, loaded once for the module."""
    with pytest.MonkeyPatch.context() as patch:  # module scope: joined into a folder of its own, not the home
        patch.setenv("CCC_MODELS_DIR", str(tmp_path_factory.mktemp("models")))
        return {"es": engines.load(lang="es"), "es>en": engines.load(lang="es", translate_to="en")}


@pytest.fixture(scope="module")
def spanish(tmp_path_factory):
    """Return the real Spanish test prompts with their texts."""
    return corpora.spanish_prompts(tmp_path_factory.mktemp("es"))


def test_spanish_reaches_the_audience_with_punctuation_and_accents(hub, client, rig, loaded, spanish):
    recognizer = loaded["es"]
    assert recognizer.name == "whisper" and recognizer.language == "es" and recognizer.partial_every_s
    code = hub.create_room("Clase de español")
    audience = client(hub.url)
    audience.join(code)
    station = rig(hub.url, code, recognizer)
    station.wait_joined()
    for path, _ in spanish:
        station.play(path, speed=0)
    audience.wait_for(lambda c: len(captions(c, True)) == len(spanish), timeout=60)
    finals = [c["text"] for c in captions(audience, True)]
    assert corpora.wer([ref for _, ref in spanish], finals) <= SPANISH_WER_BOUND, finals
    assert all(text[0].isupper() and text.endswith(".") for text in finals), finals
    assert "está" in finals[0] and "única" in finals[1], finals  # accents the reference texts leave out
    assert captions(audience, False), "partials while speaking, from Whisper re-decoding"


def test_translate_to_english_captions_real_spanish_speech_in_english(loaded, spanish):
    recognizer = loaded["es>en"]
    name = corpora.TRANSLATE_TEST[0]
    (path, said), = corpora.spanish_prompts(spanish[0][0].parent, [name])
    pcm = audio.read_wav(path)
    for offset in range(0, len(pcm), 3200):
        recognizer.feed(pcm[offset:offset + 3200])
    text = recognizer.finish().text
    english = corpora.prompt_texts()[name]  # the same prompt as recorded in English
    assert corpora.wer([english], [text]) <= TRANSLATION_WER_BOUND, (text, english)
    assert corpora.wer([said], [text]) > 0.8, text  # not the Spanish words


def test_what_cannot_be_done_is_one_clear_line(say, station_env):
    with pytest.raises(StationError, match="translates into English only"):
        engines.load(lang="es", translate_to="fr")
    with pytest.raises(StationError, match="needs the language spoken"):
        engines.load(translate_to="en")
    with pytest.raises(StationError, match="needs Whisper, not --engine vosk"):
        engines.load("vosk", lang="es", translate_to="en")
    out = subprocess.run(
        [sys.executable, "-m", "ccc.station", "--hub", "http://127.0.0.1:9", "--room", "ABCD", "--name", "T",
         "--lang", "es", "--model", "tiny.en", "--input", str(say("hola"))],
        capture_output=True, text=True, env=station_env, timeout=60,
    )
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0, out.stderr
    assert "knows English only" in out.stderr and "--model base" in out.stderr
