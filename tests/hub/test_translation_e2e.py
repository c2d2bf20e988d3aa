"""End-to-end encrypted rooms: the station translates its own finals and seals the translations with the text.

Real hub, the station's real hub link and translator (the bundled English -> Portuguese model in a worker
process of its own), a real Socket.IO phone that opens the envelopes with the room key.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccc import e2e
from ccc.station.hub_link import HubLink
from ccc.station.spool import Spool
from ccc.station.translating import make_translator
from hubkit import ROOT

LIBRIVOX_CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")
PORTUGUESE = ("capítulo", "livros", "casa", "branca")  # words the hub must never hold


@pytest.fixture(scope="module")
def hub(module_hub):
    """Return one started hub for the module."""
    return module_hub


def test_a_station_seals_its_translations_with_the_text_and_the_hub_never_holds_them(
        hub, quick_client, tmp_path, monkeypatch):
    monkeypatch.setenv("CCC_MODELS_DIR", str(tmp_path / "models"))
    code = hub.flask("rooms", "create", "Sealed lesson", "--e2e").strip().splitlines()[-1]
    key = e2e.new_key()
    phone = quick_client(hub.url)
    assert phone.join(code)["ok"]
    translator = make_translator("pt", "en")
    deadline = time.monotonic() + 30
    while "pt" not in translator("Good morning."):  # the station's translator loads its model at start
        assert time.monotonic() < deadline
    spool = Spool(tmp_path / "spool.sqlite3", code)
    link = HubLink(hub.url, code, "Lab PC", spool, room_key=e2e.parse_key(key), translator=translator)
    link.start()
    try:
        while not link.joined:
            assert link.fatal is None and time.monotonic() < deadline, link.fatal
            time.sleep(0.05)
        link.speaking = True
        assert link.request_speak()["granted"]
        link.send_final({"utteranceId": "s1", "text": "Please open your books to chapter four.", "isFinal": True})
        assert link.drain(10)
        assert link.send_edit("s1", "The house is white.")["rev"] == 1
    finally:
        link.close()
    final = phone.wait_for(lambda c: [x for x in c.of("caption") if x["isFinal"]])[0]
    opened = e2e.open_envelope(e2e.parse_key(key), code, "s1", final["text"])
    assert opened["text"] == "Please open your books to chapter four."
    assert "capítulo" in opened["translations"]["pt"].lower(), opened
    assert not {"translations", "originalText", "lang"} & set(final)  # nothing beside the envelope
    edited = e2e.open_envelope(e2e.parse_key(key), code, "s1", phone.wait_for("captionEdited")["text"])
    assert edited["text"] == "The house is white." and "casa" in edited["translations"]["pt"].lower(), edited
    held = b"".join(p.read_bytes() for p in hub.db_path.parent.glob("hub.sqlite3*")) + hub.log().encode()
    held += b"".join(p.read_bytes() for p in tmp_path.glob("spool.sqlite3*"))
    assert b"e2e1." in held
    assert not [w for w in PORTUGUESE + ("chapter",) if w.encode() in held]  # database, log, spool


def test_the_station_refuses_translate_outside_an_e2e_room_or_without_a_model(tmp_path):
    env = {"CCC_MODELS_DIR": str(tmp_path / "models"), "CCC_SPOOL": str(tmp_path / "spool.sqlite3"),
           "PATH": "/usr/bin:/bin"}
    base = [sys.executable, "-m", "ccc.station", "--hub", "http://127.0.0.1:9", "--room", "ABCDE", "--name", "T"]
    plain = subprocess.run(base + ["--translate", "pt"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert plain.returncode == 2 and plain.stderr.count("\n") == 1, plain.stderr
    assert "--translate is for end-to-end encrypted rooms" in plain.stderr
    sealed = subprocess.run(base + ["--translate", "pt,xx"], cwd=ROOT, env={**env, "CCC_ROOM_KEY": e2e.new_key()},
                            capture_output=True, text=True, timeout=60)
    assert sealed.returncode == 2 and sealed.stderr.count("\n") == 1, sealed.stderr
    assert "no translation model for en -> xx (installed: pt)" in sealed.stderr


def test_a_real_station_reading_speech_with_translate_sends_finals_that_open_in_portuguese(hub, quick_client,
                                                                                            tmp_path):
    code = hub.flask("rooms", "create", "Sealed reading", "--e2e").strip().splitlines()[-1]
    key = e2e.new_key()
    phone = quick_client(hub.url)
    assert phone.join(code)["ok"]
    env = {**os.environ, "CCC_MODELS_DIR": str(tmp_path / "models"), "CCC_SPOOL": str(tmp_path / "spool.sqlite3"),
           "CCC_ROOM_KEY": key}
    out = subprocess.run([sys.executable, "-m", "ccc.station", "--hub", hub.url, "--room", code, "--name", "Reader",
                          "--engine", "pocketsphinx", "--input", str(LIBRIVOX_CLIP), "--speed", "0", "--ptt", "file",
                          "--translate", "pt"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=90)
    assert out.returncode == 0, out.stderr
    finals = phone.wait_for(lambda c: [x for x in c.of("caption") if x["isFinal"]])
    opened = [e2e.open_envelope(e2e.parse_key(key), code, f["utteranceId"], f["text"]) for f in finals]
    assert [o["text"] for o in opened] == [line for line in out.stdout.splitlines() if line.strip()]
    assert all(o["translations"]["pt"] and o["translations"]["pt"] != o["text"] for o in opened), opened
    portuguese = " ".join(o["translations"]["pt"] for o in opened).lower()
    assert "homem" in portuguese or "jovem" in portuguese, opened  # "... young man ..."
