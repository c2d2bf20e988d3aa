"""A phone that joins late, resumes, pages through a backlog or changes language reads the earlier captions in
its language too; a busy translator gives them in the original at once, and nobody else waits for it.

Real hub (a short page of recent captions, so a catch-up takes two answers), real Socket.IO clients, the real
bundled English -> Portuguese model in the hub's translation worker.
"""
from __future__ import annotations

import threading
import time

import pytest

from hubkit import AdminWeb, Client, Hub

RECENT = 4  # the hub's recent captions, and so its catch-up page
TIMEOUT_S = 1.5  # the hub's backlog deadline
LIVE_TIMEOUT_S = 6.0  # a live final's: the translator works on a busy room's finals this long before skipping

LESSON = ["Please open your books to chapter four.", "The house is white.", "Today we study the water cycle.",
          "Write down your homework for Tuesday.", "The river flows into the sea."]


@pytest.fixture(scope="module")
def hub(tmp_path_factory, template_db):
    """Return one started hub for the module, its translator's model loaded."""
    started = Hub(tmp_path_factory.mktemp("backlog-hub"), template_db, CCC_RECENT_CAPTIONS=str(RECENT),
                  CCC_TRANSLATE_BACKLOG_TIMEOUT_S=str(TIMEOUT_S), CCC_TRANSLATE_TIMEOUT_S=str(LIVE_TIMEOUT_S)).start()
    started.admin = AdminWeb(started.url)  # rooms made over HTTP: a `flask rooms create` takes seconds
    code = new_room(started, "Warm-up")
    teacher = speaker(started, code)
    teacher.call("caption", {"utteranceId": "w", "text": "Good morning, class.", "isFinal": True})
    reader = connected(started)
    assert reader.join(code, "audience")["ok"]
    for _ in range(20):  # the first reader of a language starts the translator and loads its model
        ack = reader.call("setLanguage", {"lang": "pt"})
        if ack["captions"][0]["machineTranslated"]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the translator never answered")
    yield started
    started.stop()


clients = []


@pytest.fixture(autouse=True)
def hang_up():
    """Hang up the clients a test made."""
    yield
    while clients:
        clients.pop().sio.eio.disconnect(abort=True)


def connected(hub):
    """Return a connected client."""
    clients.append(Client(hub.url).connect())
    return clients[-1]


def speaker(hub, code):
    """Return a presenter holding the floor of the room."""
    teacher = connected(hub)
    assert teacher.join(code, "presenter", "Prof")["ok"]
    assert teacher.call("requestSpeak", {})["granted"]
    return teacher


def new_room(hub, title):
    """Create a room as the admin would and return its code."""
    code = "BK" + "".join(c for c in title.upper() if c in "ABCDEFGHJKMNPQRSTUVWXYZ")[:6].ljust(3, "X")
    assert f"Created room {code}" in hub.admin.post("/admin/rooms", {"title": title, "code": code, "saving": "1"}).text
    return code


def lesson(hub, title, texts=LESSON):
    """Return a room in which the teacher has said ``texts`` (finals 1..n) and the teacher."""
    code = new_room(hub, title)
    teacher = speaker(hub, code)
    for i, text in enumerate(texts):
        assert teacher.call("caption", {"utteranceId": f"{title}{i}", "text": text, "isFinal": True})["ok"]
    return code, teacher


def portuguese(captions):
    """Assert every caption is machine-translated into Portuguese from its original; return the texts."""
    for c in captions:
        assert c["machineTranslated"] is True and c["lang"] == "pt", c
        assert c["originalText"] in LESSON and c["text"] != c["originalText"], c
    return [c["text"].lower() for c in captions]


def test_a_late_reader_reads_the_earlier_captions_in_portuguese(hub):
    code, _teacher = lesson(hub, "Late")
    reader = connected(hub)
    state = reader.join(code, "audience", lang="pt")["state"]
    texts = portuguese(state["captions"])
    assert [c["seq"] for c in state["captions"]] == [2, 3, 4, 5]  # the recent ones, in order
    assert "casa" in texts[0] and "água" in texts[1] and "mar" in texts[3], texts
    english = connected(hub).join(code, "audience")["state"]["captions"]
    assert [c["text"] for c in english] == LESSON[1:] and not any("originalText" in c for c in english)


