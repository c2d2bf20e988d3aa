"""`flask --app app rooms ...`: create, list, archive, delete rooms; their PIN, password, floor, vocabulary."""
from __future__ import annotations

import secrets
from urllib.parse import quote

import click
from flask import Blueprint, current_app

from ccc.hub.live.approval import set_verify
from ccc.hub.live.broadcast import announce_vocabulary, lock_out_readers
from ccc.hub.rules import floor
from ccc.hub.rules import rooms as room_rules
from ccc.hub.rules import vocabulary as vocab_rules
from ccc.hub.transport.network import public_url
from ccc.store import sessions as session_rules
from ccc.store.db import db

from .common import refusals, room_or_fail

bp = Blueprint("rooms_cli", __name__, cli_group=None)


@bp.cli.group("rooms", help="Create, list and archive rooms.")
def rooms_cli() -> None:
    """Create, list and archive rooms."""

DEMO_CODE = "CAPTN"  # the demo room: easy to type, no look-alike letters


@rooms_cli.command("create")
@click.argument("title")
@click.option("--code", help="The room code (letters and digits without look-alikes); generated when left out.")
@click.option("--pin", help="A PIN presenters must give to join.")
@click.option("--no-save", is_flag=True, help="Relay captions without saving a transcript.")
@click.option("--password", help="Make the room private: reading it needs this password (links carry it).")
@click.option("--e2e", is_flag=True, help="End-to-end encrypted: print a new room key and links that carry it; "
                                          "the hub never sees the key (docs/security.md).")
def create(title: str, code: str | None, pin: str | None, no_save: bool, password: str | None, e2e: bool) -> None:
    """Create a room and print its code as the last line."""
    with refusals():
        room = room_rules.create_room(title, code=code, pin=pin, saving=not no_save, password=password, e2e=e2e)
    click.echo(f"Created room {room.title!r}{' with a presenter PIN' if pin else ''}"
               f"{', end-to-end encrypted' if e2e else ''}.")
    if e2e:
        _print_e2e_links(room.code, password)
    elif password:
        _echo_private_links(room.code, password)
    click.echo(room.code)


def _echo_private_links(code: str, password: str) -> None:
    """Print a private room's links with the password in the fragment, which browsers never send to the hub."""
    base = f"{public_url(current_app)}/r/{code}"
    fragment = f"#p={quote(password, safe='')}"
    click.echo(f"Audience:  {base}{fragment}")
    click.echo(f"Projector: {base}/projector{fragment}")


def _print_e2e_links(code: str, password: str | None = None) -> None:
    """Make the room key here, in this process, and print it with the links that carry it in their fragment."""
    from ccc.e2e import new_key  # noqa: PLC0415 - only e2e rooms need cryptography

    key = new_key()  # never stored, never sent to the hub: lose it and the captions cannot be read
    base = f"{public_url(current_app)}/r/{code}"
    fragment = (f"#p={quote(password, safe='')}&k={key}" if password else f"#k={key}")
    click.echo(f"Room key (keep it; the hub does not have it): {key}")
    click.echo(f"Audience:  {base}{fragment}")
    click.echo(f"Projector: {base}/projector{fragment}")
    click.echo(f"Console:   {base}/present{fragment}")
    click.echo(f"Station:   python -m ccc.station --join-url '{base}#k={key}' --name NAME")


@rooms_cli.command("list")
@click.option("--all", "include_archived", is_flag=True, help="Include archived rooms.")
def list_(include_archived: bool) -> None:
    """List rooms: code, title, captions saved, who holds the floor."""
    found = room_rules.list_rooms(include_archived=include_archived)
    if not found:
        click.echo("No rooms yet: flask --app app rooms create TITLE")
    for room in found:
        flags = [f for f, on in (("PIN", room.has_pin), ("private", room.is_private), ("archived", room.archived_at),
                 ("published", room.archived_at and room.published), ("not saved", not room.save_transcripts),
                 ("e2e", room.e2e)) if on]
        holder = f"  speaking: {room.floor_holder_name}" if room.floor_holder_id else ""
        click.echo(f"{room.code:8} {room.title}  [{room.last_seq} captions{', ' if flags else ''}"
                   f"{', '.join(flags)}]{holder}")


