"""Every page, on a desktop and on a phone: saved as a screenshot, and free of serious axe-core violations."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

LINES = [
    "Good morning, everyone, and welcome back to Introduction to Cell Biology.",
    "Last week we looked at the membrane; today we follow a protein from the ribosome to the Golgi.",
    "Please open the handout at page twelve, where the diagram of the endoplasmic reticulum is.",
    "Notice the ribosomes dotted along the rough endoplasmic reticulum.",
]


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_every_page_renders_accessibly(device, hub, new_page, speaker, axe, shoot):
    """Each page shows real content, saves a screenshot and passes axe-core (no serious or critical issue)."""
    viewport = DESKTOP if device == "desktop" else PHONE
    code = hub.create_room("Cell Biology 101", pin="4321")
    hub.create_room("Physics for poets")
    ada = speaker(hub, code, pin="4321")
    for line in LINES:
        ada.say(line)

    landing = new_page(hub.url + "/", viewport=viewport)
    expect(landing.locator(".room-main-link", has_text="Cell Biology 101")).to_be_visible()
    shoot(landing, f"landing-{device}")
    axe(landing)

    audience = new_page(f"{hub.url}/r/{code}", viewport=viewport)
    projector = new_page(f"{hub.url}/r/{code}/projector", viewport=viewport)
    expect(audience.locator("#captions li")).to_have_count(len(LINES))
    expect(projector.locator("#conn")).to_have_attribute("data-status", "connected")
    ada.say("and this is where the protein gets its", final=False)
    expect(audience.locator("#partials .partial")).to_contain_text("gets its")
    expect(audience.locator("#speaker-text")).to_have_text("Dr. Ada Lovelace is speaking")
    expect(audience.locator("#conn")).to_have_attribute("data-status", "connected")
    shoot(audience, f"audience-{device}")
    axe(audience)
    audience.click("#open-settings")
    expect(audience.locator("#settings-panel")).to_be_visible()
    shoot(audience, f"audience-settings-{device}")
    axe(audience)

    expect(projector.locator(".line[data-state=partial]")).to_contain_text("gets its")
    expect(projector.locator("#speaker-name")).to_have_text("Dr. Ada Lovelace")
    expect(projector.locator("#join-qr")).to_be_visible()
    shoot(projector, f"projector-{device}")
    axe(projector)

    present = new_page(f"{hub.url}/r/{code}/present", viewport=viewport)
    present.fill("#name", "Sam Captioner")
    present.fill("#pin", "4321")
    present.click("#join-btn")
    expect(present.locator("#floor-state")).to_contain_text("Dr. Ada Lovelace has the floor")
    expect(present.locator("#recent-list li")).to_have_count(len(LINES))
    shoot(present, f"present-{device}")
    axe(present)

    admin = new_page(f"{hub.url}/admin", viewport=viewport)
    shoot(admin, f"admin-login-{device}")
    axe(admin)
    admin.fill("#password", "test-admin")
    admin.click("button[type=submit]")
    expect(admin.locator(".admin-room").first).to_be_visible()
    shoot(admin, f"admin-{device}")
    axe(admin)
