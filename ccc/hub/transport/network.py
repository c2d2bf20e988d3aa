"""The address phones use to reach the hub: CCC_PUBLIC_URL, or else this PC's LAN address."""
from __future__ import annotations

from flask import Flask

from ccc.lan import lan_address


def public_url(app: Flask) -> str:
    """Return the base URL phones open (never localhost, which a phone cannot reach, unless nothing else)."""
    configured = app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    host = app.config["HOST"]
    if host in ("0.0.0.0", "", "::"):  # listening everywhere: phones use the LAN address
        host = lan_address() or "127.0.0.1"
    return f"http://{host}:{app.config['PORT']}"
