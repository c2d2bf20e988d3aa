"""Audio sources behind one interface: a microphone through sounddevice, or a WAV file paced like one.

Every source delivers 16 kHz mono 16-bit PCM in chunks to a sink callable. The sink only enqueues
(recognition runs in its own thread), so a slow recognizer never makes the sound card drop samples.
"""
from __future__ import annotations

import threading
import time
import wave
from pathlib import Path
from typing import Callable

import numpy as np

from ccc.station import StationError

RATE = 16000
CHUNK_S = 0.1
Sink = Callable[[bytes], None]


def resample(samples: np.ndarray, src_rate: int, dst_rate: int = RATE, taps: int = 16) -> np.ndarray:
    """Return int16 ``samples`` converted from ``src_rate`` to ``dst_rate`` by windowed-sinc interpolation."""
    if src_rate == dst_rate or len(samples) == 0:
        return samples.astype(np.int16)
    # Band-limited interpolation: a plain linear interpolation aliases enough to hurt recognition.
    x = np.concatenate([np.zeros(taps, np.float32), samples.astype(np.float32), np.zeros(taps + 1, np.float32)])
    step = src_rate / dst_rate
    cutoff = min(1.0, dst_rate / src_rate) * 0.95
    n_out = int(len(samples) / step)
    offsets = np.arange(-taps + 1, taps + 1)
    out = np.empty(n_out, np.float32)
    for begin in range(0, n_out, 8192):
        t = np.arange(begin, min(n_out, begin + 8192)) * step
        base = np.floor(t).astype(np.int64)
        k = base[:, None] + offsets[None, :]
        d = t[:, None] - k
        kernel = cutoff * np.sinc(cutoff * d) * np.kaiser(2 * taps + 1, 8.0)[np.clip(np.round(d + taps), 0, 2 * taps).astype(int)]
        out[begin:begin + len(t)] = (x[k + taps] * kernel).sum(axis=1)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def to_mono(frames: np.ndarray, channels: int) -> np.ndarray:
    """Return interleaved int16 ``frames`` mixed down to one channel."""
    if channels == 1:
        return frames
    return frames.reshape(-1, channels).mean(axis=1).astype(np.int16)


def read_wav(path: str | Path) -> bytes:
    """Return a WAV file's speech as 16 kHz mono 16-bit PCM, or raise StationError."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise StationError(f"{path}: only 16-bit PCM WAV files are supported")
            channels, rate = wav.getnchannels(), wav.getframerate()
            frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    except (OSError, wave.Error, EOFError) as exc:
        raise StationError(f"cannot read WAV file {path}: {exc}") from None
    return resample(to_mono(frames, channels), rate).tobytes()


class WavSource:
    """Play a WAV file into the sink, in real time by default (``speed`` 0: as fast as possible)."""

    def __init__(self, path: str | Path, speed: float = 1.0, loop: bool = False, gap_s: float = 1.0):
        self.path = Path(path)
        self.pcm = read_wav(self.path)
        self.speed = speed
        self.loop = loop
        self.gap_s = gap_s
        # Hooks for `--ptt file`: called around each pass, on the same thread as the audio, so order holds.
        self.on_pass_start: Callable[[], None] = lambda: None
        self.on_pass_end: Callable[[], None] = lambda: None
        self.on_finished: Callable[[], None] = lambda: None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def duration_s(self) -> float:
        """Return the length of one pass in seconds."""
        return len(self.pcm) / 2 / RATE

    def start(self, sink: Sink) -> None:
        """Start delivering chunks to ``sink`` from a background thread."""
        self._thread = threading.Thread(target=self._run, args=(sink,), name="wav-source", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop delivering audio."""
        self._stop.set()

    def _run(self, sink: Sink) -> None:
        step = int(RATE * CHUNK_S) * 2
        while not self._stop.is_set():
            self.on_pass_start()
            began = time.monotonic()
            for offset in range(0, len(self.pcm), step):
                if self._stop.is_set():
                    break
                sink(self.pcm[offset:offset + step])
                if self.speed > 0:
                    due = began + (offset + step) / 2 / RATE / self.speed
                    self._stop.wait(max(0.0, due - time.monotonic()))
            self.on_pass_end()
            if not self.loop or self._stop.wait(self.gap_s):
                break
        self.on_finished()


class MicSource:
    """Capture a sounddevice input at 16 kHz, or at the device's own rate and resample when it refuses."""

    def __init__(self, device: int | str | None = None):
        import sounddevice  # noqa: PLC0415 - PortAudio is only needed when a microphone is used

        self._sd = sounddevice
        self.device = int(device) if isinstance(device, str) and device.isdigit() else device
        self._stream = None
        self.on_finished: Callable[[], None] = lambda: None

    def start(self, sink: Sink) -> None:
        """Open the input stream and deliver chunks to ``sink`` from PortAudio's callback."""
        rate = RATE
        try:
            self._sd.check_input_settings(device=self.device, channels=1, dtype="int16", samplerate=RATE)
        except Exception:  # noqa: BLE001 - PortAudio raises bare Exceptions for unsupported rates
            info = self._sd.query_devices(self.device, "input")
            rate = int(info["default_samplerate"])

        def callback(indata, frames, time_info, status):  # noqa: ARG001 - PortAudio's signature
            chunk = np.frombuffer(bytes(indata), dtype=np.int16)
            sink(chunk.tobytes() if rate == RATE else resample(chunk, rate).tobytes())

        try:
            self._stream = self._sd.RawInputStream(
                samplerate=rate, blocksize=int(rate * CHUNK_S), device=self.device,
                dtype="int16", channels=1, callback=callback,
            )
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudioError and ValueError both mean "no such input"
            raise StationError(f"cannot open audio input {self.device!r}: {exc} (see --list-devices)") from None

    def stop(self) -> None:
        """Close the input stream."""
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


def open_source(spec: str | None, speed: float = 1.0, loop: bool = False):
    """Return the audio source for ``--input``: a WAV file path, a device number or name, or the default."""
    if spec and (spec.lower().endswith(".wav") or Path(spec).is_file()):
        return WavSource(spec, speed=speed, loop=loop)
    return MicSource(spec)


def list_devices() -> str:
    """Return the audio devices as sounddevice lists them."""
    try:
        import sounddevice  # noqa: PLC0415
    except OSError as exc:
        raise StationError(f"PortAudio is missing ({exc}); install libportaudio2") from None
    return str(sounddevice.query_devices())
