"""Shared by the hub-service tests: a throw-away TLS certificate, a hub served over HTTPS, and signing in
with a real HTTP client (requests) that checks the certificate."""
from __future__ import annotations

import datetime
import ipaddress
import re
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import PASSWORD

SERVER_NAME = "rhi.test"


def make_certificate(folder: Path, name: str = SERVER_NAME) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (and 127.0.0.1); returns (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name), x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def hub_session(cert: Path, name: str = SERVER_NAME) -> requests.Session:
    """A requests session that trusts only ``cert`` and says it is reaching ``name`` (the Host a browser
    on the council's network sends); it connects to 127.0.0.1, which the certificate also names."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace the one certificate trusted here
    session.verify = str(cert)
    session.headers["Host"] = name
    return session


def csrf_token(html: str) -> str:
    """The CSRF token on a page's form."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in_over_http(session: requests.Session, base: str, username: str, password: str = PASSWORD):
    """Sign in through the real sign-in form (CSRF on); returns the response after redirects."""
    page = session.get(base + "/sign-in", timeout=30)
    page.raise_for_status()
    response = session.post(base + "/sign-in", data={"username": username, "password": password,
                                                     "csrf_token": csrf_token(page.text)}, timeout=30)
    assert response.status_code == 200 and "/sign-in" not in response.url, (response.status_code, response.url)
    return response
