"""Deliver a packet by writing its frame straight into an idle WebSocket, without Engine.IO's queue hop.

Engine.IO sends every packet through its connection's queue: a put, a wake-up of the connection's writer
greenlet, a gevent Timeout for each get, then the frame and a ``sendall`` (which asks the kernel for the
send buffer's size each time). With 500 phones that hop was most of the hub's time per delivered caption
(docs/performance.md, "Where a delivered caption's time goes"). When a connection's writer is waiting on its
empty queue, nothing of it is half written on the socket, so the emitting greenlet may write the frame
itself, with one non-blocking ``send``: all of it goes out at once, or what the socket did not take goes
through the queue, ahead of anything sent later. So order is kept (nothing is written past a non-empty
queue), a slow reader still fills its queue and is dropped (``gate.limit_send_queue``), and a broadcast's
frame is built once for all its recipients. Everything else takes Engine.IO's own path: pings, clients still
on long-polling or upgrading, TLS sockets, and the eventlet and threading modes.
"""
from __future__ import annotations

from engineio import packet


def writer_queue_class():
    """Return gevent's joinable queue, made to know when the connection's writer waits on it."""
    from gevent.queue import JoinableQueue  # gevent mode only: eventlet's hub must never import gevent

    class WriterQueue(JoinableQueue):
        """A connection's send queue that knows when its writer waits on it (so it is writing nothing)."""

        writer_waiting = False
        websocket_writer = False  # set once a WebSocket's writer greenlet owns the queue (gate.py)

        def get(self, block=True, timeout=None):
            """Take the next packet; while a WebSocket's writer is blocked here, it is idle."""
            if not block:
                return JoinableQueue.get(self, False)
            if not self.websocket_writer:  # a long-polling GET: it must give up after its timeout
                return JoinableQueue.get(self, True, timeout)
            # No timeout for a WebSocket's writer: Engine.IO's gave up on a queue silent for ping interval +
            # timeout, which was safe only while every caption went through the queue. Written directly, a
            # phone's queue carries just the pings, and a ping sent late by a busy hub closed healthy phones.
            # Dead links are closed by the ping-timeout watch (server.py) and the socket timeout, which end
            # the writer with None. (It also spares a gevent Timeout per packet.)
            self.writer_waiting = True
            try:
                return JoinableQueue.get(self)
            finally:
                self.writer_waiting = False

    return WriterQueue


def raw_socket(websocket):
    """Return the plain (non-TLS) kernel socket under a gevent-websocket connection, or None."""
    handler = getattr(websocket, "handler", None)
    sock = getattr(handler, "socket", None)
    if sock is None or hasattr(sock, "do_handshake"):  # TLS must write whole records: Engine.IO's path
        return None
    raw = getattr(sock, "_sock", None)  # gevent keeps it non-blocking: send() never waits
    return raw if raw is not None and raw.gettimeout() == 0.0 else None


def write_idle_websockets_directly(eio_server) -> None:
    """Make Engine.IO's send_packet write straight to a WebSocket whose writer is idle (gevent mode only)."""
    websocket_class = eio_server._async.get("websocket")
    if eio_server.async_mode != "gevent" or websocket_class is None or \
            not getattr(websocket_class, "ccc_direct_writes", False):
        return
    from .gevent_ws import Unframed, frame_header

    eio_server._async = {**eio_server._async, "queue": writer_queue_class()}
    queued = eio_server.send_packet  # gate.limit_send_queue's bounded send, then Engine.IO's
    sockets = eio_server.sockets

    def send_packet(sid, pkt) -> None:
        eio_socket = sockets.get(sid)
        raw = getattr(eio_socket, "ccc_raw_socket", None)
        if raw is None or pkt.binary:
            return queued(sid, pkt)
        waiting = eio_socket.queue
        if not waiting.writer_waiting or waiting.qsize() or eio_socket.closing or eio_socket.closed or \
                eio_socket.upgrading:
            return queued(sid, pkt)
        if not eio_socket.check_ping_timeout():  # as Engine.IO's send: a client gone silent is closed, not sent
            return None
        try:
            frame = pkt.ccc_frame  # one broadcast is one packet object: its frame is built for the first recipient
        except AttributeError:
            data = pkt.encode().encode("utf-8")
            pkt.ccc_frame = frame = frame_header(len(data), 0x1) + data  # a final text frame
        try:
            sent = raw.send(frame)
        except BlockingIOError:
            sent = 0
        except OSError:  # the client went: Engine.IO's writer finds out and closes the connection
            return queued(sid, pkt)
        if sent < len(frame):  # the socket is full: the rest goes first through the queue, as a raw tail
            queued(sid, packet.Packet(packet.MESSAGE, Unframed(frame[sent:])) if sent else pkt)
        return None

    eio_server.send_packet = send_packet
