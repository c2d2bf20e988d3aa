"""The presenter station: audio sources, recognizers, push-to-talk sources, the hub link and the spool.

It runs beside a microphone and sends text to the hub, never audio. It imports neither Flask nor the hub;
the only thing it shares with the hub is ``ccc.protocol``.
"""


class StationError(Exception):
    """A problem the user must fix; the CLI prints its message on one line and exits non-zero."""
