"""A room's vocabulary on the station: bounded parsing, replacements, and Whisper hearing a term it missed."""
import time

import corpora
import pytest
from test_recognizers import recognize

from ccc.station.vocabulary import MAX_TERM_CHARS, MAX_TERMS, Vocabulary


@pytest.fixture(scope="module")
def prompts(tmp_path_factory):
    """Two Asterisk prompts that name the product: "Inter-Asterisk Exchange", "the Asterisk open source PBX"."""
    saved = list(corpora.PROMPTS)
    corpora.PROMPTS[:] = ["demo-abouttotry", "demo-thanks"]
    try:
        return dict(zip(["about", "thanks"], corpora.asterisk_prompts(tmp_path_factory.mktemp("vocab"))))
    finally:
        corpora.PROMPTS[:] = saved


def test_parse_keeps_good_entries_and_drops_the_rest():
    vocab = Vocabulary.parse({
        "terms": ["Digium", "  Inter-Asterisk  ", "", 7, None, "Digium", "x" * 500],
        "replacements": [{"from": "pbx", "to": "PBX"}, {"from": "", "to": "x"}, {"from": "...", "to": "x"},
                         "junk", {"from": 3, "to": "x"}, {"from": "um", "to": ""}],
    })
    assert vocab.terms == ("Digium", "Inter-Asterisk", "x" * MAX_TERM_CHARS)
    assert vocab.replacements == (("pbx", "PBX"), ("um", ""))
    for junk in (None, [], "terms", {"terms": "Digium"}, {"replacements": {"from": "a"}}):
        assert not Vocabulary.parse(junk)
    many = Vocabulary.parse({"terms": [f"t{i}" for i in range(10 * MAX_TERMS)]})
    assert len(many.terms) == MAX_TERMS and len(many.prompt()) <= 800


def test_replacements_match_whole_words_in_any_case_and_keep_their_spelling():
    vocab = Vocabulary.parse({"replacements": [{"from": "cube control", "to": "kubectl"},
                                               {"from": "sequel", "to": "SQL"}, {"from": "um", "to": ""}]})
    assert vocab.apply("Run Cube  Control, then um sequel.") == "Run kubectl, then SQL."
    assert vocab.apply("Sequels are umbrellas.") == "Sequels are umbrellas."  # whole words only
    words = [{"word": w, "start": i * 100, "end": i * 100 + 90, "conf": c}
             for i, (w, c) in enumerate([("Run", .9), ("Cube", .8), ("Control,", .5), ("um", .4), ("sequel.", .7)])]
    assert vocab.apply_words(words) == [
        {"word": "Run", "start": 0, "end": 90, "conf": .9},
        {"word": "kubectl,", "start": 100, "end": 290, "conf": .5},  # one entry spanning the phrase
        {"word": "SQL.", "start": 400, "end": 490, "conf": .7},
    ]


def test_a_term_makes_whisper_hear_a_name_it_gets_wrong_without(whisper, prompts):
    path, ref = prompts["about"]  # "I am about to attempt an Inter-Asterisk Exchange connection ..."
    whisper.set_vocabulary(Vocabulary())
    _, plain = recognize(whisper, path)
    assert "Inter-Asterisk" not in plain.text, plain.text  # tiny.en hears "and enter asterisk exchange"
    whisper.set_vocabulary(Vocabulary.parse({"terms": ["Inter-Asterisk", "Digium"]}))
    _, hinted = recognize(whisper, path)
    whisper.set_vocabulary(Vocabulary())
    assert "attempt an Inter-Asterisk exchange" in hinted.text.replace("Exchange", "exchange"), hinted.text
    assert corpora.wer([ref], [hinted.text]) < corpora.wer([ref], [plain.text])


def test_replacements_apply_to_whisper_finals_and_streaming_partials(two_pass, prompts):
    path, _ = prompts["thanks"]  # "Goodbye. Thank you for trying out the Asterisk Open Source PBX."
    two_pass.set_vocabulary(Vocabulary.parse({"replacements": [
        {"from": "thank you", "to": "Thanks"}, {"from": "PBX", "to": "phone exchange"},
        {"from": "asterisk", "to": "Asterisk"},  # tiny.en writes it lower-case here, PocketSphinx always does
    ]}))
    try:
        partials, final = recognize(two_pass, path)
    finally:
        two_pass.set_vocabulary(Vocabulary())
    assert "Thanks for trying" in final.text and final.text.endswith("phone exchange."), final.text
    assert "thank you" not in final.text.lower()
    assert "Thanks" in [w["word"] for w in final.words] and final.words[-1]["word"] == "phone exchange."
    assert "the Asterisk" in final.text
    assert any("the Asterisk" in p for p in partials), partials


def test_a_room_without_vocabulary_leaves_the_station_as_it_was(hub, tmp_path):
    from ccc.station.hub_link import HubLink
    from ccc.station.spool import Spool

    code = hub.create_room("No vocabulary")
    heard = []
    link = HubLink(hub.url, code, "Station", Spool(tmp_path / "spool.sqlite3", code), on_vocabulary=heard.append)
    link.start()
    try:
        link.submit(lambda: None).result(timeout=15)  # the hub thread joins before it runs any task
        assert link.joined and link.fatal is None
        assert not any(heard) and not link.vocabulary  # at most an empty vocabulary was handed on
    finally:
        link.close()


def test_a_rooms_vocabulary_reaches_a_station_through_the_hub_and_shows_on_phones(make_hub, redis_url, client,
                                                                                  rig, two_pass, prompts):
    # A message queue lets the command line (another process) tell connected stations, as /admin does.
    hub = make_hub(CCC_MESSAGE_QUEUE=redis_url)
    code = hub.create_room("Networks")
    hub.flask("rooms", "vocabulary", code, "--term", "Inter-Asterisk")
    phone = client(hub.url)
    assert phone.join(code, "audience")["ok"]
    station = rig(hub.url, code, two_pass, name="Dr Lee")
    try:
        station.wait_joined()
        wait_until(lambda: station.link.vocabulary.terms == ("Inter-Asterisk",))
        station.play(prompts["about"][0])
        first = phone.wait_for(lambda c: finals(c)[0] if finals(c) else None, timeout=60)
        assert "Inter-Asterisk" in first["text"], first["text"]  # heard through the room's term

        hub.flask("rooms", "vocabulary", code, "--term", "Inter-Asterisk", "--replace", "thank you=Thanks")
        wait_until(lambda: station.link.vocabulary.replacements == (("thank you", "Thanks"),))
        station.play(prompts["thanks"][0])
        second = phone.wait_for(lambda c: finals(c)[1] if len(finals(c)) > 1 else None, timeout=60)
        assert "Thanks for trying" in second["text"] and "thank you" not in second["text"].lower(), second["text"]
    finally:
        two_pass.set_vocabulary(Vocabulary())


def finals(phone) -> list[dict]:
    """Return the final captions a phone has received."""
    return [c for c in phone.of("caption") if c["isFinal"]]


def wait_until(condition, timeout: float = 20) -> None:
    """Wait for ``condition`` to hold, or fail."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
