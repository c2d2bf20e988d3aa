"""How a presenter station's microphone hears its speaker: the stationAudio event's advice codes and payload."""
from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from .payloads import Payload

# The station's meter (ccc/station/meter.py) says one of these; consoles turn each into plain words.
AUDIO_ADVICE = ("good", "clipping", "too_quiet", "echo", "noisy", "silence")
AudioAdvice = Literal["good", "clipping", "too_quiet", "echo", "noisy", "silence"]
# Bounds of the meter's figures: dBFS of 16-bit audio lies in [-120, 0], an SNR in [0, 120]; a decay estimate
# over 10 s is no room's (the station sends at most this).
MIN_LEVEL_DB = -130.0
MAX_LEVEL_DB = 10.0
MAX_SNR_DB = 150.0
MAX_ECHO_S = 10.0


class StationAudio(Payload):
    """A station's latest audio advice and the figures behind it (presenters only; relayed, never stored)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    advice: AudioAdvice
    levelDb: float = Field(ge=MIN_LEVEL_DB, le=MAX_LEVEL_DB, allow_inf_nan=False)
    snrDb: float = Field(ge=0, le=MAX_SNR_DB, allow_inf_nan=False)
    echoS: float | None = Field(default=None, ge=0, le=MAX_ECHO_S, allow_inf_nan=False)  # None: not measured
