"""Benchmark the English default's candidates and Whisper base in other languages.

Run: .venv/bin/python bench/models.py
Prints: per model and thread count, CPU and wall seconds to decode the station's 14.6 s measuring clip as one
final (5 beams, word times, the station's window; ccc/station/choice.py), and WER over the LibriVox clips and
the Asterisk prompts, each decoded as one caption; then Whisper base on real Spanish (the tests' prompts and
the held-out ones) with partials, and its translation into English against the English twins of the prompts;
then key-up to final through a real hub with each model (`bench/models.py latency` runs only that).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "testkit")]

import corpora  # noqa: E402

from ccc.station import audio, choice, engines, recognizers, whisper, whisper_base  # noqa: E402

CHUNK = 3200


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


def transcribe(recognizer, clips) -> tuple[list[str], float, float]:
    """Feed each clip in 100 ms chunks reading partials; return the finals, CPU s per audio s, and audio s."""
    hyps, heard, cpu = [], 0.0, time.process_time()
    for clip, _ in clips:
        pcm = audio.read_wav(clip)
        for offset in range(0, len(pcm), CHUNK):
            recognizer.feed(pcm[offset:offset + CHUNK])
            recognizer.partial()
        hyps.append(recognizer.finish().text)
        heard += len(pcm) / 2 / audio.RATE
    return hyps, (time.process_time() - cpu) / heard, heard


def english(scratch: Path) -> None:
    """Print the English table."""
    clips, prompts = corpora.librivox(), corpora.asterisk_prompts(scratch)
    clip = choice.clip_pcm()
    base = whisper_base.install()
    print(f"| model | threads | CPU s per {len(clip) / 32000:.1f} s final | wall s | LibriVox WER | Asterisk WER |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, path in (("tiny.en", whisper.resolve("tiny.en")), ("base", base)):
        for threads in (1, 2):
            recognizer = whisper.WhisperRecognizer(path, language="en")
            recognizer._model = whisper.load_model(path, threads=threads)
            recognizer.feed(clip[: 3 * 2 * audio.RATE])
            recognizer.finish()  # warm-up
            cpu, wall = final_cost(recognizer, clip)
            wers = ["-", "-"]
            if threads == 2:
                wers = [f"{corpora.wer([r for _, r in c], transcribe(recognizer, c)[0]):.3f}" for c in (clips, prompts)]
            print(f"| {name} | {threads} | {cpu:.2f} | {wall:.2f} | {' | '.join(wers)} |", flush=True)


def other_languages(scratch: Path) -> None:
    """Print Whisper base on real Spanish and its translation into English."""
    said_en = corpora.prompt_texts()
    print("\n| Whisper base | clips | audio s | WER | CPU s per audio s |")
    print("|---|---:|---:|---:|---:|")
    spanish = engines.load(lang="es")
    for label, names in (("Spanish, test prompts", corpora.SPANISH_TEST),
                         ("Spanish, held out", corpora.SPANISH_HELD_OUT)):
        clips = corpora.spanish_prompts(scratch, names)
        hyps, cpu, heard = transcribe(spanish, clips)
        print(f"| {label} (partials every {whisper.PARTIAL_EVERY_S:g} s) | {len(clips)} | {heard:.0f} | "
              f"{corpora.wer([r for _, r in clips], hyps):.3f} | {cpu:.2f} |", flush=True)
    finals_only = whisper.WhisperRecognizer("base", language="es")
    clips = corpora.spanish_prompts(scratch, corpora.SPANISH_HELD_OUT)
    hyps, cpu, heard = transcribe(finals_only, clips)
    print(f"| Spanish, held out, finals only | {len(clips)} | {heard:.0f} | "
          f"{corpora.wer([r for _, r in clips], hyps):.3f} | {cpu:.2f} |", flush=True)
    translator = engines.load(lang="es", translate_to="en")
    for label, names in (("Spanish to English, test", corpora.TRANSLATE_TEST),
                         ("Spanish to English, held out", corpora.TRANSLATE_HELD_OUT)):
        clips = corpora.spanish_prompts(scratch, names)
        hyps, cpu, heard = transcribe(translator, clips)
        print(f"| {label} (against the English prompts) | {len(clips)} | {heard:.0f} | "
              f"{corpora.wer([said_en[n] for n in names], hyps):.3f} | {cpu:.2f} |", flush=True)


def latency(rounds: int) -> None:
    """Print key-up to final and first partial through a real hub for the two-pass station with each model."""
    import accuracy  # noqa: PLC0415 - bench/accuracy.py's real-hub timing

    print("\n| two passes, finals by | key-up to last final p50 / p95, 3 s | 8 s | 15 s | first partial after speech "
          "starts p50 / p95 | station CPU (share of one core) |")
    print("|---|---:|---:|---:|---:|---:|")
    lengths = [3.0, 8.0, 15.0]
    for name in ("tiny.en", "base"):
        recognizer = whisper.TwoPassRecognizer(recognizers.SphinxRecognizer(partials_only=True),
                                               whisper.WhisperRecognizer(name))
        got = accuracy.through_hub(recognizer, lengths, rounds, corpora.librivox())
        cells = [f"{accuracy.pct(got['final'][n], 0.5):.2f} / {accuracy.pct(got['final'][n], 0.95):.2f} s"
                 for n in lengths]
        speech = got["first_partial_speech"]
        print(f"| Whisper {name} | {' | '.join(cells)} | {accuracy.pct(speech, 0.5):.2f} / "
              f"{accuracy.pct(speech, 0.95):.2f} s | {got['cpu'] / got['wall']:.0%} |", flush=True)


def main() -> None:
    """Print the tables (``latency`` alone: only the timing through a real hub)."""
    scratch = Path(tempfile.mkdtemp())
    if sys.argv[1:2] != ["latency"]:
        english(scratch)
        other_languages(scratch)
    latency(rounds=int(os.environ.get("ROUNDS", "3")))


if __name__ == "__main__":
    main()
