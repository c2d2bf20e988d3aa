"""The station never loses a final because its word timings break the hub's checks: it sends the text alone."""
from __future__ import annotations

from ccc import protocol
from ccc.station.recognizers import Final
from ccc.station.station import final_payloads, now_ms


def test_word_timings_the_hub_would_refuse_are_dropped_and_the_text_kept():
    started = now_ms()
    good = [{"word": "hello", "start": 0, "end": 400, "conf": 0.9}, {"word": "world", "start": 400, "end": 900}]
    [payload] = final_payloads("u1", Final("hello world", good), started, started + 1000)
    assert payload["words"] == good
    odd = [{"word": "hello", "start": 0, "end": 400}, {"word": "w" * 60, "start": 400, "end": 3_600_000}]
    [payload] = final_payloads("u2", Final("hello world", odd), started, started + 1000)
    assert "words" not in payload and payload["text"] == "hello world"
    protocol.parse(protocol.Caption, payload)
