"""The station's link to the hub: a presenter in a room that rejoins, and delivers spooled finals in order.

All hub traffic runs on one worker thread (ccc/station/hub_thread.py), in the order the station asked for
it, so a final always reaches the hub before the stopSpeak that follows it and a requestSpeak never overtakes
an earlier stopSpeak.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from socketio import exceptions as sio_errors

from ccc import protocol
from ccc.station.hub_thread import HubThread, Offline
from ccc.station.spool import Spool
from ccc.station.vocabulary import Vocabulary

RETRY_FLUSH_S = 3.0
PARTIAL_SPACING_S = 0.34  # At most 3 partials in any one second.
# Refusals that no retry can fix: the final stays in the spool file, out of the queue.
PERMANENT = {"bad_request", "too_large", "forbidden", "not_found", "room_not_found"}
FATAL_JOIN = {"room_not_found", "bad_pin", "forbidden", "bad_request"}


class HubLink(HubThread):
    """Keep one presenter connection to a room alive and run hub calls in order on one thread."""

    def __init__(self, url: str, room: str, name: str, spool: Spool, pin: str | None = None,
                 participant_id: str | None = None, resume_token: str | None = None,
                 on_change: Callable[[], None] | None = None,
                 on_vocabulary: Callable[[Vocabulary], None] | None = None, room_key: bytes | None = None,
                 password: str | None = None, translator: Callable[[str], dict[str, str]] | None = None):
        super().__init__(url)
        self.room = protocol.normalize_code(room)
        # An e2e room's key (ccc.e2e.parse_key): every caption and correction leaves sealed, spool included.
        self.room_key = room_key
        # --translate (e2e rooms): each final's and correction's translations go into its envelope.
        self.translator = translator
        self.name = name
        self.pin = pin
        self.password = password  # a private room's read password: sent in the join only, never printed
        self.spool = spool
        # The identity the hub issued at the first join (kept in the spool file); None until then.
        kept = (participant_id, resume_token) if participant_id else spool.identity(self.url, name)
        self.participant_id, self.resume_token = kept or (None, None)
        self.on_change = on_change or (lambda: None)
        self.on_vocabulary = on_vocabulary or (lambda vocab: None)
        # Called (on the Socket.IO thread) with each {queue, offer} of the room's queue for the floor.
        self.on_queue: Callable[[dict], None] = lambda state: None
        self.vocabulary = Vocabulary()
        # In a room with verification on, joined without the PIN: the admin or a PIN presenter must approve.
        self.awaiting_approval = False
        self.speaking = False  # Set by the station: it holds the key and was granted (or is offline).
        self.audio: dict | None = None  # the meter's latest stationAudio, sent again at each join
        self._last_flush = 0.0
        self._last_partial_at = 0.0
        self.partial_times: list[float] = []  # when each partial left, to check the rate limit

    # Public API, called from the station's threads.

    def request_speak(self) -> dict:
        """Ask for the floor; return the ack, or {"offline": True} when the hub is away."""
        return self.submit(self._request_speak).result()

    def raise_hand(self) -> dict:
        """Wait in the room's queue for the floor; return the ack, or {"offline": True}."""
        return self.submit(self._raise_hand).result()

    def seal(self, payload: dict) -> dict:
        """Return a caption payload as it goes on the wire: sealed with the room key in an e2e room."""
        if self.room_key is None:
            return payload
        from ccc import e2e  # noqa: PLC0415 - only e2e rooms need cryptography

        if self.translator is not None and payload.get("isFinal") and payload["text"].strip():
            payload = {**payload, "translations": self.translator(payload["text"])}
        return e2e.seal_caption(self.room_key, self.room, payload)

    def send_partial(self, payload: dict) -> None:
        """Relay a partial caption if connected; partials are never spooled."""
        payload = self.seal(payload)
        self.submit(lambda: self._partial(payload))

    def _partial(self, payload: dict) -> None:
        # The station spaces partials already; a hub thread held up by a slow call must not send a burst.
        now = time.monotonic()
        if now - self._last_partial_at >= PARTIAL_SPACING_S:
            self._last_partial_at = now
            self.partial_times.append(now)
            self._emit(protocol.CAPTION, payload)

    def send_final(self, payload: dict) -> None:
        """Spool a final (sealed in an e2e room, so the spool file holds no plain text) and deliver, in order."""
        self.spool.add(self.seal(payload))
        self.on_change()
        self.submit(self._flush)

    def send_edit(self, utterance_id: str, text: str) -> dict:
        """Correct one of this station's finals (sealed in an e2e room); return the ack or {"offline": True}."""
        payload = {"utteranceId": utterance_id, "text": text}
        if self.room_key is not None:
            payload = self.seal({**payload, "isFinal": True})
            payload.pop("isFinal")
        return self.submit(lambda: self._edit(payload)).result()

    def _edit(self, payload: dict) -> dict:
        if not self.joined:
            return {"offline": True}
        try:
            return self._call(protocol.EDIT_CAPTION, payload)
        except Offline:
            return {"offline": True}

    def send_audio(self, payload: dict) -> None:
        """Tell the room's presenters the meter's new advice (a stationAudio payload), now and at each join."""
        self.audio = payload
        self.submit(lambda: self._emit(protocol.STATION_AUDIO, payload))

    def stop_speak(self) -> None:
        """Give the floor back (after any final submitted before)."""
        self.submit(self._stop_speak)

    def drain(self, timeout: float) -> bool:
        """Wait until the spool is empty or ``timeout`` passes; tell whether it emptied."""
        deadline = time.monotonic() + timeout
        while self.spool.count() and time.monotonic() < deadline and self.fatal is None:
            time.sleep(0.1)
        return self.spool.count() == 0

    def close(self) -> None:
        """Leave the room and stop the hub thread."""
        self.submit(self._leave)
        self.stop()

    # The hub thread.

    def _connect(self) -> None:
        handlers: dict[str, Callable] = {
            event: (lambda data: self.on_change())
            for event in (protocol.SPEAK_DENIED, protocol.SPEAKER_CHANGED, protocol.SPEAKER_STOPPED)}
        handlers.update({
            protocol.VOCABULARY_UPDATED: self._take_vocabulary,
            protocol.FLOOR_QUEUE: lambda data: self.on_queue(data or {}),
            protocol.PARTICIPANT_UPDATED: self._participant_updated,
            protocol.APPROVAL_DENIED: self._approval_denied,
        })
        try:
            self._open(handlers)
            resume = {"participantId": self.participant_id, "resumeToken": self.resume_token} \
                if self.participant_id and self.resume_token else {}
            ack = self._call(protocol.JOIN, {
                "room": self.room, "role": "presenter", "name": self.name,
                **resume, **({"pin": self.pin} if self.pin else {}),
                **({"password": self.password} if self.password else {}),
            })
        except (sio_errors.SocketIOError, Offline, OSError, ValueError):
            self._drop()
            self._schedule_retry()
            return
        if not ack.get("ok"):
            error = ack.get("error", {})
            if error.get("code") == "forbidden" and resume:
                self._forget_identity()  # the hub no longer knows it (expired): join again as a new presenter
                self._drop()
                return
            if error.get("code") in FATAL_JOIN:
                self.fatal = f"the hub refused to join room {self.room}: {error.get('message', error.get('code'))}"
                self.on_change()
                self._drop()
                return
            self._drop()
            self._schedule_retry()
            return
        if ack.get("resumeToken"):
            self.participant_id, self.resume_token = ack["participantId"], ack["resumeToken"]
            self.spool.keep_identity(self.url, self.name, self.participant_id, self.resume_token)
        self.joined = True
        self.awaiting_approval = bool(ack.get("waiting"))
        self.backoff_s = 0.25
        self.on_change()
        self._after_join(ack.get("state") or {})

    def _take_vocabulary(self, data: Any) -> None:
        self.vocabulary = Vocabulary.parse(data)
        self.on_vocabulary(self.vocabulary)

    def _after_join(self, state: dict) -> None:
        if (state.get("room") or {}).get("e2e") and self.room_key is None:
            self.fatal = (f"room {self.room} is end-to-end encrypted: run the station with its link, "
                          f"--join-url 'http://HUB/r/{self.room}#k=KEY' (or --room-key KEY)")
            self.on_change()
            self._drop()
            return
        if "vocabulary" in state:  # Hubs before room vocabularies send none: keep what we have.
            self._take_vocabulary(state["vocabulary"])
        if "queue" in state:  # hubs before the queue for the floor send none
            self.on_queue({"queue": state["queue"], "offer": state.get("offer")})
        if self.audio is not None:  # a console that lost us while we were away learns the advice again
            self._emit(protocol.STATION_AUDIO, self.audio)
        speaker = state.get("speaker") or {}
        if self.speaking:
            self._request_speak()  # Still holding the key: take the floor back so partials flow again.
        self._flush()
        if not self.speaking and speaker.get("id") == self.participant_id:
            self._stop_speak()  # A restarted hub may still think we hold the floor we let go while away.

    def _participant_updated(self, data: Any) -> None:
        if isinstance(data, dict) and data.get("id") == self.participant_id and data.get("verified"):
            self.awaiting_approval = False
            self.on_change()
            audio = self.audio
            if audio is not None:  # refused while waiting for approval
                self.submit(lambda: self._emit(protocol.STATION_AUDIO, audio))

    def _approval_denied(self, data: Any) -> None:
        self.awaiting_approval = False
        self._forget_identity()  # the hub removed this participant
        self.fatal = f"your request to present in room {self.room} was denied; ask again later"
        self.on_change()

    def _forget_identity(self) -> None:
        self.participant_id = self.resume_token = None
        self.spool.keep_identity(self.url, self.name, None)

    def _on_lost(self) -> None:
        self.on_change()

    def _idle(self) -> None:
        if time.monotonic() - self._last_flush > RETRY_FLUSH_S and self.spool.count():
            self._flush()  # A final the hub refused for now (floor taken, rate limited) is tried again.

    def _request_speak(self) -> dict:
        if not self.joined:
            return {"offline": True}
        try:
            ack = self._call(protocol.REQUEST_SPEAK, {})
        except Offline:
            return {"offline": True}
        if self.awaiting_approval and (ack.get("error") or {}).get("code") == "forbidden":
            return ack  # not approved yet: the status line says so; the key works once approved
        if (ack.get("error") or {}).get("code") == "forbidden":  # the room's PIN changed: run again with it
            self.fatal = f"the hub refused the floor in room {self.room}: {ack['error'].get('message')}"
            self.on_change()
        return ack

    def _raise_hand(self) -> dict:
        if not self.joined:
            return {"offline": True}
        try:
            return self._call(protocol.RAISE_HAND, {})
        except Offline:
            return {"offline": True}

    def _stop_speak(self) -> None:
        if self.joined:
            try:
                self._call(protocol.STOP_SPEAK, {})
            except Offline:
                pass

    def _leave(self) -> None:
        if self.joined:
            try:
                self._call(protocol.LEAVE, {})
            except Offline:
                pass

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        borrowed = False
        try:
            for row in self.spool.pending():
                if not self.joined:
                    return
                ack = self._call(protocol.CAPTION, row.payload)
                code = (ack.get("error") or {}).get("code")
                if code in {"not_speaker", "floor_taken"} and not self.speaking and not borrowed:
                    # A final spooled while away may need the floor again to be accepted.
                    borrowed = bool(self._request_speak().get("granted"))
                    ack = self._call(protocol.CAPTION, row.payload) if borrowed else ack
                    code = (ack.get("error") or {}).get("code")
                if ack.get("ok"):
                    self.spool.delivered(row.id, ack.get("seq"))
                elif code in PERMANENT:
                    self.spool.rejected(row.id, code)
                else:
                    return  # Keep order: retry this one (and those after it) on the next flush.
                self.on_change()
        except Offline:
            return
        finally:
            if borrowed and not self.speaking:
                self._stop_speak()
