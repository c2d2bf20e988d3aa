"""A phone that was away while a thousand finals were said pages through them all when it comes back."""
from __future__ import annotations

import sqlite3
import time

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
MISSED = 1000


def store_finals(hub, code: str, speaker_id: str, seqs: range, text: str) -> None:
    """Store finals straight into the room's database, as lecture a phone missed (1,000 events take minutes)."""
    now = time.time()
    with sqlite3.connect(hub.db_path) as db:
        room_id, session_id = db.execute(
            "SELECT r.id, s.id FROM rooms r JOIN sessions s ON s.room_id = r.id WHERE r.code = ?", (code,)).fetchone()
        db.executemany(
            "INSERT INTO captions (room_id, session_id, seq, utterance_id, speaker_id, speaker_name, text, rev,"
            " created_at) VALUES (?, ?, ?, ?, ?, 'Dr. Ada Lovelace', ?, 0, ?)",
            [(room_id, session_id, seq, f"stored-{seq}", speaker_id, text.format(seq=seq), now) for seq in seqs])
        db.execute("UPDATE rooms SET last_seq = ? WHERE id = ?", (seqs[-1], room_id))


def test_a_phone_back_from_a_long_absence_pages_through_every_missed_final(hub, new_page, speaker):
    code = hub.create_room("Long absence")
    ada = speaker(hub, code)
    first = [ada.say(f"Before the absence, line {n}.") for n in range(1, 6)]
    page = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    captions = page.locator("#captions li")
    expect(captions).to_have_count(5)
    expect(page.locator("#conn")).to_have_attribute("data-status", "connected")

    page.context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-status", "offline")
    # A long stretch of lecture the phone missed.
    store_finals(hub, code, ada.client.participant_id, range(6, 6 + MISSED), "Missed line {seq}.")
    ada.edit(first[1], "Before the absence, line 2 (corrected).")
    page.context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-status", "connected")
    expect(captions).to_have_count(5 + MISSED, timeout=30_000)
    ada.say("Back live.")
    expect(captions).to_have_count(6 + MISSED)
    seqs = [int(s) for s in captions.evaluate_all("rows => rows.map(r => r.dataset.seq)")]
    assert seqs == list(range(1, 7 + MISSED))  # every final once, in order: no gap between pages
    texts = captions.locator(".text").all_text_contents()
    assert texts[1] == "Before the absence, line 2 (corrected)." and texts[-2] == f"Missed line {5 + MISSED}."


def test_a_phone_refused_for_pace_joins_again_by_itself(make_hub, new_page, speaker):
    # A join budget so small that a reload right after a fresh join of 500 finals would have to wait 4 s, more
    # than the hub lets a join wait (3 s): the hub refuses it with rate_limited, as it does a join flood's.
    hub = make_hub(CCC_JOIN_CAPTIONS_PER_S="100")
    code = hub.create_room("Paced")
    ada = speaker(hub, code)
    ada.say("Line 1.")
    store_finals(hub, code, ada.client.participant_id, range(2, 501), "Line {seq}.")
    page = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    captions = page.locator("#captions li")
    expect(captions).to_have_count(500, timeout=15_000)
    page.reload()  # at once: this join is refused for pace, and the page tries again instead of giving up
    expect(page.locator("#conn")).to_have_attribute("data-status", "connected", timeout=20_000)
    expect(captions).to_have_count(500)
    assert "Could not join" not in (page.locator("#transcript-empty").text_content() or "")
    ada.say("Still here.")
    expect(captions).to_have_count(501)


def test_a_paced_catch_up_is_asked_again_until_every_missed_final_is_there(make_hub, new_page, speaker):
    # A crowd catching up at once gets a small share of the hub's join work each (#19); here one phone's own
    # budget is that small, so its catch-up pages are refused for pace along the way.
    hub = make_hub(CCC_JOIN_CAPTIONS_PER_S="60")
    code = hub.create_room("Paced catch-up")
    ada = speaker(hub, code)
    ada.say("Before the absence.")
    page = new_page(f"{hub.url}/r/{code}", viewport=PHONE)
    captions = page.locator("#captions li")
    expect(captions).to_have_count(1)
    page.context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-status", "offline")
    store_finals(hub, code, ada.client.participant_id, range(2, 602), "Missed line {seq}.")
    page.context.set_offline(False)
    # 600 finals in pages of 200 at 60 a second: each page after the first waits 3 s and is refused, then is
    # asked again; before, the page stopped at the first refusal with 201 captions until its next reconnect.
    expect(captions).to_have_count(601, timeout=45_000)
    seqs = [int(s) for s in captions.evaluate_all("rows => rows.map(r => r.dataset.seq)")]
    assert seqs == list(range(1, 602))
