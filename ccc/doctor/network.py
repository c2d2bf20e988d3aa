"""The doctor's network checks: the hub answers, and phones can reach it at the address in the QR code."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests

from ccc.doctor.checks import SETTINGS_HINT, Check


def hub_url(settings: dict) -> str:
    """Return the URL this PC reaches its hub at: loopback when it listens everywhere."""
    host = settings.get("CCC_HOST") or "0.0.0.0"
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{settings.get('CCC_PORT') or 5000}"


def hub_health(url: str, timeout: float = 2.0) -> Check:
    """Ask the hub's /healthz."""
    name = "Hub"
    fix = "sudo systemctl restart ccc-hub; journalctl -u ccc-hub -n 50 shows why it stopped (without the install: make run)"
    try:
        response = requests.get(f"{url}/healthz", timeout=timeout)
    except requests.RequestException as exc:
        return Check(name, False, f"nothing answers at {url}/healthz ({type(exc).__name__})", fix)
    if not response.ok:
        return Check(name, False, f"{url}/healthz answered {response.status_code}", fix)
    try:
        body = response.json()
    except ValueError:
        body = {}
    version = body.get("version", "?") if isinstance(body, dict) else "?"
    return Check(name, True, f"{url} answers (version {version})")


def public_address(settings: dict, hub_up: bool, timeout: float = 2.0) -> Check:
    """Check the address in the QR code: not loopback, this PC's own, and the hub answers there."""
    from ccc.lan import lan_address  # noqa: PLC0415 - the same choice the hub makes

    name = "Address for phones"
    port = settings.get("CCC_PORT") or "5000"
    listen = settings.get("CCC_HOST") or "0.0.0.0"
    lan = lan_address()
    suggestion = f"CCC_PUBLIC_URL=http://{lan}:{port}" if lan else "CCC_PUBLIC_URL=http://<this PC's address>:PORT"
    join_network = "connect this PC to the classroom's network (Wi-Fi or cable)"
    url = (settings.get("CCC_PUBLIC_URL") or "").rstrip("/")
    if not url:
        host = listen if listen not in ("0.0.0.0", "", "::") else (lan or "127.0.0.1")
        url = f"http://{host}:{port}"
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(socket.getaddrinfo(host, None, socket.AF_INET)[0][4][0])
    except (OSError, ValueError) as exc:
        return Check(name, False, f"{url}: {host!r} does not resolve ({exc})", f"set {suggestion} in {SETTINGS_HINT}")
    if address.is_loopback:
        fix = f"set {suggestion} in {SETTINGS_HINT}" if lan else join_network
        return Check(name, False, f"{url} is loopback: only this PC can open it, no phone can", fix)
    if listen.startswith("127.") or listen == "localhost":
        return Check(name, False, f"the hub listens on {listen} only, so phones cannot reach {url}",
                     f"set CCC_HOST=0.0.0.0 in {SETTINGS_HINT}")
    trusted_proxy = int(settings.get("CCC_TRUSTED_PROXIES") or 0) > 0
    if not trusted_proxy and not _is_local(str(address)):
        return Check(name, False, f"{url}: {address} is not an address of this PC (no interface has it)",
                     f"{join_network}, or set {suggestion} in {SETTINGS_HINT}")
    if hub_up:
        try:
            requests.get(f"{url}/healthz", timeout=timeout).raise_for_status()
        except requests.RequestException as exc:
            return Check(name, False, f"the hub does not answer at {url} ({type(exc).__name__})",
                         f"set CCC_HOST=0.0.0.0 in {SETTINGS_HINT}; a firewall must let port {port} in "
                         f"(sudo ufw allow {port}/tcp)")
    return Check(name, True, f"{url}" + (" (behind a proxy)" if trusted_proxy else f" on {address}"))


def _is_local(address: str) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, 0))  # only an address one of this PC's interfaces has can be bound
        except OSError:
            return False
    return True
