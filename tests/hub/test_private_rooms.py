"""Private rooms over a real hub: reading needs the password everywhere, refusals look like a missing room,
guessing is locked out without stalling anyone, and the password never reaches the hub's log."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from rawsocket import RawSocket

from ccc.hub import create_app
from ccc.hub.web.pages import qr_response
from config import TestConfig
from hubkit import ROOT, AdminWeb, Client, assert_checks_do_not_stall_pings, wait_until

PIN = "4821"
PASSWORD = "tulip-7Kq"
LIBRIVOX_CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")
PAGES = ["", "/projector", "/present", "/transcript", "/transcript.txt", "/transcript.json", "/qr.svg"]


@pytest.fixture
def cli(hub):
    """Return a runner of `flask --app app ...` commands on the hub's database, in this process (fast)."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{hub.db_path}", PUBLIC_URL=hub.url)

    def run(*args: str) -> str:
        result = app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run.app = app
    return run


def make_private(hub, cli, title: str = "Seminar", pin: str | None = PIN, password: str = PASSWORD) -> str:
    """Create a private room with the CLI; check it prints the links with the password in the fragment."""
    out = cli("rooms", "create", title, *(["--pin", pin] if pin else []), "--password", password)
    code = out.strip().splitlines()[-1]
    fragment = "#p=" + quote(password, safe="")
    assert f"{hub.url}/r/{code}{fragment}" in out and f"/r/{code}/projector{fragment}" in out
    return code


def refusal(ack: dict) -> str:
    assert ack["ok"] is False, ack
    return ack["error"]["code"]


def same_answer(response: requests.Response, code: str) -> tuple[int, str]:
    """Return a response's status and body with the room code and CSRF token blanked, to compare answers."""
    body = re.sub(r'name="csrf_token" value="[^"]+"', "", response.text).replace(code, "CODE")
    return response.status_code, body


