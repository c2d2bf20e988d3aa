"""Sessions, retention and deletion, tested directly against a database (no sockets)."""
import time

import pytest
from sqlalchemy import func, select

from ccc.hub.rules import rooms
from ccc.store import retention, sessions
from ccc.store.db import db
from ccc.store.models import Caption, CaptionRevision, Participant, Room, TranscriptSession
from ccc.store.transcripts import SessionNotFound, build_transcript

DAY = 86_400
NOW = 1_750_000_000.0


def add_session(room: Room, number: int, started: float, ended: float | None, texts: list[str],
                edited: bool = False) -> TranscriptSession:
    """Store a session of ``room`` with one caption per text, said during the session."""
    session = TranscriptSession(room_id=room.id, number=number, title=f"Lecture {number}", started_at=started,
                                ended_at=ended)
    db.session.add(session)
    db.session.flush()
    for i, text in enumerate(texts):
        room.last_seq += 1
        caption = Caption(room_id=room.id, session_id=session.id, seq=room.last_seq, utterance_id=f"u{room.last_seq}",
                          speaker_id="p1", speaker_name="Ada", text=text, created_at=started + 60 * (i + 1))
        db.session.add(caption)
        db.session.flush()
        if edited:
            room.last_rev += 1
            db.session.add(CaptionRevision(room_id=room.id, caption_id=caption.id, rev=room.last_rev,
                                           edited_by="Ada", before=text, after=text + "!"))
            caption.text, caption.rev = text + "!", room.last_rev
    db.session.commit()
    return session


def kept(room: Room) -> list[int]:
    """Return the numbers of the room's sessions still stored."""
    return list(db.session.scalars(select(TranscriptSession.number).where(TranscriptSession.room_id == room.id)
                                   .order_by(TranscriptSession.number)))


def count(model) -> int:
    """Return how many rows a table holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def test_purge_removes_exactly_the_sessions_past_their_rooms_retention(app):
    weekly = rooms.create_room("Weekly")
    weekly.retention_days = 7
    forever = rooms.create_room("Forever")
    db.session.commit()
    add_session(weekly, 1, NOW - 10 * DAY, NOW - 10 * DAY + 3600, ["old one", "old two"], edited=True)
    add_session(weekly, 2, NOW - 8 * DAY, NOW - 6 * DAY, ["ended recently, started long ago"])
    add_session(weekly, 3, NOW - 9 * DAY, None, ["open, but silent for 9 days"])
    add_session(weekly, 4, NOW - 3600, None, ["today"])
    add_session(forever, 1, NOW - 400 * DAY, NOW - 399 * DAY, ["ancient, kept forever"])

    result = retention.purge(at=NOW)

    assert sorted(result.sessions) == [(weekly.code, 1), (weekly.code, 3)]
    assert result.captions == 3
    assert kept(weekly) == [2, 4] and kept(forever) == [1]
    assert count(Caption) == 3 and count(CaptionRevision) == 0
    assert retention.purge(at=NOW).sessions == []


def test_global_default_applies_only_to_rooms_without_their_own_setting(app):
    app.config["RETENTION_DAYS"] = "30"
    default = rooms.create_room("Default")
    own = rooms.create_room("Own")
    own.retention_days = 365
    db.session.commit()
    add_session(default, 1, NOW - 40 * DAY, NOW - 40 * DAY, ["gone"])
    add_session(default, 2, NOW - 20 * DAY, NOW - 20 * DAY, ["kept"])
    add_session(own, 1, NOW - 40 * DAY, NOW - 40 * DAY, ["kept by its room"])
    assert retention.purge(at=NOW).sessions == [(default.code, 1)]
    assert kept(default) == [2] and kept(own) == [1]


def test_nothing_is_purged_without_any_retention(app):
    room = rooms.create_room("Keep")
    add_session(room, 1, NOW - 3000 * DAY, NOW - 3000 * DAY, ["kept"])
    assert retention.purge(at=NOW).sessions == [] and kept(room) == [1]


def test_start_and_end_split_sessions_and_number_them_per_room(app):
    room = rooms.create_room("Physics")
    first = sessions.start_session(room, "Optics")
    second = sessions.start_session(room)
    assert (first.number, first.title, second.number, second.title) == (1, "Optics", 2, "Physics")
    assert first.ended_at is not None and second.ended_at is None
    assert sessions.end_session(room).number == 2
    assert sessions.end_session(room) is None
    other = rooms.create_room("Chemistry")
    assert sessions.start_session(other).number == 1


def test_transcript_holds_sessions_in_order_with_latest_text_and_history(app):
    room = rooms.create_room("Physics")
    add_session(room, 2, NOW, None, ["later"])
    add_session(room, 1, NOW - DAY, NOW - DAY + 60, ["first", "second"], edited=True)
    transcript = build_transcript(room)
    assert [s.number for s in transcript.sessions] == [1, 2]
    first = transcript.sessions[0].captions[0]
    assert (first.text, first.original_text, first.revisions[0].edited_by) == ("first!", "first", "Ada")
    assert [c.text for c in build_transcript(room, 2).sessions[0].captions] == ["later"]
    with pytest.raises(SessionNotFound):
        build_transcript(room, 3)


def test_deleting_a_session_or_a_room_takes_its_captions_and_nothing_else(app):
    room = rooms.create_room("Physics")
    other = rooms.create_room("Other")
    add_session(room, 1, NOW, NOW + 60, ["a", "b"], edited=True)
    add_session(room, 2, NOW + DAY, None, ["c"])
    add_session(other, 1, NOW, None, ["d"], edited=True)
    db.session.add(Participant(room_id=room.id, participant_id="p1", role="presenter"))
    db.session.commit()
    assert sessions.delete_session(room, 1) == 2
    assert kept(room) == [2] and count(Caption) == 2 and count(CaptionRevision) == 1
    code = room.code
    assert sessions.delete_room(room) == 1
    assert rooms.find_room(other.code) is not None and rooms.find_room(code, include_archived=True) is None
    assert count(Room) == 1 and count(Caption) == 1 and count(CaptionRevision) == 1 and count(Participant) == 0


def test_cli_sets_retention_purges_and_deletes(app):
    cli = app.test_cli_runner()
    room = rooms.create_room("Physics", code="PHY7K")
    other = rooms.create_room("Other")
    add_session(room, 1, 1_000_000.0, 1_000_060.0, ["long ago"])
    add_session(room, 2, time.time() - 3600, None, ["recent"])  # the command purges as of now
    add_session(other, 1, 1_000_000.0, None, ["kept forever"])
    assert "for 30 days" in cli.invoke(args=["rooms", "retention", "phy7k", "30"]).output
    result = cli.invoke(args=["transcripts", "purge"])
    assert "Deleted session 1 of room PHY7K." in result.output and "Purged 1 sessions, 1 captions." in result.output
    assert "recent" in cli.invoke(args=["transcripts", "export", "PHY7K", "--format", "txt"]).output
    assert cli.invoke(args=["sessions", "delete", "PHY7K", "2", "--yes"]).exit_code == 0
    assert "no sessions yet" in cli.invoke(args=["sessions", "list", "PHY7K"]).output
    assert cli.invoke(args=["sessions", "delete", "PHY7K", "2", "--yes"]).exit_code != 0
    assert "Deleted room PHY7K" in cli.invoke(args=["rooms", "delete", "PHY7K", "--yes"]).output
    assert [r.code for r in rooms.list_rooms(include_archived=True)] == [other.code] and kept(other) == [1]
