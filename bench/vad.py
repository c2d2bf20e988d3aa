"""Compare voice-activity detectors for cutting captions: CPU per second of audio, and where they cut.

Run: .venv/bin/python bench/vad.py  (WebRTC's VAD for comparison needs webrtcvad-wheels)

The audio is a lecture made of real read speech: the five LibriVox clips of pocketsphinx-testdata, twice,
joined with 0.8 s gaps ("paused"), with 0.15 s gaps (the pauses are then the recordings' own room tone,
about 0.6 s), and again cut to their words and joined with 0.1 s gaps ("run-on": no
half-second pause in 47 s, so the shorter pauses allowed near 15 s decide). Word times come from
PocketSphinx on each clip alone; a cut "inside a word" falls more than 40 ms inside a recognized word.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from ccc.station import audio, vad  # noqa: E402
from ccc.station.recognizers import SphinxRecognizer  # noqa: E402

LIBRIVOX = sorted(Path("/usr/share/pocketsphinx/test/data/librivox").glob("*.wav"))
MARGIN_MS = 40


def lecture(gap_s: float, trim: bool) -> tuple[bytes, list[tuple[int, int]], list[int]]:
    """Return the joined PCM, its word intervals in ms, and where each clip ends in ms (as the tests build it)."""
    sphinx = SphinxRecognizer()
    timings = {}
    for clip in LIBRIVOX:
        sphinx.feed(audio.read_wav(clip))
        timings[clip] = [(w["start"], w["end"]) for w in sphinx.finish().words]
    pcm, words, ends = b"", [], []
    for clip in LIBRIVOX + LIBRIVOX[::-1]:
        data = audio.read_wav(clip)
        spoken = timings[clip]
        skip = 0
        if trim:  # keep only the words (40 ms either side): sentences with no half-second pause between
            skip, end = max(0, spoken[0][0] - 40), spoken[-1][1] + 40
            data = data[32 * skip:32 * end]
        base = len(pcm) // 32 - skip
        words += [(base + start, base + end) for start, end in spoken]
        pcm += data
        ends.append(len(pcm) // 32)
        pcm += bytes(2 * round(gap_s * audio.RATE))
    return pcm, words, ends


def energy_detector(margin_db: float = 10.0):
    """Return a frame classifier: louder than a tracked noise floor by ``margin_db``."""
    floor = [None]

    def is_speech(frame: bytes) -> bool:
        x = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
        db = 10 * np.log10(np.dot(x, x) / len(x) + 1.0)
        if floor[0] is None:
            floor[0] = db
        # The floor follows quiet frames down at once and rises slowly, so speech does not lift it.
        floor[0] = db if db < floor[0] else floor[0] + 0.02
        return db > floor[0] + margin_db

    return is_speech


def webrtc_detector(aggressiveness: int):
    """Return WebRTC's VAD (webrtcvad-wheels) as a 20 ms frame classifier."""
    import webrtcvad  # noqa: PLC0415

    detector = webrtcvad.Vad(aggressiveness)
    return lambda frame: detector.is_speech(frame, audio.RATE)


def measure(name: str, make, pcm: bytes, words, ends) -> None:
    """Print CPU per audio second, cuts, cuts inside words, clip ends missed, and the longest caption."""
    seconds = len(pcm) / 2 / audio.RATE
    detector = make()
    frames = [pcm[i:i + 2 * vad.FRAME] for i in range(0, len(pcm) - 2 * vad.FRAME + 1, 2 * vad.FRAME)]
    began = time.process_time()
    for frame in frames:
        detector(frame)
    cpu = (time.process_time() - began) / seconds
    segmenter = vad.Segmenter(is_speech=make())
    events = [e for i in range(0, len(pcm), 3200) for e in segmenter.push(pcm[i:i + 3200])] + segmenter.end()
    cuts = [v // 16 for k, v in events if k == "cut"]
    starts = [v // 16 for k, v in events if k == "start"]
    inside = sum(any(s + MARGIN_MS < c < e - MARGIN_MS for s, e in words) for c in cuts)
    missed = sum(not any(end - 400 <= c <= end + 900 for c in cuts) for end in ends[:-1])
    longest = max(c - s for s, c in zip(starts, cuts)) / 1000
    print(f"| {name} | {cpu * 1000:.2f} ms | {len(cuts)} | {inside} | {missed} | {longest:.1f} s |")


def main() -> None:
    """Print one table per lecture."""
    detectors = {
        "WebRTC, aggressiveness 1": lambda: webrtc_detector(1),
        "WebRTC, aggressiveness 2": lambda: webrtc_detector(2),
        "WebRTC, aggressiveness 3": lambda: webrtc_detector(3),
        "energy over noise floor (10 dB)": energy_detector,
        "Silero v6 (onnxruntime, 1 thread; chosen)": vad.SileroDetector,
    }
    for title, gap, trim in (("paused (0.8 s between sentences)", 0.8, False),
                             ("room tone (each sentence keeps its own silences, 0.15 s between)", 0.15, False),
                             ("run-on (sentences cut to their words, 0.1 s between)", 0.1, True)):
        pcm, words, ends = lecture(gap, trim)
        print(f"\n{title}, {len(pcm) / 32000:.0f} s, {len(words)} words, {len(ends) - 1} sentence gaps\n")
        print("| detector | CPU per s of audio | cuts | inside a word | sentence gaps missed | longest |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, make in detectors.items():
            measure(name, make, pcm, words, ends)


if __name__ == "__main__":
    main()
