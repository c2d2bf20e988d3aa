"""Far-field front-end candidates: what could be done to an utterance's audio before Whisper decodes it.

Each step takes and returns float32 samples at 16 kHz for one utterance (the station decodes an utterance's
audio when it is cut). bench/frontend.py measures each on the room copies. None lowered the WER on both the
tuning and the held-out part (docs/accuracy.md), so none is in the station's audio path; they stay here,
measured, for the next model or room to try.
"""
from __future__ import annotations

import numpy as np

RATE = 16000


def highpass(x: np.ndarray, cutoff_hz: float = 100.0) -> np.ndarray:
    """Return ``x`` without rumble below ``cutoff_hz`` (4th-order Butterworth)."""
    from scipy.signal import butter, sosfilt  # noqa: PLC0415 - only when the step is used

    return sosfilt(butter(4, cutoff_hz, "highpass", fs=RATE, output="sos"), x).astype(np.float32)


def agc(x: np.ndarray, target_dbfs: float = -20.0, max_gain_db: float = 30.0) -> np.ndarray:
    """Return ``x`` with its speech (the louder half of 20 ms frames) at ``target_dbfs``, peaks kept under 1."""
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    if not len(frames):
        return x
    power = np.sort((frames ** 2).mean(axis=1))
    level = 10 * np.log10(power[len(power) // 2:].mean() + 1e-12)
    gain = 10 ** (min(max_gain_db, target_dbfs - level) / 20)
    return (x * min(gain, 0.99 / max(1e-6, float(np.abs(x).max())))).astype(np.float32)


def denoise(x: np.ndarray) -> np.ndarray:
    """Return ``x`` through stationary spectral gating (noisereduce), which learns the noise from the clip."""
    import noisereduce  # noqa: PLC0415

    return noisereduce.reduce_noise(y=x, sr=RATE, stationary=True, prop_decrease=0.8).astype(np.float32)


def dereverb(x: np.ndarray, taps: int = 10, delay: int = 3, iterations: int = 3) -> np.ndarray:
    """Return ``x`` dereverberated by weighted prediction error (nara_wpe, one channel, 512-point STFT)."""
    from nara_wpe.utils import istft, stft  # noqa: PLC0415
    from nara_wpe.wpe import wpe  # noqa: PLC0415

    spec = stft(x[None, :].astype(np.float64), size=512, shift=128)  # (1, frames, bins)
    out = wpe(spec.transpose(2, 0, 1), taps=taps, delay=delay, iterations=iterations, statistics_mode="full")
    y = istft(out.transpose(1, 2, 0), size=512, shift=128)[0][: len(x)]
    return np.pad(y, (0, len(x) - len(y))).astype(np.float32)


STEPS = {"highpass": highpass, "agc": agc, "denoise": denoise, "dereverb": dereverb}


def chain(names: list[str]):
    """Return a function that applies the named steps in order."""
    steps = [STEPS[name] for name in names]

    def apply(x: np.ndarray) -> np.ndarray:
        for step in steps:
            x = step(x)
        return x

    return apply


class LiveDereverb:
    """Dereverberate a stream as it comes (online WPE, nara_wpe.OnlineWPE): 32 ms frames, 8 ms hop.

    Output lags input by one frame (512 samples); state carries over between calls, so the filter keeps
    learning the room while the presenter talks.
    """

    SIZE, SHIFT = 512, 128

    def __init__(self, taps: int = 10, delay: int = 2, alpha: float = 0.995):
        from nara_wpe.wpe import OnlineWPE  # noqa: PLC0415

        bins = self.SIZE // 2 + 1
        self.wpe = OnlineWPE(taps, delay, alpha, power_estimate=np.ones(bins) * 1e-6, channel=1, frequency_bins=bins)
        self.window = np.sqrt(np.hanning(self.SIZE + 1)[:-1]).astype(np.float64)  # sqrt-Hann: perfect overlap-add
        self.scale = self.SHIFT * 2 / self.SIZE
        self.pending = np.zeros(self.SIZE - self.SHIFT)
        self.tail = np.zeros(self.SIZE)
        self.history = np.zeros((taps + delay + 1, bins, 1), np.complex128)

    def process(self, x: np.ndarray) -> np.ndarray:
        """Return the dereverberated samples available after adding ``x`` (float, any length)."""
        data = np.concatenate([self.pending, x.astype(np.float64)])
        out = []
        start = 0
        while start + self.SIZE <= len(data):
            spec = np.fft.rfft(data[start:start + self.SIZE] * self.window)
            self.history = np.roll(self.history, -1, axis=0)
            self.history[-1, :, 0] = spec
            clean = self.wpe.step_block(self.history)[:, 0]
            self.tail += np.fft.irfft(clean, self.SIZE) * self.window * self.scale
            out.append(self.tail[: self.SHIFT].copy())
            self.tail = np.concatenate([self.tail[self.SHIFT:], np.zeros(self.SHIFT)])
            start += self.SHIFT
        self.pending = data[start:]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def dereverb_online(x: np.ndarray) -> np.ndarray:
    """Return ``x`` through a fresh LiveDereverb, aligned with the input (the frame of lag removed)."""
    live = LiveDereverb()
    y = np.concatenate([live.process(x), live.process(np.zeros(LiveDereverb.SIZE, np.float32))])
    lag = LiveDereverb.SIZE - LiveDereverb.SHIFT
    return y[lag:lag + len(x)]


STEPS["dereverb_online"] = dereverb_online
