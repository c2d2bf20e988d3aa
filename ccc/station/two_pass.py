"""The two-pass recognizer: a streaming engine's partials while the key is held, Whisper's decoding as the final."""
from __future__ import annotations

from ccc.station.recognizers import Final, Recognizer
from ccc.station.vocabulary import Vocabulary


class TwoPassRecognizer(Recognizer):
    """Partials from a fast streaming engine, finals from Whisper's decoding of the same audio.

    ``whisper`` is a ccc.station.whisper.WhisperRecognizer (not imported here: that module imports this one).
    """

    def __init__(self, streaming: Recognizer, whisper: Recognizer):
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

    def begin_hold(self) -> None:
        """Start Whisper's context afresh for a new key hold."""
        self.whisper.begin_hold()

    def end_hold(self) -> None:
        """End Whisper's context with the key hold."""
        self.whisper.end_hold()

    def pause(self) -> None:
        """Let Whisper begin the final while the speaker pauses."""
        self.whisper.pause()

    def resume(self) -> None:
        """Speech came back: Whisper's early decoding is not the final."""
        self.whisper.resume()

    def finish(self) -> Final:
        """Reset the streaming engine and return Whisper's final for the utterance."""
        self.streaming.finish()
        return self.whisper.finish()