@rooms_cli.command("archive")
@click.argument("code")
def archive(code: str) -> None:
    """Archive a room: it can no longer be joined; its transcripts stay."""
    with refusals():
        room = room_rules.archive_room(code)
    click.echo(f"Archived room {room.code}.")


@rooms_cli.command("pin")
@click.argument("code")
@click.argument("pin", required=False)
def pin_(code: str, pin: str | None) -> None:
    """Set a room's presenter PIN (no PIN: remove it); presenters must join again with the new one."""
    with refusals():
        room, holder = room_rules.set_pin(code, pin)
    demoted = " Presenters must join again with it; the floor was released." if holder else (
        " Presenters must join again with it." if pin else "")
    click.echo(f"Room {room.code} {'needs a presenter PIN' if pin else 'has no presenter PIN'}.{demoted}")


@rooms_cli.command("password")
@click.argument("code")
@click.argument("password", required=False)
@click.option("--clear", is_flag=True, help="Make the room public again.")
def password_(code: str, password: str | None, clear: bool) -> None:
    """Make a room private with this password (none given: a random one), or public with --clear."""
    if clear and password:
        raise click.ClickException("give a PASSWORD or --clear, not both")
    new = None if clear else password or secrets.token_urlsafe(9)
    with refusals():
        room = room_rules.set_password(code, new)
    if new is None:
        click.echo(f"Room {room.code} is public: anyone with its code may read it.")
        return
    lock_out_readers(room)  # live through CCC_MESSAGE_QUEUE, if any
    click.echo(f"Room {room.code} is private: reading it needs the password; earlier readers must give it again.")
    _echo_private_links(room.code, new)


@rooms_cli.command("publish")
@click.argument("code")
@click.option("--unpublish", is_flag=True, help="Take the transcript back: admin, PIN or password again.")
def publish(code: str, unpublish: bool) -> None:
    """Let anyone read an archived room's transcript (until then: the admin, its PIN or its password)."""
    with refusals():
        room = room_rules.set_published(code, not unpublish)
    state = "published: anyone may read" if room.published else "not published: the admin, PIN or password may read"
    click.echo(f"Room {room.code} transcript {state}{'' if room.archived_at else ' once it is archived'}.")


@rooms_cli.command("unlock")
@click.argument("code")
def unlock(code: str) -> None:
    """Lift a room's PIN and password lockouts: wrong guesses counted so far are forgotten."""
    with refusals():
        room = room_rules.lift_lockouts(code)
    click.echo(f"Lockouts of room {room.code} lifted: every address may try its PIN and password again.")


@rooms_cli.command("release")
@click.argument("code")
def release(code: str) -> None:
    """Take the floor from whoever holds it in a room (connected pages learn it when they next ask)."""
    room = room_rules.find_room(code)
    if room is None:
        raise click.ClickException(f"no open room {code!r}")
    holder = floor.force_release(room)
    click.echo(f"Released the floor of {room.code}." if holder else f"Nobody holds the floor in {room.code}.")


@rooms_cli.command("verify")
@click.argument("code")
@click.option("--off", is_flag=True, help="Let presenters without the PIN present again without approval.")
def verify(code: str, off: bool) -> None:
    """Make presenters who join without the PIN wait until the admin or a PIN presenter approves them."""
    room = room_rules.find_room(code)
    if room is None:
        raise click.ClickException(f"no open room {code!r}")
    set_verify(room, not off)
    click.echo(f"Room {room.code}: presenters without the PIN " + (
        "present without approval." if off else "wait until the admin or a PIN presenter approves them."))


