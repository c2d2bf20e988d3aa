"""Hesitation fillers are left out of captions, with nothing stray left behind; --verbatim keeps them."""
import time

import pytest

from ccc.station import audio
from ccc.station.fillers import is_filler, strip_filler_words, strip_fillers
from ccc.station.recognizers import Final, Recognizer
from ccc.station.station import Station


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


class Scripted(Recognizer):
    """Hears what Whisper writes for a hesitant speaker: no recording with fillers exists on this machine
    (Whisper tiny.en leaves espeak-ng's "umm" out), so the station's wiring is checked with its text."""

    def __init__(self, text: str):
        self.text, self.fed = text, 0

    def feed(self, pcm: bytes) -> None:
        self.fed += len(pcm)

    def partial(self) -> str:
        return ""

    def finish(self) -> Final:
        return Final(self.text if self.fed else "", [{"word": w, "start": 0, "end": 0} for w in self.text.split()])


@pytest.mark.parametrize(("verbatim", "shown"), [(False, "So the results are in."),
                                                  (True, "Um, so the results are in.")])
def test_the_station_sends_finals_without_fillers_unless_verbatim(librivox, verbatim, shown):
    finals = []
    station = Station(Scripted("Um, so the results are in."), None, on_final=finals.append, verbatim=verbatim)
    station.start()
    station.key(True)
    pcm = audio.read_wav(librivox[1][0])  # real speech, so Silero opens a caption
    for offset in range(0, len(pcm), 3200):
        station.audio(pcm[offset:offset + 3200])
    station.key(False)
    station.end_of_input()
    station.join(30)
    assert [f["text"] for f in finals] == [shown]
    assert " ".join(w["word"] for w in finals[0]["words"]) == shown


def test_a_room_set_to_verbatim_keeps_the_hesitations_of_its_stations(make_hub, redis_url, client, rig, librivox):
    hub = make_hub(CCC_MESSAGE_QUEUE=redis_url)  # the command line tells connected stations, as /admin does
    code = hub.create_room("Oral history")
    hub.flask("rooms", "verbatim", code)
    phone = client(hub.url)
    assert phone.join(code, "audience")["ok"]
    station = rig(hub.url, code, Scripted("Um, so the results are in."), name="Interviewer")
    station.wait_joined()
    deadline = time.monotonic() + 10
    while not station.station.verbatim:  # from the join state
        assert time.monotonic() < deadline
        time.sleep(0.05)
    station.play(librivox[1][0])
    assert phone.wait_for(lambda c: finals(c)[0:1], timeout=60)[0]["text"] == "Um, so the results are in."
    hub.flask("rooms", "verbatim", code, "--off")
    while station.station.verbatim:  # live, through vocabularyUpdated
        assert time.monotonic() < deadline + 20
        time.sleep(0.05)
    station.play(librivox[1][0])
    assert phone.wait_for(lambda c: finals(c)[1:2], timeout=60)[0]["text"] == "So the results are in."


def finals(phone) -> list[dict]:
    """Return the final captions a phone has received."""
    return [c for c in phone.of("caption") if c["isFinal"]]
