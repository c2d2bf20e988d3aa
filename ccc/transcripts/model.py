"""The transcript as the exporters read it: plain frozen records, built by the hub from the database.

Units follow the database and the wire: caption and word times are epoch milliseconds; session, caption
``created_at`` and revision times are epoch seconds.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Revision:
    """One correction of a caption: who made it, when, and the text before and after."""

    rev: int
    edited_by: str
    edited_at: float
    before: str
    after: str


@dataclass(frozen=True)
class Word:
    """One recognized word with its start and end in epoch milliseconds."""

    word: str
    start: float
    end: float
    conf: float | None = None


@dataclass(frozen=True)
class CaptionRecord:
    """A final caption with its current (corrected) text, its timings and its revision history."""

    seq: int
    utterance_id: str
    speaker_id: str
    speaker_name: str
    text: str
    started_at: float | None
    ended_at: float | None
    created_at: float
    words: tuple[Word, ...] | None = None
    revisions: tuple[Revision, ...] = ()

    @property
    def original_text(self) -> str:
        """Return the text as first recognized, before any correction."""
        if not self.revisions:
            return self.text
        return min(self.revisions, key=lambda revision: revision.rev).before


@dataclass(frozen=True)
class SessionRecord:
    """One lecture or talk in a room and its captions, oldest first."""

    number: int
    title: str
    started_at: float
    ended_at: float | None
    captions: tuple[CaptionRecord, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """What one export holds: a room and the sessions chosen from it, in order."""

    room_code: str
    room_title: str
    sessions: tuple[SessionRecord, ...] = ()
    lang: str | None = None  # set when the captions were machine-translated into this language for the export
    translation: str | None = None  # then: the note every format carries, e.g. "Machine translation into ..."
