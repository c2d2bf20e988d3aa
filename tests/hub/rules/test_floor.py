"""The floor's rules (ccc/hub/rules/floor.py and floor_queue.py), tested directly on the in-process app.

The end-to-end tests (tests/hub/test_floor_queue.py, ...) go through sockets; these call the rules the
handlers call, so a broken rule shows here with its own name.
"""
import pytest

from ccc import protocol
from ccc.hub.rules import floor, floor_queue, presence, rooms
from ccc.protocol import ProtocolError
from ccc.store.db import db


def _join(room, name: str, role: str = "presenter", sid: str | None = None, **fields):
    data = protocol.parse(protocol.Join, {"room": room.code, "role": role, "name": name, **fields})
    return presence.join(room, data, sid or f"sid-{name}").participant


def _fresh(row):
    """Read a row again, as the next event's handler would (the floor moves by UPDATEs, not through objects)."""
    db.session.refresh(row)
    return row


def test_one_presenter_holds_the_floor_and_the_other_is_told_who(app):
    room = rooms.create_room("Physics")
    ana, ben = _join(room, "Ana"), _join(room, "Ben")
    first = floor.request_floor(room, ana)
    second = floor.request_floor(room, ben)
    assert (first.granted, first.changed) == (True, True)
    assert (second.granted, second.holder_name) == (False, "Ana")
    assert floor.request_floor(room, ana).granted  # asking again while holding it is still a yes
    assert floor.release_floor(room.id, ana.participant_id)
    assert not floor.release_floor(room.id, ana.participant_id)  # released once, not twice
    assert floor.request_floor(room, ben).holder_name == "Ben"


def test_the_audience_cannot_take_the_floor(app):
    room = rooms.create_room("Physics")
    reader = _join(room, "Phone", role="audience")
    with pytest.raises(ProtocolError) as refused:
        floor.request_floor(room, reader)
    assert refused.value.code is protocol.ErrorCode.FORBIDDEN
    assert _fresh(room).floor_holder_id is None


def test_leaving_releases_the_floor_and_a_late_final_is_still_accepted(app):
    room = rooms.create_room("Physics")
    ana = _join(room, "Ana")
    floor.request_floor(room, _fresh(ana))
    begun = protocol.parse(protocol.Caption, {"utteranceId": "u1", "text": "hello", "isFinal": True})
    assert floor.may_send_final(_fresh(room), ana, begun)
    assert floor.leave(ana)  # it held the floor
    assert _fresh(room).floor_holder_id is None
    # Key up races the last result: a final begun in the hold is accepted just after the release ...
    late = protocol.parse(protocol.Caption, {"utteranceId": "u2", "text": "world", "isFinal": True,
                                             "startedAt": _fresh(ana).hold_started_at * 1000})  # the hold's start
    assert floor.may_send_final(room, ana, late)
    # ... but not one begun after it.
    after = protocol.parse(protocol.Caption, {"utteranceId": "u3", "text": "later", "isFinal": True,
                                              "startedAt": int(ana.hold_released_at * 1000) + 1000})
    assert not floor.may_send_final(room, ana, after)


def test_a_released_floor_is_offered_to_the_first_raised_hand_only(app):
    room = rooms.create_room("Physics")
    ana, ben, cleo = _join(room, "Ana"), _join(room, "Ben"), _join(room, "Cleo")
    floor.request_floor(room, ana)
    assert floor_queue.raise_hand(room, ben) == 1
    assert floor_queue.raise_hand(room, cleo) == 2
    floor.release_floor(room.id, ana.participant_id)
    assert floor_queue.settle(room.id)
    assert floor_queue.offer_of(room.id)[1] == "Ben"
    denied = floor.request_floor(room, cleo)  # the floor is free, but offered to Ben for a few seconds
    assert (denied.granted, denied.offered_name) == (False, "Ben")
    assert floor.request_floor(room, ben).granted
    assert [entry.name for entry in floor_queue.entries(room.id)] == ["Cleo"]


def test_a_new_pin_takes_the_floor_back_from_presenters_who_have_not_proved_it(app):
    room = rooms.create_room("Physics")
    ana = _join(room, "Ana")
    floor.request_floor(room, ana)
    room, former = rooms.set_pin(room.code, "482915")
    assert former == ana.participant_id and _fresh(room).floor_holder_id is None
    with pytest.raises(ProtocolError, match="PIN has changed"):
        floor.request_floor(room, presence.find_participant(room.id, ana.participant_id))
