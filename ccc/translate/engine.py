"""Translate captions in a worker process, behind a bounded queue, never keeping a caller past its timeout.

fxtranslate runs native code that holds the GIL while it translates (measured: a 140 ms sentence on a thread
stalls every other thread for 140 ms), so it runs in a process of its own (``ccc.translate.worker``), one
request at a time: one core at most on a shared classroom PC. In this process one real OS thread (unpatched
by gevent or eventlet) feeds it from a bounded queue and skips what its caller no longer waits for. A caller
that finds the queue full, or waits past its timeout, gets None and shows the original text: readers get the
original rather than a growing delay.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field

import ccc
from ccc.translate import TranslateError, store

log = logging.getLogger(__name__)


def _original(module: str, name: str):
    """Return the unpatched ``module.name`` when gevent or eventlet has monkey-patched it."""
    if "gevent.monkey" in sys.modules and sys.modules["gevent.monkey"].is_module_patched(module):
        return sys.modules["gevent.monkey"].get_original(module, name)
    if "eventlet.patcher" in sys.modules and sys.modules["eventlet.patcher"].is_monkey_patched("thread"):
        return getattr(sys.modules["eventlet.patcher"].original(module), name)
    return getattr(__import__(module), name)


class _Waiter:
    """One answer passed from the worker thread to a caller, who waits without blocking its event loop."""

    def __init__(self):
        self.value = None
        self.done = False
        self._gevent = None
        if "gevent.monkey" in sys.modules and sys.modules["gevent.monkey"].is_module_patched("threading"):
            from gevent.event import AsyncResult  # noqa: PLC0415 - set() from another thread wakes the hub

            self._gevent = AsyncResult()
        else:
            self._lock = _original("_thread", "allocate_lock")()
            self._lock.acquire()

    def set(self, value) -> None:
        """Hand over the answer (from the worker thread)."""
        self.value, self.done = value, True
        if self._gevent is not None:
            self._gevent.set(value)
        else:
            self._lock.release()

    def wait(self, timeout: float):
        """Return the answer, or None when it has not come within ``timeout`` seconds."""
        if self._gevent is not None:
            return self._gevent.get(timeout=timeout, block=True) if self._gevent.wait(timeout) else None
        if "eventlet.patcher" in sys.modules and sys.modules["eventlet.patcher"].is_monkey_patched("thread"):
            deadline = time.monotonic() + timeout
            while not self.done and time.monotonic() < deadline:  # a real lock would stall eventlet's hub
                time.sleep(0.005)
            return self.value if self.done else None
        return self.value if self._lock.acquire(timeout=max(timeout, 0)) else None


@dataclass
class _Job:
    texts: list[str]
    src: str
    dst: str
    deadline: float
    background: bool = False
    waiter: _Waiter = field(default_factory=_Waiter)


class Translations:
    """Translate text between the installed languages in one worker process, fed by one real thread."""

    def __init__(self, pairs: list[store.Pair] | None = None, queue_size: int = 32):
        self.pairs = store.installed() if pairs is None else pairs
        self.queue_size = queue_size
        self.stats = {"translated": 0, "refused": 0, "late": 0, "failed": 0, "processes": 0, "seconds": 0.0}
        self.load_seconds: dict[tuple[str, str], float] = {}
        self._jobs: deque[_Job] = deque()
        self._lock = _original("_thread", "allocate_lock")()
        self._ready = _original("_thread", "allocate_lock")()
        self._ready.acquire()  # released by each put: the worker sleeps on it while there is nothing to do
        self._closed = False
        self._process = None  # the worker process; touched by the feeding thread only
        _original("_thread", "start_new_thread")(self._work, ())

    def languages(self, src: str = store.PIVOT) -> list[str]:
        """Return the languages captions in ``src`` can be translated into."""
        return store.targets(src, self.pairs)

    def can_translate(self, src: str, dst: str) -> bool:
        """Tell whether the installed models take ``src`` to ``dst`` (directly or through English)."""
        try:
            store.route(src, dst, self.pairs)
        except TranslateError:
            return False
        return True

    def translate(self, text: str, src: str, dst: str, timeout: float = 1.0) -> str | None:
        """Return ``text`` translated, or None when the queue is full or the answer is later than ``timeout`` s."""
        done = self.translate_batch([text], src, dst, timeout)
        return None if done is None else done[0]

    def translate_batch(self, texts: list[str], src: str, dst: str, timeout: float = 1.0,
                        background: bool = False) -> list[str] | None:
        """Return each text translated, in order, or None (all or nothing) when full or late; never waits longer.

        A ``background`` batch (an export, a reader's backlog) waits behind every live caption and may fill only
        half the queue, so live finals keep their place and their room.
        """
        if src == dst:
            return list(texts)
        job = self.submit(texts, src, dst, timeout, background)
        if job is None:
            return None
        answer = job.waiter.wait(timeout)
        if answer is None:
            self.stats["late"] += 1
        return answer

    def submit(self, texts: list[str], src: str, dst: str, timeout: float = 1.0,
               background: bool = False) -> _Job | None:
        """Queue ``texts`` without waiting: return the job (``job.waiter.wait()`` gives the answer) or None if full."""
        store.route(src, dst, self.pairs)  # an impossible pair is an error at once, not a timeout
        job = _Job(list(texts), src, dst, time.monotonic() + timeout, background)
        if not self._put(job):
            self.stats["refused"] += 1
            return None
        return job

    def translate_to(self, text: str, src: str, dsts: list[str], timeout: float = 1.0) -> dict[str, str | None]:
        """Return ``text`` in each language of ``dsts`` (None where full or late), all within one ``timeout``."""
        return dict(self.translate_each(text, src, dsts, timeout))

    def translate_each(self, text: str, src: str, dsts: list[str], timeout: float = 1.0):
        """Yield (language, ``text`` in it or None where full or late) as each comes, all within one ``timeout``.

        All are queued at once and done in order, so the first language's readers need not wait for the last's.
        """
        deadline = time.monotonic() + timeout
        jobs = {}
        for dst in dict.fromkeys(dsts):
            jobs[dst] = None if dst == src else self.submit([text], src, dst, deadline - time.monotonic())
        for dst, job in jobs.items():
            if dst == src:
                yield dst, text
                continue
            answer = job.waiter.wait(max(deadline - time.monotonic(), 0)) if job else None
            if job and answer is None:
                self.stats["late"] += 1
            yield dst, None if answer is None else answer[0]

    def warm(self, src: str, dst: str) -> None:
        """Load the models of ``src`` -> ``dst`` now, on the worker, so the first caption is not slowed by it."""
        self._put(_Job([], src, dst, time.monotonic() + 60))

    def close(self) -> None:
        """Stop the worker thread and its process once the job in hand is done."""
        self._closed = True
        with self._lock:
            if self._ready.locked():
                self._ready.release()

    def _put(self, job: _Job) -> bool:
        with self._lock:  # held for microseconds by either side: safe to take from an event loop
            limit = self.queue_size // 2 if job.background else self.queue_size
            if self._closed or len(self._jobs) >= limit:
                return False
            if job.background:
                self._jobs.append(job)
            else:  # a live caption goes ahead of every background batch: it waits for one at most, in hand
                ahead = sum(1 for queued in self._jobs if not queued.background)
                self._jobs.insert(ahead, job)
            if self._ready.locked():
                self._ready.release()
        return True

    def _work(self) -> None:
        while not self._closed:
            self._ready.acquire()
            while True:
                with self._lock:
                    if not self._jobs or self._closed:
                        break
                    job = self._jobs.popleft()
                if time.monotonic() > job.deadline:
                    continue  # its caller has already shown the original: spend no core on it
                try:
                    job.waiter.set(self._run(job))
                except Exception:  # noqa: BLE001 - one bad caption or model must not stop the worker
                    self.stats["failed"] += 1
                    log.exception("translation %s -> %s failed", job.src, job.dst)
                    job.waiter.set(None)
        if self._process is not None:
            self._stop_process()

    def _run(self, job: _Job) -> list[str]:
        started = time.perf_counter()
        answer = self._ask({"texts": job.texts, "src": job.src, "dst": job.dst})
        if "error" in answer:
            raise TranslateError(answer["error"])
        if job.texts:
            self.stats["translated"] += len(job.texts)
            self.stats["seconds"] += answer["seconds"]
        else:  # a warm-up: what the caption after it no longer pays
            self.load_seconds[(job.src, job.dst)] = time.perf_counter() - started
        return answer["texts"]

    def _ask(self, request: dict) -> dict:
        """Send one request to the worker process (started, or started again, as needed) and read its answer."""
        if self._process is None:
            self._process = _spawn()
            self.stats["processes"] += 1
        _pid, to_worker, from_worker = self._process
        try:
            to_worker.write(json.dumps(request).encode() + b"\n")
            to_worker.flush()
            line = from_worker.readline()  # a blocking read on this real thread releases the GIL
        except OSError:
            line = b""
        if not line:
            self._stop_process()
            raise TranslateError("the translation process ended; it starts again with the next caption")
        return json.loads(line)

    def _stop_process(self) -> None:
        pid, to_worker, from_worker = self._process
        self._process = None
        for pipe in (to_worker, from_worker):
            try:
                pipe.close()  # the process ends when its input does
            except OSError:
                pass
        try:
            os.kill(pid, 15)
            _original("os", "waitpid")(pid, 0)
        except OSError:
            pass  # gone already, or reaped by gevent's child watcher


def _spawn():
    """Start ``python -m ccc.translate.worker`` on plain pipes; return (pid, its stdin, its stdout).

    posix_spawn and raw pipes rather than subprocess: gevent and eventlet patch subprocess for their own loop,
    and this runs on a real thread of its own.
    """
    child_in, to_worker = os.pipe()
    from_worker, child_out = os.pipe()
    root = os.path.dirname(os.path.dirname(ccc.__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    try:
        pid = _original("os", "posix_spawn")(sys.executable, [sys.executable, "-m", "ccc.translate.worker"], env, file_actions=[
            (os.POSIX_SPAWN_DUP2, child_in, 0), (os.POSIX_SPAWN_DUP2, child_out, 1),
            (os.POSIX_SPAWN_CLOSE, to_worker), (os.POSIX_SPAWN_CLOSE, from_worker)])
    finally:
        os.close(child_in)
        os.close(child_out)
    return pid, os.fdopen(to_worker, "wb"), os.fdopen(from_worker, "rb")
