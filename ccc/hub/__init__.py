"""The CCC hub: a Flask + Flask-SocketIO server keeping rooms, the floor and saved captions.

The layers, top down (docs/architecture.md): web/ and cli/ > live/ > rules/ > access/ > transport/ and
extensions > ccc.store > ccc.transcripts > ccc.protocol. This module only builds the app.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask

from ccc.store.db import db, migrate, pool_options
from config import BASE_DIR, Config, SettingError

from .extensions import csrf, socketio
from .transport.direct import write_idle_websockets_directly
from .transport.gate import (
    disconnect_without_waiting,
    guard,
    limit_send_queue,
    limit_websocket_messages,
    refuse_malformed_packets,
)

ASYNC_MODES = ("gevent", "eventlet", "threading")
MAX_MESSAGE_BYTES = 256 * 1024
# A connection with this much waiting to be sent is too slow to read (a phone would need minutes to catch up).
MAX_QUEUED_PACKETS = 2000
MAX_QUEUED_BYTES = 4 * 1024 * 1024


def create_app(config_class: type = Config, **overrides) -> Flask:
    """Create the hub application from a config class, with optional setting overrides (for tests)."""
    app = Flask(__name__, template_folder=str(BASE_DIR / "templates"), static_folder=str(BASE_DIR / "static"),
                instance_path=str(BASE_DIR / "instance"))
    app.config.from_object(config_class)
    app.config.update(overrides)
    if app.config["ASYNC_MODE"] not in ASYNC_MODES:
        raise SettingError(f"CCC_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], **pool_options(app.config)}
    if not app.config.get("ADMIN_PASSWORD"):
        app.config["ADMIN_PASSWORD"] = secrets.token_urlsafe(9)
        app.config["ADMIN_PASSWORD_GENERATED"] = True
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        (BASE_DIR / "instance").mkdir(exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        async_handlers=False,  # one connection's events are handled in the order it sent them
        ping_interval=app.config["PING_INTERVAL_S"],
        ping_timeout=app.config["PING_TIMEOUT_S"],
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        message_queue=app.config["MESSAGE_QUEUE"],
        logger=False,
        engineio_logger=False,
    )

    # Imported here, as flaskr does: `import ccc.hub.rules.rooms` (tests, the CLI) stays light, and the
    # Socket.IO handlers are registered once an app is made.
    from . import cli, web
    from .live import events, station_audio  # noqa: F401 - importing them registers the Socket.IO handlers

    web.register(app)  # the pages, downloads, admin pages and error handlers
    cli.register_cli(app)
    limit_websocket_messages(socketio.server.eio, MAX_MESSAGE_BYTES)
    limit_send_queue(socketio.server.eio, MAX_QUEUED_PACKETS, MAX_QUEUED_BYTES)
    write_idle_websockets_directly(socketio.server.eio)  # after the bound: a full queue is still checked
    refuse_malformed_packets(socketio.server)
    disconnect_without_waiting(socketio.server.eio)
    guard(app)
    return app
