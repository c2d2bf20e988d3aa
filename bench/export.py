"""Time every transcript export on a 3-hour lecture of about 3,000 captions (target: under 1 s each).

Run from the repository root: ``python bench/export.py [--captions N] [--repeat R]``.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timezone
from pathlib import Path

# Run as a script, Python puts bench/ on the path, not the repository root that holds ccc/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ccc.transcripts import (  # noqa: E402
    FORMATS,
    CaptionRecord,
    Revision,
    SessionRecord,
    Transcript,
    Word,
    export,
)

T0 = 1_709_629_200.0
VOCABULARY = ("the light wave particle slit pattern interference photon energy frequency measure experiment "
              "students remember equation Schrödinger diffraction grating 빛의 성질 실험 결과 그래서").split()


def lecture(captions: int, seed: int = 7) -> Transcript:
    """Build a 3-hour lecture: two speakers, word timings on half the captions, some corrections and gaps."""
    rng = random.Random(seed)
    step_ms = 3 * 3600 * 1000 / captions
    records = []
    for seq in range(1, captions + 1):
        start = T0 * 1000 + (seq - 1) * step_ms
        end = start + step_ms * rng.uniform(0.6, 0.98)
        tokens = [rng.choice(VOCABULARY) for _ in range(rng.randint(3, 70 if seq % 50 == 0 else 14))]
        text = " ".join(tokens)
        words = None
        if seq % 2 == 0:
            width = (end - start) / len(tokens)
            words = tuple(Word(t, start + i * width, start + (i + 0.9) * width, 0.9) for i, t in enumerate(tokens))
        revisions = ()
        if seq % 20 == 0:
            revisions = (Revision(seq, "Captioner", end / 1000 + 30, text.replace("the", "a"), text),)
        timed = seq % 10 != 5  # a tenth typed by a captioner, with no recognizer timings
        records.append(CaptionRecord(
            seq=seq, utterance_id=f"u{seq}", speaker_id="p1" if seq % 7 else "p2",
            speaker_name="김민지 (Prof. Kim)" if seq % 7 else "Student <A&B>", text=text,
            started_at=start if timed else None, ended_at=end if timed else None, created_at=end / 1000 + 0.3,
            words=words, revisions=revisions,
        ))
    session = SessionRecord(1, "Light: waves or particles?", T0, T0 + 3 * 3600, tuple(records))
    return Transcript("PHY7K", "Physics 101", (session,))


def best_of(repeat: int, fmt: str, transcript: Transcript) -> tuple[float, int]:
    """Return the best time in seconds over ``repeat`` runs of one export, and the output size."""
    best, size = float("inf"), 0
    for _ in range(repeat):
        began = time.perf_counter()
        size = len(export(fmt, transcript, timezone.utc))
        best = min(best, time.perf_counter() - began)
    return best, size


def main() -> None:
    """Print a table of the export times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    transcript = lecture(args.captions)
    print(f"{args.captions} captions, 3 h, best of {args.repeat}")
    print(f"| {'format':<6} | {'time (s)':>8} | {'size (KB)':>9} |")
    print(f"|{'-' * 8}|{'-' * 9}:|{'-' * 10}:|")
    for fmt in FORMATS:
        seconds, size = best_of(args.repeat, fmt, transcript)
        print(f"| {fmt:<6} | {seconds:>8.3f} | {size / 1024:>9.0f} |")


if __name__ == "__main__":
    main()
