"""Benchmark the English default's candidates: Whisper tiny.en and base, 1 and 2 threads.

Run: .venv/bin/python bench/models.py
Prints, per model and thread count: CPU seconds and wall seconds to decode one 15 s final (5 beams, word times,
the station's window), and WER over the LibriVox clips and the Asterisk prompts, each decoded as one caption.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "station")]

import corpora  # noqa: E402

from ccc.station import audio, whisper, whisper_base  # noqa: E402


def final_cost(recognizer, pcm: bytes, rounds: int = 3) -> tuple[float, float]:
    """Return the median CPU and wall seconds of decoding ``pcm`` as one final."""
    cpus, walls = [], []
    for _ in range(rounds):
        recognizer.feed(pcm)
        cpu, wall = time.process_time(), time.perf_counter()
        recognizer.finish()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return sorted(cpus)[rounds // 2], sorted(walls)[rounds // 2]


def main() -> None:
    """Print the table."""
    scratch = Path(tempfile.mkdtemp())
    clips = corpora.librivox()
    prompts = corpora.asterisk_prompts(scratch)
    fifteen = b"".join(audio.read_wav(clips[i][0]) for i in (0, 2, 1))  # whole sentences, 15.4 s
    base = whisper_base.install()
    print("| model | threads | CPU s per 15 s final | wall s | LibriVox WER | Asterisk WER |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, path in (("tiny.en", whisper.resolve("tiny.en")), ("base", base)):
        for threads in (1, 2):
            recognizer = whisper.WhisperRecognizer(path, language="en")
            recognizer._model = whisper.load_model(path, threads=threads)
            recognizer.feed(fifteen[: 3 * 2 * audio.RATE])
            recognizer.finish()  # warm-up
            cpu, wall = final_cost(recognizer, fifteen)
            wers = []
            if threads == 2:
                for corpus in (clips, prompts):
                    hyps = []
                    for clip, _ in corpus:
                        recognizer.feed(audio.read_wav(clip))
                        hyps.append(recognizer.finish().text)
                    wers.append(f"{corpora.wer([r for _, r in corpus], hyps):.3f}")
            print(f"| {name} | {threads} | {cpu:.2f} | {wall:.2f} | {' | '.join(wers or ['-', '-'])} |"
                  f" retries {recognizer.full_window_retries}", flush=True)


if __name__ == "__main__":
    main()
