"""Admin rights end at sign-out everywhere: on open sockets, and for a copied cookie; the cookie expires."""
from __future__ import annotations

import time

import requests

from hubkit import AdminWeb, Client


def admin_socket(hub, admin: AdminWeb) -> Client:
    return Client(hub.url).connect(headers={"Cookie": admin.cookie()})


def test_signing_out_ends_admin_rights_on_sockets_and_copied_cookies(hub, client):
    code = hub.create_room("Admin room", pin="5150")
    ada = client(hub.url)
    assert ada.join(code, "presenter", "Ada", pin="5150")["ok"]
    ada.call("requestSpeak", {})
    assert ada.call("caption", {"utteranceId": "a1", "text": "Helo.", "isFinal": True})["ok"]

    admin = AdminWeb(hub.url)
    copied = requests.Session()
    copied.headers["Cookie"] = admin.cookie()  # the cookie as someone might copy it off the PC
    assert "Sign out" in copied.get(hub.url + "/admin", timeout=10).text
    socket = admin_socket(hub, admin)
    try:
        assert socket.join(code, "audience", "Admin")["ok"]
        assert socket.call("editCaption", {"utteranceId": "a1", "text": "Hello."})["ok"]

        assert admin.post("/admin/logout", {}).ok
        refused = socket.call("editCaption", {"utteranceId": "a1", "text": "Hello!"})
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
        assert "Sign out" not in copied.get(hub.url + "/admin", timeout=10).text
        assert copied.post(hub.url + f"/admin/rooms/{code}/release", timeout=10,
                           allow_redirects=False).status_code in {302, 400}
        assert client(hub.url).join(code, "audience")["state"]["speaker"]["name"] == "Ada"
    finally:
        socket.close()


def test_the_admin_cookie_expires_within_twelve_hours(hub):
    admin = AdminWeb(hub.url)
    cookie = next(c for c in admin.web.cookies if c.name == "session")
    assert cookie.expires is not None, "the admin cookie must not outlive its lifetime"
    assert time.time() < cookie.expires <= time.time() + 12 * 3600 + 60
