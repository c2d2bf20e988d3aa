"""The caption overlay: the last lines only, as text, on a transparent or chroma-key page, placed as asked.

One hub, one room and one presenter serve every test; each test opens its own overlay with its own options.
Screenshots are taken with omit_background, so a transparent page really has alpha 0 where there is no text.
"""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from hubkit import Client, Hub

VIEW = {"width": 480, "height": 270}  # small: the screenshots are decoded in pure Python
MARKUP = "<b>x</b> & <img src=x onerror=alert(1)>"
SAID = ["First line of the lecture.", "Second line, about cells.", "Third line: mitochondria.", MARKUP]


@pytest.fixture(scope="module")
def room(tmp_path_factory, template_db):
    """Start a hub with one room whose presenter holds the floor and has said four finals."""
    hub = Hub(tmp_path_factory.mktemp("overlay"), template_db).start()
    ada = Client(hub.url).connect()
    try:
        code = hub.create_room("Overlay room", code="VRAYS")  # letters: the lower-case redirect below needs some
        assert ada.join(code, "presenter", "Ada")["ok"]
        assert ada.call("requestSpeak", {})["granted"]
        for i, text in enumerate(SAID):
            assert ada.call("caption", {"utteranceId": f"f{i}", "text": text, "isFinal": True})["ok"]
        yield hub, code, ada
    finally:
        ada.close()
        hub.stop()


def open_overlay(new_page, hub: Hub, code: str, query: str) -> Page:
    page = new_page(f"{hub.url}/r/{code}/overlay?{query}", viewport=VIEW)
    expect(page.locator("html")).to_have_attribute("data-status", "connected")
    expect(page.locator("#lines .line[data-state=final]").first).to_be_visible()
    return page




def pixels_outside(width: int, height: int, rgba: bytes, box: dict, margin: int):
    """Yield the RGBA of every pixel more than `margin` px outside the box (screenshots are 1:1 here)."""
    left, top = box["x"] - margin, box["y"] - margin
    right, bottom = box["x"] + box["width"] + margin, box["y"] + box["height"] + margin
    for y in range(height):
        for x in range(width):
            if not (left <= x <= right and top <= y <= bottom):
                yield rgba[(y * width + x) * 4:(y * width + x + 1) * 4]


def test_last_lines_only_as_text_with_a_live_region(room, new_page, axe):
    """lines=2 shows the last two captions (then a partial takes the newest slot); markup stays text."""
    hub, code, ada = room
    page = open_overlay(new_page, hub, code, "lines=2")  # the first test: the room holds SAID, nothing more
    lines = page.locator("#lines .line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0).locator(".text")).to_have_text(SAID[2])
    expect(lines.nth(1).locator(".text")).to_have_text(MARKUP)
    assert page.locator("#lines b, #lines img").count() == 0
    assert page.locator("a, button, input, select, textarea, summary").count() == 0, "an overlay has no controls"

    ada.call("caption", {"utteranceId": "p1", "text": "and now a partial <i>y</i>", "isFinal": False})
    expect(lines.nth(1)).to_have_attribute("data-state", "partial")
    expect(lines.nth(1).locator(".text")).to_have_text("and now a partial <i>y</i>")
    expect(lines.nth(0).locator(".text")).to_have_text(MARKUP)
    ada.call("caption", {"utteranceId": "p1", "text": "and now a final.", "isFinal": True})
    expect(lines.nth(1)).to_have_attribute("data-state", "final")
    expect(page.locator("#announcer")).to_contain_text("and now a final.")
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    axe(page)


def test_transparent_box_at_the_bottom_centre(room, new_page, decode_rgba, artifacts):
    """Defaults: a 75 % black box at the bottom centre; every pixel away from it is fully transparent."""
    hub, code, _ = room
    page = open_overlay(new_page, hub, code, "lines=3&size=24")
    box = page.locator("#lines").bounding_box()
    assert page.locator("#lines").evaluate("n => getComputedStyle(n).fontSize") == "24px"
    assert VIEW["height"] - (box["y"] + box["height"]) < 0.05 * VIEW["height"], box  # near the bottom
    assert abs((box["x"] + box["width"] / 2) - VIEW["width"] / 2) < 2, box  # centred
    assert box["height"] <= 3 * 1.25 * 24 + 0.5, box  # never taller than the three lines asked for
    png = page.screenshot(omit_background=True)
    (artifacts / "overlay-transparent.png").write_bytes(png)
    width, height, rgba = decode_rgba(png)
    outside = list(pixels_outside(width, height, rgba, box, margin=6))  # the box's 0.2em shadow edge: 4.8 px
    assert outside and all(px[3] == 0 for px in outside), "the page is not transparent"
    corner = rgba[((int(box["y"]) + 2) * width + int(box["x"]) + 2) * 4:][:4]  # inside the box, clear of text
    assert corner[:3] == b"\0\0\0" and abs(corner[3] - 191) <= 3, corner  # black at 75 %
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_chroma_key_top_left_in_colour(room, new_page, decode_rgba, shoot):
    """chroma fills the whole page; position=top&align=left puts yellow 30 px text at the top left, no box."""
    hub, code, _ = room
    page = open_overlay(new_page, hub, code, "chroma=00ff00&position=top&align=left&size=30&color=ff0&bg=none")
    lines = page.locator("#lines")
    box = lines.bounding_box()
    assert box["y"] < 0.05 * VIEW["height"] and box["x"] < 0.05 * VIEW["width"], box
    assert box["height"] <= 2 * 1.25 * 30 + 0.5, box  # the default two lines
    assert lines.evaluate("n => [getComputedStyle(n).fontSize, getComputedStyle(n).color]") == [
        "30px", "rgb(255, 255, 0)"]
    width, height, rgba = decode_rgba(page.screenshot(omit_background=True))
    shoot(page, "overlay-chroma")
    outside = list(pixels_outside(width, height, rgba, box, margin=3))
    assert outside and all(px == b"\0\xff\0\xff" for px in outside), "the page is not solid chroma green"


def test_bad_parameters_fall_back_and_never_reach_the_page(room, new_page):
    """Nonsense and injection attempts give the defaults (or the nearest bound); none of it is echoed."""
    hub, code, _ = room
    evil = "lines=abc&size=99999&color=red;}body{x&bg=url(x)&chroma=javascript:&position=middle&align=%22%3E"
    html = requests.get(f"{hub.url}/r/{code}/overlay?{evil}", timeout=5).text
    assert "body{x" not in html and "url(x)" not in html and "javascript" not in html and '">' not in html.split(
        "<body", 1)[1].split(">", 1)[0]
    page = open_overlay(new_page, hub, code, evil)
    lines = page.locator("#lines")
    expect(lines.locator(".line")).to_have_count(2)  # lines: the default
    assert lines.evaluate("n => [getComputedStyle(n).fontSize, getComputedStyle(n).color]") == [
        "200px", "rgb(255, 255, 255)"]  # size clamped, colour the default
    root = page.locator("html")
    expect(root).to_have_attribute("data-position", "bottom")
    expect(root).to_have_attribute("data-align", "center")
    expect(root).to_have_attribute("data-chroma", "none")
    lower = requests.get(f"{hub.url}/r/{code.lower()}/overlay?lines=4&evil=1", timeout=5, allow_redirects=False)
    assert lower.status_code in (301, 302) and lower.headers["Location"].endswith(f"/r/{code}/overlay?lines=4")
