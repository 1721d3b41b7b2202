# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS at the VIP, in one place: the certificate files HAProxy reads (haproxy_certificates), the
words a TLS frontend's bind line and a TLS backend's server lines get, and what makes a
certificate, a frontend or a backend unfit for TLS. Plain Python: the haproxy role's template,
its preflight and the unit tests all use it.

The certificate checks run on the controller, before any host changes, with the Python
`cryptography` package (a requirement of ansible-core). They never put a key, or anything
derived from one, in a message."""

from __future__ import annotations

import datetime
import re
import ssl
import warnings

from ansible_collections.hapair.loadbalancer.plugins.module_utils.group import as_number, as_truth, is_int, is_switch

# cryptography is imported only where a certificate is judged (_crypto()): every worker process
# that loads this collection's filters loads this file, and the import costs a tenth of a second.
_CRYPTO = {}


# The oldest cryptography with what the checks use (Certificate.verify_directly_issued_by).
CRYPTOGRAPHY_MIN = (40, 0)


def _crypto():
    """The cryptography modules the checks use, imported on first use; None when missing or
    older than CRYPTOGRAPHY_MIN."""
    if not _CRYPTO:
        try:
            import cryptography
            from cryptography import x509
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives import serialization
        except ImportError:  # pragma: no cover - ansible-core requires it
            return None
        version = tuple(int(part) for part in re.findall(r"\d+", cryptography.__version__)[:2])
        if version < CRYPTOGRAPHY_MIN:
            return None
        _CRYPTO.update(x509=x509, InvalidSignature=InvalidSignature, serialization=serialization)
    return _CRYPTO


# A certificate's name: a file name under haproxy_certificate_dir, and one word of haproxy.cfg.
CERTIFICATE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
# An ALPN list as HAProxy's bind option takes it: protocol names separated by commas.
ALPN = re.compile(r"[A-Za-z0-9/._-]+(,[A-Za-z0-9/._-]+)*")
# A host name the server certificate must carry (verifyhost, and the SNI sent for it).
HOST_NAME = re.compile(r"[A-Za-z0-9*]([A-Za-z0-9.-]{0,252})")
# A path on the node (ca_file).
NODE_PATH = re.compile(r"/[A-Za-z0-9_.+/-]*")
VERIFY = ("required", "none")
# The ALPN an HTTP frontend with TLS offers unless it says otherwise: HTTP/2 first.
HTTP_ALPN = "h2,http/1.1"
# Where HAProxy finds the system's trusted CAs to verify a TLS backend (Debian's bundle).
SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
# Strict-Transport-Security max-age: at most about 68 years (HAProxy writes the header as given).
HSTS_MAX = 2 ** 31 - 1
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)


def certificate_path(directory, name):
    """The file HAProxy reads a certificate and its key from."""
    return f"{str(directory).rstrip('/')}/{name}.pem"


def certificate_content(certificate):
    """What the certificate's file holds: the chain as given (leaf first), then the key."""
    chain = str(certificate.get("certificate") or "").strip()
    key = str(certificate.get("key") or "").strip()
    return f"{chain}\n{key}\n"


def named_content(certificates, name):
    """certificate_content() of the entry of certificates called name ('' where none is)."""
    for certificate in certificates or []:
        if isinstance(certificate, dict) and certificate.get("name") == name:
            return certificate_content(certificate)
    return ""


def certificate_files(certificates, directory):
    """Every certificate file the node gets: [{name, path}] (the content is certificate_content()
    of the entry, kept out of this list so that no fact holds a key)."""
    return [{"name": c.get("name"), "path": certificate_path(directory, c.get("name"))}
            for c in certificates or [] if isinstance(c, dict) and c.get("name")]


def retired_files(names, directory, certificates):
    """The certificate files in directory (names: its regular files) that certificates no
    longer names: each NAME.pem there that is not the file of a certificate, as paths."""
    wanted = {item["path"] for item in certificate_files(certificates, directory)}
    return [path for path in (certificate_path(directory, name[:-len(".pem")])
                              for name in names or [] if name.endswith(".pem") and name != ".pem")
            if path not in wanted]


