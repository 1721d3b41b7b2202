"""Test certificates, made with cryptography (as a private CA would): a root, an intermediate and
server certificates, with the validity and keys a test asks for. The unit tests use them in
memory; `python -m hapair_harness.pki DIR` writes the set the tls scenario deploys."""

import datetime
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def key():
    return ec.generate_private_key(ec.SECP256R1())


def certificate(name, subject_key, issuer=None, issuer_key=None, ca=False, start=None, end=None):
    """A certificate for name, signed by issuer (None: self-signed)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start or NOW - DAY)
        .not_valid_after(end or NOW + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    return builder.sign(issuer_key or subject_key, hashes.SHA256())


def pem(*items):
    """PEM text of certificates and keys, in the order given."""
    out = []
    for item in items:
        if isinstance(item, x509.Certificate):
            out.append(item.public_bytes(serialization.Encoding.PEM).decode())
        else:
            out.append(item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode())
    return "".join(out)


class PrivateCA:
    """A root and an intermediate CA; server() issues from the intermediate."""

    def __init__(self):
        self.root_key, self.mid_key = key(), key()
        self.root = certificate("hapair test root", self.root_key, ca=True, end=NOW + 3650 * DAY)
        self.mid = certificate("hapair test intermediate", self.mid_key, self.root, self.root_key, ca=True,
                               end=NOW + 1825 * DAY)

    def server(self, name="www.example.test", **validity):
        """(certificate, key) of a server certificate the intermediate issued."""
        server_key = key()
        return certificate(name, server_key, self.mid, self.mid_key, **validity), server_key


# The names the tls scenario's clients ask for (SNI) and its backends' certificates carry.
SITE_NAME = "www.hapair.test"
BACKEND_NAME = "backend.hapair.test"


def write_scenario_set(directory):
    """The tls scenario's files, made once (kept when they exist): the root (root.pem), the chain
    of the site's certificate and of its rotated successor (site.crt, site2.crt: leaf then
    intermediate) with their keys, and the backends' certificate and key."""
    directory = Path(directory)
    if (directory / "complete").exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    ca = PrivateCA()
    files = {"root.pem": pem(ca.root)}
    for stem, name in (("site", SITE_NAME), ("site2", SITE_NAME), ("backend", BACKEND_NAME)):
        cert, cert_key = ca.server(name)
        files[f"{stem}.crt"] = pem(cert, ca.mid)
        files[f"{stem}.key"] = pem(cert_key)
    for name, text in files.items():
        path = directory / name
        path.write_text(text)
        path.chmod(0o600 if name.endswith(".key") else 0o644)
    (directory / "complete").write_text("")
    return directory


if __name__ == "__main__":
    print(write_scenario_set(sys.argv[1]))
