"""The projector while a real station speaks a real recording in one hold: each partial becomes its final."""
from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

from playwright.sync_api import expect

from ccc.station import audio

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
CLIPS = ["sense_and_sensibility_01_austen_64kb-0880.wav", "sense_and_sensibility_01_austen_64kb-0930.wav"]

# Snapshot the projector's lines at every change, to catch a line shown twice even for one frame.
WATCH = """() => {
  window.snapshots = [];
  const lines = document.getElementById('lines');
  new MutationObserver(() => window.snapshots.push(Array.from(lines.querySelectorAll('.line'))
      .map((n) => [n.dataset.utterance, n.dataset.state, n.querySelector('.text').textContent])))
    .observe(lines, { subtree: true, childList: true, characterData: true, attributes: true });
}"""


def test_partials_become_their_finals_in_place_once_per_segment(hub, new_page, tmp_path):
    """Two sentences in one hold: two lines, each first a partial, then its final in the same element."""
    pcm = audio.read_wav(LIBRIVOX / CLIPS[0]) + bytes(2 * int(0.8 * audio.RATE)) + audio.read_wav(LIBRIVOX / CLIPS[1])
    recording = tmp_path / "two-sentences.wav"
    with wave.open(str(recording), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(audio.RATE)
        wav.writeframes(pcm)
    code = hub.create_room("Station on the projector")
    projector = new_page(f"{hub.url}/r/{code}/projector")
    expect(projector.locator("#conn")).to_have_attribute("data-status", "connected")
    projector.evaluate(WATCH)
    env = {**os.environ, "CCC_MODELS_DIR": str(tmp_path / "models"), "CCC_SPOOL": str(tmp_path / "spool.sqlite3")}
    station = subprocess.Popen(
        [sys.executable, "-m", "ccc.station", "--hub", hub.url, "--room", code, "--name", "Reader",
         "--input", str(recording), "--speed", "1", "--ptt", "file"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        partial = projector.locator('.line[data-state="partial"]').first
        expect(partial).to_be_visible(timeout=30_000)
        uid = partial.get_attribute("data-utterance")
        partial.evaluate("n => { n.dataset.mark = 'seen-as-partial'; }")
        line = projector.locator(f'.line[data-utterance="{uid}"]')
        expect(line).to_have_attribute("data-state", "final", timeout=30_000)
        assert line.get_attribute("data-mark") == "seen-as-partial", "the final replaced the partial's element"
        out, err = station.communicate(timeout=60)
    finally:
        station.kill()
    assert station.returncode == 0, err
    printed = [text for text in out.splitlines() if text.strip()]
    assert len(printed) == 2, printed  # the pause between the sentences ended the first caption
    expect(projector.locator(".line")).to_have_count(2)
    assert projector.locator(".line .text").all_text_contents() == printed
    expect(projector.locator('.line[data-state="final"]')).to_have_count(2)
    snapshots = projector.evaluate("window.snapshots")
    assert snapshots
    for snapshot in snapshots:
        assert len([s for _, s, _ in snapshot if s == "partial"]) <= 1, snapshot
        assert len({u for u, _, _ in snapshot}) == len(snapshot), snapshot
        shown = [t for _, s, t in snapshot if s == "final"]
        assert len(set(shown)) == len(shown), snapshot
