"""This PC's LAN address, found without Flask, so the hub and the doctor pick the same one."""
from __future__ import annotations

import ipaddress
import socket


def lan_address() -> str | None:
    """Return this machine's LAN IPv4 address, or None when it has only loopback."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # Connecting a UDP socket sends nothing; it only asks the kernel which interface would be used.
        probe.connect(("192.0.2.1", 9))
        candidates = [probe.getsockname()[0]]
    except OSError:
        candidates = []
    finally:
        probe.close()
    try:
        candidates += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    for address in candidates:
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local):
            return address
    return None
