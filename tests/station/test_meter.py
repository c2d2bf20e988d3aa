"""The audio-quality meter hears the difference a room makes, through the station's own WAV capture path.

A clean real recording (25 s of LibriVox) and its classroom copy (room_corpus: RT60 0.6-0.8 s, talker 2-3 m
away, babble 15 dB below, ventilation) go through `python -m ccc.station meter --input FILE.wav`; the same
speech made too quiet and clipped gets its own advice.
"""
import subprocess
import sys

import numpy as np
import pytest
import room_corpus

from ccc.station import meter
from hubkit import ROOT


@pytest.fixture(scope="module")
def recordings(tmp_path_factory, librivox):
    """Return the clean recording, its room copy, and a too-quiet and a clipped copy of it, as WAV files."""
    folder = tmp_path_factory.mktemp("meter")
    clean = np.concatenate([room_corpus.read(path) for path, _ in librivox])
    room = np.concatenate([room_corpus.read(room_corpus.room_copy(path)) for path, _ in librivox])
    return {
        "clean": room_corpus.write(folder / "clean.wav", clean),
        "room": room_corpus.write(folder / "room.wav", room),
        "quiet": room_corpus.write(folder / "quiet.wav", clean * 10 ** (-32 / 20)),
        "clipped": room_corpus.write(folder / "clipped.wav", np.clip(clean * 8, -1, 1)),
    }


def read_meter(path, capsys) -> dict[str, str]:
    assert meter.command(["--input", str(path)]) == 0
    return dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())


def test_clean_speech_is_good_and_its_classroom_copy_is_not(recordings, capsys):
    clean, room = read_meter(recordings["clean"], capsys), read_meter(recordings["room"], capsys)
    assert clean["advice"] == "good", clean
    assert "move the microphone closer" in room["advice"], room
    assert room["advice"].startswith(("the room echoes", "noisy")), room
    # The numbers behind the words: the room copy has less speech over noise and a slower decay.
    assert float(room["signal-to-noise"].split()[0]) < float(clean["signal-to-noise"].split()[0]) - 4
    assert float(room["reverberation"].split()[1]) > float(clean["reverberation"].split()[1]) + 0.1


def test_too_quiet_and_clipping_are_named(recordings, capsys):
    assert read_meter(recordings["quiet"], capsys)["advice"].startswith("too quiet")
    clipped = read_meter(recordings["clipped"], capsys)
    assert clipped["advice"].startswith("clipping") and clipped["clipping"] != "none"


def test_the_command_line_reads_a_file_and_refuses_a_missing_one(recordings):
    out = subprocess.run([sys.executable, "-m", "ccc.station", "meter", "--input", str(recordings["room"])],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "speech level:" in out.stdout and ("advice: the room echoes" in out.stdout or "advice: noisy" in out.stdout)
    missing = subprocess.run([sys.executable, "-m", "ccc.station", "meter", "--input", "/nonexistent.wav"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.startswith("error: "), missing.stderr
