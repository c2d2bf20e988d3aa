"""How the microphone hears the speaker: speech level, signal-to-noise ratio, reverberation, clipping, advice.

Cheap enough for live audio: each 100 ms chunk costs one numpy pass over its samples (10 ms frame powers);
the reading itself looks at the last 20 s of frame powers.

Reverberation is estimated blind, from how fast the sound dies away after words (the idea of Ratnam et al.,
"Blind estimation of reverberation time", JASA 2003): a room cannot make sound decay faster than its own
decay, so the steepest free decays after speech offsets estimate it. Each falling run of frame levels that
starts well above the noise floor is fitted with a line over its first 20 dB (or down to 4 dB above the noise
floor); the estimate is 60 dB over the median slope of the steepest quarter of runs. In a dry room speech
falls at 300-600 dB/s (under 0.2 s); in a classroom of RT60 0.7 s at 2-3 m it falls at about 80-120 dB/s.
"""
from __future__ import annotations

import argparse
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from ccc import protocol
from ccc.station import StationError, audio
from ccc.station.audio import RATE
from ccc.station.hub_link import HubLink
from ccc.station.station import StatusLine

FRAME = RATE // 100  # 10 ms
WINDOW_S = 20.0
CLIPPED_SHARE = 0.001  # more than 1 sample in 1000 at full scale
QUIET_DBFS = -42.0  # speech below this is too quiet for the recognizer's comfort
NOISY_DB = 25.0  # peaks over dips: clean speech in a quiet room reads 28-65 dB, a classroom desk mic 16-23
ECHO_S = 0.4  # a decay estimate above this: the microphone hears the room more than the speaker
MIN_SPEECH_DB = 8.0  # speech must stand this far above the floor before anything else is judged

# The keys are the advice codes of the wire protocol (protocol.AUDIO_ADVICE): consoles say the same words.
ADVICE = {
    "clipping": "clipping: turn the microphone's input gain down",
    "too_quiet": "too quiet: move the microphone closer or raise its input gain",
    "echo": "the room echoes: move the microphone closer or use a headset microphone",
    "noisy": "noisy: move the microphone closer to the speaker or use a headset microphone",
    "silence": "no speech heard yet",
    "good": "good",
}


@dataclass
class Reading:
    """What the meter found, and the advice for it (one of ADVICE's keys, and its words)."""

    level_dbfs: float
    snr_db: float
    reverb_s: float | None
    clipped: float
    verdict: str

    @property
    def advice(self) -> str:
        """Return the advice in plain words."""
        return ADVICE[self.verdict]

    def brief(self) -> str:
        """Return a one-line summary for a status line."""
        echo = f", echo {self.reverb_s:.1f} s" if self.reverb_s is not None else ""
        return f"audio: {self.advice} (speech {self.level_dbfs:.0f} dBFS, SNR {self.snr_db:.0f} dB{echo})"

    def report(self) -> str:
        """Return the reading as a few labelled lines."""
        echo = (f"about {self.reverb_s:.2f} s (how fast sound dies away after words)" if self.reverb_s is not None
                else "not measured (too few word endings heard)")
        clip = f"{self.clipped:.2%} of samples at full scale" if self.clipped else "none"
        return (f"speech level: {self.level_dbfs:.1f} dBFS\nsignal-to-noise: {self.snr_db:.1f} dB\n"
                f"reverberation: {echo}\nclipping: {clip}\nadvice: {self.advice}")

    def wire(self) -> dict:
        """Return the reading as the stationAudio event carries it, within the protocol's bounds."""
        echo = None if self.reverb_s is None else min(self.reverb_s, protocol.MAX_ECHO_S)
        return {"advice": self.verdict, "levelDb": min(max(self.level_dbfs, protocol.MIN_LEVEL_DB), 0.0),
                "snrDb": min(max(self.snr_db, 0.0), protocol.MAX_SNR_DB), "echoS": echo}