@rooms_cli.command("vocabulary")
@click.argument("code")
@click.option("--term", "terms", multiple=True, help="A name or term the recognizer should know (repeatable).")
@click.option("--replace", "rules", multiple=True, metavar="FROM=TO",
              help="Replace FROM by TO in finals before they are sent (repeatable; empty TO deletes FROM).")
@click.option("--from-file", type=click.File(encoding="utf-8"),
              help="A file with one term per line and 'from => to' lines for replacements ('#' comments).")
@click.option("--clear", is_flag=True, help="Remove the room's vocabulary.")
def vocabulary(code: str, terms: tuple[str, ...], rules: tuple[str, ...], from_file, clear: bool) -> None:
    """Print a room's vocabulary, or set it (the options given become the whole vocabulary) or clear it."""
    room = room_rules.find_room(code)
    if room is None:
        raise click.ClickException(f"no open room {code!r}")
    if clear and (terms or rules or from_file):
        raise click.ClickException("--clear cannot be combined with --term, --replace or --from-file")
    if clear or terms or rules or from_file:
        with refusals():
            raw = vocab_rules.from_text(mixed_text=from_file.read(vocab_rules.MAX_TEXT_CHARS + 1) if from_file else "")
            raw["terms"] += terms
            raw["replacements"] += [vocab_rules.rule(text, separator="=") for text in rules]
            raw["verbatim"] = bool(room.vocabulary_wire().get("verbatim"))  # its own command sets it
            room = vocab_rules.set_vocabulary(room.code, raw)
        announce_vocabulary(room.code, room.vocabulary_wire())  # live through CCC_MESSAGE_QUEUE, if any
    current = room.vocabulary_wire()
    click.echo(f"Vocabulary of {room.code}: {vocab_rules.describe(current)}.")
    terms_text, rules_text = vocab_rules.to_text(current)
    for line in filter(None, terms_text.splitlines() + rules_text.splitlines()):
        click.echo(f"  {line}")


@rooms_cli.command("verbatim")
@click.argument("code")
@click.option("--off", is_flag=True, help="Leave hesitations out of captions again (the default).")
def verbatim(code: str, off: bool) -> None:
    """Keep hesitations ("uh", "um") in the room's captions, for a verbatim transcript."""
    with refusals():
        room = vocab_rules.set_verbatim(code, not off)
    announce_vocabulary(room.code, room.vocabulary_wire())  # the stations apply it from their next caption
    click.echo(f"Room {room.code}: captions " + ("leave hesitations out (the default)." if off else
                                                 "keep hesitations (uh, um): a verbatim transcript."))


@rooms_cli.command("ensure-demo")
def ensure_demo() -> None:
    """Create the demo room when there is no open room at all; print the code of the first open room."""
    existing = room_rules.list_rooms()
    if existing:
        click.echo(existing[-1].code)
        return
    taken = room_rules.find_room(DEMO_CODE, include_archived=True) is not None
    room = room_rules.create_room("Demo classroom", code=None if taken else DEMO_CODE)
    click.echo(f"Created the demo room {room.code}.")
    click.echo(room.code)


@rooms_cli.command("delete")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_room(code: str, yes: bool) -> None:
    """Delete a room with all its sessions and captions (archive keeps them instead)."""
    room = room_or_fail(code)
    if not yes:
        click.confirm(f"Delete room {room.code} with all its transcripts?", abort=True)
    gone = session_rules.delete_room(room)
    click.echo(f"Deleted room {code.upper()} ({gone} captions).")


@rooms_cli.command("retention")
@click.argument("code")
@click.argument("days")
def set_retention(code: str, days: str) -> None:
    """Keep a room's transcripts DAYS days ('default': the hub-wide CCC_RETENTION_DAYS)."""
    room = room_or_fail(code)
    if days != "default" and not days.isdigit():
        raise click.ClickException("DAYS is a whole number of days, or 'default'")
    room.retention_days = None if days == "default" else int(days)
    db.session.commit()
    click.echo(f"Room {room.code} keeps transcripts "
               f"{'as the hub default says' if days == 'default' else f'for {days} days'}.")
