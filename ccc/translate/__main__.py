"""``python -m ccc.translate models list`` and ``python -m ccc.translate models download LANG``."""
from __future__ import annotations

import argparse
import sys

from ccc.translate import TranslateError, languages, registry, store


def megabytes(size: int) -> str:
    """Return a size as the list prints it, e.g. '23.2 MB'."""
    return f"{size / 1e6:.1f} MB"


def list_models() -> int:
    """Print the installed pairs, the languages readers can pick, and the registry's pairs when reachable."""
    pairs = store.installed()
    for pair in pairs:
        print(f"installed  {pair.src} -> {pair.dst}  {pair.origin:10} {megabytes(pair.size):>9}  {pair.path}")
    for src in sorted({p.src for p in pairs}):
        picks = ", ".join(f"{languages.name(code)} ({code})" for code in store.targets(src, pairs))
        print(f"readers of {languages.name(src)} ({src}) captions can pick: {picks}")
    try:
        offered = registry.pairs(registry.records())
    except TranslateError as exc:  # offline: what is installed is still worth listing
        print(f"the online list of translation models could not be fetched: {exc}")
        return 0
    have = {(p.src, p.dst) for p in pairs}
    for lang in sorted({code for key in offered for code in key} - {store.PIVOT}):
        keys = [k for k in ((store.PIVOT, lang), (lang, store.PIVOT)) if k in offered]
        size = sum(int(r["attachment"]["size"]) for k in keys for r in offered[k])
        state = "installed" if all(k in have for k in keys) else "available"
        print(f"{state:10} {lang:5} {languages.name(lang):18} {' '.join(f'{a}->{b}' for a, b in keys):14} "
              f"{megabytes(size):>9}  models download {lang}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors are one line on stderr and exit code 2."""
    parser = argparse.ArgumentParser(prog="python -m ccc.translate", description="CCC translation models")
    sub = parser.add_subparsers(dest="group", required=True)
    models = sub.add_parser("models", help="list or download translation models").add_subparsers(
        dest="action", required=True)
    models.add_parser("list", help="installed pairs, the languages readers can pick, the registry's pairs")
    download = models.add_parser("download", help="fetch English <-> LANG from the registry (or a mirror)")
    download.add_argument("lang", help="a language code: es, fr, de, it, uk, ...")
    options = parser.parse_args(argv)
    try:
        if options.action == "download":
            for folder in registry.download(options.lang.strip().lower()):
                print(f"model ready: {folder}")
            return 0
        return list_models()
    except TranslateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
