"""End-to-end encrypted rooms in Chromium: pages open captions with the key in the link, and say plainly when
they cannot (no key, wrong key), marking a caption that does not open instead of showing garbage.
"""
from __future__ import annotations

import re
import sqlite3
import subprocess

import pytest
import zxingcpp
from playwright.sync_api import expect

from ccc import e2e
from hubkit import Hub

SEALED_CAPTIONS = [("u1", "periwinkle zeppelin"), ("u2", "quokka marzipan"), ("u3", "walrus tangerine")]


@pytest.fixture(scope="module")
def hub(module_hub):
    """Return one started hub for the module."""
    return module_hub


@pytest.fixture
def client(quick_client):
    """Return clients that hang up at once: these tests do not look at departures."""
    return quick_client


@pytest.fixture(scope="module")
def new_room(hub):
    """Return a factory of e2e rooms made in this process on the hub's database; each gets a fresh key."""
    from ccc.hub import create_app
    from ccc.hub.rules.rooms import create_room
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{hub.db_path}")

    def make(title: str) -> tuple[str, str]:
        with app.app_context():
            return create_room(title, e2e=True).code, e2e.new_key()

    return make


def seal(key: str, code: str, uid: str, text: str) -> str:
    return e2e.seal(e2e.parse_key(key), code, uid, text)


def say_sealed(speaker, key: str, code: str, captions=SEALED_CAPTIONS) -> None:
    for uid, text in captions:
        ack = speaker.client.call("caption", {"utteranceId": uid, "text": seal(key, code, uid, text), "isFinal": True})
        assert ack["ok"], ack


def test_audience_and_projector_with_the_key_show_the_words_live_and_corrected(hub, new_room, speaker, new_page):
    code, key = new_room("Seminar")
    presenter = speaker(hub, code)
    say_sealed(presenter, key, code, SEALED_CAPTIONS[:1])
    audience = new_page(f"{hub.url}/r/{code}#k={key}")
    projector = new_page(f"{hub.url}/r/{code}/projector#k={key}")
    expect(audience.locator("#captions")).to_contain_text("periwinkle zeppelin")
    expect(projector.locator("#lines")).to_contain_text("periwinkle zeppelin")
    presenter.client.call("caption", {"utteranceId": "p9", "text": seal(key, code, "p9", "narwhal rising"),
                                      "isFinal": False})
    expect(audience.locator("#partials")).to_contain_text("narwhal rising")
    expect(projector.locator("#lines")).to_contain_text("narwhal rising")
    say_sealed(presenter, key, code, SEALED_CAPTIONS[1:2])
    presenter.edit("u2", seal(key, code, "u2", "quokka marmalade"))
    for page, where in ((audience, "#captions"), (projector, "#lines")):
        expect(page.locator(where)).to_contain_text("quokka marmalade")
        assert "e2e1." not in page.content()
        expect(page.locator("#e2e-problem")).to_have_count(0)
        expect(page.locator("[data-unreadable]")).to_have_count(0)
    expect(audience.locator("#download")).to_have_attribute("href", f"/r/{code}/transcript#k={key}")
    assert audience.evaluate("location.hash") == f"#k={key}"  # the fragment stays in the page...
    reloaded = new_page(f"{hub.url}/r/{code}#k={key}")  # ...and the hub never saw it (see tests/hub/test_e2e.py)
    expect(reloaded.locator("#captions")).to_contain_text("quokka marmalade")


def test_the_projector_draws_a_qr_code_that_carries_the_key_and_hides_the_keyless_one(hub, new_room, new_page,
                                                                                      decode_png):
    code, key = new_room("QR")
    projector = new_page(f"{hub.url}/r/{code}/projector#k={key}")
    qr = projector.locator("svg#join-qr")
    expect(qr).to_be_visible()
    width, height, pixels = decode_png(qr.screenshot())
    found = zxingcpp.read_barcodes(memoryview(pixels).cast("B", shape=[height, width]))
    assert [b.text for b in found] == [f"{hub.url}/r/{code}#k={key}"]
    keyless = new_page(f"{hub.url}/r/{code}/projector")
    expect(keyless.locator("#join-qr")).to_be_hidden()
    expect(keyless.locator("#join-url")).to_have_text("Ask the organiser for this room's link.")


