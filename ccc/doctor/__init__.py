"""`python -m ccc.doctor` (`make doctor`): check this classroom PC and say how to fix what is wrong.

The checklist covers the microphone, the push-to-talk pedal, the recognizer models, the English model chosen for this PC, the hub, the address in
the QR code, the database's disk and the clock. `make run` prints a quick version at start (no recording).
"""
from __future__ import annotations

import os
from typing import TextIO
from urllib.parse import urlsplit

from ccc.doctor import checks, network
from ccc.doctor.checks import Check

MARKS = {True: "✓", False: "✗", None: "–"}
COLOURS = {True: "\033[32m", False: "\033[31m", None: "\033[33m"}


def run(settings: dict, hub: str | None = None, quick: bool = False) -> list[Check]:
    """Run every check and return them in checklist order; ``quick`` records nothing and waits less."""
    wait = 1.0 if quick else 2.0
    if hub and not settings.get("CCC_PORT") and urlsplit(hub).port:
        settings = {**settings, "CCC_PORT": str(urlsplit(hub).port)}  # the hub asked for is the one phones use
    # The model lookups read these from the environment; the settings file may set them.
    for name in ("CCC_MODELS_DIR", "CCC_WHISPER_DEFAULT"):
        if settings.get(name):
            os.environ[name] = settings[name]
    english = checks.english_model(settings, quick=quick)  # first: it may measure, and Models names its verdict
    found = [checks.microphone(settings, record=not quick), checks.push_to_talk(settings),
             checks.recognizer_models(settings), english]
    health = network.hub_health(hub or network.hub_url(settings), timeout=wait)
    found += [health, network.public_address(settings, hub_up=bool(health.ok), timeout=wait),
              checks.database_disk(settings), checks.clock(timeout=wait)]
    return found


def report(found: list[Check], out: TextIO, colour: bool = False) -> None:
    """Write the checklist: one ✓ / ✗ / – line per check, each fix indented under it."""
    for check in found:
        mark = MARKS[check.ok]
        if colour:
            mark = f"{COLOURS[check.ok]}{mark}\033[0m"
        out.write(f"{mark} {check.name}: {check.detail}\n")
        if check.fix and check.ok is not True:
            out.write(f"    fix: {check.fix}\n")
    wrong = sum(1 for check in found if check.ok is False)
    out.write("All is well.\n" if not wrong else f"{wrong} problem{'s' if wrong > 1 else ''} to fix.\n")
    out.flush()