def frontend_certificates(frontend):
    """A frontend's certificates: a list of names, or one name as a string."""
    value = frontend.get("certificates")
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def bind_words(frontend, directory, mode):
    """What a frontend's bind lines get after the address: ' ssl crt FILE ... alpn LIST' when it
    terminates TLS (an HTTP frontend offers HTTP/2 unless its alpn says otherwise), else ''."""
    if not as_truth(frontend.get("ssl")):
        return ""
    words = ["ssl"]
    for name in frontend_certificates(frontend):
        words += ["crt", certificate_path(directory, name)]
    alpn = frontend.get("alpn") if frontend.get("alpn") not in (None, "") else (HTTP_ALPN if mode == "http" else "")
    if alpn:
        words += ["alpn", str(alpn)]
    return " " + " ".join(words)


def frontend_lines(frontend, mode):
    """The HTTP lines a frontend's TLS settings add: the redirect to HTTPS (301) for requests that
    did not come over TLS, and the Strict-Transport-Security header."""
    lines = []
    if mode == "http" and as_truth(frontend.get("redirect_https")):
        lines.append("http-request redirect scheme https code 301 unless { ssl_fc }")
    age = as_number(frontend.get("hsts_max_age"))
    if mode == "http" and is_int(age):
        lines.append(f'http-response set-header Strict-Transport-Security "max-age={age}"')
    return lines


def server_words(backend):
    """What a TLS backend's server lines get: ' ssl verify required ca-file FILE' (and the name
    the server's certificate must carry, sent as SNI, for the health check too), else ''. A
    server with ssl has its health checks over TLS as well."""
    if not as_truth(backend.get("ssl")):
        return ""
    verify = str(backend.get("verify") or "required")
    words = ["ssl", "verify", verify]
    if verify == "required":
        words += ["ca-file", SYSTEM_CA_FILE if uses_system_cas(backend) else str(backend["ca_file"])]
        host = backend.get("verify_host")
        if host:
            words += ["verifyhost", str(host), "sni", f"str({host})", "check-sni", str(host)]
    return " " + " ".join(words)


def frontend_problems(where, frontend, mode, known):
    """A frontend's TLS settings: known, the names of haproxy_certificates."""
    problems = []
    ssl_on = as_truth(frontend.get("ssl"))
    names = frontend_certificates(frontend)
    for field in ("ssl", "redirect_https"):
        if frontend.get(field) not in (None, "") and not is_switch(frontend[field]):
            problems.append(f"{where}.{field} is {frontend[field]!r}: use true or false")
    if ssl_on and not names:
        problems.append(f"{where}: ssl is true but certificates is empty: name at least one entry of "
                        "haproxy_certificates (with several, the client's SNI picks)")
    if names and not ssl_on:
        problems.append(f"{where}: certificates are named but ssl is not true: set ssl: true, or remove certificates")
    for name in names:
        if name not in known:
            problems.append(f"{where}: certificate {name!r} is not in haproxy_certificates "
                            f"({', '.join(sorted(known)) or 'none'}): add it there, or fix the name")
    if frontend.get("alpn") not in (None, "") and not ALPN.fullmatch(str(frontend["alpn"])):
        problems.append(f"{where}.alpn is {frontend['alpn']!r}: use protocol names separated by commas, "
                        "for example h2,http/1.1")
    for field in ("redirect_https", "hsts_max_age"):
        if frontend.get(field) not in (None, "", False) and mode != "http":
            problems.append(f"{where}.{field} needs mode http (this frontend is mode {mode}): "
                            "HAProxy can redirect and add headers only to HTTP")
    age = as_number(frontend.get("hsts_max_age"))
    if frontend.get("hsts_max_age") not in (None, "") and not (is_int(age) and 0 <= age <= HSTS_MAX):
        problems.append(f"{where}.hsts_max_age is {frontend['hsts_max_age']!r}: use whole seconds from 0 "
                        f"to {HSTS_MAX} (31536000 is one year)")
    if as_truth(frontend.get("redirect_https")) and ssl_on:
        problems.append(f"{where}: redirect_https on a frontend that itself serves TLS would redirect "
                        "nothing; set it on the plain-HTTP frontend (port 80)")
    return problems


