"""The caption overlay's URL parameters: parsed, validated and clamped, so nothing typed reaches a page as-is.

`/r/<code>/overlay?lines=2&size=48&position=bottom&align=center&color=ffffff&bg=000000&bgopacity=75&chroma=00ff00`
A missing or malformed parameter takes its default; a number out of range is clamped. Colours come back as
`#rrggbb` and every other value from a fixed set, so the page can put them into the CSSOM without escaping.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
LINES = (1, 10)
SIZE_PX = (12, 200)
POSITIONS = ("bottom", "top")
ALIGNS = ("center", "left", "right")


@dataclass(frozen=True)
class OverlayOptions:
    """How the overlay shows captions."""

    lines: int = 2
    size: int = 48
    position: str = "bottom"
    align: str = "center"
    color: str = "#ffffff"
    bg: str = "#000000"  # the box behind the text, or "none"
    bgopacity: int = 75  # percent
    chroma: str = "none"  # a solid page colour for keying, or "none" (transparent)
    names: bool = True  # the speaker's name before a new speaker's first line


PARAMETERS = frozenset(OverlayOptions.__dataclass_fields__)


def _number(raw: str | None, bounds: tuple[int, int], default: int) -> int:
    """Return raw as an integer clamped to bounds, or the default when it is not a finite number."""
    try:
        value = float((raw or "").strip()[:12])
    except ValueError:
        return default
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        return default
    return int(min(max(round(value), bounds[0]), bounds[1]))


def _colour(raw: str | None, default: str, allow_none: bool = False) -> str:
    """Return raw as #rrggbb (3 or 6 hex digits, '#' optional), 'none' when allowed, or the default."""
    text = (raw or "").strip()[:8]
    if allow_none and text.lower() in ("none", "transparent", "off"):
        return "none"
    match = HEX.fullmatch(text)
    if not match:
        return default
    digits = match.group(1).lower()
    return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))


def _choice(raw: str | None, allowed: tuple[str, ...]) -> str:
    value = (raw or "").strip().lower()
    return value if value in allowed else allowed[0]


def parse(args: Mapping[str, str]) -> OverlayOptions:
    """Return the overlay options a query string asks for, with defaults for whatever is missing or bad."""
    d = OverlayOptions()
    return OverlayOptions(
        lines=_number(args.get("lines"), LINES, d.lines),
        size=_number(args.get("size"), SIZE_PX, d.size),
        position=_choice(args.get("position"), POSITIONS),
        align=_choice(args.get("align"), ALIGNS),
        color=_colour(args.get("color"), d.color),
        bg=_colour(args.get("bg"), d.bg, allow_none=True),
        bgopacity=_number(args.get("bgopacity"), (0, 100), d.bgopacity),
        chroma=_colour(args.get("chroma"), d.chroma, allow_none=True),
        names=(args.get("names") or "1").strip().lower() not in ("0", "no", "off", "false"),
    )


def as_data(options: OverlayOptions) -> dict[str, str]:
    """Return the options as strings for the page's data-* attributes."""
    return {key: ("true" if value else "false") if isinstance(value, bool) else str(value)
            for key, value in asdict(options).items()}
