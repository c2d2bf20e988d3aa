"""`flask --app app sessions ...`: start, end, list and delete a room's transcript sessions."""
from __future__ import annotations

import click
from flask import Blueprint

from ccc.store import sessions as session_rules
from ccc.store.transcripts import SessionNotFound, caption_counts, room_sessions

from .common import room_or_fail, when

bp = Blueprint("sessions_cli", __name__, cli_group=None)


@bp.cli.group("sessions", help="Start, end, list and delete a room's sessions.")
def sessions_cli() -> None:
    """Start, end, list and delete a room's sessions."""


@sessions_cli.command("start")
@click.argument("code")
@click.option("--title", help="The session's title (default: the room's title).")
def start(code: str, title: str | None) -> None:
    """End the room's open session and start the next one."""
    session = session_rules.start_session(room_or_fail(code, include_archived=False), title)
    click.echo(f"Started session {session.number} ({session.title}).")
    click.echo(session.number)


@sessions_cli.command("end")
@click.argument("code")
def end(code: str) -> None:
    """End the room's open session; the next caption starts a new one."""
    session = session_rules.end_session(room_or_fail(code))
    click.echo(f"Ended session {session.number}." if session else "No session is open.")


@sessions_cli.command("list")
@click.argument("code")
def list_(code: str) -> None:
    """List a room's sessions: number, dates, captions, title."""
    room = room_or_fail(code)
    counts = caption_counts(room)
    found = room_sessions(room)
    if not found:
        click.echo(f"Room {room.code} has no sessions yet.")
    for s in found:
        click.echo(f"{s.number:4}  {when(s.started_at)} – {when(s.ended_at)}  "
                   f"{counts.get(s.id, 0):5} captions  {s.title}")


@sessions_cli.command("delete")
@click.argument("code")
@click.argument("number", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_session(code: str, number: int, yes: bool) -> None:
    """Delete one session of a room with its captions."""
    room = room_or_fail(code)
    if not yes:
        click.confirm(f"Delete session {number} of room {room.code} and its captions?", abort=True)
    try:
        gone = session_rules.delete_session(room, number)
    except SessionNotFound as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Deleted session {number} of room {room.code} ({gone} captions).")
