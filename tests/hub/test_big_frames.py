"""A WebSocket message over the 256 KB limit is refused while it is read, before it costs the hub memory."""
from __future__ import annotations

import threading
import time

import psutil
import websocket

MESSAGE_MB = 60


def test_a_huge_websocket_message_is_cut_off_while_it_is_read(hub, client):
    code = hub.create_room("Big frames")
    phone = client(hub.url)
    assert phone.join(code, "audience")["ok"]
    process = psutil.Process(hub.proc.pid)
    before = process.memory_info().rss
    peak = [before]
    sending = threading.Event()

    def sample() -> None:
        while sending.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.01)

    ws = websocket.create_connection(hub.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=60, suppress_origin=True)
    assert ws.recv().startswith("0{")
    ws.send("40")
    assert ws.recv().startswith("40")
    message = '42["caption",{"utteranceId":"u","isFinal":true,"text":"' + "x" * (MESSAGE_MB << 20) + '"}]'
    sending.set()
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        ws.send(message)  # one 60 MB text frame
        closed = not ws.recv()  # a close frame reads as empty
    except (websocket.WebSocketException, OSError):
        closed = True
    finally:
        time.sleep(0.5)  # let the hub settle before the last samples
        sending.clear()
        sampler.join()
    assert closed, "the hub kept a connection that sent a message over the limit"
    grown_mb = (peak[0] - before) / 2**20
    assert grown_mb < 8, f"the hub grew by {grown_mb:.0f} MB reading a refused message"
    # Everyone else is still served.
    assert phone.call("ping", {})["ok"]
    assert client(hub.url).join(code, "audience")["ok"]
