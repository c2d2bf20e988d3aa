"""What the command groups share: finding a room or stopping with a clear error, and showing a moment."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click

from ccc.hub.rules import rooms as room_rules
from ccc.store.models import Room


def room_or_fail(code: str, include_archived: bool = True) -> Room:
    """Return the room with this code, or stop the command with "no room"."""
    room = room_rules.find_room(code, include_archived=include_archived)
    if room is None:
        raise click.ClickException(f"no room {code!r}")
    return room


@contextmanager
def refusals() -> Iterator[None]:
    """Stop the command with the rule's own one-line reason when a room rule refuses (RoomError)."""
    try:
        yield
    except room_rules.RoomError as exc:
        raise click.ClickException(str(exc)) from None


def when(epoch_s: float | None) -> str:
    """Return a moment as the commands print it (local time, to the minute), or an ellipsis."""
    return datetime.fromtimestamp(epoch_s).astimezone().strftime("%Y-%m-%d %H:%M") if epoch_s else "…"
