"""The database at the bottom of the hub: SQLAlchemy and Alembic, unbound here and bound in create_app().

Also what every connection needs: the naming convention Alembic relies on, SQLite's pragmas, and the pool
sizes of a server database. SQL only: nothing here knows of sockets or requests.
"""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from config import SettingError

# Named constraints, so Alembic can alter them in SQLite's batch mode and on PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit: handlers emit what they just stored without a reload SELECT each.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)


def pool_options(config) -> dict:
    """Return SQLAlchemy's pool sizes from CCC_DATABASE_POOL_SIZE and CCC_DATABASE_MAX_OVERFLOW, for a server database.

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
