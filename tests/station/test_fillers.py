"""Hesitation fillers are left out of captions, with nothing stray left behind; --verbatim keeps them."""
import pytest

from ccc.station.fillers import is_filler, strip_filler_words, strip_fillers


@pytest.mark.parametrize(("said", "shown"), [
    ("Um, so the results are in.", "So the results are in."),
    ("So, um, the results are in.", "So, the results are in."),
    ("The results, uh... are in.", "The results, are in."),
    ("The results are in, um.", "The results are in."),
    ("It works. Uh, the next one is harder.", "It works. The next one is harder."),
    ("It works. Uh... um... the next one, hmm, is harder.", "It works. The next one, is harder."),
    ("I think, er, that is it.", "I think, that is it."),
    ("Well uh ... we start.", "Well we start."),
    ("Uhm. Erm. Hmm.", ""),
    ("Umm, uh-huh, mm-hmm.", "Uh-huh, mm-hmm."),  # answers carry meaning: yes
    ("Oh, ah, I see.", "Oh, ah, I see."),  # surprise and understanding are words, not hesitation
    ("the umbrella, the summer, hummed", "the umbrella, the summer, hummed"),
    ("so uh we went um there", "so we went there"),  # PocketSphinx partials: no case, no punctuation
    ("", ""),
])
def test_fillers_are_left_out_and_the_text_stays_tidy(said, shown):
    assert strip_fillers(said) == shown
    assert "  " not in strip_fillers(said) and " ," not in strip_fillers(said)


def test_word_timings_lose_the_fillers_and_keep_the_shown_spelling():
    words = [{"word": w, "start": i * 300, "end": i * 300 + 200} for i, w in enumerate(["Um,", "so", "it", "works."])]
    assert [(w["word"], w["start"]) for w in strip_filler_words(words)] == [("So", 300), ("it", 600), ("works.", 900)]
    assert is_filler("Uhh...") and is_filler("hmm?") and not is_filler("hum") and not is_filler("Emma")
