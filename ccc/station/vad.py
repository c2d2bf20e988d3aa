"""Cut one long key hold into captions at the speaker's pauses, so no caption waits for key-up.

A Segmenter reads the hold's audio in 20 ms frames, asks a voice-activity detector (Silero's; see
docs/station.md for why) whether each frame is speech, and turns the audio into events for the station:
``("start", sample)`` when speech begins, ``("audio", pcm)`` for the recognizer, ``("cut", sample)`` when
the caption ends. Samples count from the start of the hold, so times are right at any playback speed.
Audio reaches the recognizer ``GUARD_S`` late, so that a cut can leave the end of a pause to the next caption.

When a caption of a sentence's length (``SHORT_S`` of speech) has been silent for ``EARLY_S``, a
``("pause", sample)`` event lets the recognizer start decoding it while the pause lasts, and
``("resume", sample)`` says speech came back before the cut (docs/station.md).

The rule: a caption ends after ``pause_s`` of silence, which stays in the caption that ends, except its last
``GUARD_S`` (the detector hears a soft onset late; those frames open the next caption's pre-roll).
From ``SOFT_S`` of caption on, a shorter pause will do (the pause needed shrinks to ``MIN_PAUSE_S`` at
``max_s``). In the last ``LOOKBACK_S`` before ``max_s`` audio is held back from the recognizer, and if no
pause came, the caption is cut at the quietest 60 ms of that held second. Silence before speech is not
given to the recognizer, except the last ``PREROLL_S``, so the soft start of a first word is kept.
"""
from __future__ import annotations

import importlib.util
from collections import deque
from pathlib import Path
from typing import Callable

import numpy as np

from ccc.station import StationError
from ccc.station.audio import RATE

FRAME_S = 0.02
FRAME = int(RATE * FRAME_S)  # samples per frame
PAUSE_S = 0.5
SHORT_S = 2.0  # a caption shorter than this is a phrase, not a sentence: only a LONG_PAUSE_S pause ends it
LONG_PAUSE_S = 1.5
MAX_S = 15.0
SOFT_S = 10.0
MIN_PAUSE_S = 0.12
LOOKBACK_S = 1.0
PREROLL_S = 0.3
GUARD_S = 0.1  # audio reaches the recognizer this late, so a cut can fall before the pause's end
EARLY_S = 0.25  # a pause this long in a sentence-sized caption lets the recognizer start on its final early
ONSET = (3, 5)  # speech starts when 3 of the last 5 frames are speech: one click is not a caption
THRESHOLD = 0.5  # Silero's speech probability, faster-whisper's default

Event = tuple[str, object]