def unlock(web: requests.Session, hub, code: str, password: str) -> requests.Response:
    """Post a password as the prompt page does (with its CSRF token)."""
    page = web.get(f"{hub.url}/r/{code}", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return web.post(f"{hub.url}/r/{code}/unlock", data={"password": password, "csrf_token": token}, timeout=10)


def test_reading_a_private_room_needs_its_password_everywhere(hub, client, cli):
    code = make_private(hub, cli)
    teacher = client(hub.url)
    assert teacher.join(code, "presenter", "Teacher", pin=PIN)["ok"]  # the PIN lets a presenter read too
    assert teacher.call("requestSpeak", {})["granted"]
    assert teacher.call("caption", {"utteranceId": "s1", "text": "Private words.", "isFinal": True})["ok"]

    # Socket.IO: no password, a wrong one, or a wrong PIN get exactly what a code without a room gets.
    stranger = RawSocket(hub.url, source="127.0.0.5")  # its wrong guesses lock out its address alone
    missing = stranger.call("join", {"room": "ZZZZZ", "role": "audience", "password": "guess1"})
    for attempt in ({"role": "audience"}, {"role": "projector"}, {"role": "audience", "password": "guess2"},
                    {"role": "projector", "password": "guess3"}, {"role": "presenter", "pin": "0000"},
                    {"role": "presenter"}):
        ack = stranger.call("join", {"room": code, **attempt})
        assert refusal(ack) == "room_not_found", (attempt, ack)
        assert ack["error"]["message"].replace(code, "ZZZZZ") == missing["error"]["message"]

    # HTTP: every page, download and the QR code answer as for no room at all.
    for path in PAGES:
        refused = requests.get(f"{hub.url}/r/{code}{path}", timeout=10)
        assert same_answer(refused, code) == same_answer(requests.get(f"{hub.url}/r/ZZZZZ{path}", timeout=10),
                                                         "ZZZZZ"), path
        assert refused.status_code == 404 and "Private words" not in refused.text and "Seminar" not in refused.text
    landing = requests.get(f"{hub.url}/", timeout=10).text
    assert code not in landing and "Seminar" not in landing
    assert requests.get(f"{hub.url}/go", params={"code": code}, timeout=10).status_code == 404

    # The right password in the join payload: audience and projector read.
    for role in ("audience", "projector"):
        reader = client(hub.url)
        ack = reader.join(code, role, password=PASSWORD)
        assert ack["ok"], ack
        assert [c["text"] for c in ack["state"]["captions"]] == ["Private words."]
    assert teacher.call("caption", {"utteranceId": "s2", "text": "Second.", "isFinal": True})["ok"]
    reader.wait_for("caption")

    # A browser proves it once (POST, from the #p= fragment or the prompt) and gets a read grant cookie.
    web = requests.Session()
    wrong = unlock(web, hub, code, "not-it-1")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "room_not_found"
    assert unlock(web, hub, code, PASSWORD).json() == {"ok": True}
    for path in PAGES:
        assert web.get(f"{hub.url}/r/{code}{path}", timeout=10).status_code == 200, path
    assert "Second." in web.get(f"{hub.url}/r/{code}/transcript.txt", timeout=10).text
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    granted = Client(hub.url).connect(headers={"Cookie": cookie})  # the page's socket carries the cookie
    try:
        assert granted.join(code, "audience")["ok"]
    finally:
        granted.close()

    # The projector posts the password to get the QR code with it in the fragment; a wrong one gets 404.
    qr = requests.post(f"{hub.url}/r/{code}/qr.svg", data={"password": PASSWORD}, timeout=10)
    with cli.app.test_request_context():
        expected = qr_response(f"{hub.url}/r/{code}#p={PASSWORD}", code).get_data(as_text=True)
    assert qr.status_code == 200 and qr.text == expected
    assert requests.post(f"{hub.url}/r/{code}/qr.svg", data={"password": "nope-123"}, timeout=10).status_code == 404

    # A new password ends earlier grants; clearing it opens the room to all.
    assert "#p=" in cli("rooms", "password", code, "other-pw-9")
    assert web.get(f"{hub.url}/r/{code}", timeout=10).status_code == 404
    assert refusal(client(hub.url).join(code, "audience", password=PASSWORD)) == "room_not_found"
    cli("rooms", "password", code, "--clear")
    assert requests.get(f"{hub.url}/r/{code}", timeout=10).status_code == 200
    assert client(hub.url).join(code, "audience")["ok"]

    time.sleep(0.3)  # let the hub flush its log
    log = hub.log()
    assert "refused 'join'" in log  # refusals are logged, with their reason
    for secret in (PASSWORD, "other-pw-9", "not-it-1", "guess2"):
        assert secret not in log, secret


def guess(sock: RawSocket, code: str, password: str) -> str:
    """Join as audience with this password; return "ok" or the error code."""
    ack = sock.call("join", {"room": code, "role": "audience", "password": password})
    return "ok" if ack["ok"] else ack["error"]["code"]


def in_parallel(jobs) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_password_guessing_is_locked_out_per_address_and_per_room(hub, cli):
    code = make_private(hub, cli, pin=None)
    # One address, four connections in parallel: only a few guesses are checked at all.
    guessers = [RawSocket(hub.url) for _ in range(4)]
    results: list[str] = []
    in_parallel([lambda s=s, i=i: results.extend(guess(s, code, f"guess-{i}-{n}") for n in range(10))
                 for i, s in enumerate(guessers)])
    assert len(results) == 40 and set(results) <= {"room_not_found", "rate_limited"}
    assert results.count("room_not_found") <= 6, results  # without the lockout: all 40
    assert guess(guessers[0], code, PASSWORD) == "rate_limited"  # while locked, not even the right one
    assert guess(RawSocket(hub.url, source="127.0.0.2"), code, PASSWORD) == "ok"
    # Guessing codes counts too, so trying passwords on many codes is no way around it.
    prober = RawSocket(hub.url, source="127.0.0.3")
    assert [guess(prober, f"ZZZZ{c}", "whatever") for c in "ABCDEF"].count("rate_limited") >= 2

    # Many addresses, two guesses each: the room locks out every address that guessed wrong, so each gets
    # one guess; a reader with the password from an address that never guessed still gets in.
    many = [RawSocket(hub.url, source=f"127.0.0.{10 + i}") for i in range(12)]
    results = []
    in_parallel([lambda s=s, i=i: results.extend(guess(s, code, f"many-{i}-{n}") for n in range(2))
                 for i, s in enumerate(many)])
    assert len(results) == 24 and results.count("room_not_found") <= 12, results
    assert guess(RawSocket(hub.url, source="127.0.0.10"), code, PASSWORD) == "rate_limited"
    assert guess(RawSocket(hub.url, source="127.0.0.200"), code, PASSWORD) == "ok"
    other = make_private(hub, cli, "Other", pin=None, password="other-pw-1")
    assert guess(RawSocket(hub.url, source="127.0.0.201"), other, "other-pw-1") == "ok"
    # The HTTP prompt shares the lockout: a locked address is told to wait, nothing is checked.
    web = requests.Session()
    assert web.post(f"{hub.url}/r/{code}/unlock", data={"password": PASSWORD}, timeout=10).status_code in (400, 429)

    # Checking passwords never stalls the others (the same hub: another room, other addresses).
    assert_checks_do_not_stall(hub, make_private(hub, cli, "Busy", pin=None))


def assert_checks_do_not_stall(hub, code: str) -> None:
    """Join a room with its password from six addresses at once while a reader measures its pings."""
    watcher = RawSocket(hub.url, source="127.0.3.1")
    assert guess(watcher, code, PASSWORD) == "ok"

    joiners = [RawSocket(hub.url, source=f"127.0.2.{i}") for i in range(6)]
    assert_checks_do_not_stall_pings(watcher, lambda i: guess(joiners[i], code, PASSWORD) == "ok" or 1 / 0,
                                     len(joiners), "password checks")


def run_station(hub, tmp_path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real station command on a short recorded reading, as fast as it goes; return the finished run."""
    folder = Path(tempfile.mkdtemp(prefix="station", dir=tmp_path))  # stations may run side by side
    station_env = {**os.environ, "CCC_MODELS_DIR": str(folder / "models"), "CCC_SPOOL": str(folder / "spool.db"),
                   "PYTHONUNBUFFERED": "1", **(env or {})}
    if env is None:
        station_env.pop("CCC_ROOM_PASSWORD", None)  # a password in the test runner's environment must not help
    return subprocess.run([sys.executable, "-m", "ccc.station", *args, "--engine", "pocketsphinx",
                           "--input", str(LIBRIVOX_CLIP), "--speed", "0", "--ptt", "file"], cwd=ROOT,
                          capture_output=True, text=True, env=station_env, timeout=60)


def test_the_station_joins_a_private_room_with_its_password_from_the_link_or_the_environment(hub, cli, client,
                                                                                           tmp_path):
    password = "fern-52&x"  # '&' and its percent-encoding in the link must survive
    code = make_private(hub, cli, "Lab", pin=None, password=password)
    reader = client(hub.url)
    assert reader.join(code, password=password)["ok"]

    with ThreadPoolExecutor() as pool:  # the refused one at the same time: it never holds the floor
        refusing = pool.submit(run_station, hub, tmp_path, "--hub", hub.url, "--room", code, "--name", "Nopass")
        by_link = run_station(hub, tmp_path, "--join-url", f"{hub.url}/r/{code}#p={quote(password, safe='')}",
                              "--name", "Linked")
        refused = refusing.result()
    assert by_link.returncode == 0, by_link.stderr
    by_env = run_station(hub, tmp_path, "--hub", hub.url, "--room", code, "--name", "Enved",
                         env={"CCC_ROOM_PASSWORD": password})
    assert by_env.returncode == 0, by_env.stderr
    for name, run in (("Linked", by_link), ("Enved", by_env)):  # what each station recognized reached the room
        printed = [line for line in run.stdout.splitlines() if line.strip()]

        def finals_of(c, name=name, count=len(printed)):  # noqa: B008 - bound per loop turn on purpose
            got = [x["text"] for x in c.of("caption") if x["isFinal"] and x["speakerName"] == name]
            return got if len(got) == count else None

        said = reader.wait_for(finals_of)
        assert said == printed and "man" in " ".join(said).lower(), (name, said, printed)

    assert refused.returncode == 2 and "needs its password" in refused.stderr, refused.stderr
    for run in (by_link, by_env, refused):
        assert password not in run.stdout + run.stderr and quote(password, safe="") not in run.stderr


def finals(c: Client) -> list[str]:
    return [m["text"] for m in c.of("caption") if m["isFinal"]]


def test_a_new_password_drops_the_readers_already_connected_on_every_hub_process(redis_url, make_hub, client):
    first = make_hub(CCC_MESSAGE_QUEUE=redis_url)
    second = make_hub(CCC_MESSAGE_QUEUE=redis_url, CCC_AUTO_MIGRATE="0",
                      CCC_DATABASE_URL=first.env["CCC_DATABASE_URL"])
    code = first.create_room("Open seminar", pin=PIN)
    admin = AdminWeb(first.url)
    teacher = client(first.url)
    assert teacher.join(code, "presenter", "Teacher", pin=PIN)["ok"] and teacher.call("requestSpeak", {})["granted"]
    readers = [client(first.url), client(second.url), client(second.url)]
    for reader, role in zip(readers, ("audience", "audience", "projector")):
        assert reader.join(code, role)["ok"]
    admins_page = Client(second.url).connect(headers={"Cookie": admin.cookie()})  # the admin's own projector
    try:
        assert admins_page.join(code, "projector")["ok"]
        assert teacher.call("caption", {"utteranceId": "b1", "text": "Before.", "isFinal": True})["ok"]
        for c in (*readers, admins_page):
            c.wait_for(lambda c: finals(c) == ["Before."])

        page = admin.post(f"/admin/rooms/{code}/password", {"password": PASSWORD})
        assert "3 connected were asked for it" in page.text and PASSWORD not in page.text
        for reader in readers:  # told why, then dropped, on either process
            assert "password" in reader.wait_for("roomLocked")["message"]
            wait_until(lambda r=reader: not r.sio.connected, lambda: "a locked-out reader is still connected")
        assert teacher.call("caption", {"utteranceId": "a1", "text": "After.", "isFinal": True})["ok"]
        admins_page.wait_for(lambda c: finals(c) == ["Before.", "After."])  # the admin reads on
        assert teacher.sio.connected and not teacher.of("roomLocked")  # so does the presenter with the PIN
        assert all(finals(reader) == ["Before."] for reader in readers)
        back = client(second.url)
        assert refusal(back.join(code)) == "room_not_found"
        assert [c["text"] for c in back.join(code, password=PASSWORD)["state"]["captions"]] == ["Before.", "After."]
    finally:
        admins_page.close()


def test_the_password_prompt_checks_a_pin_under_the_pins_own_lockout(hub, cli):
    code = make_private(hub, cli, "Shared lockout")
    guesser = RawSocket(hub.url)  # the same address as the browser below
    for n in range(20):
        if refusal(guesser.call("join", {"room": code, "role": "presenter", "name": "Eve",
                                         "pin": f"{n:04d}"})) == "rate_limited":
            break
    else:
        raise AssertionError("PIN guessing over Socket.IO was never locked out")
    for i in range(8):  # helpers on other addresses lock the room's PIN out for 10 s: this address guessed
        helper = RawSocket(hub.url, source=f"127.0.0.{60 + i}")
        helper.call("join", {"room": code, "role": "presenter", "name": "Eve", "pin": f"9{i:03d}"})
    # Before: the prompt took the PIN under a lockout counter of its own, doubling the guesses, and let
    # this address in (200) while its socket joins were locked out.
    assert unlock(requests.Session(), hub, code, PIN).status_code == 429