class Meter:
    """Keep the last seconds of 10 ms frame powers and the clipping count; read them on demand.

    Readings fall due by the audio heard, not the clock: a file read faster than real time is read at the
    same places as a microphone would be.
    """

    def __init__(self, window_s: float = WINDOW_S, every_s: float = 3.0):
        self.frames: deque[float] = deque(maxlen=int(window_s * 100))
        self.samples: deque[tuple[int, int]] = deque(maxlen=int(window_s * 10) + 1)  # (clipped, total) per chunk
        self._rest = np.zeros(0, np.float32)
        self.every_s = every_s
        self._unread = 0  # frames pushed since the last reading was due
        self._lock = threading.Lock()  # the audio thread pushes while the main thread reads

    def push(self, pcm: bytes) -> None:
        """Add a chunk of 16 kHz 16-bit mono audio."""
        x = np.frombuffer(pcm, np.int16)
        clipped = int(np.count_nonzero((x >= 32767) | (x <= -32768)))
        y = np.concatenate([self._rest, x.astype(np.float32) / 32768])
        whole = len(y) // FRAME * FRAME
        self._rest = y[whole:]
        levels = (10 * np.log10((y[:whole].reshape(-1, FRAME) ** 2).mean(axis=1) + 1e-12)).tolist() if whole else []
        with self._lock:
            self.samples.append((clipped, len(x)))
            self.frames.extend(levels)
            self._unread += len(levels)

    def due(self) -> bool:
        """Tell whether a new reading is due (every few seconds of audio), and start the next period if so."""
        with self._lock:
            if self._unread < self.every_s * 100 or len(self.frames) < 100:
                return False
            self._unread = 0
        return True

    def reading(self) -> Reading:
        """Return the level, SNR, reverberation estimate, clipping and verdict of the audio kept."""
        with self._lock:
            db = np.array(self.frames) if self.frames else np.full(1, -120.0)
            clipped = sum(c for c, _ in self.samples) / max(1, sum(n for _, n in self.samples))
        ordered = np.sort(db)
        floor = _power_mean(ordered[: max(1, len(ordered) * 5 // 100)])  # the dips between words
        level = _power_mean(ordered[len(ordered) * 70 // 100:])
        snr = level - floor
        # Decays are followed down to the level most frames stay above, not to the deepest dips.
        reverb = decay_time(db, _power_mean(ordered[: max(1, len(ordered) * 15 // 100)])) if snr >= MIN_SPEECH_DB else None
        if clipped > CLIPPED_SHARE:
            verdict = "clipping"
        elif snr < MIN_SPEECH_DB:
            verdict = "too_quiet" if level > -70 and level < QUIET_DBFS else "silence"
        elif level < QUIET_DBFS:
            verdict = "too_quiet"
        elif reverb is not None and reverb > ECHO_S:
            verdict = "echo"
        elif snr < NOISY_DB:
            verdict = "noisy"
        else:
            verdict = "good"
        return Reading(round(level, 1), round(snr, 1), reverb, clipped, verdict)


def _power_mean(db: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(10 ** (db / 10)) + 1e-12))


def decay_time(db: np.ndarray, floor: float, span_db: float = 20.0) -> float | None:
    """Return the blind decay-time estimate (s) from frame levels in dB, or None with too few word endings."""
    smooth = np.convolve(db, np.ones(3) / 3, mode="same")  # 30 ms: a syllable's ripple is not an offset
    slopes = []
    i, n = 0, len(smooth)
    while i < n - 5:
        if smooth[i] < floor + 12 or smooth[i + 1] >= smooth[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and smooth[j + 1] < smooth[j] + 0.5 and smooth[j + 1] > max(floor + 4, smooth[i] - span_db):
            j += 1
        if j - i >= 5 and smooth[i] - smooth[j] >= 8:  # at least 50 ms and 8 dB of free decay
            t = np.arange(j - i + 1) / 100
            slopes.append(np.polyfit(t, smooth[i:j + 1], 1)[0])
        i = j + 1
    if len(slopes) < 4:
        return None
    steep = np.sort(slopes)[: max(2, len(slopes) // 4)]  # most negative first
    return round(float(60 / -np.median(steep)), 2)


def measure(samples: np.ndarray) -> Reading:
    """Return the reading of int16 samples at 16 kHz (a doctor's recording, a file)."""
    meter = Meter(window_s=max(WINDOW_S, len(samples) / RATE + 1))
    meter.push(samples.astype(np.int16).tobytes())
    return meter.reading()


class MeterStatus(StatusLine):
    """A status line that carries the meter's latest summary after the station's own status.

    ``link`` (the station's HubLink, set once made) is told each new advice, for the presenter console.
    """

    def __init__(self, stream, meter: Meter, link: HubLink | None = None):
        super().__init__(stream)
        self.meter = meter
        self.link = link
        self.note = ""
        self._text = ""

    def show(self, text: str) -> None:
        """Show the station's status followed by the audio summary."""
        self._text = text
        super().show(f"{text} | {self.note}" if self.note else text)

    def hear(self, pcm: bytes) -> None:
        """Measure a chunk of the station's audio; say the reading, and tell the hub, when its advice changes."""
        self.meter.push(pcm)
        changed = self.update()
        if changed is None:
            return
        self.say(changed.brief())
        self.show(self._text)  # the status line again, below the reading, with the new advice
        if self.link is not None:
            self.link.send_audio(changed.wire())

    def update(self) -> Reading | None:
        """Take a new reading when one is due; return it when its advice changed (else None)."""
        if not self.meter.due():
            return None
        reading = self.meter.reading()
        note = f"audio: {reading.advice}"  # the words only: numbers would redraw the line every few seconds
        changed, self.note = note != self.note, note
        return reading if changed else None


def command(args: list[str]) -> int:
    """Run `meter --input FILE.wav|DEVICE`: read the audio through the station's capture path, print the reading."""
    parser = argparse.ArgumentParser(prog="python -m ccc.station meter",
                                     description="how the microphone hears the speaker, and what to do about it")
    parser.add_argument("--input", help="a WAV file, or an audio device number or name (default: the default input)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to listen to a microphone (default 10)")
    options = parser.parse_args(args)
    source = audio.open_source(options.input, speed=0)
    finished = threading.Event()
    seconds = source.duration_s if isinstance(source, audio.WavSource) else options.seconds
    if seconds < 2:
        raise StationError("the meter needs at least 2 s of audio")
    meter = Meter(window_s=seconds + 1)
    source.on_finished = finished.set
    source.start(meter.push)
    finished.wait(None if isinstance(source, audio.WavSource) else options.seconds)
    source.stop()
    print(meter.reading().report())
    return 0