def backend_problems(where, backend):
    """A backend's TLS settings towards its servers."""
    problems = []
    if backend.get("ssl") not in (None, "") and not is_switch(backend["ssl"]):
        return [f"{where}.ssl is {backend['ssl']!r}: use true or false"]
    if not as_truth(backend.get("ssl")):
        for field in ("verify", "ca_file", "verify_host"):
            if backend.get(field) not in (None, ""):
                problems.append(f"{where}.{field} is set but ssl is not true: set ssl: true, or remove {field}")
        return problems
    verify = str(backend.get("verify") or "required")
    if verify not in VERIFY:
        problems.append(f"{where}.verify is {backend.get('verify')!r}: use required (the default) or none")
    if backend.get("ca_file") not in (None, "") and not NODE_PATH.fullmatch(str(backend["ca_file"])):
        problems.append(f"{where}.ca_file is {backend['ca_file']!r}: use an absolute path on the node, "
                        "without spaces or quotes")
    if backend.get("verify_host") not in (None, "") and not HOST_NAME.fullmatch(str(backend["verify_host"])):
        problems.append(f"{where}.verify_host is {backend['verify_host']!r}: use the host name the "
                        "servers' certificates carry")
    if verify == "none" and backend.get("verify_host"):
        problems.append(f"{where}: verify_host needs verify: required")
    if verify == "required" and not backend.get("verify_host") and uses_system_cas(backend):
        problems.append(f"{where}: verify_host is missing: with the system's CAs and no name to check, HAProxy "
                        "would take any publicly trusted certificate, for any domain; give the name the servers' "
                        "certificates carry, or ca_file of your own CA")
    return problems


def uses_system_cas(backend):
    """Whether a TLS backend verifies its servers against the system's CA bundle (ca-certificates)."""
    return (as_truth(backend.get("ssl")) and str(backend.get("verify") or "required") == "required"
            and not backend.get("ca_file"))


def needs_system_cas(backends):
    """Whether any backend verifies against the system's CAs: the node needs ca-certificates."""
    return any(uses_system_cas(b) for b in backends or [] if isinstance(b, dict))


def _when(moment):
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _not_after(cert):
    return getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _not_before(cert):
    return getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def _subject(cert):
    return cert.subject.rfc4514_string() or "an empty subject"


