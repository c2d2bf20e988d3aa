"""Run the doctor: ``python -m ccc.doctor [--hub URL] [--settings FILE] [--quick]``; exit 1 when something is wrong."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ccc import envfile
from ccc.doctor import report, run


def main(argv: list[str] | None = None) -> int:
    """Check this PC, print the checklist, and return 0 only when nothing is wrong."""
    parser = argparse.ArgumentParser(prog="python -m ccc.doctor", description="check this classroom PC")
    parser.add_argument("--hub", help="the hub's URL (default: from CCC_HOST and CCC_PORT)")
    parser.add_argument("--settings", type=Path, help=f"settings file (default {envfile.DEFAULT_PATH}, or CCC_SETTINGS)")
    parser.add_argument("--quick", action="store_true", help="record nothing and wait less (make run uses this)")
    options = parser.parse_args(argv)
    try:
        settings = envfile.settings(options.settings)
    except PermissionError as exc:
        print(f"– Settings: cannot read {exc.filename} (it holds the admin password); checking without it\n"
              f"    fix: sudo {' '.join(sys.argv) if sys.argv[0].endswith('ccc-doctor') else 'make doctor'}")
        settings = dict(os.environ)
    found = run(settings, hub=options.hub, quick=options.quick)
    report(found, sys.stdout, colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    return 1 if any(check.ok is False for check in found) else 0


if __name__ == "__main__":
    sys.exit(main())
