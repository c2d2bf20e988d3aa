"""The station's flow: push-to-talk asks for the floor, recognition runs while granted, finals are spooled.

Audio chunks and key events arrive on one queue, in the order they happened, and one thread consumes it:
recognition never blocks the audio callback, and `--ptt file` brackets exactly the file's audio. While the
key is held, a Segmenter (ccc/station/vad.py) cuts the speech at pauses: each piece is its own utterance
with its own final, and the floor stays held until key-up.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
import uuid
from typing import Callable, TextIO

from ccc import protocol
from ccc.station.audio import RATE
from ccc.station.beep import Cue
from ccc.station.fillers import strip_filler_words, strip_fillers
from ccc.station.hub_link import PARTIAL_SPACING_S, HubLink
from ccc.station.recognizers import Final, Recognizer
from ccc.station.vad import Segmenter
from ccc.station.vocabulary import Vocabulary


def now_ms() -> float:
    """Return the time in milliseconds since the epoch."""
    return round(time.time() * 1000)


def final_payloads(utterance_id: str, final: Final, started_at: float, ended_at: float) -> list[dict]:
    """Return the final caption(s) of an utterance, split where its text exceeds the protocol's limit."""
    pieces: list[tuple[str, list[dict]]] = []
    words, text_words = list(final.words), final.text.split()
    current: list[str] = []
    for token in text_words:
        if current and len(" ".join([*current, token])) > protocol.MAX_TEXT:
            pieces.append((" ".join(current), []))
            current = []
        current.append(token[: protocol.MAX_TEXT])
    pieces.append((" ".join(current), []))
    if len(pieces) == 1 and len(words) <= protocol.MAX_WORDS:
        pieces = [(pieces[0][0], words)]
    payloads = []
    for index, (text, piece_words) in enumerate(pieces):
        payload = {
            "utteranceId": utterance_id if index == 0 else f"{utterance_id}.{index + 1}",
            "text": text, "isFinal": True, "startedAt": started_at, "endedAt": ended_at,
        }
        if piece_words:
            payload["words"] = piece_words
            try:
                protocol.parse(protocol.Caption, payload)
            except protocol.ProtocolError:  # timings the hub would refuse (a word over 50 chars...): keep the text
                del payload["words"]
        protocol.parse(protocol.Caption, payload)  # Never spool what the hub would refuse as malformed.
        payloads.append(payload)
    return payloads


class StatusLine:
    """Show one line: connected / listening / speaking / denied / offline, and the finals waiting."""

    def __init__(self, stream: TextIO | None = sys.stderr):
        self.stream = stream
        self.last = ""
        self._lock = threading.Lock()

    def show(self, text: str) -> None:
        """Replace the status line with ``text`` if it changed."""
        with self._lock:
            if text == self.last or self.stream is None:
                self.last = text
                return
            self.last = text
            if self.stream.isatty():
                self.stream.write("\r\033[K" + text)
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def say(self, text: str) -> None:
        """Print a message on its own line, keeping the status line below it."""
        with self._lock:
            if self.stream is not None:
                prefix = "\r\033[K" if self.stream.isatty() else ""
                self.stream.write(f"{prefix}{text}\n")
                self.stream.flush()
                self.last = ""


