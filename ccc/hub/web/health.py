"""HTTP routes of the hub itself (pages have their own blueprint)."""
from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ccc import __version__
from ccc.protocol import PROTOCOL_VERSION
from ccc.store.db import db

bp = Blueprint("http", __name__)


@bp.get("/healthz")
def healthz():
    """Report the version and whether the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        database = f"error: {type(exc).__name__}"
    body = {"ok": database == "ok", "version": __version__, "protocol": PROTOCOL_VERSION, "database": database}
    return jsonify(body), 200 if body["ok"] else 503
