"""A far-field bench: real English speech, clean and as a classroom desk microphone hears it.

Self-contained (numpy, scipy, PyAV, pyroomacoustics; nothing from ccc), so tests and bench/ can both use it.

Sources (Debian packages, each with a reference text):
- Asterisk: sentences recorded by a professional voice (`asterisk-core-sounds-en-g722`, texts from
  `asterisk-core-sounds-en`, CC BY-SA 3.0). The project's other tests use `corpora.PROMPTS`; none of those is
  here.
- LibriVox: five sentences of *Sense and Sensibility* read by a volunteer (`pocketsphinx-testdata`, public
  domain). The project has been tuned on them, so they are in the tuning part only.
No package reachable here (PyPI, Debian) was found to ship spontaneous English speech with reference texts
(conversations, hesitations, accents): searched 2026-12-07, see docs/accuracy.md. This bench is read speech.

Split, fixed: TUNE may be listened to and tuned on; HELD_OUT is only reported.

Room copies (`room_copy`): an image-source room of 9 x 7 x 3 m (pyroomacoustics, reflection order 24, air
absorption; Sabine RT60 drawn in 0.6-0.8 s; measured T30 of the responses 0.65-0.83 s, median 0.74 s), the
talker standing 2-3 m from a microphone on the desk (2.2-3.1 m in three dimensions), five other real
talkers elsewhere in the room mixed 15 dB below the talker (babble), and pink noise 25 dB below
(ventilation). Seeded by the clip's name, cached as WAV files.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import wave
import zlib
from pathlib import Path

import numpy as np

RATE = 16000
ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
ASTERISK_TEXTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
POCKETSPHINX = Path("/usr/share/pocketsphinx/test/data")
TUNE_ASTERISK = ["agent-incorrect", "conf-getchannel", "confbridge-begin-glorious-a", "vm-rec-busy",
                 "vm-invalidpassword", "vm-reenterpassword", "vm-record-prepend", "vm-newpassword"]
HELD_OUT_ASTERISK = [
    "agent-alreadyon", "conf-onlyone", "conf-roll-callcomplete", "confbridge-only-participant", "demo-nomatch",
    "dir-nomore", "entr-num-rmv-blklist", "followme/status", "pbx-invalidpark", "priv-introsaved", "tt-allbusy",
    "vm-mailboxfull", "vm-mismatch", "vm-nobodyavail", "vm-nobox", "vm-nonumber", "vm-rec-name", "vm-tmpexists",
    "vm-whichbox", "vm-newuser",
]
ROOM = (9.0, 7.0, 3.0)
MAX_ORDER = 24
BABBLE_DB = 15.0
VENTILATION_DB = 25.0
VERSION = "room-v1"  # change when the simulation changes, so cached copies are made anew


def cache_dir() -> Path:
    """Return the folder for decoded clips and room copies (CCC_BENCH_CACHE, else the temp folder)."""
    folder = Path(os.environ.get("CCC_BENCH_CACHE") or Path(tempfile.gettempdir()) / "ccc-bench-cache")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read(path: Path) -> np.ndarray:
    """Return a 16 kHz mono 16-bit WAV (or headerless .raw) file's samples as float32 in [-1, 1]."""
    if path.suffix == ".raw":
        return np.frombuffer(path.read_bytes(), np.int16).astype(np.float32) / 32768
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == RATE and wav.getnchannels() == 1 and wav.getsampwidth() == 2, path
        return np.frombuffer(wav.readframes(wav.getnframes()), np.int16).astype(np.float32) / 32768


