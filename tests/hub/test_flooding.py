"""A flooding client is held to the rate limit whatever it sends, reconnecting does not reset it, and one that
goes on sending after being refused is cut off."""
from __future__ import annotations

import threading
import time

import socketio


def codes(flooder, event, count):
    """Send ``count`` events one after another; return each ack's error code (None when accepted) until cut off."""
    found = []
    for _ in range(count):
        try:
            found.append((flooder.call(event, {}, timeout=3).get("error") or {}).get("code"))
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            break  # the hub hung up
    return found


def test_unknown_events_are_rate_limited_without_flooding_the_log_and_the_flooder_cut_off(hub, client):
    flooder = client(hub.url)
    sent = codes(flooder, "nonsense", 300)
    assert sent[0] == "bad_request"  # an unknown event is still answered
    assert sent.count("rate_limited") > 50, sent
    # It went on after 100 refusals (one forgiven per 1/20 s): dropped, not answered 300 times.
    assert len(sent) < 300 and not flooder.sio.connected, len(sent)
    assert hub.log().count("nonsense") < 10  # refusals are counted, not each written to the log


def burst(flooder, event, count):
    """Send ``count`` events at once (not waiting for each ack); return the acks' error codes in order."""
    acks: list = [None] * count
    done = threading.Semaphore(0)

    def answered(i, ack):
        acks[i] = (ack.get("error") or {}).get("code")
        done.release()

    for i in range(count):
        flooder.sio.emit(event, {}, callback=lambda ack, i=i: answered(i, ack))
    for _ in range(count):
        assert done.acquire(timeout=30)
    return acks


def test_reconnecting_does_not_reset_the_rate_limit(make_hub, client):
    hub = make_hub(CCC_EVENTS_PER_S="5")  # a bucket of 25 events, refilled at 5 a second
    code = hub.create_room("Flood")
    speaker = client(hub.url)
    assert speaker.join(code, "presenter", "Ada")["ok"]
    assert speaker.call("requestSpeak", {})["granted"]
    first = client(hub.url)
    assert burst(first, "ping", 60).count("rate_limited") > 20
    emptied = time.monotonic()
    first.close()

    again = client(hub.url)  # the same address, a fresh connection: it gets the bucket the first one left
    sent = burst(again, "ping", 25)
    away = time.monotonic() - emptied
    # Only what refilled while it was away passes (a fresh bucket would have let all 25 through).
    assert sent.count(None) <= 5 * away + 2, (sent, away)
    assert sent.count("rate_limited") > 0
    # The speaker (its own connection) is still served meanwhile.
    assert speaker.call("caption", {"utteranceId": "f1", "text": "On time.", "isFinal": True})["seq"] == 1
