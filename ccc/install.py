"""`make install` / `make uninstall`: set up (or remove) a classroom PC that goes from power-on to captions.

    python -m ccc.install install [--destdir D] [--prefix /usr/local] [--room CODE] [--pedal PATH] ...
    python -m ccc.install uninstall [--destdir D] [--prefix /usr/local]

The app runs from this checkout (its .venv) where it stands; install writes, under DESTDIR:
/etc/ccc/ccc.env (the one settings file, kept on reinstall), systemd units for the hub and the station (as the
unprivileged user `ccc`), a sysusers.d entry for that user and the `ccc-pedal` group, a udev rule giving that
group the chosen pedal and nothing else, an XDG autostart entry that opens the projector page in Chromium's
kiosk mode, and the `ccc-projector` and `ccc-doctor` commands under PREFIX/bin. A manifest of what it wrote
lets uninstall remove exactly that. With DESTDIR set nothing outside it is touched: no users, no systemctl.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from ccc import envfile

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "deploy" / "classroom"
MANIFEST = "etc/ccc/install-manifest"
PEDAL_GROUP = "ccc-pedal"
UDEV_RULE = "etc/udev/rules.d/70-ccc-pedal.rules"
OPTIONS = {"room": "CCC_ROOM", "port": "CCC_PORT", "public_url": "CCC_PUBLIC_URL", "name": "CCC_PRESENTER_NAME",
           "pedal": "CCC_PEDAL_DEVICE", "pedal_key": "CCC_PEDAL_KEY", "pedal_id": "CCC_PEDAL_ID",
           "lang": "CCC_STATION_LANG"}


def default_settings(user: str, port: str) -> dict[str, str]:
    """Return the settings a first install writes (secrets made here, once)."""
    return {
        "CCC_HOST": "0.0.0.0", "CCC_PORT": port, "CCC_PUBLIC_URL": "",
        "CCC_DATABASE_URL": "sqlite:////var/lib/ccc/ccc.sqlite3",
        "CCC_SECRET_KEY": secrets.token_hex(32), "CCC_ADMIN_PASSWORD": secrets.token_urlsafe(12),
        "CCC_MODELS_DIR": "/var/lib/ccc/models", "CCC_ROOM": "CAPTN", "CCC_PRESENTER_NAME": "Presenter",
        "CCC_PEDAL_DEVICE": "", "CCC_PEDAL_KEY": "KEY_B", "CCC_PEDAL_ID": "",
        "CCC_STATION_HUB": f"http://127.0.0.1:{port}", "CCC_STATION_LANG": "en", "CCC_STATION_OPTIONS": "",
        "CCC_STATION_USER": user,
    }


HEADER = """# CCC settings for this classroom PC: the hub's CCC_* variables, the room, the pedal.
# `make install` keeps this file. After editing: sudo systemctl restart ccc-hub ccc-station;
# after changing the room, the port or the pedal also run sudo make install again (udev rule, projector).
# CCC_PEDAL_DEVICE: /dev/input/by-id/... of the pedal (python -m ccc.station --list-keys); CCC_PEDAL_ID:
# its USB vendor:product (lsusb), optional. CCC_STATION_OPTIONS: more station options (--input 2 ...).
"""


def quote(value: str) -> str:
    """Return a value as an environment file line (systemd and the doctor) needs it."""
    if value and not any(c in value for c in " \t\"'\\$#;"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if value else ""


def write_secret(path: Path, text: str, mode: int = 0o640) -> None:
    """Write a file that holds secrets: created with its final mode, never readable by others, then renamed.

    ``write_text`` then ``chmod`` left the admin password world-readable (umask 022) until the chmod.
    """
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have taken bits off: set exactly these
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(part, path)


def update_settings(path: Path, given: dict[str, str], defaults: dict[str, str]) -> dict[str, str]:
    """Write the settings file: a new one from the defaults, or the kept one with only ``given`` keys changed."""
    if path.is_file():
        lines = path.read_text().splitlines()
        for key, value in given.items():
            at = [i for i, line in enumerate(lines) if line.split("=", 1)[0].strip() == key]
            if at:
                lines[at[-1]] = f"{key}={quote(value)}"
            else:
                lines.append(f"{key}={quote(value)}")
        text = "\n".join(lines) + "\n"
    else:
        values = {**defaults, **given}
        text = HEADER + "".join(f"{key}={quote(value)}\n" for key, value in values.items())
    write_secret(path, text)  # it holds the admin password and the secret key
    return envfile.read(path)


class PedalError(ValueError):
    """A pedal named in a way that may point at another device after a reboot."""


def stable_pedal(device: str, sys_root: Path = Path("/")) -> tuple[str, str]:
    """Return (by-id path, USB id) naming the pedal ``/dev/input/eventN`` stably, whichever is known.

    Event numbers follow the order devices were found at boot: after a reboot event3 may be the keyboard.
    """
    name = Path(device).name
    by_id = sys_root / "dev/input/by-id"
    if by_id.is_dir():
        for link in sorted(by_id.iterdir()):
            if link.is_symlink() and Path(os.readlink(link)).name == name:
                return f"/dev/input/by-id/{link.name}", ""
    ids = sys_root / "sys/class/input" / name / "device/id"
    try:
        vendor, product = ((ids / part).read_text().strip() for part in ("vendor", "product"))
    except OSError:
        raise PedalError(f"{device} is an event number, which may name another device after a reboot, and no "
                         "stable name for it was found: give PEDAL=/dev/input/by-id/... or PEDAL_ID=vendor:product "
                         "(python -m ccc.station --list-keys shows them)") from None
    return "", f"{vendor}:{product}"


def udev_rule(settings: dict[str, str]) -> str:
    """Return the udev rule giving the pedal group read access to the pedal, matched by USB id or by-id path."""
    pedal_id, device = settings.get("CCC_PEDAL_ID", ""), settings.get("CCC_PEDAL_DEVICE", "")
    if pedal_id:
        vendor, _, product = pedal_id.lower().partition(":")
        match = f'ATTRS{{idVendor}}=="{vendor}", ATTRS{{idProduct}}=="{product}"'
    elif device.startswith("/dev/input/by-id/") or device.startswith("/dev/input/by-path/"):
        match = f'SYMLINK=="{device.removeprefix("/dev/")}"'
    else:
        match = f'KERNEL=="{Path(device).name}"'
    return (f"# CCC (written by make install from {envfile.DEFAULT_PATH}): the station's group may read the\n"
            f"# push-to-talk pedal {device or pedal_id}, and no other input device.\n"
            f'ACTION=="add|change", SUBSYSTEM=="input", KERNEL=="event*", {match}, '
            f'GROUP="{PEDAL_GROUP}", MODE="0640"\n')


def render(name: str, values: dict[str, str]) -> str:
    """Return a template of deploy/classroom with its @KEY@ placeholders filled in."""
    text = (TEMPLATES / name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


class Writer:
    """Write files under a root, remembering every file and folder it created, for the manifest."""

    def __init__(self, root: Path):
        self.root = root
        self.made: list[str] = []

    def path(self, rel: str) -> Path:
        """Return ``rel`` under the root, creating (and recording) its missing parent folders."""
        target = self.root / rel
        missing = [p for p in reversed(target.parents) if not p.exists()]
        for folder in missing:
            folder.mkdir()
            self.made.append("d " + str(folder.relative_to(self.root)))
        return target

    def write(self, rel: str, text: str, mode: int = 0o644) -> None:
        """Write a file (replacing what install wrote before) and record it."""
        target = self.path(rel)
        target.write_text(text)
        target.chmod(mode)
        self.made.append("f " + rel)


def install(options: argparse.Namespace) -> int:
    """Write the classroom PC's files under DESTDIR; on the real root also create the user and start units."""
    real = not options.destdir
    if real and os.geteuid() != 0:
        print("make install sets up system services: run sudo make install", file=sys.stderr)
        return 1
    root = Path(options.destdir or "/")
    prefix = options.prefix.strip("/")
    app = str(Path(options.app_dir).resolve())
    out = Writer(root)
    settings_rel = str(envfile.DEFAULT_PATH).lstrip("/")
    settings_path = out.path(settings_rel)
    first = not settings_path.exists()
    given = {key: str(getattr(options, opt)) for opt, key in OPTIONS.items() if getattr(options, opt) is not None}
    if re.fullmatch(r"/dev/input/event\d+", given.get("CCC_PEDAL_DEVICE", "")):
        try:
            by_id, usb_id = stable_pedal(given["CCC_PEDAL_DEVICE"], root if options.destdir else Path("/"))
        except PedalError as exc:
            print(f"make install: {exc}", file=sys.stderr)
            return 2
        if by_id:
            given["CCC_PEDAL_DEVICE"] = by_id
        else:
            given.setdefault("CCC_PEDAL_ID", usb_id)
        print(f"The pedal {options.pedal} is matched as {by_id or 'USB id ' + usb_id} (event numbers change)")
    if options.port is not None:
        given["CCC_STATION_HUB"] = f"http://127.0.0.1:{options.port}"
    settings = update_settings(settings_path, given, default_settings(options.user, options.port or "5000"))
    if first:
        out.made.append("f " + settings_rel)
    hub = f"http://127.0.0.1:{settings.get('CCC_PORT') or 5000}"
    values = {"APP": app, "USER": options.user, "SETTINGS": str(envfile.DEFAULT_PATH), "PEDAL_GROUP": PEDAL_GROUP,
              "UDEV_RULE": "/" + UDEV_RULE, "PREFIX": "/" + prefix, "HUB": hub, "ROOM": settings.get("CCC_ROOM", "")}
    for unit in ("ccc-hub.service", "ccc-station.service"):
        out.write(f"etc/systemd/system/{unit}", render(unit, values))
    out.write("etc/sysusers.d/ccc.conf", render("sysusers.conf", values))
    pedal = settings.get("CCC_PEDAL_DEVICE")  # the station opens this path; the rule may match it by USB id
    if pedal or settings.get("CCC_PEDAL_ID"):
        out.write(UDEV_RULE, udev_rule(settings))
    out.write("etc/xdg/autostart/ccc-projector.desktop", render("ccc-projector.desktop", values))
    for command in ("ccc-projector", "ccc-doctor"):
        out.write(f"{prefix}/bin/{command}", render(command, values), mode=0o755)
    write_manifest(root, out.made)
    if real:
        activate(settings_path, options.user, station=bool(pedal))
    print(f"Installed under {root}: settings in {settings_path}"
          + ("" if first else " (kept; only the options given changed)"))
    if first:
        print(f"Admin password (/admin): {settings.get('CCC_ADMIN_PASSWORD')}")
    if not pedal:
        print("No pedal set: the station service is installed but not enabled. Find the pedal with "
              f"python -m ccc.station --list-keys, set CCC_PEDAL_DEVICE in {envfile.DEFAULT_PATH}, run sudo make install.")
    if not Path(app, ".venv", "bin", "python").exists():
        print(f"warning: {app}/.venv is missing; run make run (or make venv) in {app} first", file=sys.stderr)
    return 0


