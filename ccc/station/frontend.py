"""Far-field front-end candidates: what may be done to an utterance's audio before Whisper decodes it.

Each step takes and returns float32 samples at 16 kHz for one utterance (the station decodes an utterance's
audio when it is cut, so a step that runs faster than real time on the whole utterance adds only its own
time to the final). bench/frontend.py measures each on the room copies; docs/accuracy.md has the table and
says which are kept. None is on by default: see docs/accuracy.md for why.
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