class Station:
    """Turn key presses and audio into requestSpeak, partials, spooled finals and stopSpeak."""

    def __init__(self, recognizer: Recognizer, link: HubLink | None, mode: str = "hold", beep: bool = False,
                 status: StatusLine | None = None, on_final: Callable[[dict], None] | None = None,
                 segmenter: Segmenter | None = None, cue: Cue | None = None, verbatim: bool = False,
                 on_audio: Callable[[bytes], None] | None = None):
        self.recognizer = recognizer
        self.verbatim = verbatim  # keep "uh", "um" and the like in captions (ccc/station/fillers.py)
        self.verbatim_always = verbatim  # --verbatim: whatever the room says
        self.segmenter = segmenter or Segmenter()
        self.link = link
        self.mode = mode
        self.beep = beep
        self.status = status or StatusLine(None)
        self.on_final = on_final or (lambda payload: None)
        self.on_audio = on_audio or (lambda pcm: None)  # every chunk, key held or not: the audio meter
        self.state = "idle"  # idle, listening, speaking, denied, queued (a raised hand), offered
        self.denied_by = ""
        self.place = 0  # this station's place in the room's queue for the floor (1 is next), 0 when not queued
        self.offer_s = 0.0
        self.cue = cue or Cue()
        self.partials_sent = 0
        self._queue: queue.Queue = queue.Queue()
        self._down = False
        self._utterance_id = ""
        self._started_at = 0.0
        self._hold_at = 0.0  # the wall clock at sample 0 of the hold; segment times count samples from it
        self._last_partial = ""
        self._last_partial_at = 0.0
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._refresh_lock = threading.Lock()
        if link is not None:
            link.on_queue = self.queue_changed

    # Producers: audio sources and push-to-talk sources call these from their own threads.

    def audio(self, pcm: bytes) -> None:
        """Enqueue a chunk of audio."""
        self._queue.put(("audio", pcm))

    def key(self, down: bool) -> None:
        """Enqueue a key press (True) or release (False)."""
        self._queue.put(("key", down))

    def queue_changed(self, state: dict) -> None:
        """Enqueue the room's queue for the floor as the hub announced it."""
        self._queue.put(("queue", state))

    def set_vocabulary(self, vocab: Vocabulary) -> None:
        """Use the room's vocabulary: terms and replacements in the recognizer, and whether to keep hesitations."""
        self.recognizer.set_vocabulary(vocab)
        self.verbatim = self.verbatim_always or vocab.verbatim

    def end_of_input(self) -> None:
        """Enqueue the end of the input: finish any utterance, then stop."""
        self._queue.put(("end", None))

    def stop(self, timeout: float = 5) -> None:
        """Stop the recognition loop at once, dropping what is queued (the hub refused us for good).

        The loop's engines run native threads (onnxruntime, CTranslate2); an interpreter that exits while
        they work aborts ("terminate called without an active exception") instead of exiting with its code.
        """
        self._stopping = True
        self._queue.put(("end", None))
        self.join(timeout)

    # The consumer.

    def start(self) -> None:
        """Run the recognition loop in its own thread."""
        self._thread = threading.Thread(target=self.run, name="recognition", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the recognition loop to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Consume audio and key events until the end of the input."""
        self.refresh()
        while True:
            kind, value = self._queue.get()
            if self._stopping:
                return
            if kind == "audio":
                self.on_audio(value)
                if self.state == "speaking":
                    self._audio(value)
            elif kind == "key":
                self._on_key(value)
            elif kind == "queue":
                self._on_queue(value)
            elif kind == "end":
                if self.state != "idle":
                    self._end()
                return

    def _on_key(self, down: bool) -> None:
        if down == self._down:
            return  # Auto-repeat sends many presses for one hold.
        self._down = down
        if self.mode == "toggle":
            if down:
                self._end() if self.state == "speaking" else self._begin()
        elif down:
            self._begin()
        else:
            self._end()

    def _begin(self) -> None:
        self.state = "listening"
        self.refresh()
        ack = self.link.request_speak() if self.link else {"offline": True}
        if ack.get("offline") or (ack.get("ok") and ack.get("granted")):
            self.state = "speaking"
            self._hold_at = now_ms()
            self.segmenter.reset()
            self.recognizer.begin_hold()
            self._last_partial_at = 0.0
            if self.link:
                self.link.speaking = True
        else:
            self._denied(ack)
        self.refresh()

    def _denied(self, ack: dict) -> None:
        """Say who has the floor and raise the hand: the station waits in the queue for its turn."""
        speaker = ack.get("speaker") or {}
        offered = ack.get("offeredTo") or {}
        self.denied_by = speaker.get("name") or (f"the floor is offered to {offered['name']}" if offered.get("name")
                                                 else (ack.get("error") or {}).get("message", "someone else"))
        hand = self.link.raise_hand() if self.link and ack.get("ok") else {}
        if hand.get("offered"):  # the floor came free meanwhile: it is this station's to take
            self._offered((hand.get("offer") or {}).get("seconds", 0))
            return
        self.place = hand.get("position") or 0
        self.state = "queued" if self.place else "denied"
        waiting = f"; you are number {self.place} in the queue" if self.place else ""
        self.status.say(f"denied: {self._blocker()}{waiting}" + ("\a" if self.beep else ""))

    def _blocker(self) -> str:
        return self.denied_by if self.denied_by.startswith("the floor") else f"{self.denied_by} holds the floor"

    def _on_queue(self, state: dict) -> None:
        me = self.link.participant_id if self.link else None
        queue = [entry.get("id") for entry in state.get("queue") or []]
        offer = state.get("offer") or {}
        self.place = queue.index(me) + 1 if me and me in queue else 0
        if me and offer.get("id") == me:
            if self.state not in ("offered", "speaking", "listening"):
                self._offered(offer.get("seconds", 0))
        elif self.state == "offered":  # passed to the next: lapsed, or taken back by a PIN presenter
            self.state = "idle"
            self.status.say("the floor was offered to you and passed to the next in the queue")
        elif self.state == "queued" and not self.place:
            self.state = "idle"  # taken out of the queue
        self.refresh()

    def _offered(self, seconds: float) -> None:
        """Cue the speaker: a beep (the terminal bell when no sound can play); a press takes the floor."""
        self.state, self.place, self.offer_s = "offered", 0, seconds
        bell = "" if self.cue() else "\a"
        within = f" within {seconds:g} s" if seconds else ""
        self.status.say(f"the floor is offered to you: press the key{within} to take it{bell}")

    def _end(self) -> None:
        if self.state == "speaking":
            for kind, value in self.segmenter.end():  # Key-up ends the last segment.
                self._segment_event(kind, value)
            self.recognizer.end_hold()
            if self.link:
                self.link.speaking = False
                self.link.stop_speak()
        if self.state not in ("queued", "offered"):  # key-up after a denial keeps the raised hand
            self.state = "idle"
        self.refresh()

    def _audio(self, pcm: bytes) -> None:
        for kind, value in self.segmenter.push(pcm):
            self._segment_event(kind, value)
        if self.segmenter.speaking:
            self._maybe_partial()

    def _segment_event(self, kind: str, value) -> None:
        if kind == "audio":
            self.recognizer.feed(value)
        elif kind == "start":
            self._utterance_id = "u-" + uuid.uuid4().hex
            self._started_at = self._at(value)
            self._last_partial = ""
        elif kind == "pause":  # the cut may come: the recognizer may start on the final now
            self.recognizer.pause()
        elif kind == "resume":
            self.recognizer.resume()
        else:  # "cut": this segment's final, spooled in order before anything later in the hold
            final = self.recognizer.finish()
            if not self.verbatim:
                final = Final(strip_fillers(final.text), strip_filler_words(final.words))
            if final.text.strip():
                for payload in final_payloads(self._utterance_id, final, self._started_at, self._at(value)):
                    self.on_final(payload)
                    if self.link:
                        self.link.send_final(payload)

    def _at(self, sample: int) -> float:
        return round(self._hold_at + sample * 1000 / RATE)

    def _maybe_partial(self) -> None:
        if self.link is None or not self.link.joined:
            return
        now = time.monotonic()
        if now - self._last_partial_at < PARTIAL_SPACING_S:
            return
        text = self.recognizer.partial()
        text = (text if self.verbatim else strip_fillers(text))[-protocol.MAX_TEXT:]
        if text and text != self._last_partial:
            self._last_partial, self._last_partial_at = text, now
            self.partials_sent += 1
            self.link.send_partial({"utteranceId": self._utterance_id, "text": text, "isFinal": False})

    def refresh(self) -> None:
        """Redraw the status line from the current state."""
        with self._refresh_lock:  # Hub and recognition threads both redraw; the last state must win.
            self.status.show(self.describe())

    def describe(self) -> str:
        """Return the status line's text."""
        waiting = self.link.spool.count() if self.link else 0
        tail = f", {waiting} final{'s' if waiting != 1 else ''} waiting" if waiting else ""
        if self.link and self.link.fatal:
            return f"error: {self.link.fatal}"
        if self.link and not self.link.joined:
            doing = " (recognizing, finals kept)" if self.state == "speaking" else ""
            return f"offline{doing}, {waiting} final{'s' if waiting != 1 else ''} waiting"
        if self.link and self.link.awaiting_approval:
            return f"waiting for approval: the admin or a presenter with the room's PIN must approve you{tail}"
        if self.state == "denied":
            return f"denied: {self._blocker()}{tail}"
        if self.state == "queued":
            return f"waiting: number {self.place} in the queue for the floor{tail}"
        if self.state == "offered":
            return f"offered: press the key to take the floor{tail}"
        return {"idle": "connected", "listening": "listening", "speaking": "speaking"}[self.state] + tail