def write_manifest(root: Path, made: list[str]) -> None:
    """Record what this install created, together with what earlier installs created."""
    path = root / MANIFEST
    before = path.read_text().splitlines() if path.is_file() else []
    entries = list(dict.fromkeys(before + made))
    path.write_text("\n".join(entries) + "\n")


def activate(settings_path: Path, user: str, station: bool) -> None:
    """Create the user, let it read its settings, reload udev and systemd, and start the services."""
    run(["systemd-sysusers", "/etc/sysusers.d/ccc.conf"])
    try:
        shutil.chown(settings_path, "root", user)  # the services read it; other users may not (admin password)
    except LookupError:
        print(f"  warning: no user {user}, so the services cannot read {settings_path}", file=sys.stderr)
    run(["udevadm", "control", "--reload"])
    run(["udevadm", "trigger", "--subsystem-match=input", "--action=change"])
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "enable", "--now", "ccc-hub.service"])
    if station:
        run(["systemctl", "enable", "--now", "ccc-station.service"])
        run(["systemctl", "restart", "ccc-station.service"])  # a reinstall may have changed the pedal


def run(command: list[str]) -> None:
    """Run a system command, saying so; a failure is reported and the install goes on."""
    print("+ " + " ".join(command))
    if not shutil.which(command[0]):
        print(f"  skipped: {command[0]} is not installed", file=sys.stderr)
        return
    if subprocess.run(command).returncode:
        print(f"  {command[0]} failed (see above)", file=sys.stderr)


