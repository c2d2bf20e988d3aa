"""Start the CCC hub: `python app.py` (settings from CCC_* environment variables, see README.md)."""
import os

# The async library must patch the standard library before anything else imports it.
_MODE = os.environ.get("CCC_ASYNC_MODE", "gevent")
if _MODE == "gevent" and __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()
elif _MODE == "eventlet" and __name__ == "__main__":
    import eventlet

    eventlet.monkey_patch()

from ccc.hub import create_app  # noqa: E402
from config import SettingError  # noqa: E402

try:
    app = create_app()
except SettingError as error:  # a setting's own words, not a traceback
    raise SystemExit(f"ccc hub: {error}") from None

if __name__ == "__main__":
    import errno  # noqa: E402

    from ccc.hub.startup import announce, prepare  # noqa: E402
    from ccc.hub.transport.server import serve  # noqa: E402

    prepare(app)
    announce(app)
    try:
        serve(app)
    except OSError as error:  # a teacher starting it twice gets one line, not a traceback
        if error.errno != errno.EADDRINUSE:
            raise
        raise SystemExit(f"ccc hub: port {app.config['PORT']} on {app.config['HOST']}: address already in use (is "
                         f"the hub already running? Stop it, or set CCC_PORT to another port)") from None
