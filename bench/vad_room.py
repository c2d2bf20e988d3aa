"""Does Silero VAD still find a teacher through a classroom desk microphone, and does it hear the pauses?

Run: .venv/bin/python bench/vad_room.py [--split held_out] [--thresholds 0.3,0.5,0.7]
For each clip of testkit/room_corpus.py, the clean recording's 20 ms frames that Silero calls speech
(threshold 0.5) are the reference. On the classroom copy, and on a quiet-teacher copy (the same 20 dB lower),
it reports per threshold: recall (reference speech frames still called speech) and the pause frames called
speech (babble and reverberation filling the pauses, which the station needs to cut captions).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "testkit")]

import room_corpus  # noqa: E402

from ccc.station import vad  # noqa: E402


def probabilities(x: np.ndarray) -> np.ndarray:
    """Return Silero's speech probability for each 20 ms frame of float samples."""
    detector = vad.SileroDetector()
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes()
    step = 2 * vad.FRAME
    out = []
    for offset in range(0, len(pcm) - step + 1, step):
        detector(pcm[offset:offset + step])
        out.append(detector.probability)
    return np.array(out)


def main() -> None:
    """Print recall and pause frames called speech per condition and threshold."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="held_out", choices=["tune", "held_out"])
    parser.add_argument("--thresholds", default="0.2,0.3,0.5,0.7")
    options = parser.parse_args()
    thresholds = [float(t) for t in options.thresholds.split(",")]
    tally = {(c, t): [0, 0, 0, 0] for c in ("room", "quiet room") for t in thresholds}
    for path, _ in room_corpus.clips(options.split):
        clean = probabilities(room_corpus.read(path)) > vad.THRESHOLD
        room = room_corpus.read(room_corpus.room_copy(path))
        for condition, x in (("room", room), ("quiet room", room * 0.1)):
            p = probabilities(x)[: len(clean)]
            for t in thresholds:
                said = p > t
                counts = tally[(condition, t)]
                counts[0] += int((said & clean[: len(p)]).sum())
                counts[1] += int(clean[: len(p)].sum())
                counts[2] += int((said & ~clean[: len(p)]).sum())
                counts[3] += int((~clean[: len(p)]).sum())
    print("| condition | threshold | speech frames found | pause frames called speech |")
    print("|---|---:|---:|---:|")
    for (condition, t), (hit, speech, false, pause) in tally.items():
        print(f"| {condition} | {t} | {hit / speech:.0%} | {false / pause:.0%} |")


if __name__ == "__main__":
    main()
