"""Hub settings, read from CCC_* environment variables with defaults that suit one classroom PC."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class SettingError(ValueError):
    """A CCC_* setting the hub cannot use; the hub says which and does not start."""


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


class Config:
    """Settings for a running hub."""

    HOST = os.environ.get("CCC_HOST", "0.0.0.0")
    PORT = int(os.environ.get("CCC_PORT", "5000"))
    ASYNC_MODE = os.environ.get("CCC_ASYNC_MODE", "gevent")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "CCC_DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'ccc.sqlite3'}"
    )
    SECRET_KEY = os.environ.get("CCC_SECRET_KEY") or secrets.token_hex(32)
    ADMIN_PASSWORD = os.environ.get("CCC_ADMIN_PASSWORD") or None
    PUBLIC_URL = os.environ.get("CCC_PUBLIC_URL") or None
    # Host names the hub answers to besides its public URL's, its own names and addresses, and loopback.
    ALLOWED_HOSTS = [h.strip() for h in os.environ.get("CCC_ALLOWED_HOSTS", "").split(",") if h.strip()]
    # Reverse proxies in front of the hub whose X-Forwarded-* headers count; 0 ignores those headers.
    TRUSTED_PROXIES = int(os.environ.get("CCC_TRUSTED_PROXIES", "0"))
    # Who may open /admin and sign in: "local" (the hub PC itself), "any", or networks ("192.168.1.0/24, ...").
    ADMIN_FROM = os.environ.get("CCC_ADMIN_FROM", "local")
    # A certificate and its key (PEM files): the hub then serves HTTPS only, and its cookies are Secure.
    TLS_CERT = os.environ.get("CCC_TLS_CERT", "")
    TLS_KEY = os.environ.get("CCC_TLS_KEY", "")
    # A holder whose connection drops keeps the floor this long, so a brief Wi-Fi glitch costs nothing.
    FLOOR_GRACE_S = _env_float("CCC_FLOOR_GRACE_S", 5.0)
    # When the floor is released, the first presenter in the queue may take it within this many seconds.
    FLOOR_OFFER_S = _env_float("CCC_FLOOR_OFFER_S", 8.0)
    # A presenter denied approval may ask again (from the same address or under the same name) this much later.
    DENY_COOLDOWN_S = _env_float("CCC_DENY_COOLDOWN_S", 60.0)
    # A participant disconnected this long is deleted; its client then joins afresh (a new id and token).
    PARTICIPANT_TTL_S = _env_float("CCC_PARTICIPANT_TTL_S", 900.0)
    # A final that races key-up is still accepted this long after the floor is released.
    LATE_FINAL_S = _env_float("CCC_LATE_FINAL_S", 5.0)
    # A silent connection is noticed within PING_INTERVAL + PING_TIMEOUT seconds.
    PING_INTERVAL_S = _env_float("CCC_PING_INTERVAL_S", 5.0)
    PING_TIMEOUT_S = _env_float("CCC_PING_TIMEOUT_S", 5.0)
    # A client's socket that neither sends nor accepts anything this long is closed (a live WebSocket sends
    # a pong every ping interval); a request's line and headers must arrive within the head timeout.
    SOCKET_TIMEOUT_S = _env_float("CCC_SOCKET_TIMEOUT_S", 30.0)
    REQUEST_HEAD_TIMEOUT_S = _env_float("CCC_REQUEST_HEAD_TIMEOUT_S", 10.0)
    # Audience count updates are coalesced into at most one message per room per interval.
    AUDIENCE_COUNT_INTERVAL_S = _env_float("CCC_AUDIENCE_COUNT_INTERVAL_S", 1.0)
    # Changes of a room's queue for the floor are announced at most once per interval (the first at once, the
    # latest at the end of the interval), so raising and lowering hands in a loop cannot flood every reader.
    QUEUE_INTERVAL_S = _env_float("CCC_QUEUE_INTERVAL_S", 0.25)
    # Captions a joiner gets when it has seen none yet.
    RECENT_CAPTIONS = int(os.environ.get("CCC_RECENT_CAPTIONS", "500"))
    # Events a single connection may send per second before it is answered with rate_limited.
    EVENTS_PER_S = _env_float("CCC_EVENTS_PER_S", 20.0)
    # Events all connections from one address may send per second (a classroom's phones each have their own).
    EVENTS_PER_ADDRESS_S = _env_float("CCC_EVENTS_PER_ADDRESS_S", 200.0)
    # A connection refused this many events for sending too fast (one forgiven a second) is disconnected: it is
    # flooding, and each refusal still costs the hub a read, a parse and an answer.
    REFUSALS_BEFORE_DROP = _env_float("CCC_REFUSALS_BEFORE_DROP", 100.0)
    # Captions joins and catchUp from one address may make the hub send per second (a fresh join sends up to 500;
    # a second's worth at once): a join flood is bounded, a resuming page is paced, never refused.
    JOIN_CAPTIONS_PER_S = _env_float("CCC_JOIN_CAPTIONS_PER_S", 1000.0)
    # The same for all addresses together, shared equally by those asking lately (0: no hub-wide limit): ten
    # addresses flooding joins slow one another, not the room; an honest phone's first join is answered at once.
    HUB_JOIN_CAPTIONS_PER_S = _env_float("CCC_HUB_JOIN_CAPTIONS_PER_S", 4000.0)
    # Events that make the hub tell the whole room (a named join or leave) cost this many events more, from the
    # address's budget.
    BROADCAST_TOKENS = _env_float("CCC_BROADCAST_TOKENS", 10.0)
    # Raising or lowering a hand writes and settles the queue for the floor: it costs this many events of the
    # address's budget (about 16 at once, then 3 a second per address; a person raises a hand now and then).
    HAND_TOKENS = _env_float("CCC_HAND_TOKENS", 60.0)
    # Hands raised or lowered in one room, from everyone together, per second (five seconds' worth at once).
    HANDS_PER_ROOM_S = _env_float("CCC_HANDS_PER_ROOM_S", 4.0)
    # HTTP requests (pages, files, QR images, downloads; not Socket.IO) one address may make: this many at once,
    # then this many a second; past that, 429 with Retry-After. A class of 60 phones behind one NAT address
    # opening the audience page (about 6 requests each) uses 360.
    REQUESTS_BURST = _env_float("CCC_REQUESTS_BURST", 1500.0)
    REQUESTS_PER_S = _env_float("CCC_REQUESTS_PER_S", 30.0)
    # Transcript downloads one address may make per second (ten at once): a download loop cannot stall the room.
    DOWNLOADS_PER_S = _env_float("CCC_DOWNLOADS_PER_S", 2.0)
    # `python app.py` applies pending migrations first, so a fresh checkout just starts.
    AUTO_MIGRATE = os.environ.get("CCC_AUTO_MIGRATE", "1") != "0"
    # Saved transcripts older than this many days are deleted daily (a room may set its own); unset keeps them.
    RETENTION_DAYS = int(os.environ["CCC_RETENTION_DAYS"]) if os.environ.get("CCC_RETENTION_DAYS") else None
    MESSAGE_QUEUE = os.environ.get("CCC_MESSAGE_QUEUE") or None
    # Readers may read finals in another language (docs/translation.md); 0 offers none. Finals waiting for the
    # translator beyond the queue, or for longer than the timeout, reach their readers in the original.
    TRANSLATE = os.environ.get("CCC_TRANSLATE", "1") != "0"
    TRANSLATE_QUEUE = int(os.environ.get("CCC_TRANSLATE_QUEUE", "32"))
    TRANSLATE_TIMEOUT_S = _env_float("CCC_TRANSLATE_TIMEOUT_S", 1.0)
    # A reader who joins, resumes or changes language gets up to this many earlier finals (the newest) in its
    # language, translated within the timeout; the rest, and all when the translator is busy, in the original.
    TRANSLATE_BACKLOG = int(os.environ.get("CCC_TRANSLATE_BACKLOG", "50"))
    TRANSLATE_BACKLOG_TIMEOUT_S = _env_float("CCC_TRANSLATE_BACKLOG_TIMEOUT_S", 3.0)
    # With a message queue: each hub process tells Redis it is alive this often; one silent for 5 beats is
    # taken for dead and its participants for disconnected (a floor holder's grace period starts then).
    PROCESS_HEARTBEAT_S = _env_float("CCC_PROCESS_HEARTBEAT_S", 1.0)
    # Connections each process keeps open to a server database (PostgreSQL), and how many more it may open
    # at a peak; unset keeps SQLAlchemy's 5 and 10. SQLite ignores them (one file, no server to overload).
    # (Checked by create_app, which refuses a value that is not a whole number.)
    DATABASE_POOL_SIZE = os.environ.get("CCC_DATABASE_POOL_SIZE") or None
    DATABASE_MAX_OVERFLOW = os.environ.get("CCC_DATABASE_MAX_OVERFLOW") or None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # The admin cookie (and its server-side session) lasts a working day, not Flask's default 31 days.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_COOKIE_SECURE = bool(os.environ.get("CCC_TLS_CERT"))  # over HTTPS, never sent in clear
    # Flask-WTF's HTTPS check wants a same-origin Referer, which pages never send (Referrer-Policy:
    # no-referrer): the form's token and the SameSite cookie are what stop cross-site posts.
    WTF_CSRF_SSL_STRICT = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    TESTING = False


class TestConfig(Config):
    """Settings for tests: a throwaway database, short timers, a fixed admin password."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("CCC_TEST_DATABASE_URL", "sqlite://")
    SECRET_KEY = "test-secret"
    ADMIN_PASSWORD = "test-admin"
    FLOOR_GRACE_S = 1.0
    WTF_CSRF_ENABLED = False
