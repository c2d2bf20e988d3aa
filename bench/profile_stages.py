"""Split a py-spy profile of the hub (``bench/fanout.py --profile DIR``, raw collapsed stacks) into stages.

Each sample goes to the first stage whose frames all appear in its stack, so the order of STAGES matters:
the more specific first. Prints each stage's share of the samples, as docs/performance.md quotes them.

    python bench/profile_stages.py /tmp/prof/ccc-gevent-500-captions.txt [more files...]
"""
from __future__ import annotations

import sys
from collections import Counter

# (stage, frames that must all be in the stack: "function (file" prefixes as py-spy prints them)
STAGES = [
    ("Engine.IO pings: a greenlet per ping and client", ["_send_ping (engineio/socket.py"]),
    ("ping-timeout watch (server.py)", ["watch (ccc/hub/transport/server.py"]),
    ("writer greenlet: queue get, its Timeout, the switch", ["writer (engineio/socket.py", "poll (engineio/socket.py"]),
    ("writer greenlet: getsockopt in gevent's sendall", ["writer (engineio/socket.py", "getsockopt ("]),
    ("writer greenlet: send system call", ["writer (engineio/socket.py", "send (gevent/_socketcommon.py"]),
    ("writer greenlet: framing, the rest", ["writer (engineio/socket.py"]),
    ("emit: direct write, send system call", ["emit (socketio/manager.py", "send_packet (ccc/hub/transport/direct.py",
                                              "send ("]),
    ("emit: direct write, the rest", ["emit (socketio/manager.py", "send_packet (ccc/hub/transport/direct.py"]),
    ("emit: gate's queue bound + Engine.IO queue put", ["emit (socketio/manager.py", "bounded (ccc/hub/transport/gate.py"]),
    ("emit: python-socketio loop and packet encoding", ["emit (socketio/manager.py"]),
    ("emit: Flask-SocketIO wrapper", ["emit (flask_socketio/__init__.py"]),
    ("storage: a final (INSERT, commit)", ["store_final (ccc/hub/rules/captions.py"]),
    ("storage: a partial's one SELECT", ["partial_sender (ccc/hub/rules/captions.py"]),
    ("handler: caption rules (note_partial, translation)", ["on_caption (ccc/hub/live/events.py"]),
    ("rate limit (throttle)", ["throttle.py"]),
    ("validation (ccc.protocol, pydantic)", ["parse (ccc/protocol"]),
    ("handler wrapper, Flask-SocketIO request context", ["_handle_event (flask_socketio/__init__.py"]),
    ("gate: packet check (refuse_malformed_packets)", ["checked (ccc/hub/transport/gate.py"]),
    ("reading frames (pongs, events), Engine.IO receive", ["_websocket_handler (engineio/socket.py"]),
    ("gevent loop: switches, timers, I/O polling", ["run (gevent/hub.py"]),
]


def classify(stack: str) -> str:
    """Return the stage of one sampled stack."""
    for stage, frames in STAGES:
        if all(frame in stack for frame in frames):
            return stage
    return "other"


def main(paths: list[str]) -> None:
    """Print the share of each stage over all samples in these py-spy raw files."""
    counts: Counter[str] = Counter()
    for path in paths:
        for line in open(path, encoding="utf-8"):
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if stack.strip():
                counts[classify(stack)] += int(n)
    total = sum(counts.values())
    print(f"{total} samples")
    for stage, n in counts.most_common():
        print(f"{100 * n / total:5.1f}%  {stage}")


if __name__ == "__main__":
    main(sys.argv[1:])
