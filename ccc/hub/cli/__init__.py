"""The `flask --app app ...` commands: each group is a blueprint that registers itself (rooms, transcripts,
sessions)."""
from flask import Flask

from . import rooms, sessions, transcripts


def register_cli(app: Flask) -> None:
    """Add the CCC command groups to the app's `flask` command."""
    for module in (rooms, transcripts, sessions):
        app.register_blueprint(module.bp)
