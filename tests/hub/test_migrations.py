"""The Alembic migrations build the schema the models describe, and take it down again."""
import sqlite3
import subprocess

from hubkit import PYTHON, ROOT, hub_env


def flask_db(db_path, *args):
    env = hub_env(f"sqlite:///{db_path}", 0)
    return subprocess.run([PYTHON, "-m", "flask", "--app", "app", "db", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)


def tables(db_path):
    with sqlite3.connect(db_path) as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_upgrade_from_empty_to_head_and_back(tmp_path):
    path = tmp_path / "m.sqlite3"
    flask_db(path, "upgrade")
    assert {"rooms", "participants", "sessions", "captions", "caption_revisions"} <= tables(path)
    assert "(head)" in flask_db(path, "current").stdout
    # The models and the migrations agree: autogenerate finds nothing to add.
    check = flask_db(path, "check")
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    flask_db(path, "downgrade", "base")
    assert tables(path) == {"alembic_version"}
