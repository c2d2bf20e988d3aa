"""The local spool: every final is written here first, so none is lost while the hub is away.

An SQLite file keeps the finals in the order they were spoken until the hub acknowledges each with its
``seq``. It also keeps the participantId and secret resumeToken the hub issued per hub, room and name, so a
restarted station rejoins as the same presenter.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS finals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    room TEXT NOT NULL,
    utterance_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    delivered_at REAL,
    seq INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS ix_finals_pending ON finals (room, delivered_at, error, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_path() -> Path:
    """Return the spool file used when --spool is not given (CCC_SPOOL, else next to the models)."""
    configured = os.environ.get("CCC_SPOOL")
    return Path(configured) if configured else Path.home() / ".local" / "share" / "ccc" / "spool.sqlite3"


@dataclass
class Pending:
    """A final waiting for the hub's acknowledgement."""

    id: int
    utterance_id: str
    payload: dict


class Spool:
    """Keep finals on disk, in order, until the hub has them."""

    def __init__(self, path: str | Path, room: str):
        self.path = Path(path)
        self.room = room
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the recognition and hub threads, serialized by a lock.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def add(self, payload: dict) -> None:
        """Store a final caption payload; a second copy of the same utteranceId is ignored."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO finals (room, utterance_id, payload, created_at) VALUES (?, ?, ?, ?)",
                (self.room, payload["utteranceId"], json.dumps(payload), time.time()),
            )

    def pending(self) -> list[Pending]:
        """Return this room's undelivered finals, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, utterance_id, payload FROM finals "
                "WHERE room = ? AND delivered_at IS NULL AND error IS NULL ORDER BY id",
                (self.room,),
            ).fetchall()
        return [Pending(row[0], row[1], json.loads(row[2])) for row in rows]

    def count(self) -> int:
        """Return how many finals wait for the hub."""
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM finals WHERE room = ? AND delivered_at IS NULL AND error IS NULL",
                (self.room,),
            ).fetchone()[0]

    def delivered(self, row_id: int, seq: int | None) -> None:
        """Mark a final acknowledged by the hub with ``seq``."""
        with self._lock:
            self._db.execute("UPDATE finals SET delivered_at = ?, seq = ? WHERE id = ?", (time.time(), seq, row_id))

    def rejected(self, row_id: int, error: str) -> None:
        """Keep a final the hub refused for good, out of the queue but still on disk."""
        with self._lock:
            self._db.execute("UPDATE finals SET error = ? WHERE id = ?", (error, row_id))

    def seqs(self) -> list[tuple[str, int | None]]:
        """Return (utteranceId, seq) of every final of this room, oldest first."""
        with self._lock:
            return self._db.execute(
                "SELECT utterance_id, seq FROM finals WHERE room = ? ORDER BY id", (self.room,)
            ).fetchall()

    def identity(self, hub: str, name: str) -> tuple[str, str] | None:
        """Return the participantId and resumeToken the hub gave this station for ``hub``/room/``name``."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (self._identity_key(hub, name),)).fetchone()
        try:
            kept = json.loads(row[0]) if row else None
        except ValueError:  # an id kept by an older station (no token): it cannot be resumed any more
            return None
        if isinstance(kept, dict) and isinstance(kept.get("id"), str) and isinstance(kept.get("token"), str):
            return kept["id"], kept["token"]
        return None

    def keep_identity(self, hub: str, name: str, participant_id: str | None, token: str | None = None) -> None:
        """Remember the identity the hub issued (so a restarted station is the same presenter); None forgets it."""
        key = self._identity_key(hub, name)
        with self._lock:
            if participant_id and token:
                value = json.dumps({"id": participant_id, "token": token})
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            else:
                self._db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def _identity_key(self, hub: str, name: str) -> str:
        return f"participant:{hub}|{self.room}|{name}"

    def prune(self, older_than_s: float = 7 * 86400) -> None:
        """Forget delivered finals older than a week."""
        with self._lock:
            self._db.execute(
                "DELETE FROM finals WHERE delivered_at IS NOT NULL AND delivered_at < ?", (time.time() - older_than_s,)
            )

    def close(self) -> None:
        """Close the spool file."""
        with self._lock:
            self._db.close()
