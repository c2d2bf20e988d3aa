"""Transcripts end to end: captions stored through a real hub over sockets, downloaded over HTTP, read back."""
from __future__ import annotations

import html
import io
import json
import re
import sqlite3
import threading
import time
import uuid

import docx
import pytest
import requests
import srt
import webvtt

from ccc.hub import create_app
from ccc.hub.rules import rooms
from ccc.transcripts import CONTENT_TYPES, FORMATS
from config import TestConfig
from hubkit import Client, Hub

PIN = "2468"
SAID = [
    "Good morning, today we study light.",
    "안녕하세요 여러분 오늘은 빛을 배웁니다",
    "Is <b>this</b> on the exam? Tom & Jerry",
    "Yes, shredding its cat is on the exam.",
]
FIXED = "Yes, Schrödinger's cat is on the exam."


def squeeze(text: str) -> str:
    """Remove all whitespace, so text cut into subtitle lines compares equal to the original."""
    return "".join(text.split())


def say(presenter, text: str, words: bool = False) -> str:
    """Send a final with times (and word timings if asked); return its utteranceId."""
    utterance_id = uuid.uuid4().hex
    start = time.time() * 1000 - 2000
    payload = {"utteranceId": utterance_id, "text": text, "isFinal": True, "startedAt": start,
               "endedAt": start + 1500}
    if words:
        tokens = text.split()
        payload["words"] = [{"word": w, "start": start + i * 300, "end": start + i * 300 + 250, "conf": 0.9}
                            for i, w in enumerate(tokens)]
    ack = presenter.call("caption", payload)
    assert ack["ok"], ack
    return utterance_id


def stored(hub, code: str) -> list[dict]:
    """Return the captions the hub's database holds for a room, in seq order, with their revisions."""
    with sqlite3.connect(hub.db_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute(
            "SELECT c.*, s.number FROM captions c JOIN sessions s ON s.id = c.session_id JOIN rooms r "
            "ON r.id = c.room_id WHERE r.code = ? ORDER BY c.seq", (code,))]
        for row in rows:
            row["revisions"] = [dict(r) for r in conn.execute(
                "SELECT rev, edited_by, before, after FROM caption_revisions WHERE caption_id = ? ORDER BY rev",
                (row["id"],))]
    return rows


def download(hub, code: str, fmt: str, **params) -> requests.Response:
    """Download a transcript over HTTP and check its headers."""
    response = requests.get(f"{hub.url}/r/{code}/transcript.{fmt}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == CONTENT_TYPES[fmt]
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="[a-z0-9-]+-{code}(-session-\d+)?\.{fmt}"', disposition)
    return response


class Site:
    """One hub for this module, rooms made in-process in its database, and the `flask` commands run in-process."""

    def __init__(self, workdir, template_db):
        self.hub = Hub(workdir, template_db)
        self.app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{self.hub.db_path}")
        self.clients: list[Client] = []

    def room(self, title: str, pin: str | None = None, save: bool = True, code: str | None = None) -> str:
        """Create a room (as `rooms create` does) and return its code."""
        with self.app.app_context():
            return rooms.create_room(title, code=code, pin=pin, saving=save).code

    def flask(self, *args: str) -> str:
        """Run a `flask --app app` command against the hub's database and return its output."""
        result = self.app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def client(self, code: str, role: str = "audience", name: str = "", **extra) -> Client:
        """Connect a Socket.IO client and join the room."""
        made = Client(self.hub.url).connect()
        self.clients.append(made)
        made.joined = made.join(code, role, name, **extra)
        assert made.joined["ok"], made.joined
        return made

    def close(self) -> None:
        """Disconnect every client at once, then stop the hub."""
        closers = [threading.Thread(target=c.close) for c in self.clients]
        for t in closers:
            t.start()
        for t in closers:
            t.join()
        self.hub.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, template_db):
    """Start one hub for the module's tests."""
    made = Site(tmp_path_factory.mktemp("transcripts"), template_db)
    made.hub.start()
    yield made
    made.close()


