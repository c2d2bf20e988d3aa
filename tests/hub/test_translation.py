"""Readers choose a language: finals reach them translated once per language, the original stays one field away.

Real hub, real Socket.IO clients, the real bundled English -> Portuguese model in the hub's translation worker.
"""
from __future__ import annotations

import time

import pytest
import requests


@pytest.fixture(scope="module")
def hub(module_hub):
    """Return one started hub for the module."""
    return module_hub


@pytest.fixture
def client(quick_client):
    """Return clients that hang up at once: these tests do not look at departures."""
    return quick_client


def finals(c, lang=None):
    """Return the finals a client received (in ``lang`` when given)."""
    return [m for m in c.of("caption") if m["isFinal"] and (lang is None or m.get("lang") == lang)]


def teacher_in(hub, client, code):
    """Return a presenter holding the floor of the room."""
    teacher = client(hub.url)
    assert teacher.join(code, "presenter", "Prof")["ok"]
    assert teacher.call("requestSpeak", {})["granted"]
    return teacher


def warm_up(teacher, reader) -> None:
    """Speak until a final reaches the reader translated: the first reader of a language starts the translator's
    process and loads its model, and a final that waits past the timeout (1 s) comes in the original by design.
    """
    for i in range(15):
        teacher.call("caption", {"utteranceId": f"warm{i}", "text": "Good morning.", "isFinal": True})
        try:
            reader.wait_for(lambda c, i=i: [m for m in finals(c) if m["utteranceId"] == f"warm{i}"], timeout=5)
        except AssertionError:
            continue
        if [m for m in finals(reader, "pt") if m["utteranceId"] == f"warm{i}"]:
            return
    raise AssertionError("no translated final after 15 tries")


def test_portuguese_reader_gets_portuguese_english_reader_the_original(hub, client):
    code = hub.create_room("Biology")
    pt = client(hub.url)
    ack = pt.join(code, "audience", lang="pt")
    assert ack["ok"], ack
    assert {"code": "pt", "name": "Português"} in ack["state"]["room"]["languages"]
    assert ack["state"]["room"]["lang"] == "en"
    en = client(hub.url)
    assert en.join(code, "audience")["ok"]
    teacher = teacher_in(hub, client, code)
    warm_up(teacher, pt)
    en.events.clear()
    pt.events.clear()
    text = "Please open your books to chapter four."
    assert teacher.call("caption", {"utteranceId": "u1", "text": text, "isFinal": True})["ok"]

    got = pt.wait_for(lambda c: finals(c, "pt"), timeout=20)[0]
    assert got["originalText"] == text and got["machineTranslated"] is True
    words = got["text"].lower()
    assert "livros" in words and "capítulo" in words, got["text"]
    assert got["utteranceId"] == "u1"
    assert got["seq"] == en.wait_for(lambda c: finals(c))[0]["seq"]  # the same caption, the same place
    time.sleep(0.5)  # the translation, had it been sent to everyone, would be here by now
    assert [m["text"] for m in finals(en)] == [text] and "originalText" not in finals(en)[0]
    assert len(finals(pt)) == 1  # the Portuguese reader does not get the original final as well
    assert [m["text"] for m in finals(teacher) if m["utteranceId"] == "u1"] == [text]


def test_set_language_moves_a_reader_and_corrections_are_translated(hub, client):
    code = hub.create_room("Physics")
    reader = client(hub.url)
    assert reader.join(code, "audience")["ok"]
    moved = reader.call("setLanguage", {"lang": "pt"})
    assert moved["ok"] and moved["lang"] == "pt" and moved["captions"] == []  # nothing said yet
    teacher = teacher_in(hub, client, code)
    warm_up(teacher, reader)
    assert teacher.call("caption", {"utteranceId": "e1", "text": "The cat is black.", "isFinal": True})["ok"]
    reader.wait_for(lambda c: [m for m in finals(c, "pt") if m["utteranceId"] == "e1"], timeout=20)
    assert teacher.call("editCaption", {"utteranceId": "e1", "text": "The house is white."})["ok"]
    edit = reader.wait_for(lambda c: [m for m in c.of("captionEdited") if m.get("lang") == "pt"], timeout=20)[0]
    assert "casa" in edit["text"].lower() and "branca" in edit["text"].lower(), edit
    assert edit["originalText"] == "The house is white." and edit["rev"] >= 1
    assert len(reader.of("captionEdited")) == 1

    back = reader.call("setLanguage", {"lang": None})
    assert back["ok"] and back["lang"] == "en"
    assert teacher.call("caption", {"utteranceId": "e2", "text": "Back to English.", "isFinal": True})["ok"]
    back = reader.wait_for(lambda c: [m for m in finals(c) if m["utteranceId"] == "e2"])[0]
    assert back["text"] == "Back to English." and "lang" not in back


