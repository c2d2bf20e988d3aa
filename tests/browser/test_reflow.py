"""Reflow (WCAG 2.1 1.4.10), text resize (1.4.4) and text spacing (1.4.12) on every page.

One hub and one room serve every case (a hub per case would cost seconds each). The ways a reader enlarges
things, each applied in real Chromium:

- ``w320``: a 320 CSS px wide window, what 1.4.10 asks for (a 1280 px screen at 400 % zoom).
- ``zoom200``: Chromium's own 200 % page zoom on a 1280×800 window, which is a 640×400 CSS px layout drawn at
  device scale 2 (Playwright cannot press Ctrl-+, but this is exactly the layout zoom gives: vw, vh, media
  queries and px all follow).
- ``text200``: text alone at 200 % in a 1280×800 window (1.4.4; a browser's font size preference, or
  Firefox's "zoom text only"): the root font size doubled, so everything sized in rem/em (nearly all of CCC)
  grows while the window and px sizes stay as they are.
- ``phone-text200``: the same 200 % text on a 390 px phone (Android's largest font scale), beyond what WCAG
  asks; checked for reflow only, as axe-core's findings there are those of ``text200``.
- ``spacing``: the 1.4.12 text-spacing bookmarklet's rules (line-height 1.5, paragraph spacing 2em, letter
  spacing 0.12em, word spacing 0.16em, all !important) at 320 px.

Extra rules are adopted as constructed stylesheets (CSSOM), so the pages' real CSP stays on.

In every case: no sideways scrolling, every visible control non-empty, inside the viewport horizontally, within
reach vertically (not cut off by a box that hides its overflow, nor below the window of a page that cannot
scroll), not overlapping another control, and axe-core still clean.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from hubkit import AdminWeb, Client, Hub

PIN = "4321"
TITLE = "Cell Biology 101: following a protein from the ribosome to the Golgi apparatus"
LINES = [
    "Good morning, everyone, and welcome back to Introduction to Cell Biology.",
    "The slides are at https://example.org/courses/cell-biology-101/lectures/week-07/protein_trafficking_slides.pdf",
    "Some words never break: pneumonoultramicroscopicsilicovolcanoconiosis, "
    "deoxyribonucleoproteinsynthesisinhibitorsandfriends.",
    "Notice the ribosomes dotted along the rough endoplasmic reticulum.",
]

MODES = {  # name: (CSS px viewport, extra author CSS)
    "w320": ({"width": 320, "height": 640}, ""),
    "zoom200": ({"width": 640, "height": 400}, ""),
    "text200": ({"width": 1280, "height": 800}, "html { font-size: 200% !important; }"),
    "phone-text200": ({"width": 390, "height": 844}, "html { font-size: 200% !important; }"),
    "spacing": ({"width": 320, "height": 640},
                "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }"
                " p, li, dd, dt { margin-bottom: 2em !important; }"),
}
PAGES = ["landing", "audience", "audience-settings", "projector", "present", "transcript", "admin-login", "admin"]

CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary"

MEASURE = """(selector) => {
    const vw = window.innerWidth;
    const doc = document.documentElement;
    const found = [];
    const modal = document.querySelector('dialog:modal');  // everything outside a modal dialog is inert
    for (const node of (modal || document).querySelectorAll(selector)) {
        if (!node.checkVisibility({visibilityProperty: true})) continue;
        if (node.closest('.visually-hidden, .skip-link')) continue;
        const open = node.closest('dialog');
        if (open && !open.open) continue;
        const r = node.getBoundingClientRect();
        const label = (node.id ? '#' + node.id : node.tagName.toLowerCase()) + ' "' +
            (node.textContent || node.value || node.getAttribute('aria-label') || '').trim().slice(0, 30) + '"';
        found.push({label, left: r.left, right: r.right, top: r.top + scrollY, bottom: r.bottom + scrollY,
                    width: r.width, height: r.height, node});
    }
    const problems = [];
    if (doc.scrollWidth > vw) {
        problems.push(`page scrolls sideways: scrollWidth ${doc.scrollWidth} > ${vw}`);
        const wide = [...document.body.querySelectorAll('*')].filter(n => n.getBoundingClientRect().right > vw + 0.5
            && ![...n.children].some(k => k.getBoundingClientRect().right > vw + 0.5));
        for (const n of document.body.querySelectorAll('*'))
            if (n.scrollWidth > n.clientWidth + 1 && getComputedStyle(n).overflowX === 'visible') wide.push(n);
        for (const n of wide.slice(0, 6)) problems.push(`  too wide: ${n.tagName.toLowerCase()}.${n.className} ` +
            `"${(n.textContent || '').trim().slice(0, 30)}" right=${Math.round(n.getBoundingClientRect().right)}`);
    }
    const clipping = (s) => ['hidden', 'clip'].includes(s.overflowX) || ['hidden', 'clip'].includes(s.overflowY);
    const fixedPage = [doc, document.body].some(n => ['hidden', 'clip'].includes(getComputedStyle(n).overflowY));
    for (const c of found) {
        if (c.width < 1 || c.height < 1) problems.push(`${c.label} is empty (${c.width}x${c.height})`);
        else if (c.left < -0.5 || c.right > vw + 0.5)
            problems.push(`${c.label} sticks out: ${Math.round(c.left)}..${Math.round(c.right)} of ${vw}`);
        const r = c.node.getBoundingClientRect();
        let scroller = null;  // a box the reader scrolls (a dialog, the transcript) instead of the page
        for (let a = c.node.parentElement; a && a !== document.body; a = a.parentElement) {
            const style = getComputedStyle(a);
            if (['auto', 'scroll'].includes(style.overflowY)) { scroller = a; break; }
            if (!clipping(style)) continue;
            const box = a.getBoundingClientRect();
            if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
                problems.push(`${c.label} is cut off by ${a.tagName.toLowerCase()}.${a.className}`);
            break;
        }
        if (!scroller && (c.top < -0.5 || c.bottom > doc.scrollHeight + 0.5
                          || (fixedPage && (r.top < -0.5 || r.bottom > innerHeight + 0.5))))
            problems.push(`${c.label} cannot be scrolled to: ${Math.round(c.top)}..${Math.round(c.bottom)}`);
    }
    for (let i = 0; i < found.length; i++) {
        for (let j = i + 1; j < found.length; j++) {
            const a = found[i], b = found[j];
            if (a.node.contains(b.node) || b.node.contains(a.node)) continue;
            const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (x > 2 && y > 2) problems.push(`${a.label} overlaps ${b.label}`);
        }
    }
    return {count: found.length, problems};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, template_db):
    """Start one hub with a room that has a PIN, a long title, two sessions and captions with long words."""
    hub = Hub(tmp_path_factory.mktemp("reflow"), template_db).start()
    ada = Client(hub.url).connect()
    try:
        code = hub.create_room(TITLE, pin=PIN)
        hub.create_room("Physics for poets, with a title long enough to wrap on a phone")
        assert ada.join(code, "presenter", "Dr. Ada Lovelace-Byron", pin=PIN)["ok"]
        assert ada.call("requestSpeak", {})["granted"]
        for i, line in enumerate(LINES):
            assert ada.call("caption", {"utteranceId": f"u{i}", "text": line, "isFinal": True})["ok"]
            if i == 1:  # a second session, so the admin page lists several
                AdminWeb(hub.url).post(f"/admin/rooms/{code}/sessions", {"title": "Second half"})
        yield hub, code
    finally:
        ada.close()
        hub.stop()


