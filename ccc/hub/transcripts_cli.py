"""Command-line tools for transcripts: `flask --app app transcripts|sessions ...`, `rooms delete|retention`."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ccc.transcripts import FORMATS, export, filename, retention
from ccc.transcripts import sessions as session_rules
from ccc.transcripts.queries import SessionNotFound, build_transcript, caption_counts, room_sessions

from . import rooms as room_rules
from .cli import rooms_cli
from .extensions import db
from .models import Room
from .transcripts import E2E_EXPORT

transcripts_cli = AppGroup("transcripts", help="Export and purge saved transcripts.")
sessions_cli = AppGroup("sessions", help="Start, end, list and delete a room's sessions.")


def _room(code: str, include_archived: bool = True) -> Room:
    room = room_rules.find_room(code, include_archived=include_archived)
    if room is None:
        raise click.ClickException(f"no room {code!r}")
    return room


def _when(epoch_s: float | None) -> str:
    return datetime.fromtimestamp(epoch_s).astimezone().strftime("%Y-%m-%d %H:%M") if epoch_s else "…"


@transcripts_cli.command("export")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="txt", show_default=True)
@click.option("--session", "number", type=int, help="Export only this session (default: all, in order).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output; a directory name is not allowed).")
def export_(code: str, fmt: str, number: int | None, output: Path | None) -> None:
    """Export a room's transcript in one format, to a file or standard output."""
    room = _room(code)
    if room.e2e and fmt != "json":
        raise click.ClickException(E2E_EXPORT.format(code=room.code, fmt=fmt).strip())
    try:
        transcript = build_transcript(room, number)
    except SessionNotFound as exc:
        raise click.ClickException(str(exc)) from None
    data = export(fmt, transcript)
    if output is None:
        click.echo(data, nl=False)  # bytes go to stdout as they are
        return
    output.write_bytes(data)
    click.echo(f"Wrote {output} ({len(data)} bytes; the download name is {filename(transcript, fmt, number)}).",
               err=True)


@transcripts_cli.command("purge")
def purge() -> None:
    """Delete the sessions older than their room keeps transcripts (the hub also does this daily)."""
    result = retention.purge()
    for code, number in result.sessions:
        click.echo(f"Deleted session {number} of room {code}.")
    click.echo(f"Purged {len(result.sessions)} sessions, {result.captions} captions.")


@sessions_cli.command("start")
@click.argument("code")
@click.option("--title", help="The session's title (default: the room's title).")
def start(code: str, title: str | None) -> None:
    """End the room's open session and start the next one."""
    session = session_rules.start_session(_room(code, include_archived=False), title)
    click.echo(f"Started session {session.number} ({session.title}).")
    click.echo(session.number)


@sessions_cli.command("end")
@click.argument("code")
def end(code: str) -> None:
    """End the room's open session; the next caption starts a new one."""
    session = session_rules.end_session(_room(code))
    click.echo(f"Ended session {session.number}." if session else "No session is open.")


@sessions_cli.command("list")
@click.argument("code")
def list_(code: str) -> None:
    """List a room's sessions: number, dates, captions, title."""
    room = _room(code)
    counts = caption_counts(room)
    found = room_sessions(room)
    if not found:
        click.echo(f"Room {room.code} has no sessions yet.")
    for s in found:
        click.echo(f"{s.number:4}  {_when(s.started_at)} – {_when(s.ended_at)}  "
                   f"{counts.get(s.id, 0):5} captions  {s.title}")


@sessions_cli.command("delete")
@click.argument("code")
@click.argument("number", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_session(code: str, number: int, yes: bool) -> None:
    """Delete one session of a room with its captions."""
    room = _room(code)
    if not yes:
        click.confirm(f"Delete session {number} of room {room.code} and its captions?", abort=True)
    try:
        gone = session_rules.delete_session(room, number)
    except SessionNotFound as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Deleted session {number} of room {room.code} ({gone} captions).")


@rooms_cli.command("delete")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_room(code: str, yes: bool) -> None:
    """Delete a room with all its sessions and captions (archive keeps them instead)."""
    room = _room(code)
    if not yes:
        click.confirm(f"Delete room {room.code} with all its transcripts?", abort=True)
    gone = session_rules.delete_room(room)
    click.echo(f"Deleted room {code.upper()} ({gone} captions).")


@rooms_cli.command("retention")
@click.argument("code")
@click.argument("days")
def set_retention(code: str, days: str) -> None:
    """Keep a room's transcripts DAYS days ('default': the hub-wide CCC_RETENTION_DAYS)."""
    room = _room(code)
    if days != "default" and not days.isdigit():
        raise click.ClickException("DAYS is a whole number of days, or 'default'")
    room.retention_days = None if days == "default" else int(days)
    db.session.commit()
    click.echo(f"Room {room.code} keeps transcripts "
               f"{'as the hub default says' if days == 'default' else f'for {days} days'}.")


def register_transcripts_cli(app: Flask) -> None:
    """Add the transcript and session commands to the app's `flask` command."""
    app.cli.add_command(transcripts_cli)
    app.cli.add_command(sessions_cli)
