"""What `python app.py` does before serving: recover the floor after a restart, start the daily purge and the
sweep of departed participants, print where to go."""
import logging

import flask_migrate
import segno
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from ccc.store import retention
from ccc.store.db import db

from .extensions import socketio
from .live import processes
from .live.broadcast import schedule_grace_release
from .live.queue import watch_offers
from .rules import presence, rooms
from .transport.network import public_url

log = logging.getLogger(__name__)


def prepare(app: Flask) -> None:
    """Bring the schema up to date, start the background tasks, and let go of connections no process holds."""
    with app.app_context():
        if app.config["AUTO_MIGRATE"]:
            flask_migrate.upgrade()
            logging.getLogger("ccc").setLevel(logging.INFO)  # alembic.ini set the root logger to WARN
        socketio.start_background_task(purge_daily, app)
        socketio.start_background_task(forget_departed, app)
        if app.config["MESSAGE_QUEUE"]:  # other hub processes may hold live connections: sweep only the dead's
            processes.start(app)
            return
        for room in presence.mark_all_disconnected():
            schedule_grace_release(room.id)
        watch_offers()


def purge_daily(app: Flask) -> None:
    """Purge now and then once a day, forever (run as a background task; opens its own app context)."""
    while True:
        with app.app_context():
            try:
                retention.purge()
            except (SQLAlchemyError, ValueError):  # a failed purge must not end the loop; it is retried tomorrow
                retention.log.exception("retention purge failed")
                db.session.rollback()
            finally:
                db.session.remove()
        socketio.sleep(app.config.get("RETENTION_PURGE_EVERY_S", retention.PURGE_EVERY_S))


def forget_departed(app: Flask) -> None:
    """Delete participants gone longer than CCC_PARTICIPANT_TTL_S, forever (a background task)."""
    every = min(30.0, max(0.5, app.config["PARTICIPANT_TTL_S"] / 2))
    while True:
        socketio.sleep(every)
        with app.app_context():
            try:
                presence.forget_departed(app.config["PARTICIPANT_TTL_S"], app.config["LATE_FINAL_S"])
            except SQLAlchemyError:  # a busy or lost database: the loop tries again next time
                log.exception("forgetting departed participants failed")
                db.session.rollback()
            finally:
                db.session.remove()


def announce(app: Flask) -> None:
    """Print the hub's URLs, a QR code to join the first room, and the admin password when generated."""
    base = public_url(app)
    with app.app_context():
        open_rooms = rooms.list_rooms()
        lines = [f"CCC hub on {base}  (async mode: {app.config['ASYNC_MODE']})",
                 f"  Rooms:  {base}/", f"  Admin:  {base}/admin", f"  Health: {base}/healthz"]
        for room in open_rooms[:5]:
            lines += [f"  Room {room.code} ({room.title}):",
                      f"    audience  {base}/r/{room.code}", f"    projector {base}/r/{room.code}/projector",
                      f"    presenter {base}/r/{room.code}/present"]
    if app.config.get("ADMIN_PASSWORD_GENERATED"):
        lines.append(f"  Admin password (set CCC_ADMIN_PASSWORD to choose one): {app.config['ADMIN_PASSWORD']}")
    print("\n".join(lines), flush=True)
    if open_rooms:
        target = f"{base}/r/{open_rooms[0].code}"
        print(f"Scan to follow room {open_rooms[0].code} on a phone: {target}", flush=True)
        segno.make(target, error="m").terminal(compact=True)
