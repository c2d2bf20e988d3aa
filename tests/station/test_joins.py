"""Joining one hold's cuts: the words past the context are kept, a word heard on both sides is shown once."""
from ccc.station.joins import after_context, bare_words, drop_echo


def timed(*spec):
    """Return word timings from (word, start ms, end ms) triples."""
    return [{"word": w, "start": s, "end": e} for w, s, e in spec]


def test_only_the_words_after_the_context_are_kept_with_times_from_the_cut():
    words = timed(("He", 0, 300), ("was", 300, 600), ("not", 600, 1900), ("an", 2100, 2300), ("ill", 2300, 2600),
                  ("-disposed", 2600, 3000))
    text, kept = after_context(words, 2.0)
    assert text == "an ill-disposed"
    assert [(w["start"], w["end"]) for w in kept] == [(100, 300), (300, 600), (600, 1000)]


def test_a_word_heard_on_both_sides_of_a_cut_is_dropped_from_the_second():
    last = [bare_words(w) for w in ["rather", "cold", "and"]]
    text, kept = drop_echo(last, "And rather selfish.", timed(("And", 100, 300), ("rather", 300, 600),
                                                             ("selfish.", 600, 900)))
    assert text == "Rather selfish." and kept[0]["word"] == "Rather"
    late = timed(("so", 100, 300), ("and", 1500, 1700), ("more", 1700, 1900))  # not at the cut: kept
    assert drop_echo(last, "so and more", late) == ("so and more", late)
