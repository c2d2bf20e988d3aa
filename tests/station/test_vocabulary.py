"""A room's vocabulary on the station: bounded parsing, replacements, and Whisper hearing a term it missed."""
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


def test_a_hub_that_sends_no_vocabulary_leaves_the_station_as_it_was(hub, tmp_path):
    from ccc.station.hub_link import HubLink
    from ccc.station.spool import Spool

    code = hub.create_room("No vocabulary")
    heard = []
    link = HubLink(hub.url, code, "Station", Spool(tmp_path / "spool.sqlite3", code), on_vocabulary=heard.append)
    link.start()
    try:
        link.submit(lambda: None).result(timeout=15)  # the hub thread joins before it runs any task
        assert link.joined and link.fatal is None
        assert heard == [] and not link.vocabulary
    finally:
        link.close()
