"""The transcript page: pick a session, read it, search it, and correct it live with the room PIN."""
from __future__ import annotations

from playwright.sync_api import expect

PIN = "8642"
SAID = [
    "Cells are the basic unit of life.",
    "The mitochondria is the powerhouse of the cell.",
    "Ribosomes build proteins from <amino> acids & more.",
]


def test_pin_presenter_reads_searches_and_corrects_live(hub, new_page, speaker, client, axe, shoot):
    """Captions are listed with speakers; search filters them; a PIN correction reaches every page and client."""
    code = hub.create_room("Biology", pin=PIN)
    ada = speaker(hub, code, "Dr. Ada", pin=PIN)
    ids = [ada.say(text) for text in SAID]
    audience = client(hub.url)
    assert audience.join(code)["ok"]

    reader = new_page(f"{hub.url}/r/{code}/transcript")
    page = new_page(f"{hub.url}/r/{code}/transcript")
    captions = page.locator("#captions li.cap")
    expect(captions).to_have_count(3)
    for item, text in zip(captions.all(), SAID):
        expect(item.locator(".text")).to_have_text(text)
        expect(item.locator(".who")).to_contain_text("Dr. Ada")
    expect(page.locator("#session option")).to_have_count(1)
    expect(page.locator("#downloads a[data-format=srt]")).to_have_attribute(
        "href", f"/r/{code}/transcript.srt?session=1")
    axe(page)

    page.fill("#search", "MITOCHONDRIA")
    expect(captions.locator("visible=true")).to_have_count(1)
    expect(page.locator("#match-count")).to_contain_text("1 of 3 captions match")
    page.fill("#search", "")
    expect(captions.locator("visible=true")).to_have_count(3)

    expect(page.locator(".edit-btn")).to_have_count(0)
    page.fill("#editor-name", "Captioner")
    page.fill("#pin", "0000")
    page.click("#unlock-btn")
    expect(page.locator("#unlock-error")).to_be_visible()
    page.fill("#pin", PIN)
    page.click("#unlock-btn")
    expect(page.locator(".edit-btn")).to_have_count(3)

    second = captions.nth(1)
    second.locator(".edit-btn").click()
    second.locator(".edit-text").fill("The mitochondrion is the powerhouse of the cell.")
    second.get_by_role("button", name="Save").click()
    expect(second.locator(".text")).to_have_text("The mitochondrion is the powerhouse of the cell.")
    expect(second.locator(".edited")).to_contain_text("corrected")
    shoot(page, "transcript-desktop")

    edited = audience.wait_for("captionEdited")
    assert edited["utteranceId"] == ids[1] and edited["editedBy"] == "Captioner"
    assert edited["text"] == "The mitochondrion is the powerhouse of the cell."
    expect(reader.locator("#captions li.cap").nth(1).locator(".text")).to_have_text(
        "The mitochondrion is the powerhouse of the cell.")

    ada.say("Live captions join the running session.")
    expect(reader.locator("#captions li.cap")).to_have_count(4)