def test_a_resuming_reader_catches_up_in_portuguese_page_by_page(hub):
    code, teacher = lesson(hub, "Resume")
    reader = connected(hub)
    state = reader.join(code, "audience", lang="pt", since=0, sinceRev=0)["state"]
    assert [c["seq"] for c in state["captions"]] == [1, 2, 3, 4] and state["more"] is True
    assert "livros" in portuguese(state["captions"])[0]
    assert teacher.call("editCaption", {"utteranceId": "Resume0", "text": "The river flows into the sea."})["ok"]
    page = reader.call("catchUp", {"since": 4, "sinceRev": 0})
    assert [c["seq"] for c in page["captions"]] == [5] and page["more"] is False
    assert "mar" in portuguese(page["captions"])[0]
    assert [e["seq"] for e in page["edits"]] == [1] and "mar" in portuguese(page["edits"])[0]


def test_changing_language_gives_the_recent_captions_in_the_new_one(hub):
    code, _teacher = lesson(hub, "Switch", LESSON[:3])
    reader = connected(hub)
    assert reader.join(code, "audience")["ok"]
    ack = reader.call("setLanguage", {"lang": "pt"})
    assert ack["lang"] == "pt" and [c["seq"] for c in ack["captions"]] == [1, 2, 3]
    assert "capítulo" in portuguese(ack["captions"])[0]
    back = reader.call("setLanguage", {"lang": None})
    assert back["lang"] == "en" and [c["text"] for c in back["captions"]] == LESSON[:3]
    assert not any(c.get("machineTranslated") for c in back["captions"])


def test_a_busy_translator_gives_the_backlog_in_the_original_and_nobody_waits_for_it(hub):
    def long_text(i: int) -> str:
        return " ".join(f"Student {k} of group {i} reads page {k * 7 + i} of the book about the river."
                        for k in range(40))[:1990]

    long_texts = [long_text(i) for i in range(RECENT)]
    code, teacher = lesson(hub, "Busy", long_texts)
    # Another room, read in Portuguese, talks at length: its live finals go ahead of any backlog and keep the
    # translator busy for LIVE_TIMEOUT_S whatever this machine's pace, so the backlog cannot be done in time.
    crowd = new_room(hub, "Crowd")
    talker = speaker(hub, crowd)
    assert connected(hub).join(crowd, "audience", lang="pt")["ok"]
    for i in range(RECENT, RECENT + 12):
        assert talker.call("caption", {"utteranceId": f"crowd{i}", "text": long_text(i), "isFinal": True})["ok"]
    watcher = connected(hub)
    pings: list[float] = []
    done = threading.Event()

    def ping() -> None:
        while not done.is_set():
            started = time.perf_counter()
            assert watcher.call("ping", {})["ok"]
            pings.append(time.perf_counter() - started)
            time.sleep(0.02)

    pinger = threading.Thread(target=ping)
    pinger.start()
    try:
        reader = connected(hub)
        started = time.monotonic()
        state = reader.join(code, "audience", lang="pt")["state"]
        took = time.monotonic() - started
    finally:
        done.set()
        pinger.join()
    assert took < TIMEOUT_S + 1.0  # the deadline, not the translator's pace
    assert [c["text"] for c in state["captions"]] == long_texts  # not translated in time: the original, marked
    assert all(c["lang"] == "en" and c["machineTranslated"] is False for c in state["captions"])
    assert len(pings) >= 10 and max(pings) < 0.5, pings  # the event loop kept serving everyone else
    teacher.call("caption", {"utteranceId": "after", "text": "The house is white.", "isFinal": True})
    live = reader.wait_for(lambda c: [m for m in c.of("caption") if m["utteranceId"] == "after"], timeout=10)[0]
    assert live["seq"] == RECENT + 1  # the reader is seated in Portuguese all the same