@pytest.fixture(scope="module")
def lecture(site):
    """Return (code, ids) of a PIN room where a presenter spoke and a PIN captioner corrected a caption."""
    code = site.room("Physics 101", pin=PIN)
    presenter = site.client(code, "presenter", "Prof. Kim", pin=PIN)
    assert presenter.call("requestSpeak", {})["granted"]
    audience = site.client(code)
    ids = [say(presenter, text, words=i % 2 == 0) for i, text in enumerate(SAID)]
    captioner = site.client(code, "presenter", "Captioner", pin=PIN)
    ack = captioner.call("editCaption", {"utteranceId": ids[3], "text": FIXED})
    assert ack["ok"], ack
    edited = audience.wait_for("captionEdited")
    assert (edited["text"], edited["editedBy"]) == (FIXED, "Captioner")
    return code, ids


@pytest.fixture
def hub(site):
    """Return the module's hub."""
    return site.hub


def test_every_export_reads_back_as_the_stored_captions_with_corrections(hub, lecture):
    code, ids = lecture
    rows = stored(hub, code)
    texts = [row["text"] for row in rows]
    assert texts == SAID[:3] + [FIXED] and [row["utterance_id"] for row in rows] == ids

    subtitles = list(srt.parse(download(hub, code, "srt").content.decode("utf-8")))
    assert squeeze(" ".join(s.content for s in subtitles)) == squeeze("Prof. Kim: " + " ".join(texts))
    assert all(a.end <= b.start for a, b in zip(subtitles, subtitles[1:]))

    cues = list(webvtt.from_buffer(io.StringIO(download(hub, code, "vtt").text), strict=True))
    assert squeeze(" ".join(html.unescape(c.text) for c in cues)) == squeeze(" ".join(texts))
    assert {c.voice for c in cues} == {"Prof. Kim"}

    document = docx.Document(io.BytesIO(download(hub, code, "docx").content))
    shown = [p.text for p in document.paragraphs if p.text.startswith("Prof. Kim (")]
    assert [line.split("): ", 1)[1] for line in shown] == texts

    plain = download(hub, code, "txt").text
    assert [line.split("Prof. Kim: ", 1)[1] for line in plain.splitlines() if "] Prof. Kim: " in line] == texts
    markdown = download(hub, code, "md").text
    assert "Schrödinger's cat" in markdown and "shredding" not in markdown and "\\<b\\>this\\</b\\>" in markdown
    for fmt in ("txt", "md", "srt", "vtt"):
        assert "shredding" not in download(hub, code, fmt).text


def test_json_keeps_everything_and_the_history(hub, lecture):
    code, _ = lecture
    rows = stored(hub, code)
    doc = download(hub, code, "json").json()
    assert doc["format"] == "ccc-transcript" and doc["room"] == {"code": code, "title": "Physics 101"}
    captions = [c for s in doc["sessions"] for c in s["captions"]]
    for got, row in zip(captions, rows, strict=True):
        assert (got["seq"], got["utteranceId"], got["speakerName"], got["text"]) == (
            row["seq"], row["utterance_id"], row["speaker_name"], row["text"])
        assert got["startedAt"] == row["started_at"] and got["endedAt"] == row["ended_at"]
        assert got["words"] == (json.loads(row["words"]) if row["words"] else None)
    fixed = captions[3]
    assert fixed["originalText"] == SAID[3]
    assert [(r["editedBy"], r["before"], r["after"]) for r in fixed["revisions"]] == [("Captioner", SAID[3], FIXED)]
    assert fixed["revisions"][0]["rev"] == rows[3]["rev"] == 1
    assert len(captions[0]["words"]) == len(SAID[0].split()) and captions[1]["words"] is None


