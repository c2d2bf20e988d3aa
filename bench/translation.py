"""Benchmark live translation: round-trip quality (English -> Portuguese -> English, chrF), speed, load, memory.

Run: .venv/bin/python bench/translation.py [--out FILE.md]
Sentences: a development set a teacher would say (written for this bench and read while building
ccc/translate), and a held-out set nobody looked at while building it: the LibriVox transcripts of Debian's
pocketsphinx-testdata and the Asterisk prompt texts of asterisk-core-sounds-en. Nothing in ccc/translate has
a knob tuned on either; the split is kept so that one day's tuning cannot flatter the figures.
"""
from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "testkit")]

import corpora  # noqa: E402
from sacrebleu.metrics import CHRF  # noqa: E402

from ccc.translate import store  # noqa: E402
from ccc.translate.engine import Translations  # noqa: E402

DEVELOPMENT = [
    "Good morning, everyone, please take your seats.",
    "Please open your books to chapter four.",
    "Today we are going to talk about the water cycle.",
    "Who can tell me what photosynthesis means?",
    "Write down the three main causes of the First World War.",
    "The homework is due next Tuesday, not Monday.",
    "If you have a question, raise your hand and wait.",
    "Let us look at the graph on the board together.",
    "The derivative tells us how fast the function is changing.",
    "In the nineteenth century, the railway changed how people travelled.",
    "Remember to bring your lab coats and safety glasses on Thursday.",
    "That is a good answer, but can you explain why?",
]


def held_out() -> list[str]:
    """Return the sentences no one looked at while building the translation layer."""
    librivox = [text.capitalize() + "." for _, text in corpora.librivox()]
    prompts = {}
    for line in gzip.decompress(corpora.ASTERISK_TEXTS.read_bytes()).decode().splitlines():
        name, sep, text = line.partition(": ")
        if sep and not name.startswith(";"):
            prompts[name.strip()] = text.strip()
    return librivox + [prompts[name] for name in corpora.PROMPTS if name in prompts]


def round_trip(service: Translations, sentences: list[str]) -> tuple[list[str], list[str], list[float]]:
    """Translate each sentence to Portuguese and back; return both sides and the per-sentence seconds (en->pt)."""
    portuguese, back, seconds = [], [], []
    for sentence in sentences:
        started = time.perf_counter()
        there = service.translate(sentence, "en", "pt", timeout=30)
        seconds.append(time.perf_counter() - started)
        portuguese.append(there)
        back.append(service.translate(there, "pt", "en", timeout=30))
    return portuguese, back, seconds


def three_languages(folder: Path) -> str:
    """Time one final into three languages at once, as the hub does for three reader languages.

    Only en->pt is installed here, so es and fr are stand-ins: the same model linked under en->es and en->fr
    names, in a models folder of their own (the same size and work as real pairs of that kind).
    """
    bundled = next(p for p in store.installed() if (p.src, p.dst) == ("en", "pt"))
    for lang in ("es", "fr"):
        pair = folder / "translate" / f"en{lang}"
        pair.mkdir(parents=True)
        for source in set(bundled.files.values()):
            (pair / source.name.replace("enpt", f"en{lang}")).symlink_to(source)
    os.environ["CCC_MODELS_DIR"] = str(folder)
    service = Translations()
    service.translate_to("Hello.", "en", ["pt", "es", "fr"], timeout=60)
    seconds = []
    for sentence in DEVELOPMENT * 2:
        started = time.perf_counter()
        done = service.translate_to(sentence, "en", ["pt", "es", "fr"], timeout=5)
        seconds.append(time.perf_counter() - started)
        assert all(done.values()), done
    seconds.sort()
    memory = rss_mb(service._process[0])
    service.close()
    return (f"One final into 3 languages (pt, and es/fr stand-ins of the same size), {len(seconds)} finals: "
            f"median {statistics.median(seconds) * 1000:.0f} ms, p90 {seconds[int(len(seconds) * 0.9)] * 1000:.0f} ms, "
            f"max {seconds[-1] * 1000:.0f} ms; worker memory with 3 pairs: {memory:.0f} MB RSS.")


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """Run the benchmark and print (or write) a Markdown report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    service = Translations()
    started = time.perf_counter()
    assert service.translate("Hello.", "en", "pt", timeout=60)
    first = time.perf_counter() - started
    service.translate("Olá.", "pt", "en", timeout=60)
    lines = ["# Translation benchmark (bench/translation.py)", "",
             f"Worker process start + en->pt model load + first sentence: {first:.2f} s.", ""]
    chrf = CHRF()
    for label, sentences in (("development (teacher's sentences)", DEVELOPMENT), ("held out (LibriVox, Asterisk)",
                                                                                held_out())):
        portuguese, back, seconds = round_trip(service, sentences)
        score = chrf.corpus_score(back, [sentences]).score
        lines += [f"## {label}: {len(sentences)} sentences", "",
                  f"- chrF (English -> Portuguese -> English vs the original): **{score:.1f}**",
                  f"- en->pt per sentence: median {statistics.median(seconds) * 1000:.0f} ms, "
                  f"max {max(seconds) * 1000:.0f} ms", "", "| original | Portuguese | back |", "|---|---|---|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in list(zip(sentences, portuguese, back))[:6]]
        lines.append("")
    lines.append(f"Worker process memory with both pairs loaded: {rss_mb(service._process[0]):.0f} MB RSS.")
    service.close()
    with tempfile.TemporaryDirectory() as folder:
        lines += ["", three_languages(Path(folder))]
    report = "\n".join(lines) + "\n"
    if options.out:
        options.out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
