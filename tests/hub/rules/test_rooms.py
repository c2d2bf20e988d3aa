"""Room rules, tested directly against a database (no sockets)."""
import pytest

from ccc.hub.rules import rooms
from ccc.protocol import CODE_ALPHABET, ProtocolError


def test_generated_codes_are_unique_and_have_no_look_alikes(app):
    codes = {rooms.create_room(f"Room {i}").code for i in range(200)}
    assert len(codes) == 200
    assert not set("".join(codes)) & set("0O1IL")
    assert all(set(code) <= set(CODE_ALPHABET) for code in codes)


def test_codes_are_case_and_space_insensitive(app):
    room = rooms.create_room("Physics", code="phy7k")
    assert room.code == "PHY7K"
    assert rooms.get_room(" phy 7k ").id == room.id
    with pytest.raises(rooms.RoomError, match="already exists"):
        rooms.create_room("Again", code="PHY7K")
    with pytest.raises(rooms.RoomError, match="cannot contain"):
        rooms.create_room("Bad", code="HELLO")  # L and O look like 1 and 0


def test_pin_is_stored_hashed(app):
    room = rooms.create_room("Secret", pin="4321")
    assert "4321" not in room.pin_hash and room.check_pin("4321") and not room.check_pin("1234")


def test_archived_rooms_cannot_be_joined(app):
    room = rooms.create_room("Old")
    rooms.archive_room(room.code)
    with pytest.raises(ProtocolError) as exc:
        rooms.get_room(room.code)
    assert exc.value.code.value == "room_not_found"
    assert room.code not in [r.code for r in rooms.list_rooms()]


def test_short_codes_and_short_pins_are_refused(app):
    for code in ("AB3", "AB34"):  # 29,791 or 923,521 codes can be tried one by one to find rooms
        with pytest.raises(rooms.RoomError, match="5 to 16 characters"):
            rooms.create_room("Short", code=code)
    for pin in ("1", "12", "123"):
        with pytest.raises(rooms.RoomError, match="at least 4"):
            rooms.create_room("Weak", pin=pin)
    room = rooms.create_room("Fine", code="AB345", pin="1234")
    with pytest.raises(rooms.RoomError, match="at least 4"):
        rooms.set_pin(room.code, "987")
    assert room.check_pin("1234")
    rooms.set_pin(room.code, "")
    assert not room.has_pin
