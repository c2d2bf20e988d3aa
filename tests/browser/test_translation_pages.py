"""A phone picks Português: it reads the teacher in Portuguese, marked as machine translation, the original one tap away."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
# "He was not an ill disposed young man, unless to be rather cold hearted ..." (Sense and Sensibility)
LIBRIVOX_CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")


def until_translated(page, ada, selector: str) -> None:
    """Speak until a translated line shows: the hub's first reader of a language starts the translator's
    process and loads the model, and a final that waits past the timeout (1 s) comes in the original (by design).
    """
    for _ in range(15):
        ada.say("Good morning.")
        try:
            page.wait_for_selector(selector, timeout=2000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: still loading, say it again
            continue
    raise AssertionError("no translated caption after 15 tries")


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
    page.wait_for_function("() => window.CCC && window.CCC.audience && window.CCC.audience.readingLang === 'pt'")
    until_translated(page, ada, "#captions .mt-toggle")

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
    page.wait_for_function("() => window.CCC && window.CCC.audience && window.CCC.audience.readingLang === 'pt'")
    ada.say("The house is white.")
    expect(page.locator("#captions li").last.locator(".text")).to_contain_text("casa")

    page.click("#open-settings")
    page.locator("#caption-lang").select_option("")
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.CCC.audience.readingLang === ''")
    ada.say("Back in English now.")
    last = page.locator("#captions li").last
    expect(last.locator(".text")).to_have_text("Back in English now.")
    expect(last.locator(".mt-toggle")).to_have_count(0)


def test_projector_bilingual_and_overlay_in_portuguese(hub, new_page, speaker):
    code = hub.create_room("Assembly")
    ada = speaker(hub, code)
    projector = new_page(f"{hub.url}/r/{code}/projector?lang=pt&bilingual=1")
    overlay = new_page(f"{hub.url}/r/{code}/overlay?lang=pt")
    english = new_page(f"{hub.url}/r/{code}/projector")
    projector.wait_for_function("() => window.CCC.projector && window.CCC.projector.readingLang === 'pt'")
    overlay.wait_for_function("() => window.CCC.overlay && window.CCC.overlay.readingLang === 'pt'")
    english.wait_for_function("() => window.CCC.projector && window.CCC.projector.joined")
    until_translated(projector, ada, ".line[data-translated=true] .original")
    ada.say("Please open your books to chapter four.")
    line = projector.locator(".line[data-translated=true]").last
    expect(line.locator(".text")).to_contain_text("capítulo")
    expect(line.locator(".original")).to_have_text("Please open your books to chapter four.")
    overlay_line = overlay.locator(".line").last
    expect(overlay_line.locator(".text")).to_contain_text("capítulo")
    expect(overlay_line.locator(".original")).to_have_count(0)
    expect(english.locator(".line .text").last).to_have_text("Please open your books to chapter four.")


def test_a_real_station_reads_english_and_the_phone_reads_portuguese(hub, new_page, speaker, tmp_path):
    """End to end: a LibriVox reading through a real station (Whisper tiny.en) to a phone that picked Português."""
    code = hub.create_room("Reading")
    warmer = speaker(hub, code, name="Warm-up")
    page = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    expect(page.locator("#conn")).to_have_attribute("data-status", "connected")
    page.click("#open-settings")
    page.locator("#caption-lang").select_option("pt")
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.CCC && window.CCC.audience && window.CCC.audience.readingLang === 'pt'")
    until_translated(page, warmer, "#captions .mt-toggle")
    assert warmer.client.call("stopSpeak", {})["ok"]
    env = {**os.environ, "CCC_MODELS_DIR": str(tmp_path / "models"), "CCC_SPOOL": str(tmp_path / "spool.sqlite3")}
    station = subprocess.run(
        [sys.executable, "-m", "ccc.station", "--hub", hub.url, "--room", code, "--name", "Reader",
         "--input", str(LIBRIVOX_CLIP), "--speed", "0", "--ptt", "file"],
        capture_output=True, text=True, env=env, timeout=120)
    assert station.returncode == 0, station.stderr
    said = " ".join(line for line in station.stdout.splitlines() if line.strip())
    assert "young man" in said.lower(), said  # the recognizer heard the reading
    row = page.locator("#captions li", has=page.locator(".who", has_text="Reader")).last
    expect(row.locator(".text")).to_have_attribute("lang", "pt")
    expect(row.locator(".text")).to_contain_text("jovem")  # "young man"
    row.locator(".mt-toggle").click()
    expect(row.locator(".mt-original")).to_be_visible()
    expect(row.locator(".mt-original")).to_contain_text("young man")
