"""The projector page: partials replaced in place by their finals, the join QR code, text never HTML."""
from __future__ import annotations

import requests
import zxingcpp
from playwright.sync_api import expect

ATTACK = "<img src=x onerror=alert(1)>"


def test_partial_is_replaced_in_place_by_its_final(hub, new_page, speaker):
    """A partial shows distinctly, then its final takes the very same line, in the same place."""
    code = hub.create_room("Projector room")
    projector = new_page(f"{hub.url}/r/{code}/projector")
    expect(projector.locator("#conn")).to_have_attribute("data-status", "connected")
    ada = speaker(hub, code)
    expect(projector.locator("#speaker-name")).to_have_text("Dr. Ada Lovelace")
    expect(projector.locator("#speaker-state")).to_have_text("speaking")

    first = ada.say("The mitochondria is the powerhouse of the cell.")
    uid = ada.say("Energy is stored as", final=False)
    line = projector.locator(f'.line[data-utterance="{uid}"]')
    expect(line).to_have_attribute("data-state", "partial")
    expect(line.locator(".text")).to_have_text("Energy is stored as")
    partial_color = line.locator(".text").evaluate("n => getComputedStyle(n).color")
    box = line.bounding_box()
    line.evaluate("n => { n.dataset.mark = 'seen-as-partial'; }")

    ada.say("Energy is stored as ATP.", utterance_id=uid)
    expect(line).to_have_attribute("data-state", "final")
    expect(line.locator(".text")).to_have_text("Energy is stored as ATP.")
    assert line.get_attribute("data-mark") == "seen-as-partial", "the final replaced the partial's element"
    assert line.locator(".text").evaluate("n => getComputedStyle(n).color") != partial_color
    after = line.bounding_box()
    assert abs(after["y"] - box["y"]) < 2 and abs(after["x"] - box["x"]) < 2
    expect(projector.locator(".line")).to_have_count(2)
    expect(projector.locator(f'.line[data-utterance="{first}"]')).to_be_visible()

    ada.say("late partial for a finished utterance", final=False, utterance_id=uid)  # must be ignored
    ada.release()
    expect(projector.locator("#speaker-name")).to_have_text("Waiting for a speaker")
    expect(line.locator(".text")).to_have_text("Energy is stored as ATP.")


def test_settings_and_qr_visibility_are_remembered(hub, new_page):
    """Lines, size, theme and the QR corner are settable from the keyboard and survive a reload."""
    code = hub.create_room("Settings room")
    projector = new_page(f"{hub.url}/r/{code}/projector")
    expect(projector.locator("#join-card")).to_be_visible()
    projector.keyboard.press("q")
    expect(projector.locator("#join-card")).to_be_hidden()
    projector.keyboard.press("s")
    expect(projector.locator("#settings-panel")).to_be_visible()
    projector.select_option("#lines-setting", "2")
    projector.select_option("#size-setting", "xl")
    projector.get_by_label("Yellow on black").check()
    projector.keyboard.press("Escape")
    projector.reload()
    root = projector.locator("html")
    expect(root).to_have_attribute("data-theme", "contrast")
    expect(root).to_have_attribute("data-size", "xl")
    expect(projector.locator("#join-card")).to_be_hidden()
    assert projector.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--stage-lines')") == "2"


def test_qr_code_decodes_to_the_audience_url(hub, new_page, decode_png):
    """The QR code drawn on the projector decodes to the room's audience URL (the public URL, not localhost)."""
    code = hub.create_room("QR room")
    svg = requests.get(f"{hub.url}/r/{code}/qr.svg", timeout=5)
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and b"<script" not in svg.content
    projector = new_page(f"{hub.url}/r/{code}/projector")
    qr = projector.locator("#join-qr")
    expect(qr).to_be_visible()
    projector.wait_for_function("() => document.getElementById('join-qr').complete")
    width, height, pixels = decode_png(qr.screenshot())
    found = zxingcpp.read_barcodes(memoryview(pixels).cast("B", shape=[height, width]))
    assert [b.text for b in found] == [f"{hub.url}/r/{code}"]
    expect(projector.locator("#join-url")).to_contain_text(f"/r/{code}")


def test_markup_in_captions_and_names_shows_as_text(hub, new_page, speaker):
    """A caption or a name made of HTML shows literally on every page and runs nothing."""
    code = hub.create_room("Attack room")
    projector = new_page(f"{hub.url}/r/{code}/projector")
    audience = new_page(f"{hub.url}/r/{code}", viewport={"width": 390, "height": 844})
    expect(audience.locator("#conn")).to_have_attribute("data-status", "connected")
    expect(projector.locator("#conn")).to_have_attribute("data-status", "connected")
    mallory = speaker(hub, code, name='<b onmouseover="alert(2)">Mallory</b>')
    mallory.say(ATTACK + " partial", final=False)
    expect(projector.locator(".line .text")).to_have_text(ATTACK + " partial")
    mallory.say(ATTACK)
    for page in (projector, audience):
        expect(page.get_by_text(ATTACK, exact=True)).to_be_visible()
        assert page.locator("img[src=x], b[onmouseover]").count() == 0
    expect(audience.locator("#speaker-text")).to_have_text('<b onmouseover="alert(2)">Mallory</b> is speaking')
    expect(audience.locator("#announcer")).to_contain_text(ATTACK)
    # new_page fails the test if any dialog opened or any script error happened.
