"""The queue for the floor in the pages: a presenter raises a hand and is offered the floor; the projector
says who is next in words; the admin page lists the queue and reorders it."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from hubkit import AdminWeb


def test_projector_shows_who_is_next_and_the_console_takes_the_offered_floor(make_hub, new_page, client, speaker):
    hub = make_hub(CCC_FLOOR_OFFER_S="5")
    web = AdminWeb(hub.url)
    page = web.post("/admin/rooms", {"title": "Queue", "saving": "1"}).text
    code = re.search(r"Created room (\w+)", page).group(1)
    projector = new_page(f"{hub.url}/r/{code}/projector")
    ada = speaker(hub, code, "Ada")  # holds the floor
    ben = new_page(f"{hub.url}/r/{code}/present")
    ben.fill("#name", "Ben")
    ben.click("#join-btn")
    expect(ben.locator("#floor-state")).to_contain_text("Ada has the floor")
    expect(projector.locator("#queue-next")).to_be_hidden()

    ben.click("#hand-btn")
    expect(ben.locator("#floor-state")).to_contain_text("You are number 1 in the queue")
    expect(ben.locator("#hand-btn")).to_have_text("Lower your hand")
    cy = client(hub.url)
    assert cy.join(code, "presenter", "Cy")["ok"] and cy.call("raiseHand", {})["position"] == 2
    expect(projector.locator("#queue-text")).to_have_text("Next: Ben; then Cy")
    expect(ben.locator("#queue-list li .person-name")).to_have_text(["Ben (you)", "Cy"])
    presence = web.web.get(f"{hub.url}/admin/rooms/{code}/presence", timeout=10).json()
    assert [q["name"] for q in presence["queue"]] == ["Ben", "Cy"]

    ada.release()  # Ben is offered the floor; the projector says so in words, with the time left
    expect(projector.locator("#queue-text")).to_have_text("Next: Ben may take the floor now; then Cy")
    expect(projector.locator("#queue-countdown")).to_have_text(re.compile(r"\(\d s\)"))
    expect(ben.locator("#floor-state")).to_have_text("The floor is offered to you: take it now, or pass.")
    expect(ben.locator("#offer-countdown")).to_contain_text("s left to take the floor")
    assert not cy.call("requestSpeak", {})["granted"]
    ben.click("#floor-btn")
    expect(ben.locator("#floor-state")).to_contain_text("You have the floor")
    expect(projector.locator("#speaker-name")).to_have_text("Ben")
    expect(projector.locator("#queue-text")).to_have_text("Next: Cy")
    expect(ben.locator("#offer-countdown")).to_have_text("")

    # The admin page lists the queue; its operator reorders and removes entries, and the projector follows.
    dee = client(hub.url)
    assert dee.join(code, "presenter", "Dee")["ok"] and dee.call("raiseHand", {})["position"] == 2
    expect(projector.locator("#queue-text")).to_have_text("Next: Cy; then Dee")
    admin = new_page(f"{hub.url}/admin")
    admin.fill("#password", "test-admin")
    admin.get_by_role("button", name="Sign in").click()
    waiting = admin.locator(f'.admin-room[data-code="{code}"] .queue-list')
    expect(waiting.locator(".person-name")).to_have_text(["Cy", "Dee"])
    waiting.get_by_role("button", name=re.compile(r"Move up\s*: Dee")).click()
    expect(admin.locator(".flash")).to_contain_text("Moved Dee to place 1")
    expect(projector.locator("#queue-text")).to_have_text("Next: Dee; then Cy")
    admin.locator(f'.admin-room[data-code="{code}"] .queue-list').get_by_role("button", name=re.compile(r"Remove\s*: Cy")).click()
    expect(projector.locator("#queue-text")).to_have_text("Next: Dee")
