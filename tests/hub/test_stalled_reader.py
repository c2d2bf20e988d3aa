"""A phone that stops reading for a while (a busy browser tab) then reads on gets everything whole and in order.

The hub writes a frame straight into a phone's socket when nothing is waiting to be sent to it
(ccc/hub/transport/direct.py); a socket that takes only part of a frame gets the rest through its queue,
before anything sent later. Here the phone joins a room with 200 long finals and pages through them ten times
(~400 KB a page: 4.5 MB, more than the kernel's buffers take), reading nothing while the presenter goes on;
what it reads afterwards must be whole frames: the state and every page with every final, then every partial
once, in order.
"""
from __future__ import annotations

import json
import socket
import time

import pytest
import websocket

FINALS, PAGES, PARTIALS = 200, 10, 60
TEXT = 1800  # under MAX_TEXT


def text(kind: str, k: int) -> str:
    head = f"{kind}={k} "
    return head + "x" * (TEXT - len(head))


@pytest.mark.parametrize("mode", ["gevent", "eventlet"])
def test_a_reader_that_stalls_then_reads_gets_every_caption_whole_and_in_order(make_hub, client, mode):
    hub = make_hub(CCC_ASYNC_MODE=mode, CCC_EVENTS_PER_S="1000", CCC_EVENTS_PER_ADDRESS_S="2000",
                   CCC_JOIN_CAPTIONS_PER_S="100000", CCC_HUB_JOIN_CAPTIONS_PER_S="0")
    code = hub.create_room("Stalled reader")
    presenter = client(hub.url)
    assert presenter.join(code, "presenter", "Ana")["ok"]
    assert presenter.call("requestSpeak", {})["granted"]
    for k in range(FINALS):
        assert presenter.call("caption", {"utteranceId": f"f{k}", "text": text("f", k), "isFinal": True})["ok"]

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window from the start
    sock.connect(("127.0.0.1", hub.port))
    ws = websocket.create_connection(hub.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=30, suppress_origin=True, socket=sock)
    assert ws.recv().startswith("0{")
    ws.send("40")
    assert ws.recv().startswith("40")
    # From here the phone reads nothing until the presenter is done (well within the ping timeout).
    ws.send("421" + json.dumps(["join", {"room": code, "role": "audience", "name": ""}]))
    for page in range(PAGES):
        ws.send(f"42{page + 2}" + json.dumps(["catchUp", {"since": 0}]))
    time.sleep(0.5)
    for k in range(PARTIALS):
        assert presenter.call("caption", {"utteranceId": "u", "text": text("p", k), "isFinal": False})["ok"]

    state, answers, partials = None, {}, []
    deadline = time.monotonic() + 30
    while len(partials) < PARTIALS and time.monotonic() < deadline:
        frame = ws.recv()  # a torn frame fails here, or parses as garbage below
        if frame == "2":
            ws.send("3")
        elif frame.startswith("43"):
            digits = len(frame) - len(frame[2:].lstrip("0123456789")) - 2
            answers[int(frame[2:2 + digits])] = json.loads(frame[2 + digits:])[0]
        elif frame.startswith("42"):
            name, data = json.loads(frame[2:])
            if name == "roomState":
                state = data
            elif name == "caption":
                k = int(data["text"].split(" ", 1)[0][2:])
                assert data["text"] == text("p", k), f"partial {k} arrived damaged"
                partials.append(k)
    ws.close()
    assert sorted(answers) == list(range(1, PAGES + 2)) and all(a["ok"] for a in answers.values())
    assert [c["text"] for c in state["captions"]] == [text("f", k) for k in range(FINALS)]
    assert answers[1]["state"]["captions"] == state["captions"]
    assert all(answers[page]["captions"] == state["captions"] for page in range(2, PAGES + 2))
    assert partials == list(range(PARTIALS)), f"{len(partials)} of {PARTIALS} partials, in this order: {partials}"
