"""Real English speech with reference texts, for the tests and bench/accuracy.py, and a fair WER.

LibriVox: five sentences read by a human (Debian `pocketsphinx-testdata`). Asterisk: telephone prompts
recorded by a professional voice (Debian `asterisk-core-sounds-en-g722`, 16 kHz G.722, decoded by PyAV's
FFmpeg), their texts from `asterisk-core-sounds-en`'s core-sounds-en.txt. Spanish: the same prompts recorded
in Mexican Spanish by the same professional voice (`asterisk-core-sounds-es-g722`, texts from
`asterisk-core-sounds-es`); many of them have an English twin, a reference for translation.
"""
from __future__ import annotations

import gzip
import re
import unicodedata
import wave
from pathlib import Path

import jiwer
import numpy as np

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
ASTERISK_TEXTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
SPANISH_SOUNDS = Path("/usr/share/asterisk/sounds/es_MX_f_Allison")
SPANISH_TEXTS = Path("/usr/share/doc/asterisk-core-sounds-es/core-sounds-es.txt.gz")
# Spanish sentences (no digits, no fragments). The tests use SPANISH_TEST; bench/models.py reports the rest,
# which no test or setting was tuned on.
SPANISH_TEST = ["confbridge-lock-no-join", "conf-onlyperson", "followme/sorry"]
SPANISH_HELD_OUT = [
    "agent-newlocation", "auth-incorrect", "conf-getchannel", "conf-invalid", "conf-kicked", "conf-waitforleader",
    "confbridge-pin-bad", "demo-nomatch", "dir-nomatch", "followme/pls-hold-while-try", "pbx-parkingfailed",
    "privacy-unident", "queue-youarenext", "ss-noservice", "transfer", "tt-weasels",
]
# Spanish prompts whose English twin says the same: real Spanish speech with an English reference.
TRANSLATE_TEST = ["confbridge-only-participant"]
TRANSLATE_HELD_OUT = ["agent-newlocation", "auth-incorrect", "conf-getchannel", "confbridge-pin-bad", "privacy-unident",
                      "queue-youarenext"]
# Whole sentences of plain words (no digits, no "..." fragments), short and long, about 60 s in all.
PROMPTS = [
    "agent-pass", "auth-incorrect", "cannot-complete-as-dialed", "check-number-dial-again", "conf-getconfno",
    "conf-invalid", "conf-onlyperson", "conf-waitforleader", "confbridge-lock-no-join", "confbridge-pin-bad",
    "followme/pls-hold-while-try", "followme/sorry", "privacy-prompt", "privacy-unident", "queue-youarenext",
    "ss-noservice",
]
_SPOKEN = {"mr": "mister", "mrs": "missus", "dr": "doctor", "you're": "you are", "i'm": "i am", "that's": "that is",
           "it's": "it is", "we're": "we are", "they're": "they are", "can't": "cannot", "won't": "will not"}


def librivox() -> list[tuple[Path, str]]:
    """Return the LibriVox recordings with their reference texts."""
    refs = {}
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        text, _, rest = line.rpartition("(")
        refs[rest.rstrip(")").strip()] = text.replace("<s>", "").replace("</s>", "").strip()
    return [(LIBRIVOX / f"{name}.wav", ref) for name, ref in sorted(refs.items())]


def prompt_texts(path: Path = ASTERISK_TEXTS) -> dict[str, str]:
    """Return the texts of an Asterisk sounds package, by prompt name."""
    texts = {}
    for line in gzip.decompress(path.read_bytes()).decode().splitlines():
        name, sep, text = line.partition(": ")
        if sep and not name.startswith(";"):
            texts[name.strip()] = text.strip()
    return texts


