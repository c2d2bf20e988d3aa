"""Browser fixtures: one Chromium per test session, a fresh context per page, axe-core and screenshots."""
from __future__ import annotations

import struct
import uuid
import zlib
from pathlib import Path
from typing import Any, Callable

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=20_000)  # generous: make test runs two tests at once on two cores


@pytest.fixture(scope="session")
def browser() -> Browser:
    """Return the one Chromium of this test session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Return the folder screenshots are saved in."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def new_page(browser: Browser) -> Callable[..., Page]:
    """Return a factory of pages, each in its own context (own storage); fail on script errors or CSP reports."""
    contexts = []
    problems: list[str] = []

    def make(url: str | None = None, viewport: dict[str, int] | None = None, accept_dialogs: bool = False,
             **context_args: Any) -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP, **context_args)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}")
                if "Content Security Policy" in msg.text else None)
        if accept_dialogs:  # a page that asks for confirmation on purpose (the admin's archive button)
            page.on("dialog", lambda dialog: dialog.accept())
        else:
            page.on("dialog", lambda dialog: (problems.append(f"dialog opened: {dialog.message}"), dialog.dismiss()))
        if url:
            page.goto(url)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


def run_axe(page: Page) -> list[dict[str, Any]]:
    """Run the vendored axe-core inside the page; return the serious and critical violations."""
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Page) -> None:
    """Fail when axe-core finds a serious or critical violation on the page."""
    serious = run_axe(page)
    assert not serious, "axe-core violations:\n" + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in serious)


def decode_png_rgba(data: bytes) -> tuple[int, int, bytes]:
    """Decode an 8-bit, non-interlaced PNG (as Chromium writes them) to RGBA pixels, 4 bytes each."""
    width, height, channels, rows = _unfilter_png(data)
    out = bytearray(width * height * 4)
    for y, line in enumerate(rows):
        for x in range(width):
            px = line[x * channels:(x + 1) * channels]
            rgb = px[:3] if channels >= 3 else px[:1] * 3
            alpha = px[3] if channels == 4 else px[1] if channels == 2 else 255
            out[(y * width + x) * 4:(y * width + x + 1) * 4] = bytes(rgb) + bytes([alpha])
    return width, height, bytes(out)


def decode_png_gray(data: bytes) -> tuple[int, int, bytes]:
    """Decode an 8-bit, non-interlaced RGB(A) or grey PNG (as Chromium writes them) to grey pixels."""
    width, height, channels, rows = _unfilter_png(data)
    gray = bytearray(width * height)
    for y, line in enumerate(rows):
        for x in range(width):
            px = line[x * channels:x * channels + min(channels, 3)]
            gray[y * width + x] = px[0] if len(px) == 1 else (px[0] * 299 + px[1] * 587 + px[2] * 114) // 1000
    return width, height, bytes(gray)


def _unfilter_png(data: bytes) -> tuple[int, int, int, list[bytearray]]:
    """Return width, height, channels and the unfiltered rows of an 8-bit, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0, "only 8-bit non-interlaced PNGs"
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(line)
        previous = line
    return width, height, channels, rows


class Speaker:
    """A python-socketio presenter that feeds captions into the pages under test."""

    def __init__(self, client):
        self.client = client

    def say(self, text: str, final: bool = True, utterance_id: str | None = None) -> str:
        """Send a partial or final caption and return its utteranceId."""
        utterance_id = utterance_id or uuid.uuid4().hex
        ack = self.client.call("caption", {"utteranceId": utterance_id, "text": text, "isFinal": final})
        assert ack["ok"], ack
        return utterance_id

    def edit(self, utterance_id: str, text: str) -> None:
        """Correct one of this speaker's finals."""
        ack = self.client.call("editCaption", {"utteranceId": utterance_id, "text": text})
        assert ack["ok"], ack

    def release(self) -> None:
        """Give the floor back."""
        assert self.client.call("stopSpeak", {})["ok"]


@pytest.fixture
def speaker(client) -> Callable[..., Speaker]:
    """Return a factory of presenters that joined a room and hold the floor."""

    def make(hub, code: str, name: str = "Dr. Ada Lovelace", pin: str | None = None, take: bool = True,
             identity: dict | None = None) -> Speaker:
        presenter = client(hub.url)
        extra = {"pin": pin} if pin else {}
        extra.update(identity or {})  # another client's participantId and resumeToken: the same presenter
        ack = presenter.join(code, "presenter", name, **extra)
        assert ack["ok"], ack
        if take:
            assert presenter.call("requestSpeak", {})["granted"]
        return Speaker(presenter)

    return make


@pytest.fixture
def axe() -> Callable[[Page], None]:
    """Return a check that fails on serious or critical axe-core violations in a page."""
    return assert_accessible


@pytest.fixture
def shoot(artifacts: Path) -> Callable[[Page, str], Path]:
    """Return a function saving a screenshot of a page under tests/artifacts/."""

    def save(page: Page, name: str) -> Path:
        path = artifacts / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return save


@pytest.fixture
def decode_png() -> Callable[[bytes], tuple[int, int, bytes]]:
    """Return the PNG-to-grey-pixels decoder (no Pillow needed)."""
    return decode_png_gray


@pytest.fixture
def decode_rgba() -> Callable[[bytes], tuple[int, int, bytes]]:
    """Return the PNG-to-RGBA decoder (4 bytes a pixel, alpha kept: for screenshots with omit_background)."""
    return decode_png_rgba
