"""A private room in Chromium: the QR link (#p=...) opens it without typing; without it, or with a wrong one,
the page is an accessible password prompt; the projector's QR code and link carry the password."""
from __future__ import annotations

from urllib.parse import quote

import zxingcpp
from playwright.sync_api import expect

from ccc.hub import create_app
from config import TestConfig
from hubkit import AdminWeb

PHONE = {"width": 390, "height": 844}
PASSWORD = "fern-52&x"  # '&' must survive the fragment's encoding


def test_private_room_link_opens_without_typing_and_a_wrong_one_prompts(hub, new_page, speaker, axe, shoot,
                                                                        decode_png):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{hub.db_path}", PUBLIC_URL=hub.url)
    result = app.test_cli_runner().invoke(args=["rooms", "create", "Staff meeting", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1]
    link = f"{hub.url}/r/{code}#p={quote(PASSWORD, safe='')}"
    assert link in result.output
    ada = speaker(hub, code, identity={"password": PASSWORD})
    ada.say("Only for the people in the room.")

    # Scanned from the QR code: the fragment's password opens the page, no typing.
    phone = new_page(link, viewport=PHONE)
    expect(phone.locator("#captions li")).to_contain_text("Only for the people in the room.")
    expect(phone.locator("#conn")).to_have_attribute("data-status", "connected")
    expect(phone.locator("h1")).to_have_text("Staff meeting")
    ada.say("Live to the phone too.")
    expect(phone.locator("#captions li")).to_have_count(2)

    # The projector opened with the link draws its QR code and address with the password in them.
    projector = new_page(f"{hub.url}/r/{code}/projector#p={quote(PASSWORD, safe='')}")
    expect(projector.locator("html")).to_have_attribute("data-qr-password", "true")
    expect(projector.locator("#join-url")).to_contain_text(f"/r/{code}#p={quote(PASSWORD, safe='')}")
    assert projector.locator("#join-qr").get_attribute("src").startswith("data:image/svg+xml")
    projector.wait_for_function("() => document.getElementById('join-qr').complete")
    width, height, pixels = decode_png(projector.locator("#join-qr").screenshot())
    found = zxingcpp.read_barcodes(memoryview(pixels).cast("B", shape=[height, width]))
    assert [b.text for b in found] == [link]  # a phone that scans it opens the room without typing
    expect(projector.locator("#lines")).to_contain_text("Live to the phone too.")

    # A wrong password in the link: a prompt with the error as an alert, nothing of the room.
    wrong = new_page(f"{hub.url}/r/{code}#p=wrong-one", viewport=PHONE)
    expect(wrong.get_by_role("alert")).to_contain_text("not right")
    expect(wrong.get_by_label("Room password")).to_have_attribute("aria-invalid", "true")
    assert "Only for the people" not in wrong.content() and "Staff meeting" not in wrong.content()
    axe(wrong)
    shoot(wrong, "private-room-wrong-password")
    wrong.get_by_label("Room password").fill(PASSWORD)
    wrong.get_by_role("button", name="Open the room").click()
    expect(wrong.locator("#captions li")).to_have_count(2)

    # No password at all: the same prompt, no error yet.
    bare = new_page(f"{hub.url}/r/{code}/projector")
    expect(bare.get_by_label("Room password")).to_be_visible()
    expect(bare.locator("#unlock-error")).to_be_hidden()
    axe(bare)


def test_a_page_reading_when_the_password_is_set_or_changed_asks_for_the_new_one_and_reads_again(hub, new_page,
                                                                                                speaker):
    code = hub.create_room("Open lecture", pin="4821")
    ada = speaker(hub, code, pin="4821")  # proved the PIN: presents on after each change
    ada.say("Said while the room was open.")
    phone = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    expect(phone.locator("#captions li")).to_have_count(1)
    transcript = new_page(f"{hub.url}/r/{code}/transcript")  # the live transcript page reads the room too
    expect(transcript.locator("#conn")).to_have_attribute("data-status", "connected")
    admin = AdminWeb(hub.url)

    admin.post(f"/admin/rooms/{code}/password", {"password": PASSWORD})
    expect(transcript.get_by_role("alert")).to_contain_text("password has changed")
    ada.say("Said once it was private.")  # never reaches the page without the new password
    expect(phone.get_by_label("Room password")).to_be_visible()  # not a stale page that only looks connected
    expect(phone.get_by_role("alert")).to_contain_text("password has changed")
    assert "Said" not in phone.content() and "Open lecture" not in phone.content()
    phone.get_by_label("Room password").fill(PASSWORD)
    phone.get_by_role("button", name="Open the room").click()
    expect(phone.locator("#captions li .text")).to_have_text([
        "Said while the room was open.", "Said once it was private."])
    expect(phone.locator("#conn")).to_have_attribute("data-status", "connected")

    # Opened from the old link (#p=old&k=...): after a change it must not post the old password again, as a
    # roomful of phones doing so would lock the room out for everyone (10 wrong guesses from anywhere).
    scanned = new_page(f"{hub.url}/r/{code}#p={quote(PASSWORD, safe='')}&k=kept", viewport=PHONE)
    expect(scanned.locator("#captions li")).to_have_count(2)
    posted: list[str] = []
    scanned.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    admin.post(f"/admin/rooms/{code}/password", {"password": "new-one-77"})
    expect(scanned.get_by_role("alert")).to_contain_text("password has changed")
    assert scanned.evaluate("location.hash") == "#k=kept" and not posted, posted
    scanned.get_by_label("Room password").fill("new-one-77")
    scanned.get_by_role("button", name="Open the room").click()
    expect(scanned.locator("#captions li")).to_have_count(2)
