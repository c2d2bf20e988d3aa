"""Admin sign-in the hub can revoke: the cookie carries a secret whose hash must be in admin_sessions.

Signing out deletes the row, so a copied cookie and an open socket lose admin rights at once; a row also
expires with the cookie (PERMANENT_SESSION_LIFETIME, 12 hours).
"""
from __future__ import annotations

import ipaddress
import secrets

from flask import current_app, session
from sqlalchemy import delete, select

from ccc.store.db import db
from ccc.store.models import AdminSession, hash_token, now


def address_may_admin(address: str | None, allowed: str) -> bool:
    """Tell whether ``address`` may reach /admin under ``allowed`` (CCC_ADMIN_FROM): local, any, or networks.

    ``local`` (the default) is the hub PC itself, so the admin password never crosses the Wi-Fi in clear.
    """
    allowed = allowed.strip().lower() or "local"
    if allowed == "any":
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip
    if ip.is_loopback:
        return True
    if allowed == "local":
        return False
    networks = [part.strip() for part in allowed.split(",") if part.strip() and part.strip() != "local"]
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def sign_in() -> None:
    """Start a new admin session in this browser's cookie (any earlier content of the cookie is dropped)."""
    token = secrets.token_urlsafe(24)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    db.session.execute(delete(AdminSession).where(AdminSession.expires_at < now()))
    db.session.add(AdminSession(token_hash=hash_token(token), created_at=now(), expires_at=now() + lifetime))
    db.session.commit()
    session.clear()
    session.permanent = True  # the cookie expires with the server-side session
    session["admin"] = token


def sign_out() -> None:
    """End this browser's admin session everywhere: its cookie, copies of it, and sockets opened with it."""
    token = session.pop("admin", None)
    if isinstance(token, str):
        db.session.execute(delete(AdminSession).where(AdminSession.token_hash == hash_token(token)))
        db.session.commit()


def valid(token: object) -> bool:
    """Tell whether ``token`` (from a cookie) is a live admin session."""
    if not isinstance(token, str) or not token:
        return False
    expires = db.session.scalar(select(AdminSession.expires_at).where(AdminSession.token_hash == hash_token(token)))
    return expires is not None and expires > now()


def signed_in() -> bool:
    """Tell whether the current request comes from a signed-in admin."""
    return valid(session.get("admin"))