def open_page(name: str, hub: Hub, code: str, new_page, context: dict) -> Page:
    """Open one page, in the state with the most controls on screen."""
    if name == "landing":
        page = new_page(hub.url + "/", **context)
        expect(page.locator(".room-card").first).to_be_visible()
    elif name.startswith("audience"):
        page = new_page(f"{hub.url}/r/{code}", **context)
        expect(page.locator("#captions li")).to_have_count(len(LINES))
        if name == "audience-settings":
            page.click("#open-settings")
            expect(page.locator("#settings-panel")).to_be_visible()
    elif name == "projector":
        page = new_page(f"{hub.url}/r/{code}/projector", **context)
        expect(page.locator("#conn")).to_have_attribute("data-status", "connected")
        expect(page.locator(".line").last).to_contain_text("ribosomes")
    elif name == "present":
        page = new_page(f"{hub.url}/r/{code}/present", **context)
        page.fill("#name", "Sam Captioner")
        page.fill("#pin", PIN)
        page.click("#join-btn")
        expect(page.locator("#recent-list li")).to_have_count(len(LINES))
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    elif name == "transcript":
        page = new_page(f"{hub.url}/r/{code}/transcript?session=1", **context)
        expect(page.locator("#captions li.cap")).to_have_count(2)
    else:
        page = new_page(f"{hub.url}/admin", **context)
        if name == "admin":
            page.fill("#password", "test-admin")
            page.click("button[type=submit]")
            expect(page.locator(".session-item")).to_have_count(2)
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    return page


def adopt_css(page: Page, css: str) -> None:
    """Replace the test's extra author rules through the CSSOM (a constructed stylesheet), which CSP allows."""
    page.evaluate("""(css) => {
        window.__reflowSheet = window.__reflowSheet || new CSSStyleSheet();
        window.__reflowSheet.replaceSync(css);
        if (!document.adoptedStyleSheets.includes(window.__reflowSheet))
            document.adoptedStyleSheets = [...document.adoptedStyleSheets, window.__reflowSheet];
    }""", css)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.mark.parametrize("name", PAGES)
def test_page_reflows(name, site, new_page, axe, shoot):
    """In every mode the page needs no sideways scrolling, every control is whole, on screen and apart."""
    hub, code = site
    # Device scale 2 throughout: the zoom200 layout is then exactly Chromium's 200 % zoom of 1280x800.
    page = open_page(name, hub, code, new_page, {"viewport": MODES["w320"][0], "device_scale_factor": 2})
    failures = []
    for mode, (viewport, css) in MODES.items():
        page.set_viewport_size(viewport)
        adopt_css(page, css)
        result = page.evaluate(MEASURE, CONTROLS)
        assert result["count"] > 0
        if mode == "w320":
            shoot(page, f"reflow-{name}-320")
        if result["problems"]:
            failures.append(f"{name} ({mode}):\n  " + "\n  ".join(result["problems"]))
        if mode == "phone-text200":
            continue
        try:
            axe(page)
        except AssertionError as exc:
            failures.append(f"{name} ({mode}): {exc}")
    assert not failures, "\n".join(failures)
