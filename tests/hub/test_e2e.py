"""End-to-end encrypted rooms: the hub relays, numbers and stores envelopes it cannot open, and nothing else.

One hub for the module; each test makes its own rooms. Caption words are unusual on purpose, so finding one
anywhere (database file, hub log, HTTP answers) means plain text leaked.
"""
from __future__ import annotations

import html
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import srt
import webvtt

from ccc import e2e
from ccc.station.hub_link import HubLink
from ccc.station.spool import Spool
from hubkit import ROOT, Hub

SECRET_WORDS = ["periwinkle", "zeppelin", "quokka", "marzipan"]
LIBRIVOX_CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")


@pytest.fixture(scope="module")
def hub(module_hub):
    """Return one started hub for the module."""
    return module_hub


@pytest.fixture
def client(quick_client):
    """Return clients that hang up at once: these tests do not look at departures."""
    return quick_client


@pytest.fixture(scope="module")
def hub_app(hub):
    """Return an app in this process on the hub's database (a `flask` run costs seconds on a busy machine)."""
    from ccc.hub import create_app
    from config import TestConfig

    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{hub.db_path}")


@pytest.fixture(scope="module")
def new_room(hub_app):
    """Return a factory of e2e rooms made in this process on the hub's database."""
    from ccc.hub.rules.rooms import create_room

    app = hub_app

    def make(title: str = "Sealed", sealed: bool = True) -> tuple[str, str, str]:
        with app.app_context():
            return create_room(title, e2e=sealed).code, e2e.new_key(), ""

    return make


def create_e2e(hub: Hub, title: str = "Sealed") -> tuple[str, str, str]:
    """Create an e2e room with the CLI; return (code, key, whole output)."""
    out = hub.flask("rooms", "create", title, "--e2e")
    code = out.strip().splitlines()[-1]
    key = re.search(r"^Room key.*: ([A-Za-z0-9_-]{43})$", out, re.M).group(1)
    return code, key, out


def presenter(hub, client, code, name="Dr Sealed"):
    c = client(hub.url)
    assert c.join(code, "presenter", name)["ok"]
    assert c.call("requestSpeak", {})["granted"]
    return c


def sealed(key: str, code: str, uid: str, text: str, final: bool = True, **extra) -> dict:
    return e2e.seal_caption(e2e.parse_key(key), code, {"utteranceId": uid, "text": text, "isFinal": final, **extra})


def test_cli_prints_a_fresh_key_and_links_that_carry_it_in_the_fragment_only(hub, hub_app):
    code, key, out = create_e2e(hub)
    assert key != e2e.new_key() and len(e2e.parse_key(key)) == 32
    assert f"{hub.url}/r/{code}#k={key}" in out and f"{hub.url}/r/{code}/projector#k={key}" in out
    assert f"--join-url '{hub.url}/r/{code}#k={key}'" in out
    data = b"".join(p.read_bytes() for p in hub.db_path.parent.glob("hub.sqlite3*"))
    assert key.encode() not in data and key.encode() not in hub.log().encode()
    assert requests.get(f"{hub.url}/r/{code}", timeout=5).ok  # the page itself needs no key
    refused = hub_app.test_cli_runner().invoke(args=["transcripts", "export", code, "--format", "srt"])
    assert refused.exit_code == 1 and "end-to-end encrypted" in refused.output, refused.output


