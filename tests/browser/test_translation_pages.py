"""A phone picks Português: it reads the teacher in Portuguese, marked as machine translation, the original one tap away."""
from __future__ import annotations

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def test_phone_reads_portuguese_with_the_original_one_tap_away(hub, new_page, speaker, axe):
    code = hub.create_room("Literature")
    ada = speaker(hub, code)
    page = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    expect(page.locator("#conn")).to_have_attribute("data-status", "connected")
    page.click("#open-settings")
    picker = page.locator("#caption-lang")
    expect(picker.locator("option")).to_have_text(["English (original)", "Português"])
    picker.select_option("pt")
    page.keyboard.press("Escape")
    page.wait_for_function("window.CCC.audience.readingLang === 'pt'")

    ada.say("Please open your books to chapter four.")
    row = page.locator("#captions li").last
    expect(row.locator(".text")).to_contain_text("capítulo")
    expect(row.locator(".text")).to_have_attribute("lang", "pt")
    original = row.locator(".mt-original")
    expect(original).to_be_hidden()
    expect(row.get_by_role("button", name="Machine translation: show original")).to_be_visible()
    toggle = row.locator(".mt-toggle")
    toggle.focus()
    page.keyboard.press("Enter")  # keyboard, like a switch user or a screen reader
    expect(original).to_be_visible()
    expect(original).to_have_text("Please open your books to chapter four.")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_text("Machine translation: hide original")
    expect(page.locator("#announcer")).to_contain_text("capítulo")
    axe(page)

    page.reload()  # the choice is remembered on the device
    expect(page.locator("#conn")).to_have_attribute("data-status", "connected")
    page.wait_for_function("window.CCC.audience.readingLang === 'pt'")
    ada.say("The house is white.")
    expect(page.locator("#captions li").last.locator(".text")).to_contain_text("casa")

    page.click("#open-settings")
    page.locator("#caption-lang").select_option("")
    page.keyboard.press("Escape")
    page.wait_for_function("window.CCC.audience.readingLang === ''")
    ada.say("Back in English now.")
    last = page.locator("#captions li").last
    expect(last.locator(".text")).to_have_text("Back in English now.")
    expect(last.locator(".mt-toggle")).to_have_count(0)
