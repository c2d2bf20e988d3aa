"""Who may read a saved transcript: private rooms need their password; archived rooms need the admin, the
PIN or the password until the admin publishes them. Over a real hub, every download format."""
from __future__ import annotations

import re

import requests

from ccc.hub import create_app
from ccc.transcripts import FORMATS
from config import TestConfig
from hubkit import AdminWeb

PIN = "2468"
PASSWORD = "violet-42x"


def reader(hub, code: str | None = None, secret: str | None = None) -> requests.Session:
    """Return a browser-like session; with a secret, one that proved it at the room's prompt."""
    web = requests.Session()
    if secret:
        page = web.get(f"{hub.url}/r/{code}/transcript", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = web.post(f"{hub.url}/r/{code}/unlock", data={"password": secret, "csrf_token": token}, timeout=10)
        assert answer.status_code == 200, answer.text
    return web


def readable(web: requests.Session, hub, code: str, words: str) -> list[str]:
    """Return the transcript paths this session may read (and that hold the words), of page and downloads."""
    found = []
    for path in ["transcript", *(f"transcript.{fmt}" for fmt in FORMATS)]:
        response = web.get(f"{hub.url}/r/{code}/{path}", timeout=10)
        if response.status_code == 200:
            assert path in ("transcript", "transcript.docx") or words in response.text, path
            found.append(path)
        else:
            assert response.status_code == 404 and words not in response.text, (path, response.status_code)
    return found


def test_private_and_archived_transcripts_need_proof_unless_published(hub, client):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{hub.db_path}", PUBLIC_URL=hub.url)

    def cli(*args: str) -> str:
        result = app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    lecture = cli("rooms", "create", "Lecture", "--pin", PIN).splitlines()[-1]
    private = cli("rooms", "create", "Tutorial", "--password", PASSWORD).splitlines()[-1]
    for code, words, extra in ((lecture, "Archived words.", {"pin": PIN}), (private, "Secret words.",
                                                                              {"password": PASSWORD})):
        presenter = client(hub.url)
        assert presenter.join(code, "presenter", "Prof", **extra)["ok"]
        assert presenter.call("requestSpeak", {})["granted"]
        assert presenter.call("caption", {"utteranceId": code, "text": words, "isFinal": True})["ok"]
    everything = ["transcript", *(f"transcript.{fmt}" for fmt in FORMATS)]
    anyone = reader(hub)
    assert readable(anyone, hub, lecture, "Archived words.") == everything  # open and public: as before
    cli("rooms", "archive", lecture)

    # Nobody without proof reads either room, in any format.
    assert readable(anyone, hub, lecture, "Archived words.") == []
    assert readable(anyone, hub, private, "Secret words.") == []
    # The admin reads both; the PIN opens the archived room, the password the private one.
    admin = AdminWeb(hub.url)
    assert readable(admin.web, hub, lecture, "Archived words.") == everything
    assert readable(admin.web, hub, private, "Secret words.") == everything
    assert readable(reader(hub, lecture, PIN), hub, lecture, "Archived words.") == everything
    assert readable(reader(hub, private, PASSWORD), hub, private, "Secret words.") == everything
    wrong = requests.Session()
    assert wrong.post(f"{hub.url}/r/{lecture}/unlock", data={"password": "9999"}, timeout=10).status_code in (400, 403)

    # Published from /admin: anyone reads; unpublished with the CLI: proof again.
    assert "Publish the transcript" in admin.web.get(f"{hub.url}/admin", timeout=10).text
    assert admin.post(f"/admin/rooms/{lecture}/publish", {"published": "1"}).ok
    assert readable(anyone, hub, lecture, "Archived words.") == everything
    assert "not published" in cli("rooms", "publish", lecture, "--unpublish")
    assert readable(anyone, hub, lecture, "Archived words.") == []
    assert "published: anyone may read" in cli("rooms", "publish", lecture)
    assert readable(anyone, hub, lecture, "Archived words.")[:2] == ["transcript", "transcript.txt"]
    assert "published" in cli("rooms", "list", "--all")

    # /admin changes the password (earlier grants and the old password stop working) and clears it.
    granted = reader(hub, private, PASSWORD)
    assert "Change password" in admin.web.get(f"{hub.url}/admin", timeout=10).text
    assert admin.post(f"/admin/rooms/{private}/password", {"password": "new-pass-77"}).ok
    assert readable(granted, hub, private, "Secret words.") == []
    assert readable(reader(hub, private, "new-pass-77"), hub, private, "Secret words.") == everything
    assert admin.post(f"/admin/rooms/{private}/password", {"password": ""}).ok
    assert readable(anyone, hub, private, "Secret words.") == everything