def uninstall(options: argparse.Namespace) -> int:
    """Remove exactly what install wrote (listed in its manifest); the database in /var/lib/ccc stays."""
    real = not options.destdir
    if real and os.geteuid() != 0:
        print("run sudo make uninstall", file=sys.stderr)
        return 1
    root = Path(options.destdir or "/")
    manifest = root / MANIFEST
    if not manifest.is_file():
        print(f"nothing to uninstall: no {manifest}")
        return 0
    if real:
        run(["systemctl", "disable", "--now", "ccc-station.service", "ccc-hub.service"])
    entries = [line.split(" ", 1) for line in manifest.read_text().splitlines() if line.strip()]
    manifest.unlink()
    for kind, rel in entries:
        if kind == "f":
            (root / rel).unlink(missing_ok=True)
    for kind, rel in sorted(entries, key=lambda e: -len(Path(e[1]).parts)):  # deepest folders first
        if kind == "d" and (root / rel).is_dir() and not any((root / rel).iterdir()):
            (root / rel).rmdir()
    if real:
        run(["systemctl", "daemon-reload"])
        run(["udevadm", "control", "--reload"])
    print(f"Removed {sum(1 for kind, _ in entries if kind == 'f')} files from {root}; "
          "the database and models in /var/lib/ccc and the ccc user stay.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of `python -m ccc.install`."""
    parser = argparse.ArgumentParser(prog="python -m ccc.install", description="set up a classroom PC")
    parser.add_argument("action", choices=["install", "uninstall"])
    parser.add_argument("--destdir", default="", help="staging root for packaging: write under it, start nothing")
    parser.add_argument("--prefix", default="/usr/local", help="where bin/ccc-projector and bin/ccc-doctor go")
    parser.add_argument("--app-dir", default=str(ROOT), help="the checkout (with its .venv) the services run")
    parser.add_argument("--user", default="ccc", help="the unprivileged user the hub and station run as")
    parser.add_argument("--room", help="room code the projector shows and the station joins (default CAPTN)")
    parser.add_argument("--port", help="the hub's port (default 5000)")
    parser.add_argument("--public-url", help="the URL phones use (default: the LAN address)")
    parser.add_argument("--name", help="presenter name shown to the room")
    parser.add_argument("--pedal", help="the pedal's /dev/input/by-id/... path (see --list-keys)")
    parser.add_argument("--pedal-key", help="the pedal's key, e.g. KEY_B")
    parser.add_argument("--pedal-id", help="the pedal's USB vendor:product (lsusb), to match it in udev")
    parser.add_argument("--lang", help="language spoken at the station (default en)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Install or uninstall."""
    options = build_parser().parse_args(argv)
    return install(options) if options.action == "install" else uninstall(options)


if __name__ == "__main__":
    sys.exit(main())
