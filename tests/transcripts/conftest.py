"""A realistic two-session transcript for the export tests, built the way the hub builds one."""
from __future__ import annotations

import pytest

from ccc.transcripts import CaptionRecord, Revision, SessionRecord, Transcript, Word

# 2024-03-05 09:00:00 UTC, a Tuesday lecture.
T0 = 1_709_629_200.0
PROF = ("p-kim", "김민지 (Prof. Kim)")
TRICKY = ("p-ana", "<Ana & Bo> </v>")
GUEST = ("p-lee", "Lee")

LONG_TEXT = (
    "So the key idea today is that light behaves both as a wave and as a particle, and which behaviour you "
    "see depends entirely on how you set up the experiment; in the double-slit experiment, if you do not "
    "measure which slit the photon passes through, you get an interference pattern, but the moment you "
    "measure it, the pattern disappears and you see two bands instead, which still surprises students."
)
KOREAN_WORDS = ["안녕하세요", "여러분", "오늘은", "빛의", "성질에", "대해", "배웁니다"]


def words_for(text: str, start_ms: float, end_ms: float) -> tuple[Word, ...]:
    """Time each word of ``text`` evenly between start and end, with short pauses, as a recognizer would."""
    tokens = text.split()
    step = (end_ms - start_ms) / len(tokens)
    return tuple(Word(token, start_ms + i * step, start_ms + (i + 0.8) * step, 0.9) for i, token in enumerate(tokens))


def caption(seq: int, speaker: tuple[str, str], text: str, at: float | None, dur: float | None, *,
            stored: float | None = None, words: bool = False, revisions: tuple[Revision, ...] = ()
            ) -> CaptionRecord:
    """Build a caption said ``at`` seconds after T0 for ``dur`` seconds (None: timings never received)."""
    start = None if at is None else (T0 + at) * 1000
    end = None if at is None or dur is None else (T0 + at + dur) * 1000
    created = stored if stored is not None else (T0 + (at or 0) + (dur or 0) + 0.3)
    return CaptionRecord(
        seq=seq, utterance_id=f"u{seq}", speaker_id=speaker[0], speaker_name=speaker[1], text=text,
        started_at=start, ended_at=end, created_at=created,
        words=words_for(text, start, end) if words else None, revisions=revisions,
    )


def lecture() -> Transcript:
    """Return the sample transcript: unicode, tricky names, corrections, missing timings, word timings."""
    first = (
        caption(1, PROF, " ".join(KOREAN_WORDS), 5, 4, words=True),
        caption(2, PROF, "Today we look at interference.", 10, 2.5),
        caption(3, TRICKY, "Is <b>this</b> on the exam? Tom & Jerry &lt;3 --> maybe", 14, 3),
        caption(4, PROF, "Yes, Schrödinger's cat is on the exam.", 18, 3, revisions=(
            Revision(3, "Captioner", T0 + 30, "Yes, shredding its cat is on the exam.",
                     "Yes, Schrödinger cat is on the exam."),
            Revision(7, "김민지 (Prof. Kim)", T0 + 45, "Yes, Schrödinger cat is on the exam.",
                     "Yes, Schrödinger's cat is on the exam."),
        )),
        caption(5, PROF, LONG_TEXT, 22, 26, words=True),
        # Recognizer timings lost (typed by a captioner): only the storing time is known.
        caption(6, TRICKY, "Thanks, that helps a lot.", None, None, stored=T0 + 52),
        # Overlaps the previous caption: a final that raced the floor hand-over.
        caption(7, PROF, "Let us move on to diffraction now.", 51, 3),
    )
    # A correction that merged two words: the stored word timings no longer line up with the text.
    merged = caption(8, PROF, "A grating has many slits.", 56, 3, words=True)
    merged = CaptionRecord(**{**merged.__dict__, "text": "A diffraction grating has many many slits.",
                              "revisions": (Revision(9, "Captioner", T0 + 70, merged.text,
                                                     "A diffraction grating has many many slits."),)})
    day = 86_400
    second = (
        caption(9, GUEST, "Welcome back. 다시 만나서 반갑습니다.", day + 20, 3),
        caption(10, PROF, "Pneumonoultramicroscopicsilicovolcanoconiosisandmorelettersbeyondaline is a word.",
                day + 25, 5),
    )
    return Transcript(
        room_code="PHY7K",
        room_title="Physics 101 & <Optics>",
        sessions=(
            SessionRecord(1, "Light: waves or particles?", T0, T0 + 3600, first + (merged,)),
            SessionRecord(2, "", T0 + day, None, second),
        ),
    )


@pytest.fixture
def transcript() -> Transcript:
    """Provide the sample two-session lecture transcript."""
    return lecture()


@pytest.fixture
def captions(transcript: Transcript) -> list[CaptionRecord]:
    """Provide every caption of the sample transcript, in export order."""
    return [c for session in transcript.sessions for c in session.captions]

