"""A throwaway certificate authority for TLS tests (made with `cryptography`).

`make_pki(dir)` gives a CA, client contexts trusting it and server certificates it
issued, so a test server can offer real TLS and the client can really check it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Pki:
    """A test CA, client contexts trusting it and server certificates it issued."""

    ca_key: ec.EllipticCurvePrivateKey
    ca: x509.Certificate
    dir: Path

    @property
    def ca_file(self) -> Path:
        """The CA certificate as a PEM file (for a client's `ca_file` setting)."""
        path = self.dir / "ca.crt"
        if not path.exists():
            path.write_bytes(self.ca.public_bytes(serialization.Encoding.PEM))
        return path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only (hostname checked)."""
        return ssl.create_default_context(
            cadata=self.ca.public_bytes(serialization.Encoding.PEM).decode()
        )

    def server_files(self, name: str, *, ips: tuple[str, ...] = ()) -> tuple[Path, Path]:
        """A certificate for DNS `name` (and `ips`) and its key, as PEM files."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        names: list[x509.GeneralName] = [x509.DNSName(name)]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        cert_path, key_path = self.dir / f"{name}.crt", self.dir / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path

    def server_context(self, name: str, *, ips: tuple[str, ...] = ()) -> ssl.SSLContext:
        """A server context presenting a certificate for `name` (and `ips`)."""
        cert, key = self.server_files(name, ips=ips)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return ctx


def make_pki(directory: Path, *, name: str = "ww test CA") -> Pki:
    """A fresh CA whose files live in `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    return Pki(ca_key=key, ca=ca, dir=directory)
