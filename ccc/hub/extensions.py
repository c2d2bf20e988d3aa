"""The hub's Flask extensions besides the database (ccc.store.db): Socket.IO and CSRF, bound in create_app()."""
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

socketio = SocketIO()
csrf = CSRFProtect()
