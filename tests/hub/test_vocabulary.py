"""A room's vocabulary: set from the command line, given to presenters (only) when they join, refused when bad."""
from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from ccc import protocol
from hubkit import PYTHON, ROOT


def flask(hub, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app app ...` against the hub's database and return the finished process."""
    return subprocess.run([PYTHON, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=hub.env,
                          capture_output=True, text=True, timeout=60)


def test_cli_sets_prints_and_clears_a_vocabulary(hub, tmp_path):
    code = hub.create_room("Biology")
    assert "0 terms, 0 replacements" in hub.flask("rooms", "vocabulary", code)
    lines = tmp_path / "bio.txt"
    lines.write_text("# the lecturer's spelling\nmitochondria\nDr  Okonkwo\n\nmy toe => mitochondria\n",
                     encoding="utf-8")
    out = hub.flask("rooms", "vocabulary", code.lower(), "--from-file", str(lines), "--term", "Krebs cycle",
                    "--term", "mitochondria", "--replace", "pie=π", "--replace", "um=")
    assert f"Vocabulary of {code}: 3 terms, 3 replacements." in out
    printed = hub.flask("rooms", "vocabulary", code)
    assert printed == out  # set, then read back the same
    assert [line.strip() for line in printed.splitlines()[1:]] == [
        "mitochondria", "Dr Okonkwo", "Krebs cycle", "my toe => mitochondria", "pie => π", "um =>"]
    assert "0 terms, 0 replacements" in hub.flask("rooms", "vocabulary", code, "--clear")
    assert "0 terms, 0 replacements" in hub.flask("rooms", "vocabulary", code)


def test_cli_refuses_a_bad_vocabulary_in_one_line_and_keeps_the_old_one(hub, tmp_path):
    code = hub.create_room()
    before = hub.flask("rooms", "vocabulary", code, "--term", "kept", "--replace", "a=b")
    big = tmp_path / "big.txt"
    big.write_text("\n".join(f"term {i}" for i in range(250)), encoding="utf-8")
    cases = [
        (code, ["--term", "x" * 61], "term 1 'xxxx"),
        (code, ["--term", "fine", "--term", "bad\x07bell"], "term 2 'bad\\x07bell': control characters"),
        (code, ["--replace", "no separator"], "FROM=TO"),
        (code, ["--from-file", str(big)], "at most 200 items"),
        ("ZZZZZ", ["--term", "fine"], "no open room"),
    ]
    # Each refusal is a command of its own (about 4 s of start-up); none changes anything, so they run at once.
    with ThreadPoolExecutor(len(cases)) as pool:
        refusals = list(pool.map(lambda case: flask(hub, "rooms", "vocabulary", case[0], *case[1]), cases))
    for (_room, _args, says), refused in zip(cases, refusals):
        assert refused.returncode != 0
        assert says in refused.stderr and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert hub.flask("rooms", "vocabulary", code) == before


def test_presenters_get_the_vocabulary_when_they_join_and_phones_do_not(hub, client):
    code = hub.create_room()
    hub.flask("rooms", "vocabulary", code, "--term", "Okonkwo", "--replace", "my toe=mito")
    expected = {"terms": ["Okonkwo"], "replacements": [{"from": "my toe", "to": "mito"}]}
    presenter = client(hub.url)
    ack = presenter.join(code, role="presenter", name="Dr Okonkwo")
    assert ack["ok"] and ack["state"]["vocabulary"] == expected
    assert presenter.wait_for(protocol.ROOM_STATE)["vocabulary"] == expected
    for role in ("audience", "projector"):
        other = client(hub.url)
        ack = other.join(code, role=role)
        assert ack["ok"] and "vocabulary" not in ack["state"]
        assert "vocabulary" not in other.wait_for(protocol.ROOM_STATE)


def test_a_presenter_of_a_room_without_vocabulary_gets_empty_lists(hub, client):
    presenter = client(hub.url)
    ack = presenter.join(hub.create_room(), role="presenter", name="P")
    assert ack["state"]["vocabulary"] == {"terms": [], "replacements": []}


def test_vocabulary_model_normalizes_and_refuses():
    vocab = protocol.parse(protocol.Vocabulary, {
        "terms": ["  Krebs \t cycle ", "Krebs cycle", "ATP"],
        "replacements": [{"from": "my  toe", "to": "mito"}, {"from": "my toe", "to": "other"}, {"from": "um", "to": ""}],
    })
    assert vocab.wire() == {"terms": ["Krebs cycle", "ATP"],
                            "replacements": [{"from": "my toe", "to": "mito"}, {"from": "um", "to": ""}]}
    for bad, code in [({"terms": "ATP"}, "bad_request"), ({"terms": [3]}, "bad_request"),
                      ({"terms": ["   "]}, "bad_request"), ({"replacements": [{"from": " ", "to": "x"}]}, "bad_request"),
                      ({"terms": ["a\u0000b"]}, "bad_request"), ({"terms": ["x"] * 201}, "too_large"),
                      ({"replacements": [{"from": "a"}]}, "bad_request"), ({"extra": []}, "bad_request"),
                      ({"replacements": [{"from": "a", "to": "b" * 101}]}, "too_large")]:
        with pytest.raises(protocol.ProtocolError) as refused:
            protocol.parse(protocol.Vocabulary, bad)
        assert refused.value.code.value == code, bad


def test_a_vocabulary_set_from_the_command_line_reaches_stations_through_the_message_queue(make_hub, client,
                                                                                             redis_url):
    hub = make_hub(CCC_MESSAGE_QUEUE=redis_url)
    code = hub.create_room()
    station = client(hub.url)
    assert station.join(code, role="presenter", name="P")["ok"]
    phone = client(hub.url)
    assert phone.join(code, role="audience")["ok"]
    switched = client(hub.url)  # joined as a presenter, then rejoined as audience on the same connection
    assert switched.join(code, role="presenter", name="Q")["ok"] and switched.join(code, role="audience")["ok"]
    hub.flask("rooms", "vocabulary", code, "--term", "Okonkwo")
    assert station.wait_for(protocol.VOCABULARY_UPDATED) == {"terms": ["Okonkwo"], "replacements": []}
    assert not phone.of(protocol.VOCABULARY_UPDATED) and not switched.of(protocol.VOCABULARY_UPDATED)


def test_verbatim_is_a_room_setting_kept_apart_from_the_terms(hub, client):
    code = hub.create_room()
    hub.flask("rooms", "vocabulary", code, "--term", "Okonkwo")
    assert "captions keep hesitations" in hub.flask("rooms", "verbatim", code)
    assert "hesitations kept (verbatim)" in hub.flask("rooms", "vocabulary", code, "--term", "Krebs")  # kept
    station = client(hub.url)
    state = station.join(code, role="presenter", name="P")["state"]
    assert state["vocabulary"] == {"terms": ["Krebs"], "replacements": [], "verbatim": True}
    assert "leave hesitations out" in hub.flask("rooms", "verbatim", code, "--off")
    again = client(hub.url)
    assert again.join(code, role="presenter", name="Q")["state"]["vocabulary"] == {"terms": ["Krebs"],
                                                                                   "replacements": []}
    refused = flask(hub, "rooms", "verbatim", "ZZZZZ")
    assert refused.returncode != 0 and "no open room" in refused.stderr
