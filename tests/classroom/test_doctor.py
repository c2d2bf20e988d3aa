"""`python -m ccc.doctor` on this PC: a real recording through PortAudio and ALSA, a real hub, real settings.

This machine has no sound card, so ALSA is given capture devices of its own in ~/.asoundrc: the `file`
plugin reading tones that sox made, at levels the test knows. PortAudio records them as it would a USB
microphone; the doctor must report each tone's level.
"""
import os
import subprocess
import sys
from pathlib import Path

from ccc.doctor import checks, network
from ccc.lan import lan_address
from hubkit import ROOT, free_port

TONES = {"ccc_loud": -12.0, "ccc_quiet": -30.0, "ccc_clipping": 6.0}  # sox clips past full scale, as a hot preamp


def alsa_home(home: Path) -> Path:
    """Make ``home``'s ~/.asoundrc offer one capture device per tone of TONES, the loud one as the default.

    Each plays a 1 kHz sine that sox made at a known peak level (dBFS) through ALSA's `file` plugin.
    """
    home.mkdir(exist_ok=True)
    config = []
    for name, gain_db in TONES.items():
        tone = home / f"{name}.raw"
        subprocess.run(["sox", "-q", "-n", "-r", "16000", "-b", "16", "-c", "1", "-e", "signed-integer", "-t", "raw",
                        str(tone), "synth", "5", "sine", "1000", "gain", str(gain_db)], check=True, timeout=30)
        config.append(f'pcm.{name}_file {{ type file; slave.pcm "null"; file "/dev/null"; infile "{tone}"; '
                      f'format "raw" }}\n'
                      f'pcm.{name} {{ type plug; slave {{ pcm "{name}_file"; format S16_LE; rate 16000; channels 1 }} }}')
    config.append('pcm.!default "ccc_loud"')
    (home / ".asoundrc").write_text("\n".join(config) + "\n")
    return home