class SileroDetector:
    """Silero VAD v6, the ONNX model faster-whisper ships, as a 20 ms frame classifier (32 ms windows)."""

    WINDOW, CONTEXT = 512, 64

    def __init__(self, threshold: float = THRESHOLD):
        spec = importlib.util.find_spec("faster_whisper")  # its model file, without importing Whisper itself
        try:
            import onnxruntime  # noqa: PLC0415 - only the station needs it, not the hub
        except ImportError:
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise StationError("captions are cut at pauses by Silero VAD: pip install faster-whisper onnxruntime")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1  # Whisper needs the other core
        options.log_severity_level = 4
        model = Path(spec.submodule_search_locations[0]) / "assets" / "silero_vad_v6.onnx"
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.threshold = threshold
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(self.CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self.probability = 0.0

    def __call__(self, frame: bytes) -> bool:
        """Return True when the latest window ending in ``frame`` is speech."""
        samples = np.frombuffer(frame, np.int16).astype(np.float32) / 32768.0
        self._pending = np.concatenate([self._pending, samples])
        while len(self._pending) >= self.WINDOW:
            window, self._pending = self._pending[:self.WINDOW], self._pending[self.WINDOW:]
            x = np.concatenate([self._context, window])[None, :]
            out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
            self._context, self.probability = window[-self.CONTEXT:], float(np.ravel(out)[0])
        return self.probability > self.threshold


def _energy(frame: bytes) -> float:
    samples = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
    return float(np.dot(samples, samples))


class Segmenter:
    """Turn one hold's audio into start / audio / cut events at pauses (see the module's rule)."""

    def __init__(self, pause_s: float = PAUSE_S, max_s: float = MAX_S,
                 is_speech: Callable[[bytes], bool] | None = None):
        self.pause = max(1, round(pause_s / FRAME_S))
        self.short = round(SHORT_S / FRAME_S)
        self.long_pause = max(self.pause, round(LONG_PAUSE_S / FRAME_S))
        self.max = max(self.pause + 1, round(max_s / FRAME_S))
        self.soft = min(round(SOFT_S / FRAME_S), self.max * 2 // 3)
        self.min_pause = min(self.pause, round(MIN_PAUSE_S / FRAME_S))
        self.lookback = min(round(LOOKBACK_S / FRAME_S), self.max // 3)
        self.guard = round(GUARD_S / FRAME_S)
        self.early = round(EARLY_S / FRAME_S)
        self.is_speech = is_speech or SileroDetector()
        self.reset()

    def reset(self) -> None:
        """Forget everything: a new hold starts at sample 0."""
        self.position = 0  # frames read in this hold
        self.speaking = False  # inside a caption
        self._rest = b""
        self._recent: deque[bool] = deque(maxlen=ONSET[1])
        self._preroll: deque[bytes] = deque(maxlen=round(PREROLL_S / FRAME_S))
        self._held: list[tuple[bytes, float, bool]] = []
        self._length = 0  # frames in the current caption
        self._silence = 0  # frames of silence at its end
        self._paused = False  # a "pause" event was sent and no speech came since

    def needed_pause(self) -> int:
        """Return the frames of silence that end the current caption: fewer as it nears the maximum."""
        if self._length - self._silence < self.short:
            return self.long_pause  # a hesitation after a few words: decoded alone they come out wrong
        if self._length <= self.soft:
            return self.pause
        share = min(1.0, (self._length - self.soft) / (self.max - self.soft))
        return max(self.min_pause, round(self.pause - share * (self.pause - self.min_pause)))

    def push(self, pcm: bytes) -> list[Event]:
        """Read a chunk of the hold's audio; return the events it completes, in order."""
        data = self._rest + pcm
        whole = len(data) // (2 * FRAME) * 2 * FRAME
        self._rest = data[whole:]
        events: list[Event] = []
        for offset in range(0, whole, 2 * FRAME):
            self._frame(data[offset:offset + 2 * FRAME], events)
        return events

    def end(self) -> list[Event]:
        """End the hold: return the events that close the last caption, if one is open."""
        events: list[Event] = []
        if self.speaking:
            self._release(events)
            if self._rest:
                events.append(("audio", self._rest))
            events.append(("cut", self.position * FRAME + len(self._rest) // 2))
        self.reset()
        return events

    def _frame(self, frame: bytes, events: list[Event]) -> None:
        speech = self.is_speech(frame)
        self.position += 1
        if not self.speaking:
            self._preroll.append(frame)
            self._recent.append(speech)
            if sum(self._recent) >= ONSET[0]:
                self._open(events)
            return
        self._length += 1
        self._silence = 0 if speech else self._silence + 1
        self._held.append((frame, _energy(frame), speech))
        if speech and self._paused:
            self._paused = False
            events.append(("resume", self.position * FRAME))
        if self._silence >= self.needed_pause():
            # The detector hears a word's soft onset a window late: the pause's last frames go to the next
            # caption's pre-roll, the rest of the pause ends this one.
            after = self._cut(len(self._held) - min(self.guard, self._silence - 1), events)
            self.speaking = False
            self._preroll.extend(frame for frame, _, _ in after)
        elif self._length >= self.max:
            self._cut_at_quietest(events)
        elif self._length <= self.max - self.lookback:
            self._release(events, keep=self.guard)
            if self._silence == self.early and self._length - self._silence >= self.short:
                self._paused = True  # the recognizer has all the speech: it may decode while the pause lasts
                events.append(("pause", self.position * FRAME))

    def _open(self, events: list[Event]) -> None:
        self.speaking, self._paused = True, False
        self._length, self._silence = len(self._preroll), 0
        events.append(("start", (self.position - len(self._preroll)) * FRAME))
        events.extend(("audio", frame) for frame in self._preroll)
        self._preroll.clear()
        self._recent.clear()

    def _release(self, events: list[Event], keep: int = 0) -> None:
        """Give the recognizer all held frames but the last ``keep``."""
        if len(self._held) > keep:
            events.extend(("audio", frame) for frame, _, _ in self._held[:len(self._held) - keep])
            self._held = self._held[len(self._held) - keep:]

    def _cut(self, count: int, events: list[Event]) -> list[tuple[bytes, float, bool]]:
        """End the caption after the first ``count`` held frames; return the frames after the cut."""
        before, after = self._held[:count], self._held[count:]
        events.extend(("audio", frame) for frame, _, _ in before)
        events.append(("cut", (self.position - len(after)) * FRAME))
        self._held = []
        return after

    def _cut_at_quietest(self, events: list[Event]) -> None:
        # No pause came: end after the quietest 60 ms of the held second, a gap between words if any.
        energy = np.array([e for _, e, _ in self._held])
        smooth = np.convolve(energy, np.ones(3), mode="same")
        after = self._cut(int(np.argmin(smooth[:-1])) + 1, events)  # at least one frame on each side
        events.append(("start", (self.position - len(after)) * FRAME))
        self._held, self._length, self._silence, self._paused = after, len(after), 0, False
        for _, _, speech in after:
            self._silence = 0 if speech else self._silence + 1
        self._release(events, keep=self.guard)