def _issued_by(cert, issuer):
    """Whether issuer signed cert."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, _crypto()["InvalidSignature"]):
        return False
    return True


def trust_anchors(extra_pem=""):
    """The CA certificates the chain check trusts: the controller's system bundle, and extra_pem
    (haproxy_certificate_trust: the root of a private CA)."""
    anchors = []
    paths = ssl.get_default_verify_paths()
    for path in (paths.cafile, paths.openssl_cafile, SYSTEM_CA_FILE):
        if not path:
            continue
        try:
            # A system bundle may hold an old CA cryptography warns about: not this run's concern.
            with open(path, "rb") as handle, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                anchors = _crypto()["x509"].load_pem_x509_certificates(handle.read())
            break
        except (OSError, ValueError):
            continue
    if str(extra_pem or "").strip():
        anchors = anchors + _crypto()["x509"].load_pem_x509_certificates(str(extra_pem).encode())
    return anchors


def certificate_problems(certificates, now=None, warn_days=21, anchors=None, used=None, trust=""):
    """(problems, warnings) of haproxy_certificates: each entry named once, its chain parsed and in
    order (each certificate issued by the next), complete (it ends at a root, or at a certificate
    that a trusted CA issued), valid now, its key unencrypted and matching the first certificate.
    warnings: certificates that expire within warn_days, and those no frontend uses (used: the
    names the frontends ask for, None not to judge). anchors: the trusted CAs (None: trust_anchors(trust))."""
    problems, warnings = [], []
    if certificates in (None, "", []):
        return problems, warnings
    if not isinstance(certificates, list):
        return [f"haproxy_certificates is {type(certificates).__name__}: give a list of entries with a name, "
                "a certificate and a key"], warnings
    if _crypto() is None:
        return ["haproxy_certificates: the controller's Python has no cryptography package of version "
                f"{CRYPTOGRAPHY_MIN[0]} or later, which the certificate checks need: install one "
                "(pip install 'cryptography>=40') where ansible-playbook runs"], warnings
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if anchors is None:
        try:
            anchors = trust_anchors(trust)
        except ValueError as error:
            return [f"haproxy_certificate_trust holds no PEM certificate that can be read ({error}): give the "
                    "root certificate of your private CA in PEM"], warnings
    # The bundles are read once per call, and only when some certificate is given.
    days = as_number(warn_days)
    seen = {}
    for index, entry in enumerate(certificates):
        where = f"haproxy_certificates[{index}]"
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(f"{where}: name is missing: give every certificate a name")
            continue
        name = str(entry["name"])
        if not CERTIFICATE_NAME.fullmatch(name):
            problems.append(f"{where}: the name {name!r} is no file name: use letters, digits, '_', '-' and '.' "
                            "(64 at most, not starting with '.')")
            continue
        where = f"{where} ({name})"
        if name in seen:
            problems.append(f"{where}: the name {name} is used twice (also {seen[name]}): give each its own name")
            continue
        seen[name] = where
        problems += _one_certificate(where, entry, now, days, anchors, warnings)
        if used is not None and name not in used:
            warnings.append(f"{where}: no frontend names it: it is written to the nodes but not served")
    return problems, warnings


def _one_certificate(where, entry, now, days, anchors, warnings):
    text = str(entry.get("certificate") or "")
    key_text = str(entry.get("key") or "")
    if "PRIVATE KEY-----" in text:
        return [f"{where}.certificate holds a private key: give the certificates there and the key in key"]
    blocks = PEM_CERTIFICATE.findall(text)
    if not blocks:
        return [f"{where}.certificate holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the "
                "certificate, then the intermediate certificates, in PEM"]
    try:
        chain = [_crypto()["x509"].load_pem_x509_certificate(block.encode()) for block in blocks]
    except ValueError as error:
        return [f"{where}.certificate: a certificate in it cannot be read ({error}): give it in PEM, as issued"]
    if not key_text.strip():
        return [f"{where}.key is empty: give the private key of the certificate in PEM (from ansible-vault)"]
    serialization = _crypto()["serialization"]
    try:
        key = serialization.load_pem_private_key(key_text.encode(), password=None)
    except TypeError:
        return [f"{where}.key is encrypted with a passphrase: HAProxy reads it unattended at every start; "
                "give it unencrypted (keep it in ansible-vault instead)"]
    except (ValueError, Exception):  # noqa: B014 - any other reason the key cannot be read
        return [f"{where}.key is no private key in PEM that can be read: give the key as issued with the certificate"]
    problems = []
    leaf = chain[0]
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(der, spki) != leaf.public_key().public_bytes(der, spki):
        problems.append(f"{where}: the key does not match the certificate ({_subject(leaf)}): give the key "
                        "it was issued for, or the certificate issued for this key")
    for position, (cert, issuer) in enumerate(zip(chain, chain[1:])):
        if not _issued_by(cert, issuer):
            problems.append(f"{where}.certificate: certificate {position + 1} ({_subject(cert)}) is not issued by "
                            f"the one after it ({_subject(issuer)}): put the chain in order, the server's "
                            "certificate first, then each issuer")
            break
    else:
        last = chain[-1]
        if not _issued_by(last, last) and not any(_issued_by(last, anchor) for anchor in anchors):
            problems.append(f"{where}.certificate: the chain stops at {_subject(last)}, whose issuer "
                            f"({last.issuer.rfc4514_string()}) is neither in it nor a trusted CA: append the "
                            "intermediate certificates; for a private CA, give its root in haproxy_certificate_trust"
                            + ("" if anchors else " (the controller has no CA bundle to judge a public chain by: "
                               "point SSL_CERT_FILE at one, or give the root in haproxy_certificate_trust)"))
    for cert in chain:
        if _not_after(cert) <= now:
            problems.append(f"{where}: {_subject(cert)} expired on {_when(_not_after(cert))}: renew it")
        elif _not_before(cert) > now:
            problems.append(f"{where}: {_subject(cert)} is not valid before {_when(_not_before(cert))}: "
                            "clients would refuse it; deploy it then, or check the controller's clock")
    remaining = min(_not_after(cert) for cert in chain) - now
    if not problems and is_int(days) and remaining <= datetime.timedelta(days=days):
        warnings.append(f"{where}: expires on {_when(min(_not_after(c) for c in chain))}, in {remaining.days} "
                        f"day(s) (haproxy_certificate_warn_days is {days}): renew it")
    return problems
