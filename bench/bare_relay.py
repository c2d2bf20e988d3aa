"""The relay path alone: a minimal Flask-SocketIO server for comparing against the CCC hub.

Same async mode, Engine.IO ping settings, ``async_handlers=False`` and buffer size as the hub, but no
database, no validation, no rate limit and no room rules: ``join`` puts the connection in the room,
``requestSpeak`` always grants, ``caption`` is emitted to the room as the hub would shape it (finals get a
``seq`` from an in-memory counter). bench/fanout.py starts it with ``--target bare``.

    python bench/bare_relay.py --port 5055 --mode gevent    # loopback only
"""
import argparse
import sys

_parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_parser.add_argument("--host", default="127.0.0.1")
_parser.add_argument("--port", type=int, default=5055)
_parser.add_argument("--mode", choices=("gevent", "eventlet", "threading"), default="gevent")
_parser.add_argument("--ping-interval", type=float, default=5.0)
_parser.add_argument("--ping-timeout", type=float, default=5.0)
_parser.add_argument("--nodelay", action="store_true",
                     help="experiment: set TCP_NODELAY on every accepted connection (the hub does not)")
ARGS = _parser.parse_args()

# Patch the standard library before anything else imports it, exactly as app.py does.
if ARGS.mode == "gevent":
    from gevent import monkey

    monkey.patch_all()
elif ARGS.mode == "eventlet":
    import eventlet

    eventlet.monkey_patch()

import time  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode=ARGS.mode, async_handlers=False, ping_interval=ARGS.ping_interval,
                    ping_timeout=ARGS.ping_timeout, max_http_buffer_size=256 * 1024, logger=False,
                    engineio_logger=False)
_sid_room: dict[str, str] = {}


def _nodelay(wsgi_app):
    """Turn Nagle's algorithm off on the connection under each request (gevent and eventlet servers)."""
    import socket

    def app_with_nodelay(environ, start_response):
        sock = None
        if "eventlet.input" in environ:
            sock = environ["eventlet.input"].get_socket()
        else:
            stream = environ.get("wsgi.input")
            stream = getattr(stream, "rfile", stream)
            sock = getattr(getattr(stream, "raw", None), "_sock", None)
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        return wsgi_app(environ, start_response)

    return app_with_nodelay


if ARGS.nodelay:
    app.wsgi_app = _nodelay(app.wsgi_app)
_seq = {"n": 0}


@app.get("/healthz")
def healthz():
    return {"ok": True, "bare": True}


@socketio.on("join")
def on_join(data):
    room = f"room:{data['room']}"
    _sid_room[request.sid] = room
    join_room(room)
    return {"ok": True, "participantId": data.get("participantId") or request.sid, "state": {}}


@socketio.on("requestSpeak")
def on_request_speak(_data=None):
    return {"ok": True, "granted": True, "speaker": {"id": request.sid, "name": "bench"}}


@socketio.on("caption")
def on_caption(data):
    room = _sid_room.get(request.sid)
    payload = {"utteranceId": data["utteranceId"], "speakerId": request.sid, "speakerName": "bench",
               "text": data["text"], "isFinal": data["isFinal"], "timestamp": int(time.time() * 1000)}
    if data["isFinal"]:
        _seq["n"] += 1
        payload["seq"] = _seq["n"]
    socketio.emit("caption", payload, to=room)
    return {"ok": True, "seq": payload["seq"]} if data["isFinal"] else {"ok": True}


@socketio.on("disconnect")
def on_disconnect(*_reason):
    _sid_room.pop(request.sid, None)


if __name__ == "__main__":
    if ARGS.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("bare_relay.py serves loopback only")
    socketio.run(app, host=ARGS.host, port=ARGS.port, allow_unsafe_werkzeug=True, log_output=False)
