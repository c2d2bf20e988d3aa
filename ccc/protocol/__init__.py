"""The CCC wire protocol: event names, payload models, limits and error codes.

Shared by the hub and the presenter station, so it imports neither Flask nor anything of theirs.
Every client-to-hub event is answered through the Socket.IO acknowledgement with either
``{"ok": true, ...}`` or ``{"ok": false, "error": {"code": ..., "message": ...}}``.
"""
from __future__ import annotations

# One namespace for hub and station: ``from ccc.protocol import Join, MAX_TEXT, ErrorCode, CAPTION``.
from .audio import *  # noqa: F403
from .errors import *  # noqa: F403
from .events import *  # noqa: F403
from .limits import *  # noqa: F403
from .payloads import *  # noqa: F403
