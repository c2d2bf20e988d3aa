"""`flask --app app transcripts ...`: export a room's saved transcript, purge what retention says is due."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint

from ccc.hub.rules.rooms import E2E_EXPORT
from ccc.store import retention
from ccc.store.transcripts import SessionNotFound, build_transcript
from ccc.transcripts import FORMATS, export, filename

from .common import room_or_fail

bp = Blueprint("transcripts_cli", __name__, cli_group=None)


@bp.cli.group("transcripts", help="Export and purge saved transcripts.")
def transcripts_cli() -> None:
    """Export and purge saved transcripts."""


@transcripts_cli.command("export")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="txt", show_default=True)
@click.option("--session", "number", type=int, help="Export only this session (default: all, in order).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output; a directory name is not allowed).")
def export_(code: str, fmt: str, number: int | None, output: Path | None) -> None:
    """Export a room's transcript in one format, to a file or standard output."""
    room = room_or_fail(code)
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