def doctor(home: Path, settings: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run the doctor with only these settings (in a settings file) and ``home`` as HOME."""
    file = home / "ccc.env"
    file.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "CCC_SETTINGS": str(file), "LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, "-m", "ccc.doctor", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def line(out: str, name: str) -> str:
    """Return the checklist line of check ``name`` and its fix line, if any."""
    lines = out.splitlines()
    for i, text in enumerate(lines):
        if text[2:].startswith(f"{name}:"):
            fix = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("    fix:") else ""
            return f"{text}\n{fix}"
    raise AssertionError(f"no {name} line in:\n{out}")


def test_the_recorded_level_is_the_level_of_the_signal_and_clipping_is_caught(tmp_path):
    home = alsa_home(tmp_path / "home")
    code = ("from ccc.doctor import checks\n"
            "for name in ('ccc_loud', 'ccc_quiet', 'ccc_clipping'):\n"
            "    c = checks.microphone({'CCC_STATION_INPUT': name}); print(c.ok, '|', c.detail, '|', c.fix)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "HOME": str(home)},
                         capture_output=True, text=True, timeout=60)
    found = [line.split(" | ") for line in out.stdout.splitlines()]
    assert len(found) == 3, out
    for (ok, detail, _), gain_db in zip(found[:2], (TONES["ccc_loud"], TONES["ccc_quiet"])):
        rms = gain_db - 3.01  # a sine's RMS is its peak over the square root of 2
        assert ok == "True" and f"level {rms:.1f} dBFS (peak {gain_db:.1f} dBFS), no clipping" in detail, detail
        assert detail.endswith("meter: no speech heard (speak while it records, or run: python -m ccc.station meter)")
    ok, detail, fix = found[2]
    assert ok == "False" and "clipping" in detail and "alsamixer" in fix, found[2]


def test_a_healthy_classroom_pc_passes(tmp_path, make_hub):
    hub = make_hub(CCC_HOST="0.0.0.0")  # phones reach it on the LAN address
    home = alsa_home(tmp_path / "home")
    pedal = tmp_path / "event7"
    pedal.write_bytes(b"")
    pedal.chmod(0o640)
    out = doctor(home, {"CCC_HOST": "0.0.0.0", "CCC_PORT": str(hub.port),
                        "CCC_DATABASE_URL": f"sqlite:///{hub.db_path}", "CCC_MODELS_DIR": str(tmp_path / "models"),
                        "CCC_WHISPER_DEFAULT": "tiny.en",
                        "CCC_PEDAL_DEVICE": str(pedal), "CCC_PEDAL_KEY": "KEY_B", "CCC_STATION_USER": "root"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert line(out.stdout, "Microphone").startswith("✓ Microphone: default: level -15.0 dBFS"), out.stdout
    assert line(out.stdout, "Push-to-talk").startswith(f"✓ Push-to-talk: {pedal} (KEY_B), readable by root")
    assert "✓ Models: Whisper tiny.en at " in out.stdout
    assert f"✓ Hub: http://127.0.0.1:{hub.port} answers" in out.stdout
    assert f"✓ Address for phones: http://{lan_address()}:{hub.port}" in out.stdout
    assert "✓ Disk: " in out.stdout and "✗" not in out.stdout
    assert out.stdout.rstrip().endswith("All is well.")


def test_each_problem_is_named_with_its_fix(tmp_path):
    home = tmp_path / "home"  # no ~/.asoundrc: this machine has no sound card at all
    home.mkdir()
    port = free_port()  # nobody listens there: the hub is stopped
    out = doctor(home, {"CCC_PORT": str(port), "CCC_PUBLIC_URL": f"http://127.0.0.1:{port}",
                        "CCC_STATION_LANG": "eo", "CCC_MODELS_DIR": str(tmp_path / "models"),
                        "CCC_PEDAL_DEVICE": "/dev/input/by-id/usb-gone-event-kbd", "CCC_PEDAL_KEY": "KEY_B",
                        "CCC_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                        "CCC_DOCTOR_MIN_FREE_MB": str(1 << 40)})
    assert out.returncode == 1, out.stdout + out.stderr
    mic = line(out.stdout, "Microphone")
    assert mic.startswith("✗ Microphone: no input device") and "--list-devices" in mic, mic
    pedal = line(out.stdout, "Push-to-talk")
    assert pedal.startswith("✗") and "usb-gone-event-kbd is not there" in pedal and "--list-keys" in pedal, pedal
    model = line(out.stdout, "Models")
    # Esperanto: a Vosk language Whisper does not know (French now has Whisper base)
    assert model.startswith("✗ Models: no Vosk model for 'eo'")
    assert model.endswith("fix: python -m ccc.station models download eo"), model
    stopped = line(out.stdout, "Hub")
    assert stopped.startswith(f"✗ Hub: nothing answers at http://127.0.0.1:{port}/healthz")
    assert "systemctl restart ccc-hub" in stopped, stopped
    address = line(out.stdout, "Address for phones")
    assert address.startswith(f"✗ Address for phones: http://127.0.0.1:{port} is loopback"), address
    assert f"CCC_PUBLIC_URL=http://{lan_address()}:{port}" in address, address
    disk = line(out.stdout, "Disk")
    assert disk.startswith("✗ Disk: ") and "journalctl --vacuum-size" in disk, disk
    assert out.stdout.rstrip().endswith("6 problems to fix.")
    assert "\033[" not in out.stdout  # not a terminal: no colour


def test_the_station_user_must_be_able_to_read_the_pedal(tmp_path):
    pedal = tmp_path / "event3"
    pedal.write_bytes(b"")
    pedal.chmod(0o600)
    os.chown(pedal, 0, 0)
    found = checks.push_to_talk({"CCC_PEDAL_DEVICE": str(pedal), "CCC_PEDAL_KEY": "KEY_F9",
                                 "CCC_STATION_USER": "nobody"})
    assert found.ok is False and "nobody may not read it" in found.detail and "udev" in found.fix, found
    pedal.chmod(0o604)
    assert checks.push_to_talk({"CCC_PEDAL_DEVICE": str(pedal), "CCC_PEDAL_KEY": "KEY_F9",
                                "CCC_STATION_USER": "nobody"}).ok is True


def test_a_hub_bound_to_loopback_only_is_unreachable_for_phones():
    found = network.public_address({"CCC_HOST": "127.0.0.1", "CCC_PORT": "5000",
                                   "CCC_PUBLIC_URL": f"http://{lan_address()}:5000"}, hub_up=False)
    assert found.ok is False and "listens on 127.0.0.1 only" in found.detail and "CCC_HOST=0.0.0.0" in found.fix
