"""The presenter console: PIN, contending for the floor, push-to-talk typing, correcting one's own lines."""
from __future__ import annotations

import time

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def join(page, name: str, pin: str | None = None) -> None:
    """Fill in the join form and wait for the console."""
    page.fill("#name", name)
    if pin is not None:
        page.fill("#pin", pin)
    page.click("#join-btn")


def test_two_presenters_contend_and_the_loser_sees_who_holds_the_floor(hub, new_page):
    """One presenter gets the floor; the other is refused, told who has it, and cannot type until it is free."""
    code = hub.create_room("Debate", pin="2468")
    alice = new_page(f"{hub.url}/r/{code}/present")
    bob = new_page(f"{hub.url}/r/{code}/present")
    join(alice, "Alice", "0000")
    expect(alice.locator("#join-error")).to_contain_text("PIN is not right")
    join(alice, "Alice", "2468")
    join(bob, "Bob", "2468")
    expect(alice.locator("#console")).to_be_visible()
    expect(bob.locator("#people-list")).to_contain_text("Alice")

    alice.click("#floor-btn")
    expect(alice.locator("#floor-state")).to_contain_text("You have the floor")
    expect(alice.locator("#floor-btn")).to_have_attribute("aria-pressed", "true")
    expect(alice.locator("#caption-input")).to_be_enabled()
    expect(bob.locator("#floor-state")).to_have_text("Alice has the floor. Wait until they finish.")
    expect(bob.locator("#caption-input")).to_be_disabled()

    bob.locator("#floor-title").focus()
    bob.keyboard.press("Space")  # asks the hub anyway: refused, naming the holder
    expect(bob.locator("#floor")).to_have_attribute("data-floor", "taken")
    expect(bob.locator("#floor-state")).to_contain_text("Alice has the floor")
    expect(bob.locator("#caption-input")).to_be_disabled()

    alice.click("#floor-btn")
    expect(bob.locator("#floor-state")).to_have_text("The floor is free.")
    bob.click("#floor-btn")
    expect(bob.locator("#floor-state")).to_contain_text("You have the floor")
    expect(alice.locator("#floor-state")).to_contain_text("Bob has the floor")


def test_holding_the_key_sends_typed_captions_to_the_audience(hub, new_page):
    """Hold Space, type (partials while typing), Enter sends a final; the audience sees both; key up releases."""
    code = hub.create_room("Typing")
    audience = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    page = new_page(f"{hub.url}/r/{code}/present")
    join(page, "Casey Captioner")
    expect(page.locator("#floor-state")).to_have_text("The floor is free.")
    expect(page.locator("#caption-input")).to_be_disabled()

    page.keyboard.down("Space")
    expect(page.locator("#floor-state")).to_contain_text("You have the floor")
    expect(audience.locator("#speaker-text")).to_have_text("Casey Captioner is speaking")
    page.click("#caption-input")
    page.keyboard.type("Photosynthesis turns light into sugar", delay=15)
    expect(audience.locator("#partials .partial .text")).to_contain_text("Photosynthesis")
    page.keyboard.press("Enter")
    expect(audience.locator("#captions li .text")).to_have_text(["Photosynthesis turns light into sugar"])
    expect(audience.locator("#partials .partial")).to_have_count(0)
    expect(page.locator("#caption-input")).to_have_value("")
    page.keyboard.type("and oxygen.")
    page.keyboard.press("Enter")
    expect(audience.locator("#captions li .text")).to_have_text(
        ["Photosynthesis turns light into sugar", "and oxygen."])
    page.keyboard.up("Space")
    expect(page.locator("#floor-state")).to_have_text("The floor is free.")
    expect(audience.locator("#speaker-text")).to_have_text("Nobody is speaking")

    # Correct one's own line in place; the audience sees the correction.
    first = page.locator("#recent-list li").first
    first.get_by_role("button", name="Correct").click()
    page.fill("#edit-text", "Photosynthesis turns light into sugar,")
    page.keyboard.press("Enter")
    expect(page.locator("#recent-list li .text").first).to_have_text("Photosynthesis turns light into sugar,")
    expect(audience.locator("#captions li .text").first).to_have_text("Photosynthesis turns light into sugar,")


def test_partials_are_throttled_to_three_a_second(hub, new_page, client):
    """Fast typing sends at most about three partials a second."""
    code = hub.create_room("Throttle")
    watcher = client(hub.url)
    watcher.join(code, "audience")
    page = new_page(f"{hub.url}/r/{code}/present")
    join(page, "Speedy")
    page.click("#floor-btn")
    expect(page.locator("#caption-input")).to_be_enabled()
    began = time.monotonic()
    page.keyboard.type("abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz", delay=20)  # about 1.1 s of typing
    page.keyboard.press("Enter")
    typed_s = time.monotonic() - began  # longer on a busy machine: each key press is a round trip to Chromium
    watcher.wait_for(lambda c: [m for m in c.of("caption") if m["isFinal"]])
    partials = [m for m in watcher.of("caption") if not m["isFinal"]]
    # One per keystroke unthrottled (54); throttled, three a second of typing plus the first and the last.
    assert 2 <= len(partials) <= 3 * typed_s + 2, (len(partials), typed_s)


