"""The CCC hub: a Flask + Flask-SocketIO server keeping rooms, the floor and saved captions."""
from __future__ import annotations

import logging
import secrets

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import BASE_DIR, Config, SettingError

from .extensions import csrf, db, migrate, socketio
from .gate import (
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


def _pool_options(config) -> dict:
    """SQLAlchemy's pool sizes from CCC_DATABASE_POOL_SIZE and CCC_DATABASE_MAX_OVERFLOW, for a server database.

    A campus runs many hub processes on one PostgreSQL, whose `max_connections` (100 by default) must cover
    every process's pool plus its overflow. SQLite has no server to share and keeps SQLAlchemy's own pool.
    """
    options = {}
    for key, name, option, minimum in (("DATABASE_POOL_SIZE", "CCC_DATABASE_POOL_SIZE", "pool_size", 1),
                                       ("DATABASE_MAX_OVERFLOW", "CCC_DATABASE_MAX_OVERFLOW", "max_overflow", 0)):
        raw = str(config.get(key) or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) < minimum:
            raise SettingError(f"{name} must be a whole number of at least {minimum}, not {raw!r}")
        options[option] = int(raw)
    return {} if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else options


def create_app(config_class: type = Config, **overrides) -> Flask:
    """Create the hub application from a config class, with optional setting overrides (for tests)."""
    app = Flask(__name__, template_folder=str(BASE_DIR / "templates"), static_folder=str(BASE_DIR / "static"),
                instance_path=str(BASE_DIR / "instance"))
    app.config.from_object(config_class)
    app.config.update(overrides)
    if app.config["ASYNC_MODE"] not in ASYNC_MODES:
        raise SettingError(f"CCC_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], **_pool_options(app.config)}
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

    from . import events  # noqa: F401  (registers the Socket.IO handlers)
    from .admin import bp as admin_bp
    from .cli import register_cli
    from .errors import register_error_handlers
    from .http import bp as http_bp
    from .pages import bp as pages_bp
    from .transcripts import bp as transcripts_bp

    app.register_blueprint(http_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(transcripts_bp)
    register_error_handlers(app)
    register_cli(app)
    limit_websocket_messages(socketio.server.eio, MAX_MESSAGE_BYTES)
    limit_send_queue(socketio.server.eio, MAX_QUEUED_PACKETS, MAX_QUEUED_BYTES)
    refuse_malformed_packets(socketio.server)
    disconnect_without_waiting(socketio.server.eio)
    guard(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Use WAL (readers never wait for the writer) and wait for locks instead of failing, on SQLite only."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