def test_plain_text_into_an_e2e_room_is_refused_and_ordinary_rooms_are_unchanged(hub, client, new_room):
    code, key, _ = new_room("Refusing")
    speaker = presenter(hub, client, code)
    for payload in ({"utteranceId": "p1", "text": "plain partial", "isFinal": False},
                    {"utteranceId": "p2", "text": "plain final", "isFinal": True},
                    {**sealed(key, code, "p3", "x"), "words": [{"word": "x", "start": 0, "end": 1}]}):
        ack = speaker.call("caption", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "bad_request", ack
        assert "end-to-end encrypted" in ack["error"]["message"]
    assert speaker.call("caption", sealed(key, code, "p4", "fine"))["ok"]
    ack = speaker.call("editCaption", {"utteranceId": "p4", "text": "plain correction"})
    assert ack["error"]["code"] == "bad_request" and "end-to-end" in ack["error"]["message"]
    assert speaker.call("caption", {"utteranceId": "big", "isFinal": True,
                                    "text": "e2e1." + "A" * 30_000})["error"]["code"] == "too_large"
    plain_code = new_room("Ordinary", sealed=False)[0]
    plain = presenter(hub, client, plain_code, "Plain")
    assert plain.call("caption", {"utteranceId": "o1", "text": "plain is fine here", "isFinal": True})["seq"] == 1


def test_sealed_captions_are_relayed_numbered_stored_and_never_readable_by_the_hub(hub, client, new_room):
    code, key, _ = new_room("Private seminar")
    raw = e2e.parse_key(key)
    phone = client(hub.url)
    assert phone.join(code)["state"]["room"]["e2e"] is True
    speaker = presenter(hub, client, code)
    words = [{"word": w, "start": i * 100, "end": i * 100 + 90} for i, w in enumerate(SECRET_WORDS[:2])]
    assert speaker.call("caption", sealed(key, code, "u1", "periwinkle zeppelin", False))["ok"]
    assert speaker.call("caption", sealed(key, code, "u1", "periwinkle zeppelin", words=words))["seq"] == 1
    assert speaker.call("caption", sealed(key, code, "u2", "quokka"))["seq"] == 2
    edit = sealed(key, code, "u2", "quokka marzipan")
    assert speaker.call("editCaption", {"utteranceId": "u2", "text": edit["text"]})["rev"] == 1

    got = phone.wait_for(lambda c: len([x for x in c.of("caption") if x["isFinal"]]) == 2 and c.of("captionEdited"))
    assert got
    partial, *finals = phone.of("caption")
    assert all(x["text"].startswith("e2e1.") for x in [partial, *finals, *phone.of("captionEdited")])
    assert e2e.open_envelope(raw, code, "u1", partial["text"]) == {"text": "periwinkle zeppelin"}
    assert e2e.open_envelope(raw, code, "u1", finals[0]["text"])["words"] == words
    assert e2e.open_envelope(raw, code, "u2", phone.of("captionEdited")[0]["text"])["text"] == "quokka marzipan"
    assert [f["speakerName"] for f in finals] == ["Dr Sealed", "Dr Sealed"]  # names stay visible, as documented

    answers = [requests.get(hub.url + path, timeout=10) for path in (
        f"/r/{code}", f"/r/{code}/projector", f"/r/{code}/present", f"/r/{code}/transcript",
        f"/r/{code}/transcript.json")]
    assert all(a.ok for a in answers), [a.status_code for a in answers]
    doc = answers[-1].json()
    assert [c["text"][:5] for s in doc["sessions"] for c in s["captions"]] == ["e2e1.", "e2e1."]
    for fmt in ("txt", "md", "srt", "vtt", "docx"):
        refused = requests.get(f"{hub.url}/r/{code}/transcript.{fmt}", timeout=10)
        assert refused.status_code == 409 and "end-to-end encrypted" in refused.text, fmt
        answers.append(refused)
    state = client(hub.url).join(code)["state"]
    time.sleep(0.3)  # let SQLite's WAL and the log catch up
    seen = {"database": b"".join(p.read_bytes() for p in hub.db_path.parent.glob("hub.sqlite3*")),
            "hub log": hub.log().encode(), "roomState": repr(state).encode(),
            **{a.url: a.content for a in answers}}
    for where, data in seen.items():
        for word in SECRET_WORDS:
            assert word.encode() not in data.lower(), f"{word!r} found in {where}"
    assert b"e2e1." in seen["database"]  # the ciphertext is there: the check above looked at the right file

    export = [sys.executable, "-m", "ccc.transcripts", "export", "--hub", hub.url, "--room", code.lower(),
              "--format", "srt"]
    # The key from the environment: a command line is readable by every user of the PC.
    out = subprocess.run(export, cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "CCC_ROOM_KEY": key})
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert "periwinkle zeppelin" in out.stdout and "quokka marzipan" in out.stdout and "e2e1." not in out.stdout
    # One key in 64 begins with "-" (base64url): `--key KEY` must still take it as the key, not as an option.
    dashed = next(k for k in iter(e2e.new_key, None) if k.startswith("-"))
    wrong = subprocess.run([*export, "--key", dashed], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 1 and "2 captions did not open" in wrong.stderr
    assert "[unreadable caption]" in wrong.stdout and "quokka" not in wrong.stdout


def test_an_envelope_opens_only_in_its_room_and_utterance_with_its_key():
    key = e2e.parse_key(e2e.new_key())
    envelope = e2e.seal(key, "ROOMA", "u1", "periwinkle")
    assert e2e.open_envelope(key, "rooma", "u1", envelope)["text"] == "periwinkle"
    assert envelope != e2e.seal(key, "ROOMA", "u1", "periwinkle")  # a fresh nonce each time
    raw = bytearray(e2e.unb64url(envelope[5:]))
    raw[20] ^= 1
    for room, uid, env, k in (("ROOMB", "u1", envelope, key), ("ROOMA", "u2", envelope, key),
                              ("ROOMA", "u1", "e2e1." + e2e.b64url(bytes(raw)), key),
                              ("ROOMA", "u1", envelope, e2e.parse_key(e2e.new_key()))):
        with pytest.raises(e2e.E2EError):
            e2e.open_envelope(k, room, uid, env)
    with pytest.raises(e2e.E2EError):
        e2e.parse_key("too-short")
    assert e2e.from_join_url("http://10.0.0.5:5000/r/abcde#k=" + "A" * 43) == (
        "http://10.0.0.5:5000", "ABCDE", "A" * 43)


def test_a_station_hub_link_with_the_room_key_spools_and_sends_only_ciphertext(hub, client, tmp_path, new_room):
    code, key, _ = new_room("Station link")
    phone = client(hub.url)
    phone.join(code)
    spool = Spool(tmp_path / "spool.sqlite3", code)
    link = HubLink(hub.url, code, "Lab PC", spool, room_key=e2e.parse_key(key))
    link.start()
    deadline = time.monotonic() + 15
    while not link.joined:
        assert link.fatal is None and time.monotonic() < deadline, link.fatal
        time.sleep(0.05)
    link.speaking = True
    assert link.request_speak()["granted"]
    link.send_final({"utteranceId": "s1", "text": "quokka marzipan", "isFinal": True})
    assert link.drain(10)
    assert link.send_edit("s1", "quokka periwinkle")["rev"] == 1
    final = phone.wait_for(lambda c: [x for x in c.of("caption") if x["isFinal"]])[0]
    assert e2e.open_envelope(e2e.parse_key(key), code, "s1", final["text"])["text"] == "quokka marzipan"
    edited = phone.wait_for("captionEdited")
    assert e2e.open_envelope(e2e.parse_key(key), code, "s1", edited["text"])["text"] == "quokka periwinkle"
    link.close()
    keyless = HubLink(hub.url, code, "No key", Spool(tmp_path / "other.sqlite3", code))
    keyless.start()
    deadline = time.monotonic() + 15
    while keyless.fatal is None:
        assert time.monotonic() < deadline, "a station without the key was not stopped"
        time.sleep(0.05)
    assert "end-to-end encrypted" in keyless.fatal and "--join-url" in keyless.fatal
    keyless.close()
    spooled = b"".join(p.read_bytes() for p in tmp_path.glob("spool.sqlite3*"))
    assert b"e2e1." in spooled and b"quokka" not in spooled and b"marzipan" not in spooled


def test_the_station_command_with_the_key_in_its_environment_sends_finals_that_decrypt_to_its_words(
        hub, client, tmp_path, new_room, capsys):
    code, key, _ = new_room("Station command")
    phone = client(hub.url)
    phone.join(code)
    # The key in the environment, not on the command line (ps shows a command line to every user of the PC).
    env = {"CCC_MODELS_DIR": str(tmp_path / "models"), "CCC_SPOOL": str(tmp_path / "spool.sqlite3"),
           "PYTHONUNBUFFERED": "1", "CCC_ROOM_KEY": key}
    out = subprocess.run([sys.executable, "-m", "ccc.station", "--hub", hub.url, "--room", code,
                          "--name", "Lecturer", "--engine", "pocketsphinx", "--input", str(LIBRIVOX_CLIP),
                          "--speed", "0", "--ptt", "file"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=60)
    assert out.returncode == 0, out.stderr
    printed = [line for line in out.stdout.splitlines() if line.strip()]
    finals = phone.wait_for(lambda c: [x for x in c.of("caption") if x["isFinal"]])
    assert printed and all(f["text"].startswith("e2e1.") for f in finals)
    opened = [e2e.open_envelope(e2e.parse_key(key), code, f["utteranceId"], f["text"])["text"] for f in finals]
    assert opened == printed and "man" in " ".join(opened).lower(), (opened, printed)
    from ccc.station.__main__ import main

    assert main(["--join-url", f"{hub.url}/r/{code}#k=short", "--name", "X", "--input", str(LIBRIVOX_CLIP)]) == 2
    said = capsys.readouterr().err
    assert "room key" in said and len(said.strip().splitlines()) == 1, said


def test_the_cli_export_with_the_key_reads_back_in_independent_srt_and_webvtt_parsers(hub, client, new_room):
    code, key, _ = new_room("Exported")
    speaker = presenter(hub, client, code, "Dr Export")
    said = ["periwinkle zeppelin sails north", "quokka marzipan for everyone", "walrus tangerine at noon"]
    began = int(time.time() * 1000) - 20_000
    for i, text in enumerate(said):
        times = {"startedAt": began + i * 4_000, "endedAt": began + 3_500 + i * 4_000}
        assert speaker.call("caption", sealed(key, code, f"x{i}", text, **times))["seq"] == i + 1
    fixed = "quokka marmalade for everyone"  # the export holds the corrected final, never the first words
    assert speaker.call("editCaption", {"utteranceId": "x1", "text": sealed(key, code, "x1", fixed)["text"]})["ok"]
    finals = [said[0], fixed, said[2]]

    def export(fmt: str) -> str:
        out = subprocess.run([sys.executable, "-m", "ccc.transcripts", "export", "--hub", hub.url, "--room", code,
                              "--key", key, "--format", fmt], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stderr == "", out.stderr
        return out.stdout

    subtitles = list(srt.parse(export("srt")))
    assert " ".join(s.content for s in subtitles).split() == ("Dr Export: " + " ".join(finals)).split()
    assert all(a.end <= b.start for a, b in zip(subtitles, subtitles[1:]))
    cues = list(webvtt.from_buffer(io.StringIO(export("vtt")), strict=True))
    assert " ".join(html.unescape(c.text) for c in cues).split() == " ".join(finals).split()
    assert {c.voice for c in cues} == {"Dr Export"}


def test_a_caption_the_hub_stored_in_the_clear_is_flagged_not_shown_as_said(hub, client, new_room):
    code, key, _ = new_room("Forged")
    speaker = presenter(hub, client, code, "Dr Real")
    assert speaker.call("caption", sealed(key, code, "real1", "periwinkle zeppelin sails north"))["ok"]
    assert speaker.call("caption", sealed(key, code, "real2", "quokka marzipan for everyone"))["ok"]
    # What a hub (or whoever holds its database) could do: write words of its own in the clear.
    import sqlite3  # noqa: PLC0415 - only this test opens the database behind the hub's back

    with sqlite3.connect(hub.db_path) as conn:
        conn.execute("UPDATE captions SET text = ? WHERE utterance_id = ?", ("The exam is cancelled.", "real2"))
    key_file = Path(hub.db_path).parent / f"{code}.key"
    key_file.write_text(key + "\n")
    out = subprocess.run([sys.executable, "-m", "ccc.transcripts", "export", "--hub", hub.url, "--room", code,
                          "--key-file", str(key_file), "--format", "txt"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    # Before: exit 0, no warning, and "The exam is cancelled." in the transcript as if Dr Real said it.
    assert out.returncode == 1 and "1 captions were not sealed with the room key" in out.stderr, out.stderr
    assert "exam is cancelled" not in out.stdout and "[not from this room]" in out.stdout
    assert "periwinkle zeppelin sails north" in out.stdout
