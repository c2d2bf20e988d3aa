"""The admin sets a room's vocabulary in Chromium; connected presenter stations receive it at once."""
from __future__ import annotations

from playwright.sync_api import expect

from ccc import protocol


def test_admin_vocabulary_reaches_presenters_live_and_a_bad_one_changes_nothing(hub, new_page, client, axe):
    code = hub.create_room("Biology")
    station = client(hub.url)
    assert station.join(code, role="presenter", name="Dr Okonkwo")["ok"]
    phone = client(hub.url)
    assert phone.join(code, role="audience")["ok"]

    admin = new_page(f"{hub.url}/admin")
    admin.fill("#password", "test-admin")
    admin.get_by_role("button", name="Sign in").click()
    room = admin.locator(f'.admin-room[data-code="{code}"]')
    room.locator("summary", has_text="Vocabulary").click()
    room.get_by_label("Names and terms").fill("mitochondria\n  Krebs   cycle\nmitochondria\n")
    room.get_by_label("Replacements").fill("my toe => mitochondria\npie => π\n")
    room.get_by_label("Keep hesitations").check()  # an oral-history room: the transcript keeps "um"
    axe(admin)
    room.get_by_role("button", name="Save vocabulary").click()
    expect(admin.locator(".flash")).to_contain_text(
        f"Room {code} vocabulary saved: 2 terms, 2 replacements, hesitations kept (verbatim)")

    expected = {"terms": ["mitochondria", "Krebs cycle"],
                "replacements": [{"from": "my toe", "to": "mitochondria"}, {"from": "pie", "to": "π"}],
                "verbatim": True}
    assert station.wait_for(protocol.VOCABULARY_UPDATED) == expected
    room = admin.locator(f'.admin-room[data-code="{code}"]')
    expect(room.locator("summary", has_text="Vocabulary")).to_contain_text("2 terms, 2 replacements")
    room.locator("summary", has_text="Vocabulary").click()
    expect(room.get_by_label("Names and terms")).to_have_value("mitochondria\nKrebs cycle")
    expect(room.get_by_label("Keep hesitations")).to_be_checked()

    # Too long a term: the form says why, keeps what was typed, and nothing changes anywhere.
    room.get_by_label("Names and terms").fill("mitochondria\n" + "x" * 61)
    room.get_by_role("button", name="Save vocabulary").click()
    room = admin.locator(f'.admin-room[data-code="{code}"]')
    expect(room.get_by_role("alert")).to_contain_text("Not saved: vocabulary refused: term 2")
    expect(room.get_by_role("alert")).to_contain_text("at most 60 characters")
    expect(room.get_by_label("Names and terms")).to_have_value("mitochondria\n" + "x" * 61)
    expect(room.get_by_label("Names and terms")).to_have_attribute("aria-invalid", "true")
    axe(admin)
    assert "2 terms, 2 replacements" in hub.flask("rooms", "vocabulary", code)
    assert len(station.of(protocol.VOCABULARY_UPDATED)) == 1
    assert not phone.of(protocol.VOCABULARY_UPDATED)  # phones never download it

    # A presenter who joins later gets it in its roomState.
    late = client(hub.url)
    assert late.join(code, role="presenter", name="Captioner")["state"]["vocabulary"] == expected