def test_a_page_without_the_key_or_with_the_wrong_key_says_so(hub, new_room, speaker, new_page):
    code, key = new_room("No key")
    say_sealed(speaker(hub, code), key, code)
    bare = new_page(f"{hub.url}/r/{code}")
    alert = bare.locator("#e2e-problem[role=alert]")
    expect(alert).to_contain_text("end-to-end encrypted, and this link has no key")
    expect(bare.locator("#captions [data-unreadable]")).to_have_count(3)
    expect(bare.locator("#captions")).to_contain_text("encrypted caption")
    wrong = new_page(f"{hub.url}/r/{code}/projector#k={e2e.new_key()}")
    expect(wrong.locator("#e2e-problem[role=alert]")).to_contain_text("does not open this room's captions")
    expect(wrong.locator("#lines [data-unreadable]")).to_have_count(3)
    broken = new_page(f"{hub.url}/r/{code}#k={key[:-3]}")
    expect(broken.locator("#e2e-problem[role=alert]")).to_contain_text("not a valid room key")
    for page in (bare, wrong, broken):
        assert "e2e1." not in page.content()
        for _, text in SEALED_CAPTIONS:
            assert text not in page.content()


def test_a_tampered_or_replayed_caption_shows_as_unreadable_and_the_rest_still_open(hub, new_room, speaker,
                                                                                  new_page):
    code, key = new_room("Tampered")
    other, _ = new_room("Other room")  # the same key, so only the binding to the room can tell
    presenter = speaker(hub, code)
    say_sealed(presenter, key, code)
    with sqlite3.connect(hub.db_path) as db:  # flip one byte of a stored ciphertext
        (text,) = db.execute("SELECT text FROM captions WHERE utterance_id = 'u2'").fetchone()
        raw = bytearray(e2e.unb64url(text[5:]))
        raw[-20] ^= 0x01
        db.execute("UPDATE captions SET text = ? WHERE utterance_id = 'u2'", ("e2e1." + e2e.b64url(bytes(raw)),))
        # and words written in the clear, as a changed hub could: before, shown as if the speaker said them
        db.execute("UPDATE captions SET text = 'The exam is cancelled.' WHERE utterance_id = 'u3'")
    replayed = seal(key, code, "u1", "periwinkle zeppelin")
    assert presenter.client.call("caption", {"utteranceId": "u4", "text": replayed, "isFinal": True})["ok"]
    into_other = speaker(hub, other, name="Replayer")
    assert into_other.client.call("caption", {"utteranceId": "u1", "text": replayed, "isFinal": True})["ok"]

    page = new_page(f"{hub.url}/r/{code}#k={key}")
    expect(page.locator("#captions")).to_contain_text("periwinkle zeppelin")
    expect(page.locator("#captions li[data-utterance=u3] .text[data-unreadable=unsealed]")).to_have_text(
        "not from this room")
    expect(page.locator("#captions")).not_to_contain_text("exam is cancelled")
    unreadable = page.locator("#captions .text[data-unreadable=unreadable]")
    expect(unreadable).to_have_count(2)  # u2 (flipped byte) and u4 (another utterance's envelope)
    expect(unreadable.first).to_have_text("unreadable caption")
    expect(page.locator("#captions li[data-utterance=u2] .text")).to_have_text("unreadable caption")
    expect(page.locator("#captions li[data-utterance=u4] .text")).to_have_text("unreadable caption")
    expect(page.locator("#e2e-problem")).to_have_count(0)  # the key is right: only those captions are bad
    in_other = new_page(f"{hub.url}/r/{other}#k={key}")
    expect(in_other.locator("#captions .text[data-unreadable=unreadable]")).to_have_text("unreadable caption")
    expect(in_other.locator("#e2e-problem[role=alert]")).to_contain_text("does not open")


def take_the_floor_and_type(console, text: str) -> None:
    """Join the presenter console under a name, take the floor, type one caption and send it."""
    console.fill("#name", "Casey Captioner")
    console.click("#join-btn")
    console.click("#floor-btn")
    expect(console.locator("#caption-input")).to_be_enabled()
    console.click("#caption-input")
    console.keyboard.type(text)
    console.keyboard.press("Enter")


