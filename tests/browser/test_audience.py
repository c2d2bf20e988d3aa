"""The audience page on a phone: the whole transcript, following the live line, settings, resuming after a drop."""
from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
AT_BOTTOM = "() => { const m = document.getElementById('main'); return m.scrollHeight - m.scrollTop - m.clientHeight < 4; }"


def at_bottom(page) -> bool:
    """Tell whether the transcript is scrolled to its end."""
    return page.evaluate(AT_BOTTOM)


def test_phone_reader_follows_pauses_and_jumps_to_live(hub, new_page, speaker):
    """A late joiner gets everything; scrolling up pauses following; "jump to live" resumes it."""
    code = hub.create_room("Chemistry")
    ada = speaker(hub, code)
    for n in range(1, 31):
        ada.say(f"Line {n}: the reaction releases heat and the flask gets warm.")
    page = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    captions = page.locator("#captions li")
    expect(captions).to_have_count(30)
    expect(captions.first).to_contain_text("Line 1:")
    expect(page.locator("#saving-chip")).to_have_text("Transcript saved")
    page.wait_for_function(AT_BOTTOM)

    ada.say("Line 31: live while following.")
    expect(captions).to_have_count(31)
    page.wait_for_function(AT_BOTTOM)
    expect(page.locator("#announcer")).to_contain_text("Line 31: live while following.")

    page.mouse.move(195, 400)
    page.mouse.wheel(0, -1500)
    expect(page.locator("#jump-live")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-following", "false")
    top = page.evaluate("document.getElementById('main').scrollTop")
    ada.say("Line 32: arrives while the reader looks back.")
    ada.say("Line 33: also arrives.")
    expect(captions).to_have_count(33)
    expect(page.locator("#jump-live")).to_contain_text("2 new")
    assert page.evaluate("document.getElementById('main').scrollTop") == top
    assert not at_bottom(page)

    page.click("#jump-live")
    expect(page.locator("#jump-live")).to_be_hidden()
    page.wait_for_function(AT_BOTTOM)
    ada.say("Line 34: following again.")
    expect(captions).to_have_count(34)
    page.wait_for_function(AT_BOTTOM)


def test_reader_settings_survive_a_reload(hub, new_page, speaker):
    """Text size, theme, font and spacing are remembered on the device."""
    code = hub.create_room("Settings")
    ada = speaker(hub, code)
    ada.say("Remember how I like to read.")
    page = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    text = page.locator("#captions li .text").first
    expect(text).to_have_text("Remember how I like to read.")
    before = float(text.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
    page.click("#open-settings")
    page.click("#size-up")
    page.click("#size-up")
    expect(page.locator("#size-value")).to_have_text("130%")
    page.get_by_label("High contrast").check()
    page.get_by_label("Dyslexia-friendly (OpenDyslexic)").check()
    page.select_option("#spacing", "1.8")
    page.get_by_role("button", name="Done").click()
    bigger = float(text.evaluate("n => parseFloat(getComputedStyle(n).fontSize)"))
    assert bigger > before * 1.25

    page.reload()
    text = page.locator("#captions li .text").first
    expect(text).to_have_text("Remember how I like to read.")
    assert float(text.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) == bigger
    expect(page.locator("html")).to_have_attribute("data-theme", "contrast")
    expect(page.locator("html")).to_have_attribute("data-font", "dyslexic")
    assert "OpenDyslexic" in text.evaluate("n => getComputedStyle(n).fontFamily")
    page.click("#open-settings")
    expect(page.locator("#size-value")).to_have_text("130%")
    expect(page.locator("#spacing")).to_have_value("1.8")
    page.keyboard.press("Escape")
    download = page.get_by_role("link", name="Download the transcript as text")
    expect(download).to_have_attribute("href", f"/r/{code}/transcript.txt")
    transcript = requests.get(hub.url + download.get_attribute("href"), timeout=5)
    assert transcript.ok and "Remember how I like to read." in transcript.text


def test_resume_after_the_hub_restarts_shows_every_final_once(hub, new_page, speaker, client):
    """After the hub goes down and comes back, the page catches up with no gap and no duplicate."""
    code = hub.create_room("Restart")
    ada = speaker(hub, code)
    first = [ada.say(f"Before the outage, line {n}.") for n in range(1, 6)]
    page = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    captions = page.locator("#captions li")
    expect(captions).to_have_count(5)
    expect(page.locator("#conn")).to_have_attribute("data-status", "connected")
    expect(page.locator("#conn-text")).to_have_text(re.compile(r"Connected · \d+ ms"))

    hub.stop()
    expect(page.locator("#conn")).to_have_attribute("data-status", "reconnecting")
    page.context.set_offline(True)  # keep the page away until the room has moved on without it
    expect(page.locator("#conn")).to_have_attribute("data-status", "offline")
    hub.start()
    ada.client.close()
    ada = speaker(hub, code, identity=ada.client.identity())  # the same presenter, back again
    for n in range(6, 11):
        ada.say(f"After the outage, line {n}.")
    ada.edit(first[1], "Before the outage, line 2 (corrected).")
    expect(captions).to_have_count(5)
    page.context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-status", "connected")
    ada.say("After the outage, line 11.")
    expect(captions).to_have_count(11)
    texts = captions.locator(".text").all_text_contents()
    assert texts == (["Before the outage, line 1.", "Before the outage, line 2 (corrected)."]
                     + [f"Before the outage, line {n}." for n in range(3, 6)]
                     + [f"After the outage, line {n}." for n in range(6, 12)])
    seqs = [int(s) for s in captions.evaluate_all("rows => rows.map(r => r.dataset.seq)")]
    assert seqs == sorted(set(seqs)) and len(seqs) == 11
