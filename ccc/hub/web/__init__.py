"""The hub's HTTP side: the pages, transcript downloads, health, the admin pages, the error handlers, and the
per-address request limit in front of them all."""
from flask import Flask

from . import admin, errors, health, limits, pages, transcripts


def register(app: Flask) -> None:
    """Register the blueprints and the HTTP error handlers on the app."""
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(transcripts.bp)
    errors.register_error_handlers(app)
    limits.register(app)