def test_the_presenter_console_with_the_key_seals_what_it_types_and_corrects(hub, new_room, new_page, client):
    code, key = new_room("Console")
    watcher = client(hub.url)
    watcher.join(code)
    audience = new_page(f"{hub.url}/r/{code}#k={key}")
    console = new_page(f"{hub.url}/r/{code}/present#k={key}")
    take_the_floor_and_type(console, "lighthouse keeper")
    expect(audience.locator("#captions li .text")).to_have_text(["lighthouse keeper"])
    final = watcher.wait_for(lambda c: [m for m in c.of("caption") if m["isFinal"]])[0]
    assert final["text"].startswith("e2e1.") and "lighthouse" not in repr(watcher.events)
    assert e2e.open_envelope(e2e.parse_key(key), code, final["utteranceId"], final["text"])["text"] == "lighthouse keeper"
    console.locator("#recent-list li").first.get_by_role("button", name="Correct").click()
    console.fill("#edit-text", "lighthouse keepers")
    console.keyboard.press("Enter")
    expect(audience.locator("#captions li .text")).to_have_text(["lighthouse keepers"])
    edited = watcher.wait_for("captionEdited")
    assert e2e.open_envelope(e2e.parse_key(key), code, final["utteranceId"], edited["text"])["text"] == \
        "lighthouse keepers"


def test_the_transcript_page_opens_sealed_captions_with_the_key_and_offers_only_the_sealed_json(
        hub, new_room, speaker, new_page):
    code, key = new_room("Transcript")
    say_sealed(speaker(hub, code), key, code)
    page = new_page(f"{hub.url}/r/{code}/transcript#k={key}")
    expect(page.locator("#captions li .text")).to_have_text([text for _, text in SEALED_CAPTIONS])
    expect(page.locator("#downloads a")).to_have_count(1)
    expect(page.locator("#e2e-downloads")).to_contain_text("python -m ccc.transcripts export")
    bare = new_page(f"{hub.url}/r/{code}/transcript")
    expect(bare.locator("#e2e-problem[role=alert]")).to_contain_text("no key")
    expect(bare.locator("#captions li .text[data-unreadable]")).to_have_count(3)
    assert "e2e1." not in bare.content()


def test_the_overlay_opens_sealed_captions_with_the_key_and_never_shows_an_envelope(hub, new_room, speaker, new_page):
    code, key = new_room("Stream")
    say_sealed(speaker(hub, code), key, code)
    keyed = new_page(f"{hub.url}/r/{code}/overlay?lines=3#k={key}")
    expect(keyed.locator("body")).to_contain_text("walrus tangerine")
    bare = new_page(f"{hub.url}/r/{code}/overlay?lines=3")  # an OBS source set up without the key
    expect(bare.locator("body")).to_contain_text("encrypted caption")
    for page in (keyed, bare):
        assert "e2e1." not in page.content()


def test_admin_makes_an_e2e_room_whose_key_is_made_in_the_browser_and_sent_in_no_request(hub, new_page, speaker,
                                                                                         shoot, axe):
    admin = new_page(f"{hub.url}/admin")
    sent: list[str] = []  # every request the page makes: URL, headers and body
    admin.on("request", lambda r: sent.append(" ".join([r.url, repr(r.headers), r.post_data or ""])))
    admin.fill("#password", "test-admin")
    admin.get_by_role("button", name="Sign in").click()
    admin.fill("#new-title", "Board meeting")
    admin.get_by_label("End-to-end encrypted").check()
    admin.get_by_role("button", name="Create room").click()

    panel = admin.locator("#e2e-created")
    expect(panel).to_contain_text("Keep this key now: the hub does not have it.")
    key = panel.locator(".room-key").inner_text()
    code = admin.locator(".admin-room").first.get_attribute("data-code")
    assert len(e2e.parse_key(key)) == 32 and code
    links = panel.locator("a.e2e-link")
    expect(links).to_have_text([f"{hub.url}/r/{code}#k={key}", f"{hub.url}/r/{code}/projector#k={key}",
                                f"{hub.url}/r/{code}/present#k={key}"])
    expect(panel.locator(".e2e-station")).to_have_text(
        f"python -m ccc.station --join-url '{hub.url}/r/{code}#k={key}' --name NAME")
    assert admin.evaluate("location.hash") == ""  # nor does the admin page's own URL keep it
    expect(admin.locator(f'.admin-room[data-code="{code}"] .room-links a').first).to_have_attribute(
        "href", f"/r/{code}#k={key}")
    assert any("/admin/rooms" in r and "e2e=1" in r for r in sent), sent  # the form went, with the box ticked
    assert not [r for r in sent if key in r], "the room key left the browser"
    assert key not in hub.log() and key.encode() not in b"".join(
        p.read_bytes() for p in hub.db_path.parent.glob("hub.sqlite3*"))

    axe(admin)
    shoot(admin, "admin-e2e-room-created")
    projector = new_page(panel.locator("a.e2e-link").nth(1).get_attribute("href"))
    say_sealed(speaker(hub, code), key, code, SEALED_CAPTIONS[:1])
    expect(projector.locator("#lines")).to_contain_text("periwinkle zeppelin")
    expect(projector.locator("#e2e-problem")).to_have_count(0)

    no_script = new_page(f"{hub.url}/admin", java_script_enabled=False)
    no_script.fill("#password", "test-admin")
    no_script.get_by_role("button", name="Sign in").click()
    expect(no_script.get_by_label("End-to-end encrypted")).to_be_disabled()  # no key, no such room


