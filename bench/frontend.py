"""Measure far-field front-ends: WER of Whisper on the held-out clips, clean and as a classroom desk mic hears them.

Run: .venv/bin/python bench/frontend.py [--models tiny.en,PATH] [--steps none,highpass,...] [--split held_out]
     [--out docs/accuracy.md]
Each clip is decoded whole, as the station decodes a cut, after the front-end steps; CPU is the front-end's own
time per audio second (the decoder's is reported apart). With --out the table replaces the section between
the room markers in the file.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "testkit")]

import corpora  # noqa: E402
import frontends as frontend  # noqa: E402
import room_corpus  # noqa: E402

from ccc.station import whisper  # noqa: E402

CHAINS = {"none": [], "highpass": ["highpass"], "agc": ["agc"], "denoise": ["denoise"], "dereverb": ["dereverb"],
          "dereverb+denoise": ["dereverb", "denoise"], "highpass+agc": ["highpass", "agc"],
          "dereverb_online": ["dereverb_online"]}
BEGIN, END = "<!-- room bench -->", "<!-- /room bench -->"


def run(recognizer, clips, steps: list[str]) -> tuple[float, float, float]:
    """Return WER, front-end CPU s per audio s and decoder CPU s per audio s over ``clips``."""
    apply = frontend.chain(steps)
    refs, hyps, front, decode, heard = [], [], 0.0, 0.0, 0.0
    for path, ref in clips:
        x = room_corpus.read(path)
        began = time.process_time()
        y = apply(x)
        front += time.process_time() - began
        began = time.process_time()
        recognizer.feed((np.clip(y, -1, 1) * 32767).astype(np.int16).tobytes())
        hyps.append(recognizer.finish().text)
        decode += time.process_time() - began
        refs.append(ref)
        heard += len(x) / room_corpus.RATE
    return corpora.wer(refs, hyps), front / heard, decode / heard


def main() -> None:
    """Measure every model x front-end x condition; print the table and write it to --out if given."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="tiny.en", help="comma-separated Whisper names or model folders")
    parser.add_argument("--steps", default=",".join(CHAINS), help="comma-separated front-ends of " + ", ".join(CHAINS))
    parser.add_argument("--split", default="held_out", choices=["tune", "held_out"])
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    clean = room_corpus.clips(options.split)
    room = [(room_corpus.room_copy(path), ref) for path, ref in clean]
    seconds = sum(len(room_corpus.read(p)) for p, _ in clean) / room_corpus.RATE
    rows = []
    for spec in options.models.split(","):
        model = Path(spec) if Path(spec).is_dir() else spec
        recognizer = whisper.WhisperRecognizer(model)
        name = f"Whisper {Path(spec).name.removeprefix('whisper-')}"
        for chain in options.steps.split(","):
            cells = []
            for clips in (clean, room):
                error, front, decode = run(recognizer, clips, CHAINS[chain])
                cells += [f"{error:.1%}", f"{front:.3f}", f"{decode:.2f}"]
            rows.append(f"| {name} | {chain} | " + " | ".join(cells) + " |")
            print(rows[-1], flush=True)
    table = "\n".join([
        BEGIN,
        f"Held-out part of `testkit/room_corpus.py` ({len(clean)} clips, {seconds:.0f} s), by "
        f"`bench/frontend.py` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, shared 2-core VM).",
        "",
        "| model | front-end | clean WER | front-end CPU s per audio s | decoder CPU s per audio s "
        "| classroom copy WER | front-end CPU s per audio s | decoder CPU s per audio s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        END,
    ])
    print(table)
    if options.out:
        text = options.out.read_text() if options.out.exists() else ""
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        text = pattern.sub(lambda _: table, text) if pattern.search(text) else text.rstrip() + "\n\n" + table + "\n"
        options.out.write_text(text)


if __name__ == "__main__":
    main()