def test_a_chosen_key_in_toggle_mode_takes_and_releases_the_floor_and_is_remembered(hub, new_page):
    """Change the key to F8 and the mode to toggle: F8 takes the floor, F8 again frees it; a reload keeps both."""
    code = hub.create_room("Pedal")
    page = new_page(f"{hub.url}/r/{code}/present")
    join(page, "Pat Pedal")
    expect(page.locator("#floor-state")).to_have_text("The floor is free.")
    page.click(".key-settings summary")
    page.check("input[name=mode][value=toggle]")
    expect(page.locator("#key-hint")).to_have_text("Or press Space to take the floor and again to release it.")
    page.click("#key-change")
    expect(page.locator("#key-capture")).to_be_visible()
    page.keyboard.press("F8")
    expect(page.locator("#key-name")).to_have_text("F8")
    expect(page.locator("#key-capture")).to_be_hidden()
    expect(page.locator("#key-hint")).to_have_text("Or press F8 to take the floor and again to release it.")

    page.locator("#floor-title").focus()  # not in a field: the key is the console's
    page.keyboard.press("F8")
    expect(page.locator("#floor-state")).to_contain_text("You have the floor")
    page.keyboard.press("F8")
    expect(page.locator("#floor-state")).to_have_text("The floor is free.")

    page.reload()
    join(page, "Pat Pedal")
    expect(page.locator("#floor-state")).to_have_text("The floor is free.")  # joined: the key is live
    expect(page.locator("#key-hint")).to_have_text("Or press F8 to take the floor and again to release it.")
    page.locator("#floor-title").focus()
    page.keyboard.press("F8")
    expect(page.locator("#floor-state")).to_contain_text("You have the floor")


def test_the_console_says_each_stations_audio_advice_in_words(hub, new_page, client, axe):
    """A station's stationAudio shows as plain words beside its name, updated in place, gone when it leaves."""
    code = hub.create_room("Microphones")
    page = new_page(f"{hub.url}/r/{code}/present")
    join(page, "Ms Ortiz")
    expect(page.locator("#console")).to_be_visible()
    expect(page.locator("#audio-card")).to_be_hidden()

    # What ccc.station's meter sends (tests/station/test_meter_relay.py sends it from a real station).
    station = client(hub.url)
    assert station.join(code, "presenter", "<img src=x onerror=alert(1)> desk")["ok"]
    assert station.call("stationAudio", {"advice": "echo", "levelDb": -19.8, "snrDb": 23.6, "echoS": 0.43})["ok"]
    item = page.locator("#audio-list li")
    expect(item).to_have_text("<img src=x onerror=alert(1)> desk: The room echoes: move the microphone closer or "
                              "use a headset microphone. (speech -20 dBFS, SNR 24 dB, echo 0.4 s)")
    expect(page.locator("#audio-list")).to_have_attribute("aria-live", "polite")
    assert page.locator("#audio-list img").count() == 0  # a name is text, never markup
    axe(page)

    assert station.call("stationAudio", {"advice": "too_quiet", "levelDb": -48.0, "snrDb": 30.0, "echoS": None})["ok"]
    expect(item).to_have_count(1)
    expect(item.locator(".audio-advice")).to_have_text("Too quiet: move the microphone closer or raise its input gain.")
    expect(item.locator(".audio-figures")).to_have_text("(speech -48 dBFS, SNR 30 dB)")

    later = new_page(f"{hub.url}/r/{code}/present")  # a console opened afterwards: from roomState
    join(later, "Mr Park")
    expect(later.locator("#audio-list .audio-advice")).to_have_text(
        "Too quiet: move the microphone closer or raise its input gain.")

    admin = new_page(f"{hub.url}/admin")  # whoever runs the room sees it beside the station in "Present"
    admin.fill("#password", "test-admin")
    admin.get_by_role("button", name="Sign in").click()
    listed = admin.locator(f'.admin-room[data-code="{code}"] .presence-list li', has_text="desk")
    expect(listed.locator(".audio-advice")).to_have_text(
        "Microphone: Too quiet: move the microphone closer or raise its input gain. (speech -48 dBFS, SNR 30 dB)")
    assert admin.locator(".presence-list img").count() == 0

    assert station.call("leave", {})["ok"]
    expect(page.locator("#audio-card")).to_be_hidden()
    expect(later.locator("#audio-list li")).to_have_count(0)
