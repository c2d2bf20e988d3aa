"""One thread that talks to the hub: a Socket.IO client, calls run one after the other, reconnects with backoff.

HubLink builds the room on it (join, floor, spooled finals); this module knows nothing of rooms. Every call
runs on the one thread in the order it was submitted, so an earlier call's effect always reaches the hub
first. A lost connection is noticed on that thread, and the next connection is tried after a backoff that
doubles, with jitter, so a room of stations does not stampede a restarted hub.
"""
from __future__ import annotations

import queue
import random
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

import socketio
from socketio import exceptions as sio_errors

CALL_TIMEOUT_S = 5.0


class Offline(Exception):
    """The hub cannot be reached right now."""


class HubThread:
    """Run hub calls in order on one thread over one Socket.IO client; connect again after each loss."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.joined = False
        self.fatal: str | None = None  # set when no retry can help: the thread stops trying
        self.backoff_s = 0.25
        self._max_backoff_s = 5.0
        self._next_try = 0.0
        self._sio: socketio.Client | None = None
        self._tasks: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-link", daemon=True)

    def start(self) -> None:
        """Start connecting in the background."""
        self._thread.start()

    def submit(self, fn: Callable[[], Any]) -> Future:
        """Run ``fn`` on the hub thread after everything submitted before it; return its future."""
        future: Future = Future()
        self._tasks.put((fn, future))
        return future

    def stop(self) -> None:
        """Stop the hub thread once what was submitted before has run."""
        self._stopping.set()
        self._tasks.put((None, None))
        self._thread.join(timeout=CALL_TIMEOUT_S + 1)

    # Hooks for the subclass, run on the hub thread.

    def _connect(self) -> None:
        """Connect and join (``_open`` gives the client); set ``joined``, or ``_drop`` and ``_schedule_retry``."""
        raise NotImplementedError

    def _idle(self) -> None:
        """Do what waits for a quiet moment while joined (nothing by default)."""

    # The hub thread.

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self.joined and self.fatal is None and time.monotonic() >= self._next_try:
                self._connect()
            wait = max(0.05, self._next_try - time.monotonic()) if not self.joined else 0.5
            try:
                fn, future = self._tasks.get(timeout=wait)
            except queue.Empty:
                if self.joined:
                    self._idle()
                continue
            if fn is None:
                continue
            try:
                future.set_result(fn())
            except Exception as exc:  # noqa: BLE001 - the caller sees it through the future
                future.set_exception(exc)
        self._drop()

    def _open(self, handlers: dict[str, Callable]) -> None:
        """Connect a new client with these event handlers; raise what connecting raises."""
        client = socketio.Client(reconnection=False)
        client.on("disconnect", lambda *args: self._lost(client))
        for event, handler in handlers.items():
            client.on(event, handler)
        client.connect(self.url, transports=["websocket"], wait_timeout=CALL_TIMEOUT_S)
        self._sio = client

    def _schedule_retry(self) -> None:
        self._next_try = time.monotonic() + self.backoff_s * random.uniform(0.8, 1.2)
        self.backoff_s = min(self._max_backoff_s, self.backoff_s * 2)

    def _lost(self, client: socketio.Client) -> None:
        if client is self._sio:
            self.joined = False
            self._schedule_retry()
            self._on_lost()
            self._tasks.put((lambda: None, Future()))  # Wake the hub thread to reconnect.

    def _on_lost(self) -> None:
        """Tell whoever watches that the connection is gone (nothing by default)."""

    def _drop(self) -> None:
        client, self._sio, self.joined = self._sio, None, False
        if client is not None:
            # engineio's disconnect can wait seconds for its read loop; the hub thread must not stall on it.
            threading.Thread(target=self._disconnect, args=(client,), name="hub-disconnect", daemon=True).start()

    @staticmethod
    def _disconnect(client: socketio.Client) -> None:
        try:
            client.disconnect()
        except (sio_errors.SocketIOError, OSError):
            pass

    def _call(self, event: str, data: dict) -> dict:
        if self._sio is None:
            raise Offline()
        try:
            return self._sio.call(event, data, timeout=CALL_TIMEOUT_S) or {}
        except (sio_errors.TimeoutError, sio_errors.DisconnectedError, sio_errors.BadNamespaceError) as exc:
            self._drop()
            self._schedule_retry()
            self._on_lost()
            raise Offline() from exc

    def _emit(self, event: str, data: dict) -> None:
        if self.joined and self._sio is not None:
            try:
                self._sio.emit(event, data)
            except sio_errors.SocketIOError:
                pass  # A lost partial is replaced by the next one or the final.
