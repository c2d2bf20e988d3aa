"""The admin page runs transcript sessions, saving and deletion, tells open pages live, and shows who is present."""
from __future__ import annotations

import requests
from playwright.sync_api import Page, expect

PHONE = {"width": 390, "height": 844}


def sign_in(new_page, hub, **kwargs) -> Page:
    """Open /admin in a fresh browser context and sign in."""
    admin = new_page(f"{hub.url}/admin", **kwargs)
    admin.fill("#password", "test-admin")
    admin.get_by_role("button", name="Sign in").click()
    expect(admin.locator("h1")).to_have_text("Rooms")
    return admin


def download(hub, code: str, fmt: str = "txt", session: int | None = None) -> requests.Response:
    """Fetch a transcript download."""
    params = {"session": session} if session else None
    return requests.get(f"{hub.url}/r/{code}/transcript.{fmt}", params=params, timeout=5)


def test_admin_starts_ends_and_deletes_sessions(hub, new_page, speaker, axe, shoot):
    """Sessions started and ended from /admin split the transcript; deleting one needs the confirmation box."""
    code = hub.create_room("Chemistry")
    ada = speaker(hub, code)
    ada.say("Welcome to the first lecture.")
    admin = sign_in(new_page, hub)
    room = admin.locator(f'.admin-room[data-code="{code}"]')
    expect(room.locator(".current-session")).to_contain_text("Current session: 1. Chemistry")

    room.get_by_label("Title").fill("Acids and bases")
    room.get_by_role("button", name="Start a new session").click()
    expect(admin.locator(".flash")).to_contain_text(f"Started session 2 (Acids and bases) in room {code}")
    ada.say("Now the second part begins.")
    listed = hub.flask("sessions", "list", code)
    assert "Chemistry" in listed and "Acids and bases" in listed, listed
    first, second = download(hub, code, session=1).text, download(hub, code, session=2).text
    assert "first lecture" in first and "second part" not in first
    assert "second part" in second and "first lecture" not in second

    admin.reload()
    expect(room.locator(".current-session")).to_contain_text("Current session: 2. Acids and bases")
    expect(room.locator(".current-session")).to_contain_text("1 caption.")
    link = room.get_by_role("link", name="Session 1: Chemistry")
    expect(link).to_have_attribute("href", f"/r/{code}/transcript?session=1")
    expect(room.get_by_role("link", name="SRT of session 2")).to_have_attribute(
        "href", f"/r/{code}/transcript.srt?session=2")
    axe(admin)
    room.locator(".room-transcript").scroll_into_view_if_needed()
    shoot(admin, "admin-sessions-desktop")
    admin.set_viewport_size(PHONE)
    room.locator(".room-transcript").scroll_into_view_if_needed()
    shoot(admin, "admin-sessions-phone")
    admin.set_viewport_size({"width": 1280, "height": 800})

    room.get_by_role("button", name="End session").click()
    expect(admin.locator(".flash")).to_contain_text(f"Ended session 2 in room {code}")
    expect(room.locator(".current-session")).to_contain_text("No session is open")
    expect(room.get_by_role("button", name="End session")).to_be_disabled()

    item = room.locator('.session-item[data-session="1"]')
    item.locator("summary").click()
    item.get_by_role("button", name="Delete session").click()
    expect(admin.locator(".flash")).to_contain_text("was not deleted: tick the box")
    assert download(hub, code, session=1).status_code == 200
    item = room.locator('.session-item[data-session="1"]')
    item.locator("summary").click()
    item.get_by_label("Yes, delete session 1").check()
    item.get_by_role("button", name="Delete session").click()
    expect(admin.locator(".flash")).to_contain_text(f"Deleted session 1 of room {code} (1 caption)")
    assert download(hub, code, session=1).status_code == 404
    assert "second part" in download(hub, code).text


def test_turning_saving_off_tells_pages_and_stops_storing(hub, new_page, speaker, client):
    """Saving off reaches open pages as roomUpdated; later finals are relayed live but not saved."""
    code = hub.create_room("Private seminar")
    reader = client(hub.url)
    assert reader.join(code, "audience")["ok"]
    ada = speaker(hub, code)
    ada.say("This line is kept.")
    audience = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    expect(audience.locator("#saving-chip")).to_have_text("Transcript saved")

    admin = sign_in(new_page, hub)
    room = admin.locator(f'.admin-room[data-code="{code}"]')
    room.get_by_label("Save transcripts").uncheck()
    room.get_by_label("Keep for (days)").fill("30")
    room.get_by_role("button", name="Save settings").click()
    expect(admin.locator(".flash")).to_contain_text(f"Room {code} does not save its transcript")
    expect(admin.locator(f'.admin-room[data-code="{code}"]')).to_contain_text("Not saved")
    expect(room.get_by_label("Keep for (days)")).to_have_value("30")

    update = reader.wait_for("roomUpdated")
    assert update == {"room": {"code": code, "title": "Private seminar", "saving": False},
                      "archived": False, "deleted": False}
    expect(audience.locator("#saving-chip")).to_have_text("Not saved")
    expect(audience.locator("#saving-chip")).to_have_attribute("data-saving", "false")

    ada.say("This line is only shown live.")
    reader.wait_for(lambda c: any(m.get("text") == "This line is only shown live." for m in c.of("caption")))
    expect(audience.locator("#captions")).to_contain_text("This line is only shown live.")
    text = download(hub, code).text
    assert "This line is kept." in text and "only shown live" not in text


