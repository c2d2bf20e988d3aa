"""Verified presenters in the pages: /admin shows a request to present live and approves it; a PIN
presenter's console denies one; the waiting console says so; every list says who is verified in words."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from hubkit import AdminWeb

PIN = "2468"


def test_admin_approves_and_a_pin_presenter_denies_in_the_pages(make_hub, new_page, client):
    hub = make_hub(CCC_DENY_COOLDOWN_S="1")
    web = AdminWeb(hub.url)
    page = web.post("/admin/rooms", {"title": "Verified", "pin": PIN, "saving": "1"}).text
    code = re.search(r"Created room (\w+)", page).group(1)
    admin = new_page(f"{hub.url}/admin")
    admin.fill("#password", "test-admin")
    admin.get_by_role("button", name="Sign in").click()
    card = admin.locator(f'.admin-room[data-code="{code}"]')
    card.get_by_role("button", name="Ask for approval").click()
    expect(admin.locator(".flash")).to_contain_text("wait for approval")
    card = admin.locator(f'.admin-room[data-code="{code}"]')

    # A presenter without the PIN joins: its console says it waits; the admin page shows the request live.
    guest = new_page(f"{hub.url}/r/{code}/present")
    expect(guest.locator("#pin-hint")).to_contain_text("Leave it empty")
    guest.fill("#name", "Dr Lee")
    guest.click("#join-btn")
    expect(guest.locator("#waiting-note")).to_be_visible()
    expect(guest.locator("#floor-state")).to_have_text("Waiting for approval to present.")
    expect(guest.locator("#floor-btn")).to_be_disabled()
    requests = card.locator(".approval-list li")
    expect(requests).to_contain_text("Dr Lee asks to present", timeout=6000)
    expect(card.locator(".presence-list")).to_contain_text("waiting for approval")

    reader = new_page(f"{hub.url}/r/{code}")
    reader.click("#open-people")
    lee = reader.locator("#people-list li", has_text="Dr Lee")
    expect(lee).to_contain_text("waiting for approval")

    requests.get_by_role("button", name=re.compile(r"Approve\s*: Dr Lee")).click()
    expect(admin.locator(".flash")).to_contain_text("Dr Lee may present now")
    expect(guest.locator("#waiting-note")).to_be_hidden()
    expect(lee).to_contain_text("✓ verified")
    guest.click("#floor-btn")
    expect(guest.locator("#floor-state")).to_contain_text("You have the floor")
    expect(admin.locator(f'.admin-room[data-code="{code}"] .presence-list li', has_text="Dr Lee")) \
        .to_contain_text("✓ verified")

    # A PIN presenter's console lists the next request and denies it: that presenter is disconnected.
    teacher = new_page(f"{hub.url}/r/{code}/present")
    teacher.fill("#name", "Teacher")
    teacher.fill("#pin", PIN)
    teacher.click("#join-btn")
    expect(teacher.locator("#people-list li", has_text="Teacher")).to_contain_text("✓ verified")
    expect(teacher.locator("#approvals-card")).to_be_hidden()
    sam = client(hub.url)
    assert sam.join(code, "presenter", "Sam")["waiting"] is True
    item = teacher.locator("#approval-list li", has_text="Sam")
    expect(item).to_contain_text("Sam asks to present")
    expect(teacher.locator("#people-list li", has_text="Sam")).to_contain_text("waiting for approval")
    item.get_by_role("button", name=re.compile(r"Deny\s*: Sam")).click()
    sam.wait_for(lambda c: not c.sio.connected, timeout=5)
    assert sam.of("approvalDenied")
    expect(teacher.locator("#approvals-card")).to_be_hidden()
    expect(reader.locator("#people-list li", has_text="Sam")).to_have_count(0)
