"""The translation process: reads JSON requests on stdin, one a line, and answers each on stdout.

fxtranslate holds the GIL while it translates (a long sentence: 100 ms and more), so running it on a thread
of the hub would stall the hub's event loop all the same: it runs here, in a process of its own, with every
pair it loads kept for the next request. Request: {"texts": [...], "src": "en", "dst": "pt"};
answer: {"texts": [...], "seconds": S} or {"error": "..."}. It ends when its stdin closes.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time

from ccc.translate import TranslateError, store

NICE = int(os.environ.get("CCC_TRANSLATE_NICE", "10"))  # added to the hub's niceness (0: the same)


def serve(stdin, stdout) -> None:
    """Answer requests from ``stdin`` on ``stdout`` until ``stdin`` closes."""
    pairs = store.installed()
    engines: dict[tuple[str, str], object] = {}
    for line in stdin:
        started = time.perf_counter()
        try:
            request = json.loads(line)
            texts = list(request["texts"])
            for pair in store.route(request["src"], request["dst"], pairs):
                key = (pair.src, pair.dst)
                if key not in engines:
                    engines[key] = store.load(pair)
                texts = [engines[key].translate_long(text) if text.strip() else text for text in texts]
            answer = {"texts": texts, "seconds": time.perf_counter() - started}
        except (TranslateError, ValueError, KeyError, TypeError) as exc:
            answer = {"error": str(exc)}
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the hub's terminal is the hub's to handle
    # Below the hub on a busy PC: when both want the CPU, the original captions (every reader's first copy)
    # go first and the translation waits; docs/translation.md, "500 readers", has the figures.
    os.nice(NICE)
    serve(sys.stdin, sys.stdout)
