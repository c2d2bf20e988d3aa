"""The microphone path for real: PortAudio capturing from an ALSA device, with the space bar in a terminal.

This machine has no sound card, so the test gives ALSA a capture device of its own (the `file` plugin reading
a pipe fed with a recorded voice in real time): sounddevice, PortAudio and ALSA all run as they do with a USB
microphone, and only the air between mouth and microphone is missing.
"""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from ccc.station import audio
from hubkit import ROOT, wait_until


@pytest.fixture
def alsa_microphone(tmp_path, librivox):
    """Return a HOME whose ~/.asoundrc defines the capture device `cccmic`, fed speech in real time.

    ALSA's `file` plugin reads a named pipe; a thread writes 100 ms of a sentence (said over and over) into it
    every 100 ms, so the device delivers sound at the pace of a real microphone. Sound nobody reads is dropped.
    """
    speech = np.frombuffer(audio.read_wav(librivox[0][0]), dtype="<i2")  # a real voice, 7 s
    take = np.concatenate([speech, np.zeros(4800, dtype="<i2")])
    fifo = tmp_path / "mic.fifo"
    os.mkfifo(fifo)
    (tmp_path / ".asoundrc").write_text(f"""
pcm.cccmic_file {{ type file; slave.pcm "null"; file "/dev/null"; infile "{fifo}"; format "raw" }}
pcm.cccmic {{ type plug; slave {{ pcm "cccmic_file"; format S16_LE; rate 16000; channels 1 }} }}
""")
    # Opened read-write, the pipe never blocks this end on open and never breaks when a reader goes away.
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    stop = threading.Event()

    def pump() -> None:
        start, n, step = time.monotonic(), 0, 1600
        while not stop.is_set():
            at = (n * step) % len(take)
            chunk = np.resize(take[at:at + step], step)
            try:
                os.write(fd, chunk.tobytes())
            except BlockingIOError:  # nobody is listening: the sound is lost, as in a room
                pass
            n += 1
            stop.wait(max(0.0, start + n * 0.1 - time.monotonic()))

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    yield tmp_path
    stop.set()
    thread.join(5)
    os.close(fd)


def test_list_devices_shows_the_microphone(alsa_microphone, station_env):
    out = subprocess.run([sys.executable, "-m", "ccc.station", "--list-devices"], cwd=ROOT, text=True,
                         capture_output=True, timeout=60, env={**station_env, "HOME": str(alsa_microphone)})
    assert out.returncode == 0, out.stderr
    assert "cccmic" in out.stdout


def test_speech_from_the_microphone_reaches_the_audience(hub, client, tmux, station_env, alsa_microphone,
                                                        librivox):
    code = hub.create_room("Microphone")
    phone = client(hub.url)
    phone.join(code, "audience")
    env = " ".join(f"{k}={v}" for k, v in station_env.items() if k.startswith("CCC_"))
    tmux("new-session", "-d", "-x", "160", "-y", "10",
         f"cd {ROOT} && env HOME={alsa_microphone} {env} {sys.executable} -m ccc.station --hub {hub.url} "
         f"--room {code} --name 'Mic presenter' --engine pocketsphinx --input cccmic; sleep 30")
    screen = lambda: tmux("capture-pane", "-p")  # noqa: E731
    wait_until(lambda: "connected" in screen(), screen, timeout=30)
    tmux("send-keys", "Space")
    assert phone.wait_for("speakerChanged", timeout=15)["speakerName"] == "Mic presenter"
    partial = phone.wait_for(lambda c: [m for m in c.of("caption") if not m["isFinal"] and m["text"]], timeout=30)
    assert partial[0]["speakerName"] == "Mic presenter"
    # Hold the key for a few seconds of speech (partials come at most 3 a second).
    wait_until(lambda: len([m for m in phone.of("caption") if not m["isFinal"]]) >= 9, screen, timeout=30)
    tmux("send-keys", "Space")
    phone.wait_for("speakerStopped", timeout=15)
    finals = phone.wait_for(lambda c: [m for m in c.of("caption") if m["isFinal"]], timeout=15)
    heard = set(" ".join(m["text"] for m in finals).lower().split())
    said = set(librivox[0][1].split())  # the same sentence, over and over, so any few seconds of it will do
    assert len(heard & said) >= 2, (heard, said)
    # The live meter reads the same microphone: a clean close voice is "good" on the station's terminal line.
    wait_until(lambda: "audio: good" in screen(), screen, timeout=15)


def test_the_meter_listens_to_the_microphone(alsa_microphone, station_env):
    out = subprocess.run([sys.executable, "-m", "ccc.station", "meter", "--input", "cccmic", "--seconds", "4"],
                         cwd=ROOT, text=True, capture_output=True, timeout=60,
                         env={**station_env, "HOME": str(alsa_microphone)})
    assert out.returncode == 0, out.stderr
    assert "speech level: -" in out.stdout and out.stdout.rstrip().endswith("advice: good"), out.stdout
