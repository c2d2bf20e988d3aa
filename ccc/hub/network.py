"""The address phones use to reach the hub: CCC_PUBLIC_URL, or else this PC's LAN address."""
from __future__ import annotations

import ipaddress
import socket

from flask import Flask


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


def public_url(app: Flask) -> str:
    """Return the base URL phones open (never localhost, which a phone cannot reach, unless nothing else)."""
    configured = app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    host = app.config["HOST"]
    if host in ("0.0.0.0", "", "::"):  # listening everywhere: phones use the LAN address
        host = lan_address() or "127.0.0.1"
    return f"http://{host}:{app.config['PORT']}"