def lan_address() -> str:
    """Return this machine's first non-loopback IPv4 address; fail (never skip) when it has none."""
    found = [a for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=True).stdout.split()
             if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", a) and not a.startswith("127.")]
    assert found, "this machine has no non-loopback IPv4 address: the insecure-context test needs one"
    return found[0]


@pytest.fixture(scope="module")
def lan_hub(tmp_path_factory, template_db):
    """Return a hub listening on every address, opened by its LAN address: http:// there is no secure context."""
    started = Hub(tmp_path_factory.mktemp("e2e-lan"), template_db, CCC_HOST="0.0.0.0")
    started.lan_url = f"http://{lan_address()}:{started.port}"
    started.env["CCC_PUBLIC_URL"] = started.lan_url
    yield started.start()
    started.stop()


def test_over_plain_http_on_a_lan_address_pages_open_and_seal_without_webcrypto(lan_hub, speaker, new_page, client):
    from ccc.hub import create_app
    from ccc.hub.rules.rooms import create_room
    from config import TestConfig

    with create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{lan_hub.db_path}").app_context():
        code, key = create_room("Lab over Wi-Fi", e2e=True).code, e2e.new_key()
    phone = new_page(f"{lan_hub.lan_url}/r/{code}#k={key}", viewport={"width": 390, "height": 844})
    assert phone.evaluate("[window.isSecureContext, typeof crypto.subtle]") == [False, "undefined"]
    presenter = speaker(lan_hub, code)
    say_sealed(presenter, key, code, SEALED_CAPTIONS[:1])
    expect(phone.locator("#captions li .text")).to_have_text(["periwinkle zeppelin"])
    expect(phone.locator("#e2e-problem")).to_have_count(0)
    presenter.release()

    watcher = client(lan_hub.url)
    watcher.join(code)
    console = new_page(f"{lan_hub.lan_url}/r/{code}/present#k={key}")
    assert console.evaluate("window.isSecureContext") is False
    take_the_floor_and_type(console, "lighthouse keeper")
    final = watcher.wait_for(lambda c: [m for m in c.of("caption") if m["isFinal"]])[0]
    assert final["text"].startswith("e2e1.") and "lighthouse" not in repr(watcher.events)
    assert e2e.open_envelope(e2e.parse_key(key), code, final["utteranceId"], final["text"]) == {
        "text": "lighthouse keeper"}
    expect(phone.locator("#captions li .text")).to_have_text(["periwinkle zeppelin", "lighthouse keeper"])


def test_a_caption_that_fails_to_show_does_not_stop_the_ones_after_it(hub, new_room, new_page):
    code, key = new_room("Resilient")
    page = new_page(f"{hub.url}/r/{code}#k={key}")
    shown = page.evaluate("""async ([code, key, sealed]) => {
        const sealer = new CCC.Sealer(code, key);
        const shown = [];
        sealer.openInOrder({ utteranceId: 'u1', text: sealed[0] }, () => { throw new Error('a bug showing it'); });
        for (const [uid, text] of [['u2', sealed[1]], ['u3', sealed[2]]]) {
            const caption = { utteranceId: uid, text };
            await sealer.openInOrder(caption, () => shown.push(caption.text));
        }
        return shown;
    }""", [code, key, [seal(key, code, uid, text) for uid, text in SEALED_CAPTIONS]])
    assert shown == ["quokka marzipan", "walrus tangerine"]  # opened and shown after the one whose display threw
