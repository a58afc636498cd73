"""A throwaway HTTPS site on 127.0.0.1, for the demo (private).

It serves a folder over TLS with a certificate from a CA made on the spot,
and gives a :class:`~vctrade._http.FetchPolicy` that trusts that CA and allows
loopback — so the demo can host a did:web document and status lists and
resolve them the way a verifier would, without touching the network.
"""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vctrade._http import FetchPolicy

__all__ = ["LocalSite"]


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
                 ca: bool) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, signer = issuer if issuer else (name, key)
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class LocalSite:
    """``with LocalSite(folder) as site: site.origin, site.policy`` — HTTPS on an ephemeral loopback port."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("vctrade demo CA", ca_key, None, ca=True)
        leaf = _certificate("127.0.0.1", leaf_key, (ca.subject, ca_key), ca=False)
        self._pems = tempfile.TemporaryDirectory(prefix="vctrade-demo-tls-")
        cert_file, key_file = Path(self._pems.name) / "cert.pem", Path(self._pems.name) / "key.pem"
        cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(cert_file, key_file)
        client_context = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode("ascii"))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
        self._httpd.socket = server_context.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self.origin = f"https://127.0.0.1:{self.port}"
        self.policy = FetchPolicy(allow_private_hosts=True, verify=client_context, timeout=5.0)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._pems.cleanup()
