"""`make install DESTDIR=...`: the classroom PC's units, settings, udev rule and autostart entry, in a staging root.

systemd-analyze and desktop-file-validate judge what is written; nothing may land outside the staging root.
"""
import subprocess
from pathlib import Path

import pytest
import requests

from ccc import envfile
from ccc.install import PedalError, stable_pedal, udev_rule
from hubkit import ROOT

PEDAL = "/dev/input/by-id/usb-VEC_VEC_USB_Footpedal-event-kbd"
WRITTEN = {"etc/ccc/ccc.env", "etc/ccc/install-manifest", "etc/systemd/system/ccc-hub.service",
           "etc/systemd/system/ccc-station.service", "etc/sysusers.d/ccc.conf", "etc/udev/rules.d/70-ccc-pedal.rules",
           "etc/xdg/autostart/ccc-projector.desktop", "usr/bin/ccc-projector", "usr/bin/ccc-doctor"}


def make(target: str, stage: Path, **variables: str) -> str:
    """Run a make target with DESTDIR set to the staging root; return its output."""
    args = [f"{key}={value}" for key, value in {"DESTDIR": stage, "PREFIX": "/usr", **variables}.items()]
    out = subprocess.run(["make", "-s", target, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def tree(root: Path) -> dict[str, bytes]:
    """Return every file under ``root`` with its content."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def stage(tmp_path) -> Path:
    """Return a staging root installed into with a room, a pedal and a presenter name."""
    assert not Path("/etc/ccc").exists() and not Path("/etc/systemd/system/ccc-hub.service").exists()
    root = tmp_path / "stage"
    make("install", root, ROOM="PHY7K", PEDAL=PEDAL, PEDAL_KEY="KEY_B", PRESENTER="Dr Lee")
    # The real system is untouched: no settings, no units, no user.
    assert not Path("/etc/ccc").exists() and not Path("/etc/systemd/system/ccc-hub.service").exists()
    assert subprocess.run(["id", "ccc"], capture_output=True).returncode != 0
    return root


def test_install_writes_units_systemd_accepts_with_the_settings_given(stage):
    assert set(tree(stage)) == WRITTEN
    units = [stage / "etc/systemd/system/ccc-hub.service", stage / "etc/systemd/system/ccc-station.service"]
    verify = subprocess.run(["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True,
                            timeout=60)
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr
    python = f"{ROOT}/.venv/bin/python"
    for unit in units:
        text = unit.read_text()
        for line in ("User=ccc", "EnvironmentFile=/etc/ccc/ccc.env", "StandardOutput=journal",
                     "WantedBy=multi-user.target", f"WorkingDirectory={ROOT}"):
            assert f"\n{line}\n" in text, (unit.name, line)
        assert "\nRestart=always\n" in text and "\nRestartSec=" in text
    assert f"\nExecStart={python} app.py\n" in units[0].read_text()
    station = units[1].read_text()
    assert f"ExecStart={python} -m ccc.station --hub ${{CCC_STATION_HUB}} --room ${{CCC_ROOM}}" in station
    assert "--ptt evdev:${CCC_PEDAL_DEVICE}:${CCC_PEDAL_KEY}" in station
    assert "SupplementaryGroups=audio ccc-pedal" in station

    settings = envfile.read(stage / "etc/ccc/ccc.env")
    assert settings["CCC_ROOM"] == "PHY7K" and settings["CCC_PEDAL_DEVICE"] == PEDAL
    assert settings["CCC_PEDAL_KEY"] == "KEY_B" and settings["CCC_PRESENTER_NAME"] == "Dr Lee"
    assert len(settings["CCC_SECRET_KEY"]) == 64 and settings["CCC_ADMIN_PASSWORD"]
    assert (stage / "etc/ccc/ccc.env").stat().st_mode & 0o777 == 0o640  # the admin password is in it

    rule = (stage / "etc/udev/rules.d/70-ccc-pedal.rules").read_text()
    assert f'SYMLINK=="{PEDAL.removeprefix("/dev/")}"' in rule and 'GROUP="ccc-pedal", MODE="0640"' in rule
    assert "u ccc - " in (stage / "etc/sysusers.d/ccc.conf").read_text()

    desktop = stage / "etc/xdg/autostart/ccc-projector.desktop"
    check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    assert "\nExec=/usr/bin/ccc-projector\n" in desktop.read_text()
    projector = stage / "usr/bin/ccc-projector"
    assert projector.stat().st_mode & 0o111
    assert subprocess.run(["sh", "-n", str(projector)]).returncode == 0
    script = projector.read_text()
    assert '--kiosk --app="$url"' in script and 'url="http://127.0.0.1:5000/r/PHY7K/projector"' in script
    assert "--no-first-run" in script and "--disable-component-update" in script


def test_a_pedal_given_by_usb_id_is_matched_by_vendor_and_product():
    rule = udev_rule({"CCC_PEDAL_ID": "05F3:00FF", "CCC_PEDAL_DEVICE": PEDAL})
    assert 'ATTRS{idVendor}=="05f3", ATTRS{idProduct}=="00ff"' in rule and 'GROUP="ccc-pedal"' in rule


def test_reinstall_keeps_edited_settings(stage):
    settings_file = stage / "etc/ccc/ccc.env"
    before = envfile.read(settings_file)
    edited = settings_file.read_text().replace("CCC_PRESENTER_NAME=\"Dr Lee\"", "CCC_PRESENTER_NAME=\"Prof. Kim\"")
    settings_file.write_text(edited + "CCC_RETENTION_DAYS=90\n")
    make("install", stage, ROOM="CHEM2")  # a new room asked for; everything else as the teacher left it
    after = envfile.read(settings_file)
    assert after["CCC_PRESENTER_NAME"] == "Prof. Kim" and after["CCC_RETENTION_DAYS"] == "90"
    assert after["CCC_ROOM"] == "CHEM2"
    assert after["CCC_ADMIN_PASSWORD"] == before["CCC_ADMIN_PASSWORD"]
    assert after["CCC_SECRET_KEY"] == before["CCC_SECRET_KEY"]
    assert "/r/CHEM2/projector" in (stage / "usr/bin/ccc-projector").read_text()


def test_uninstall_removes_exactly_what_install_wrote(tmp_path):
    root = tmp_path / "stage"
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/other.service").write_text("[Service]\nExecStart=/bin/true\n")
    (root / "etc/hostname").write_text("classroom-pc\n")
    before = tree(root)
    make("install", root, PEDAL=PEDAL)
    make("install", root)  # twice: the second install's manifest must still list the first one's folders
    assert set(tree(root)) == set(before) | WRITTEN
    make("uninstall", root)
    assert tree(root) == before
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == [
        "etc", "etc/hostname", "etc/systemd", "etc/systemd/system", "etc/systemd/system/other.service"]


def test_only_the_station_service_may_open_the_microphone_and_the_pedal(stage, tmp_path):
    # systemd-sysusers creates the user for real, in a scratch root that has Debian's audio and input groups.
    system = tmp_path / "system"
    (system / "etc").mkdir(parents=True)
    (system / "etc/group").write_text("root:x:0:\naudio:x:29:\ninput:x:105:\n")
    (system / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    made = subprocess.run(["systemd-sysusers", f"--root={system}", str(stage / "etc/sysusers.d/ccc.conf")],
                          capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    user = [line for line in (system / "etc/passwd").read_text().splitlines() if line.startswith("ccc:")]
    assert user and user[0].endswith(":/var/lib/ccc:/usr/sbin/nologin"), user
    members = {line.split(":")[0]: line.split(":")[3].split(",") for line in (system / "etc/group").read_text().splitlines()}
    # Before: the user itself was in audio and ccc-pedal, so the hub (same user, facing the network) could
    # open the microphone and the pedal. Now only the station's service gets those groups.
    assert "ccc-pedal" in members and not any("ccc" in users for users in members.values()), members
    hub = (stage / "etc/systemd/system/ccc-hub.service").read_text()
    station = (stage / "etc/systemd/system/ccc-station.service").read_text()
    assert "SupplementaryGroups" not in hub and "\nSupplementaryGroups=audio ccc-pedal\n" in station


def test_the_settings_file_is_created_with_its_final_mode(tmp_path):
    # strace shows the mode each file is created with. Before: open(..., O_CREAT, 0666) under the umask, so
    # the admin password sat in a world-readable file until the chmod that followed.
    root, log = tmp_path / "stage", tmp_path / "strace.log"
    for room in ("PHY7K", "CHEM2"):  # a first install, then a rewrite of the kept file
        args = ["make", "-s", "install", f"DESTDIR={root}", "PREFIX=/usr", f"ROOM={room}"]
        traced = subprocess.run(["strace", "-f", "-e", "trace=open,openat", "-o", str(log), *args], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert traced.returncode == 0, traced.stderr
        creations = [line for line in log.read_text().splitlines() if "ccc.env" in line and "O_CREAT" in line]
        assert creations and all(line.rstrip().split(", ")[-1].startswith("0640)") for line in creations), creations


def test_a_pedal_given_by_event_number_is_matched_by_its_stable_name(tmp_path):
    # /dev/input/event3 is whichever device the kernel found third at boot: after a reboot, the keyboard.
    fake = tmp_path / "fakeroot"
    (fake / "dev/input/by-id").mkdir(parents=True)
    (fake / "dev/input/event3").touch()
    (fake / "dev/input/by-id/usb-VEC_Footpedal-event-kbd").symlink_to("../event3")
    assert stable_pedal("/dev/input/event3", fake) == ("/dev/input/by-id/usb-VEC_Footpedal-event-kbd", "")
    ids = fake / "sys/class/input/event5/device/id"
    ids.mkdir(parents=True)
    (ids / "vendor").write_text("05f3\n")
    (ids / "product").write_text("00ff\n")
    assert stable_pedal("/dev/input/event5", fake) == ("", "05f3:00ff")
    with pytest.raises(PedalError, match="by-id"):
        stable_pedal("/dev/input/event9", fake)
    # Through make install: refused in one line, nothing written.
    root = tmp_path / "stage"
    out = subprocess.run(["make", "-s", "install", f"DESTDIR={root}", "PREFIX=/usr", "PEDAL=/dev/input/event9"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "event number" in out.stderr and not (root / "etc/ccc/ccc.env").exists()


def test_the_projector_command_waits_for_the_hub_then_opens_its_page_in_kiosk_mode(tmp_path, hub):
    code = hub.create_room("Projector", code="KSK7Q")
    root = tmp_path / "stage"
    subprocess.run(["python3", "-m", "ccc.install", "install", "--destdir", str(root), "--prefix", "/usr",
                    "--room", code, "--port", str(hub.port)], cwd=ROOT, check=True, capture_output=True, timeout=60)
    fake = tmp_path / "bin"  # a chromium that writes down how it was started, instead of taking the screen
    fake.mkdir()
    (fake / "chromium").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path / "argv"}\n')
    (fake / "chromium").chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([str(root / "usr/bin/ccc-projector")], env=env, check=True, timeout=30)
    argv = (tmp_path / "argv").read_text().splitlines()
    url = f"http://127.0.0.1:{hub.port}/r/{code}/projector"
    assert "--kiosk" in argv and f"--app={url}" in argv, argv
    page = requests.get(url, timeout=10)
    assert page.ok and code in page.text