def asterisk_prompts(folder: Path, names: list[str] = PROMPTS, sounds: Path = ASTERISK_SOUNDS,
                     texts: Path = ASTERISK_TEXTS) -> list[tuple[Path, str]]:
    """Decode the chosen prompts to 16 kHz WAV files in ``folder`` (once) and return them with their texts."""
    import av  # noqa: PLC0415 - PyAV comes with faster-whisper

    said = prompt_texts(texts)
    found = []
    for name in names:
        wav = folder / (sounds.name + "_" + name.replace("/", "_") + ".wav")
        if not wav.exists():
            with av.open(str(sounds / f"{name}.g722"), format="g722") as container:
                pcm = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
            with wave.open(str(wav), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(16000)
                out.writeframes(pcm.astype(np.int16).tobytes())
        found.append((wav, said[name]))
    return found


def spanish_prompts(folder: Path, names: list[str] = SPANISH_TEST) -> list[tuple[Path, str]]:
    """Return real Spanish prompts as 16 kHz WAV files in ``folder`` with their Spanish texts."""
    return asterisk_prompts(folder, names, SPANISH_SOUNDS, SPANISH_TEXTS)


def normalize(text: str) -> str:
    """Return ``text`` as bare lower-case words: no punctuation, hyphens split, titles and contractions spelled out."""
    # Accents folded: the Spanish texts spell "numero", "contrasena" and "número" alike.
    words = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    words = re.sub(r"[-\u2014]", " ", words)
    words = re.sub(r"[^\w' ]", " ", words).split()
    return " ".join(_SPOKEN.get(w, w) for w in words if w != "'")


def wer(refs: list[str], hyps: list[str]) -> float:
    """Return the word error rate of ``hyps`` against ``refs``, both normalized."""
    return jiwer.wer([normalize(r) for r in refs], [normalize(h) or "-" for h in hyps])


def concatenate(clips: list[tuple[Path, str]], path: Path, gap_s: float = 0.6) -> tuple[Path, str]:
    """Write the clips one after another with a pause between them; return the file and the whole reference."""
    pause = b"\0" * int(16000 * gap_s) * 2
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        for clip, _ in clips:
            with wave.open(str(clip), "rb") as source:
                out.writeframes(source.readframes(source.getnframes()) + pause)
    return path, " ".join(ref for _, ref in clips)


def room_tone(seconds: float, seed: int = 0) -> np.ndarray:
    """Return ``seconds`` of noise with the spectrum and level of the LibriVox recordings' own lead-ins.

    A pause in a real room is not digital silence: the recordings' first 0.2 s (before the reader speaks)
    are their room tone. Their average spectrum shapes random noise to any length, so a pause can last 5 s.
    """
    leads = []
    for path, _ in librivox():
        with wave.open(str(path), "rb") as source:
            leads.append(np.frombuffer(source.readframes(3200), np.int16).astype(float))
    shape = np.mean([np.abs(np.fft.rfft(lead * np.hanning(len(lead)))) for lead in leads], axis=0)
    level = np.mean([np.sqrt(np.mean(lead ** 2)) for lead in leads])
    count = max(1, int(seconds * 16000))
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(count))
    noise = np.fft.irfft(spectrum * np.interp(np.linspace(0, 1, len(spectrum)), np.linspace(0, 1, len(shape)), shape),
                         count)
    return noise * level / (np.sqrt(np.mean(noise ** 2)) + 1e-9)


def hesitant(clips: list[bytes], phrase_cuts: list[list[int]], pauses: list[float]) -> bytes:
    """Return the clips (16-bit PCM) cut into phrases at ``phrase_cuts`` (samples) and joined by room tone.

    The pauses (seconds) are used in turn, between phrases and between clips: a speaker who hesitates.
    """
    parts, turn = [room_tone(0.4, seed=99)], 0
    for pcm, cuts in zip(clips, phrase_cuts):
        samples = np.frombuffer(pcm, np.int16).astype(float)
        edges = [0, *cuts, len(samples)]
        for start, end in zip(edges, edges[1:]):
            parts += [samples[start:end], room_tone(pauses[turn % len(pauses)], seed=turn)]
            turn += 1
    return np.clip(np.concatenate(parts), -32768, 32767).astype(np.int16).tobytes()
