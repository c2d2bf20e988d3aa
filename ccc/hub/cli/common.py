"""What the command groups share: finding a room or stopping with a clear error, and showing a moment."""
from __future__ import annotations

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


def when(epoch_s: float | None) -> str:
    """Return a moment as the commands print it (local time, to the minute), or an ellipsis."""
    return datetime.fromtimestamp(epoch_s).astimezone().strftime("%Y-%m-%d %H:%M") if epoch_s else "…"