def test_unknown_or_malformed_language_is_refused_and_changes_nothing(hub, client):
    code = hub.create_room("Chemistry")
    reader = client(hub.url)
    refused = reader.join(code, "audience", lang="xx")
    assert refused["error"]["code"] == "bad_request"
    assert "xx" in refused["error"]["message"] and "available: pt" in refused["error"]["message"]
    assert reader.call("setLanguage", {"lang": "pt"})["error"]["code"] == "not_joined"
    assert reader.join(code, "audience")["ok"]
    assert reader.call("setLanguage", {"lang": "de"})["error"]["code"] == "bad_request"
    assert reader.call("setLanguage", {"lang": "<script>"})["error"]["code"] == "bad_request"
    assert reader.call("setLanguage", {"lang": "p" * 40})["error"]["code"] == "too_large"
    teacher = teacher_in(hub, client, code)
    assert teacher.call("caption", {"utteranceId": "c1", "text": "Water boils.", "isFinal": True})["ok"]
    assert reader.wait_for(lambda c: finals(c))[0]["text"] == "Water boils."  # still reading the original


def test_a_flooded_translator_gives_the_original_at_once(make_hub, client):
    hub = make_hub(CCC_TRANSLATE_QUEUE="0")  # every final finds the queue full
    code = hub.create_room("Flood")
    reader = client(hub.url)
    assert reader.join(code, "audience", lang="pt")["ok"]
    teacher = teacher_in(hub, client, code)
    sent = time.monotonic()
    for i in range(5):
        assert teacher.call("caption", {"utteranceId": f"f{i}", "text": f"Sentence {i}.", "isFinal": True})["ok"]
    got = reader.wait_for(lambda c: len(finals(c)) == 5 and finals(c), timeout=10)
    assert time.monotonic() - sent < 3
    assert [m["text"] for m in got] == [f"Sentence {i}." for i in range(5)]
    assert all(m["lang"] == "en" and m["machineTranslated"] is False for m in got)


def test_export_in_portuguese_is_marked_and_the_original_stays_the_record(hub, client):
    code = hub.create_room("Geography")
    teacher = teacher_in(hub, client, code)
    for i, text in enumerate(["Please open your books to chapter four.", "The house is white."]):
        assert teacher.call("caption", {"utteranceId": f"x{i}", "text": text, "isFinal": True})["ok"]
    srt = requests.get(f"{hub.url}/r/{code}/transcript.srt?lang=pt", timeout=30)
    assert srt.status_code == 200, srt.text
    assert "capítulo" in srt.text and "casa" in srt.text and "chapter" not in srt.text
    assert srt.headers["Content-Language"] == "pt" and srt.headers["X-Machine-Translated"] == "en -> pt"
    assert ".pt.srt" in srt.headers["Content-Disposition"]
    vtt = requests.get(f"{hub.url}/r/{code}/transcript.vtt?lang=pt", timeout=30).text
    assert vtt.startswith("WEBVTT\n\nNOTE machine translation into Português (pt)")
    txt = requests.get(f"{hub.url}/r/{code}/transcript.txt?lang=pt", timeout=30).text
    assert txt.splitlines()[0] == ("Geography (machine translation into Português (pt); the original English "
                                   "transcript is the record)")
    doc = requests.get(f"{hub.url}/r/{code}/transcript.json?lang=pt", timeout=30).json()
    assert doc["translation"]["lang"] == "pt" and doc["translation"]["machineTranslated"] is True
    original = requests.get(f"{hub.url}/r/{code}/transcript.srt", timeout=30).text
    assert "The house is white." in original and "chapter" in original and "capítulo" not in original
    for bad in ("xx", "<b>", "p" * 50):
        refused = requests.get(f"{hub.url}/r/{code}/transcript.srt", params={"lang": bad}, timeout=30)
        assert refused.status_code == 400, (bad, refused.status_code)


def test_an_e2e_room_offers_no_translation(hub, client):
    out = hub.flask("rooms", "create", "Sealed", "--e2e")
    code = out.strip().splitlines()[-1]
    reader = client(hub.url)
    refused = reader.join(code, "audience", lang="pt")
    assert refused["error"] == {"code": "bad_request",
                                "message": "translation is not available in an end-to-end encrypted room"}
    ack = reader.join(code, "audience")
    assert ack["ok"] and ack["state"]["room"]["languages"] == [] and ack["state"]["room"]["e2e"] is True
    assert reader.call("setLanguage", {"lang": "pt"})["error"]["code"] == "bad_request"
    assert reader.call("setLanguage", {"lang": None}) == {"ok": True, "lang": "en"}
    srt = requests.get(f"{hub.url}/r/{code}/transcript.json?lang=pt", timeout=30)
    assert srt.status_code == 400 and "end-to-end" in srt.text
