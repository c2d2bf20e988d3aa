"""The landing page and the admin page: joining by code, rooms, PINs, the floor, and the password gate."""
from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def test_landing_accepts_a_code_in_any_case_with_spaces(hub, new_page):
    """A typed code in lower case with spaces opens the room; an unknown code says so; open rooms are listed."""
    hub.create_room("Geology", code="GEX72")
    page = new_page(hub.url + "/", viewport=PHONE)
    expect(page.locator(".room-main-link", has_text="Geology")).to_be_visible()
    page.fill("#room-code", " gex 72 ")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{hub.url}/r/GEX72")
    expect(page.locator("h1")).to_have_text("Geology")
    page.goto(hub.url + "/")
    page.fill("#room-code", "zzz99")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.locator("#room-code-error")).to_contain_text("ZZZ99")
    page.goto(hub.url + "/")
    page.locator(".room-main-link", has_text="Geology").click()
    expect(page).to_have_url(f"{hub.url}/r/GEX72")


def test_pages_send_a_strict_content_security_policy_and_no_inline_script(hub):
    """Every page forbids inline and foreign scripts, and none carries inline script or handler attributes."""
    code = hub.create_room("Headers")
    for path in ("/", f"/r/{code}", f"/r/{code}/projector", f"/r/{code}/present", "/admin"):
        response = requests.get(hub.url + path, timeout=5)
        assert response.ok, path
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'self'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), path
        assert "style=" not in html, path
        assert not re.search(r"(src|href)=\"(https?:)?//", html), path


def test_admin_password_is_required_csrf_checked_and_slowed_down(hub):
    """Wrong passwords are refused and then locked out for a while; a form without its CSRF token is refused."""
    web = requests.Session()
    page = web.get(hub.url + "/admin", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert web.post(hub.url + "/admin/login", data={"password": "test-admin"}, timeout=5).status_code == 400
    for _ in range(3):
        assert web.post(hub.url + "/admin/login", data={"password": "nope", "csrf_token": token},
                        timeout=5).status_code == 401
    locked = web.post(hub.url + "/admin/login", data={"password": "test-admin", "csrf_token": token}, timeout=5)
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    cookie = requests.get(hub.url + "/admin", timeout=5).headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_admin_creates_rooms_sets_a_pin_releases_the_floor_and_archives(hub, new_page, speaker):
    """Signed in, the admin manages rooms; a forced release shows live on the audience page."""
    code = hub.create_room("Busy room")
    speaker(hub, code)
    audience = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    expect(audience.locator("#speaker-text")).to_have_text("Dr. Ada Lovelace is speaking")

    admin = new_page(f"{hub.url}/admin", accept_dialogs=True)
    admin.fill("#password", "test-admin")
    admin.get_by_role("button", name="Sign in").click()
    room = admin.locator(f'.admin-room[data-code="{code}"]')
    expect(room).to_contain_text("Dr. Ada Lovelace")
    expect(room.locator(".floor-holder")).to_have_text("Dr. Ada Lovelace")

    room.get_by_role("button", name="Release the floor").click()
    expect(admin.locator(".flash")).to_contain_text("Took the floor from Dr. Ada Lovelace")
    expect(audience.locator("#speaker-text")).to_have_text("Nobody is speaking")

    admin.fill("#new-title", "Evening class")
    admin.fill("#new-code", "ev ng7")
    admin.get_by_role("button", name="Create room").click()
    expect(admin.locator(".flash")).to_contain_text("Created room EVNG7")
    new_room = admin.locator('.admin-room[data-code="EVNG7"]')
    new_room.get_by_label("New PIN").fill("1357")
    new_room.get_by_role("button", name="Set PIN").click()
    expect(admin.locator(".flash")).to_contain_text("EVNG7 now needs a presenter PIN")
    expect(admin.locator('.admin-room[data-code="EVNG7"]')).to_contain_text("PIN set")

    presenter = new_page(f"{hub.url}/r/EVNG7/present")
    presenter.fill("#name", "Eve")
    presenter.fill("#pin", "1357")
    presenter.click("#join-btn")
    expect(presenter.locator("#console")).to_be_visible()

    admin.locator('.admin-room[data-code="EVNG7"]').get_by_role("button", name="Archive").click()
    expect(admin.locator(".flash")).to_contain_text("Archived room EVNG7")
    expect(admin.locator('.admin-room[data-code="EVNG7"]')).to_have_count(0)
    assert requests.get(f"{hub.url}/r/EVNG7", timeout=5).status_code == 404
