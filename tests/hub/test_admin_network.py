"""Admin over the network: only from the hub PC unless CCC_ADMIN_FROM says otherwise; HTTPS with a certificate.

Another device is a request through a trusted proxy (CCC_TRUSTED_PROXIES=1) that names a Wi-Fi address, as
nginx in front of the hub does: every test client here is on loopback.
"""
from __future__ import annotations

import datetime
import ipaddress
import re

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PHONE = {"X-Forwarded-For": "192.168.1.20"}


def sign_in(hub, url: str, headers: dict | None = None, verify=True) -> requests.Response:
    """Open /admin as a browser would and post the password with the form's CSRF token."""
    web = requests.Session()
    form = web.get(f"{url}/admin", headers=headers, timeout=10, verify=verify)
    if form.status_code != 200:
        return form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    return web.post(f"{url}/admin/login", data={"password": "test-admin", "csrf_token": token},
                    headers=headers, timeout=10, allow_redirects=False, verify=verify)


def test_admin_is_refused_from_another_device_by_default_with_a_way_to_allow_it(make_hub):
    hub = make_hub(CCC_TRUSTED_PROXIES="1")
    refused = requests.get(f"{hub.url}/admin", headers=PHONE, timeout=10)
    assert refused.status_code == 403
    assert "CCC_ADMIN_FROM" in refused.text and "192.168.1.20" in refused.text
    web = requests.Session()  # a form with its CSRF token, then the password posted from the phone
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get(f"{hub.url}/admin", timeout=10).text).group(1)
    posted = web.post(f"{hub.url}/admin/login", data={"password": "test-admin", "csrf_token": token},
                      headers=PHONE, timeout=10, allow_redirects=False)
    assert posted.status_code == 403
    assert 'name="password"' in web.get(f"{hub.url}/admin", timeout=10).text  # that cookie was not signed in
    assert sign_in(hub, hub.url).status_code == 302  # the hub PC itself signs in as before


def test_admin_from_allows_a_network(make_hub):
    hub = make_hub(CCC_TRUSTED_PROXIES="1", CCC_ADMIN_FROM="192.168.1.0/24")
    assert sign_in(hub, hub.url, PHONE).status_code == 302
    other = requests.get(f"{hub.url}/admin", headers={"X-Forwarded-For": "10.0.0.7"}, timeout=10)
    assert other.status_code == 403


def self_signed(tmp_path) -> tuple[str, str]:
    """Write a certificate for 127.0.0.1 and its key, made now, and return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ccc-hub")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "hub.crt", tmp_path / "hub.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_a_certificate_serves_https_with_a_secure_cookie(tmp_path, template_db):
    from hubkit import Hub  # noqa: PLC0415 - started by hand: Hub.start polls plain HTTP

    cert, key = self_signed(tmp_path)
    hub = Hub(tmp_path, template_db, CCC_TLS_CERT=cert, CCC_TLS_KEY=key)
    https = hub.url.replace("http://", "https://")
    hub.url = https
    import subprocess  # noqa: PLC0415
    import time  # noqa: PLC0415

    from hubkit import PYTHON, ROOT  # noqa: PLC0415
    log = open(hub.log_path, "a")
    hub.proc = subprocess.Popen([PYTHON, "app.py"], cwd=ROOT, env=hub.env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{https}/healthz", verify=cert, timeout=1).ok:
                    break
            except requests.RequestException:
                assert time.monotonic() < deadline, hub.log()
                time.sleep(0.2)
        answer = sign_in(hub, https, verify=cert)
        assert answer.status_code == 302
        cookie = answer.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
        try:  # nothing in clear: a plain HTTP request on the port gets no page
            plain = requests.get(f"{https.replace('https://', 'http://')}/healthz", timeout=5)
            assert not plain.ok
        except requests.RequestException:
            pass
    finally:
        hub.stop()
