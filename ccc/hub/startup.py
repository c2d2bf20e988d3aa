"""What `python app.py` does before serving: recover the floor after a restart, print where to go."""
import logging

import flask_migrate
import segno
from flask import Flask

from ccc.transcripts.retention import purge_daily

from . import rooms, services
from .events import schedule_grace_release
from .extensions import socketio
from .network import public_url


def prepare(app: Flask) -> None:
    """Bring the schema up to date, start the daily retention purge, restart every floor holder's grace period."""
    with app.app_context():
        if app.config["AUTO_MIGRATE"]:
            flask_migrate.upgrade()
            logging.getLogger("ccc").setLevel(logging.INFO)  # alembic.ini set the root logger to WARN
        socketio.start_background_task(purge_daily, app)
        if app.config["MESSAGE_QUEUE"]:  # other hub processes may hold live connections
            return
        for room in services.mark_all_disconnected():
            schedule_grace_release(room.id)


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