def test_presence_refreshes_and_archiving_closes_open_pages(hub, new_page, client, axe, shoot):
    """The Present list updates without a reload; archiving a room shows the closed state on its open pages."""
    code = hub.create_room("Late lab")
    audience = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    expect(audience.locator("#conn")).to_have_attribute("data-status", "connected")
    admin = sign_in(new_page, hub, accept_dialogs=True)
    room = admin.locator(f'.admin-room[data-code="{code}"]')
    expect(room.locator(".audience-count")).to_have_text("1")
    expect(room.locator(".presence-list")).to_contain_text("Nobody with a name is connected")

    grace = client(hub.url)
    assert grace.join(code, "presenter", "Grace Hopper")["ok"]
    assert grace.call("requestSpeak", {})["granted"]
    expect(room.locator(".presence-list")).to_contain_text("Grace Hopper", timeout=8_000)
    expect(room.locator(".floor-holder")).to_have_text("Grace Hopper")
    expect(room.get_by_role("button", name="Release the floor")).to_be_enabled()
    grace.call("leave", {})
    expect(room.locator(".presence-list")).not_to_contain_text("Grace Hopper", timeout=8_000)
    expect(room.locator(".floor-holder")).to_have_text("free")

    room.get_by_role("button", name="Archive").click()
    expect(admin.locator(".flash")).to_contain_text(f"Archived room {code}")
    expect(audience.locator("#room-closed")).to_contain_text("This room has been closed.")
    expect(audience.locator("#conn")).to_have_attribute("data-status", "offline")
    axe(audience)
    shoot(audience, "audience-room-closed-phone")
    # An archived transcript is the admin's (or PIN or password holders') until the admin publishes it.
    assert requests.get(f"{hub.url}/r/{code}/transcript.txt", timeout=5).status_code == 404
    assert admin.request.get(f"{hub.url}/r/{code}/transcript.txt").status == 200
    admin.locator(f'.archived-room[data-code="{code}"]').get_by_role("button", name="Publish the transcript").click()
    expect(admin.locator(".flash")).to_contain_text(f"Room {code} transcript is published")
    assert requests.get(f"{hub.url}/r/{code}/transcript.txt", timeout=5).status_code == 200
    assert requests.get(f"{hub.url}/admin/rooms/{code}/presence", timeout=5).status_code == 401


def test_deleting_a_room_needs_the_confirmation_and_removes_its_transcript(hub, new_page, speaker):
    """Delete room does nothing until the box is ticked; then the transcript is gone and open pages close."""
    code = hub.create_room("Old course")
    speaker(hub, code).say("Something worth deleting.")
    projector = new_page(f"{hub.url}/r/{code}/projector")
    expect(projector.locator("#lines")).to_contain_text("Something worth deleting.")
    phone = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    expect(phone.locator("#download")).to_be_visible()
    admin = sign_in(new_page, hub)
    room = admin.locator(f'.admin-room[data-code="{code}"]')
    danger = room.locator("details.confirm-delete", has_text="Delete room")
    danger.locator("summary").click()
    danger.get_by_role("button", name="Delete room").click()
    expect(admin.locator(".flash")).to_contain_text(f"Room {code} was not deleted: tick the box")
    assert download(hub, code).status_code == 200

    danger = admin.locator(f'.admin-room[data-code="{code}"] details.confirm-delete', has_text="Delete room")
    danger.locator("summary").click()
    danger.get_by_label(f"Yes, delete room {code}").check()
    danger.get_by_role("button", name="Delete room").click()
    expect(admin.locator(".flash")).to_contain_text(f"Deleted room {code} with its transcripts (1 caption)")
    expect(admin.locator(f'.admin-room[data-code="{code}"]')).to_have_count(0)
    assert download(hub, code).status_code == 404
    expect(projector.locator("#room-closed")).to_contain_text("This room has been closed.")
    expect(projector.locator("#room-closed")).to_contain_text("deleted")
    expect(phone.locator("#download")).to_be_hidden()  # nothing left to download
