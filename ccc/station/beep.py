"""The cue that tells a speaker the floor is offered: a short beep on the default output device.

Without PortAudio or an output device the caller rings the terminal bell instead. The player can be
replaced (tests, hosts with another sound path).
"""
from __future__ import annotations

from typing import Callable

TONE_RATE = 48_000
TONE_HZ = 880.0
TONE_S = 0.18


def tone(rate: int = TONE_RATE, hz: float = TONE_HZ, seconds: float = TONE_S):
    """Return a short sine beep as float32 samples, faded in and out so it does not click."""
    import numpy as np  # noqa: PLC0415 - only a station that beeps needs it

    t = np.arange(int(rate * seconds)) / rate
    wave = 0.3 * np.sin(2 * np.pi * hz * t)
    fade = min(len(t) // 4, int(rate * 0.01))
    ramp = np.linspace(0.0, 1.0, fade)
    wave[:fade] *= ramp
    wave[len(wave) - fade:] *= ramp[::-1]
    return wave.astype(np.float32)


def play_beep() -> None:
    """Play the beep on the default output device without waiting; raise OSError when there is none."""
    try:
        import sounddevice  # noqa: PLC0415 - PortAudio is only loaded when a cue is played
    except (ImportError, OSError) as exc:
        raise OSError(f"no sound output: {exc}") from None
    try:
        sounddevice.play(tone(), TONE_RATE)  # returns at once; PortAudio plays it on its own thread
    except sounddevice.PortAudioError as exc:
        raise OSError(f"no sound output: {exc}") from None


class Cue:
    """Play the offer cue; remember how each one went ("beep", or "bell" when no sound could play)."""

    def __init__(self, player: Callable[[], None] | None = play_beep):
        self.player = player
        self.played: list[str] = []

    def __call__(self) -> bool:
        """Play the beep; return False when it could not play, so the caller rings the terminal bell."""
        try:
            if self.player is None:
                raise OSError("no player")
            self.player()
        except OSError:
            self.played.append("bell")
            return False
        self.played.append("beep")
        return True
