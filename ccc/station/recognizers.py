"""Speech recognizers behind one small interface: feed PCM, read the partial text, finish the utterance.

English defaults to two passes: Whisper (ccc/station/whisper.py; base or tiny.en, measured: ccc/station/choice.py)
for finals, a streaming engine for partials. Other languages Whisper knows get Whisper base with punctuation,
partials from their Vosk model if one is installed, else from Whisper re-decoding; the rest their Vosk model.
PocketSphinx is the fallback when Whisper cannot load. Word
times are milliseconds from the start of the utterance.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ccc.station import StationError
from ccc.station import vosk_models as model_store
from ccc.station.audio import RATE


@dataclass
class Final:
    """The text of one finished utterance and its word timings."""

    text: str
    words: list[dict] = field(default_factory=list)


class Recognizer:
    """The interface every engine implements."""

    name = "none"
    sample_rate = RATE

    def feed(self, pcm: bytes) -> None:
        """Recognize a chunk of 16 kHz mono 16-bit PCM."""
        raise NotImplementedError

    def partial(self) -> str:
        """Return the text recognized so far in this utterance."""
        raise NotImplementedError

    def finish(self) -> Final:
        """End the utterance, return its final text, and get ready for the next one."""
        raise NotImplementedError

    def set_vocabulary(self, vocab) -> None:
        """Use the room's vocabulary (ccc.station.vocabulary.Vocabulary); engines that cannot, ignore it."""

    def begin_hold(self) -> None:
        """Start a key hold: engines that carry context from one cut to the next start afresh."""

    def end_hold(self) -> None:
        """End the key hold: later utterances are decoded without the hold's context."""

    def pause(self) -> None:
        """The speaker paused after all the audio fed so far: the utterance may end here."""

    def resume(self) -> None:
        """Speech came back after a pause(): the utterance goes on."""


class VoskRecognizer(Recognizer):
    """Recognize with a Vosk (Kaldi) model folder."""

    name = "vosk"

    def __init__(self, path: Path, lang_hint: str = ""):
        try:
            import vosk  # noqa: PLC0415 - the engine loads only when chosen
        except ImportError:
            raise StationError("the vosk package is not installed: pip install vosk") from None
        vosk.SetLogLevel(-1)
        hint = lang_hint or "LANG"
        if not (path / "am").is_dir() and not (path / "final.mdl").is_file():
            raise StationError(
                f"{path} is not a Vosk model (no am/ folder); run: {model_store.FIX_HINT.format(lang=hint)}"
            )
        try:
            self._model = vosk.Model(str(path))
        except Exception:  # noqa: BLE001 - vosk raises a bare Exception("Failed to create a model")
            raise StationError(
                f"the Vosk model at {path} is broken or incomplete; run: {model_store.FIX_HINT.format(lang=hint)}"
            ) from None
        self.path = path
        self._vosk = vosk
        self._new_utterance()

    def _new_utterance(self) -> None:
        self._rec = self._vosk.KaldiRecognizer(self._model, RATE)
        self._rec.SetWords(True)
        # Vosk closes a segment at each pause; one key hold is one utterance, so segments are joined.
        self._texts: list[str] = []
        self._words: list[dict] = []
        self._current = ""

    def _take(self, result: str) -> None:
        data = json.loads(result)
        if data.get("text"):
            self._texts.append(data["text"])
        for w in data.get("result", []):
            self._words.append({
                "word": w["word"], "start": round(w["start"] * 1000), "end": round(w["end"] * 1000),
                "conf": min(1.0, max(0.0, float(w.get("conf", 1.0)))),
            })

    def feed(self, pcm: bytes) -> None:
        """Recognize a chunk of PCM."""
        if self._rec.AcceptWaveform(pcm):
            self._take(self._rec.Result())
            self._current = ""
        else:
            self._current = json.loads(self._rec.PartialResult()).get("partial", "")

    def partial(self) -> str:
        """Return the text so far."""
        return " ".join(t for t in [*self._texts, self._current] if t)

    def finish(self) -> Final:
        """Return the whole utterance and start a fresh one."""
        self._take(self._rec.FinalResult())
        final = Final(" ".join(self._texts), self._words)
        self._new_utterance()
        return final


_FILLER = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+)$")


PARTIAL_MAX_HMMS = 2000


class SphinxRecognizer(Recognizer):
    """Recognize English with the PocketSphinx model that ships inside its wheel."""

    name = "pocketsphinx"

    def __init__(self, hmm: Path | None = None, partials_only: bool = False):
        """Load the model; ``partials_only`` when another engine makes the finals (see streaming_engine)."""
        try:
            from pocketsphinx import Decoder  # noqa: PLC0415
        except ImportError:
            raise StationError("the pocketsphinx package is not installed: pip install pocketsphinx") from None
        options = {"samprate": RATE, "loglevel": "FATAL"}
        if partials_only:  # its two passes over the whole utterance at the end took 0.35 s of a 7 s caption
            options.update(fwdflat=False, bestpath=False)
            # At most 2,000 active HMMs a frame (default 30,000): in a classroom's babble and echo the search
            # widened to 0.98 CPU s per audio s; capped, 0.20, and 0.11 on clean speech (was 0.31), for partials
            # as good (held-out WER 0.259 vs 0.251 clean, 0.901 both in the room; docs/accuracy.md).
            options.update(maxhmmpf=PARTIAL_MAX_HMMS)
        if hmm is not None:
            options.update(hmm=str(hmm), lm=str(hmm / "en-us.lm.bin"), dict=str(hmm / "cmudict-en-us.dict"))
        try:
            self._decoder = Decoder(**options)
        except (RuntimeError, ValueError) as exc:
            raise StationError(f"PocketSphinx cannot load its model {hmm or ''}: {exc}") from None
        self._frate = int(self._decoder.config["frate"])
        self._open = False

    def feed(self, pcm: bytes) -> None:
        """Recognize a chunk of PCM."""
        if not self._open:
            self._decoder.start_utt()
            self._open = True
        self._decoder.process_raw(pcm, False, False)

    def partial(self) -> str:
        """Return the text so far."""
        hyp = self._decoder.hyp() if self._open else None
        return hyp.hypstr if hyp else ""

    def finish(self) -> Final:
        """Return the whole utterance and start a fresh one."""
        if not self._open:
            return Final("")
        self._decoder.end_utt()
        self._open = False
        hyp = self._decoder.hyp()
        words = [
            {"word": re.sub(r"\(\d+\)$", "", seg.word), "start": seg.start_frame * 1000 // self._frate,
             "end": (seg.end_frame + 1) * 1000 // self._frate, "conf": min(1.0, max(0.0, float(seg.prob)))}
            for seg in self._decoder.seg() if not _FILLER.match(seg.word)
        ]
        return Final(hyp.hypstr if hyp else "", words)


def english_vosk() -> dict | None:
    """Return the installed English Vosk model, if any."""
    for found in model_store.installed():
        if found["lang"].lower().startswith("en") or "-en-" in found["name"].lower():
            return found
    return None
