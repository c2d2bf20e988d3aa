"""Benchmark the station's partial pass (PocketSphinx, partials only): CPU per audio second and partial WER.

Run: .venv/bin/python bench/partials.py [--max-hmms 30000 2000 ...]
Each clip of the tuning and held-out splits (testkit/room_corpus.py), clean and as a classroom desk
microphone hears it, is fed in 100 ms chunks with a partial read after each, as the station does. CPU is
process time, so other work on the machine moves it little. "Partial WER" is the last partial of each clip
against its reference: what the audience read just before the final replaced it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "testkit")]  # ccc, and the kit tests and benchmarks share

import corpora  # noqa: E402
import jiwer  # noqa: E402
import room_corpus  # noqa: E402

from ccc.station import audio, recognizers  # noqa: E402

CHUNK = 3200  # 100 ms, as the station feeds


def measure(max_hmms: int, clips: list[tuple[Path, str]]) -> tuple[float, float]:
    """Return CPU seconds per audio second and the last partials' WER of the partial pass over ``clips``."""
    saved = recognizers.PARTIAL_MAX_HMMS
    recognizers.PARTIAL_MAX_HMMS = max_hmms
    try:
        recognizer = recognizers.SphinxRecognizer(partials_only=True)
    finally:
        recognizers.PARTIAL_MAX_HMMS = saved
    spent = heard = 0.0
    last = []
    for clip, _ref in clips:
        pcm = audio.read_wav(clip)
        heard += len(pcm) / (2 * audio.RATE)
        began = time.process_time()
        for offset in range(0, len(pcm), CHUNK):
            recognizer.feed(pcm[offset:offset + CHUNK])
            recognizer.partial()
        last.append(recognizer.partial())
        recognizer.finish()
        spent += time.process_time() - began
    wer = jiwer.wer(" ".join(corpora.normalize(ref) for _, ref in clips), " ".join(corpora.normalize(h) for h in last))
    return spent / heard, wer


def main() -> int:
    """Print the table for each cap on active HMMs a frame (30,000 is PocketSphinx's own default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-hmms", type=int, nargs="+", default=[30000, 3000, recognizers.PARTIAL_MAX_HMMS, 1000])
    options = parser.parse_args()
    print("| split | max HMMs a frame | clean: CPU s per audio s | clean: partial WER | classroom: CPU s per audio s "
          "| classroom: partial WER |")
    print("|---|---:|---:|---:|---:|---:|")
    for split in ("tune", "held_out"):
        clean = room_corpus.clips(split)
        room = [(room_corpus.room_copy(path), ref) for path, ref in clean]
        for cap in options.max_hmms:
            clean_cpu, clean_wer = measure(cap, clean)
            room_cpu, room_wer = measure(cap, room)
            print(f"| {split} | {cap:,} | {clean_cpu:.2f} | {clean_wer:.3f} | {room_cpu:.2f} | {room_wer:.3f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