def write(path: Path, samples: np.ndarray) -> Path:
    """Write float samples as a 16 kHz mono 16-bit WAV file (atomically: a half-written cache is never read)."""
    pcm = np.clip(np.round(samples * 32768), -32768, 32767).astype(np.int16)
    part = path.with_suffix(".part")
    with wave.open(str(part), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    part.replace(path)
    return path


def asterisk(names: list[str]) -> list[tuple[Path, str]]:
    """Decode the named Asterisk prompts to WAV in the cache (once); return them with their texts."""
    import av  # noqa: PLC0415 - PyAV comes with faster-whisper

    texts = {}
    for line in gzip.decompress(ASTERISK_TEXTS.read_bytes()).decode().splitlines():
        name, sep, text = line.partition(": ")
        if sep and not name.startswith(";"):
            texts[name.strip()] = text.strip()
    found = []
    for name in names:
        wav = cache_dir() / f"asterisk-{name.replace('/', '_')}.wav"
        if not wav.exists():
            with av.open(str(ASTERISK_SOUNDS / f"{name}.g722"), format="g722") as container:
                pcm = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
            write(wav, pcm.astype(np.float32) / 32768)
        found.append((wav, texts[name]))
    return found


def librivox() -> list[tuple[Path, str]]:
    """Return the five LibriVox sentences with their texts."""
    refs = {}
    for line in (POCKETSPHINX / "librivox" / "transcription").read_text().splitlines():
        text, _, rest = line.rpartition("(")
        refs[rest.rstrip(")").strip()] = text.replace("<s>", "").replace("</s>", "").strip()
    return [(POCKETSPHINX / "librivox" / f"{name}.wav", ref) for name, ref in sorted(refs.items())]


def clips(split: str) -> list[tuple[Path, str]]:
    """Return the clean clips of a split, ``tune`` or ``held_out``, with their reference texts."""
    if split == "tune":
        return librivox() + asterisk(TUNE_ASTERISK)
    if split == "held_out":
        return asterisk(HELD_OUT_ASTERISK)
    raise ValueError(f"unknown split {split!r}: tune or held_out")


def _talkers(target: Path) -> list[np.ndarray]:
    """Return five streams of other real talkers than the target's (each a different voice or recording)."""
    books = [read(p) for p, _ in librivox()]
    cards = [read(p) for p in sorted((POCKETSPHINX / "cards").glob("*.wav"))]
    commands = [read(POCKETSPHINX / f"{n}.raw") for n in ("goforward", "numbers", "something")]
    phone = [read(p) for p, _ in asterisk(TUNE_ASTERISK)]
    pool = [np.concatenate(books[:3]), np.concatenate(books[3:] + books[:1]), np.concatenate(cards),
            np.concatenate(commands), np.concatenate(phone)]
    if target.name.startswith("asterisk-"):  # the same voice as the target is no babble: take another reading
        pool[4] = np.concatenate(books[::-1])
    return pool


def _level(x: np.ndarray) -> float:
    """Return the mean power of the louder half of 20 ms frames: the speech, not the pauses."""
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    power = np.sort((frames ** 2).mean(axis=1))
    return float(power[len(power) // 2:].mean()) + 1e-12


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` samples of pink (1/f) noise at unit power."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, n)
    return noise / np.sqrt(np.mean(noise ** 2))


def room_copy(clip: Path) -> Path:
    """Return the clip as a desk microphone in a reverberant, noisy classroom hears it (made once, cached)."""
    clean = read(clip)
    key = hashlib.sha1(f"{VERSION}{clip.name}".encode() + clean.tobytes()).hexdigest()[:12]
    out = cache_dir() / f"room-{clip.stem}-{key}.wav"
    if out.exists():
        return out
    import pyroomacoustics as pra  # noqa: PLC0415 - only the bench and its tests need it
    from scipy.signal import fftconvolve  # noqa: PLC0415

    rng = np.random.default_rng(zlib.crc32(clip.name.encode()))
    rt60 = rng.uniform(0.6, 0.8)
    absorption, _ = pra.inverse_sabine(rt60, ROOM)
    room = pra.ShoeBox(ROOM, fs=RATE, materials=pra.Material(absorption), max_order=MAX_ORDER, air_absorption=True)
    mic = np.array([rng.uniform(3.5, 5.5), rng.uniform(1.0, 1.6), 0.8])  # on the teacher's desk, near the board
    angle, distance = rng.uniform(0.3, np.pi - 0.3), rng.uniform(2.0, 3.0)
    teacher = mic + [distance * np.cos(angle), distance * np.sin(angle), 0.8]
    room.add_source(np.clip(teacher, 0.5, np.array(ROOM) - 0.5).tolist())
    for _ in range(5):  # students in the rows
        room.add_source([rng.uniform(1.0, 8.0), rng.uniform(3.5, 6.3), 1.15])
    room.add_microphone(mic.tolist())
    room.compute_rir()
    n = len(clean) + RATE // 2  # the room keeps ringing after the last word
    speech = fftconvolve(clean, room.rir[0][0])[:n]
    babble = np.zeros(n)
    for i, talker in enumerate(_talkers(clip)):
        start = rng.integers(0, len(talker))
        stream = np.tile(np.roll(talker, -start), n // len(talker) + 2)[:n]
        babble += fftconvolve(stream, room.rir[0][i + 1])[:n]
    target = _level(speech)
    babble *= np.sqrt(target / _level(babble) / 10 ** (BABBLE_DB / 10))
    hum = pink(n, rng) * np.sqrt(target / 10 ** (VENTILATION_DB / 10))
    mix = speech + babble + hum
    mix *= np.sqrt(_level(clean) / _level(mix))  # the talker's own level, as a well-set input gain gives
    return write(out, mix / max(1.0, float(np.abs(mix).max()) / 0.97))