def test_sessions_started_from_the_cli_split_the_export(site, hub):
    code = site.room("Chemistry")
    presenter = site.client(code, "presenter", "Dr. Lee")
    assert presenter.call("requestSpeak", {})["granted"]
    say(presenter, "First lecture, first caption.")
    assert site.flask("sessions", "start", code, "--title", "Acids and bases").strip().splitlines()[-1] == "2"
    say(presenter, "Second lecture begins.")
    say(presenter, "Second lecture goes on.")
    site.flask("sessions", "end", code)
    listing = site.flask("sessions", "list", code)
    assert re.search(r"1 .* 1 captions\s+Chemistry", listing) and re.search(r"2 .* 2 captions\s+Acids", listing)

    first = download(hub, code, "json", session=1).json()
    second = download(hub, code, "json", session=2).json()
    assert [c["text"] for c in first["sessions"][0]["captions"]] == ["First lecture, first caption."]
    assert [c["text"] for c in second["sessions"][0]["captions"]] == ["Second lecture begins.",
                                                                       "Second lecture goes on."]
    assert second["sessions"][0]["title"] == "Acids and bases" and second["sessions"][0]["endedAt"]
    assert [s["number"] for s in download(hub, code, "json").json()["sessions"]] == [1, 2]
    assert download(hub, code, "txt", session=2).headers["Content-Disposition"].endswith(
        f'chemistry-{code}-session-2.txt"')

    out = hub.db_path.parent / "second.srt"
    site.flask("transcripts", "export", code, "--format", "srt", "--session", "2", "-o", str(out))
    assert out.read_bytes() == download(hub, code, "srt", session=2).content


def test_unsaved_room_relays_captions_but_stores_nothing(site, hub):
    code = site.room("Private tutoring", save=False)
    presenter = site.client(code, "presenter", "Tutor")
    assert presenter.call("requestSpeak", {})["granted"]
    audience = site.client(code)
    assert audience.joined["state"]["room"]["saving"] is False
    say(presenter, "This is never written down.")
    assert audience.wait_for("caption")["text"] == "This is never written down."
    with sqlite3.connect(hub.db_path) as conn:
        room_id = conn.execute("SELECT id FROM rooms WHERE code = ?", (code,)).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM captions WHERE room_id = ?", (room_id,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM sessions WHERE room_id = ?", (room_id,)).fetchone()[0] == 0
    assert download(hub, code, "json").json()["sessions"] == []
    page = requests.get(f"{hub.url}/r/{code}/transcript", timeout=10)
    assert page.ok and "does not save transcripts" in page.text


def test_bad_requests_get_clear_errors(site, hub):
    code = site.room("Errors", code="RRSKW")  # letters: a random code may be all digits, with no lower case
    assert requests.get(f"{hub.url}/r/{code}/transcript.pdf", timeout=10).status_code == 404
    assert requests.get(f"{hub.url}/r/{code}/transcript.txt?session=x", timeout=10).status_code == 400
    assert requests.get(f"{hub.url}/r/{code}/transcript.txt?session=9", timeout=10).status_code == 404
    assert requests.get(f"{hub.url}/r/NOPE7/transcript.txt", timeout=10).status_code == 404
    lower = requests.get(f"{hub.url}/r/{code.lower()}/transcript", timeout=10, allow_redirects=False)
    assert lower.status_code == 302 and lower.headers["Location"].endswith(f"/r/{code}/transcript")
    assert set(FORMATS) == {"txt", "md", "srt", "vtt", "json", "docx"}


def test_signed_in_admin_corrects_from_the_transcript_page_connection(site, hub):
    code = site.room("Admin corrects")
    presenter = site.client(code, "presenter", "Speaker")
    assert presenter.call("requestSpeak", {})["granted"]
    utterance = say(presenter, "Teh typo stays until the admin fixes it.")
    web = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get(f"{hub.url}/admin", timeout=10).text).group(1)
    assert web.post(f"{hub.url}/admin/login", data={"csrf_token": token, "password": "test-admin"},
                    timeout=10).ok
    page = web.get(f"{hub.url}/r/{code}/transcript", timeout=10).text
    assert 'data-is-admin="true"' in page
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    admin = Client(hub.url)
    admin.sio.connect(hub.url, transports=["websocket"], headers={"Cookie": cookie}, wait_timeout=10)
    site.clients.append(admin)
    stranger = site.client(code)
    assert stranger.call("editCaption", {"utteranceId": utterance, "text": "no"})["error"]["code"] == "forbidden"
    assert admin.join(code, name="Admin")["ok"]  # as a reader, as the transcript page does: no PIN needed
    assert admin.call("editCaption", {"utteranceId": utterance, "text": "The typo is fixed."})["ok"]
    edited = presenter.wait_for("captionEdited")
    assert (edited["text"], edited["editedBy"]) == ("The typo is fixed.", "Admin")
    assert download(hub, code, "txt").text.count("The typo is fixed.") == 1
