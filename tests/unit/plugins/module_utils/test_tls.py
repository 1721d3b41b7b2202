"""The certificate checks and the TLS words of haproxy.cfg (module_utils/tls.py)."""

import pytest
from hapair_harness.pki import DAY, NOW, PrivateCA, key, pem
from cryptography.hazmat.primitives import serialization

from ansible_collections.hapair.loadbalancer.plugins.module_utils import tls


@pytest.fixture(scope="module")
def ca():
    return PrivateCA()


def entry(name, chain, server_key):
    return {"name": name, "certificate": pem(*chain), "key": pem(server_key)}


def judge(certificates, ca, **kwargs):
    return tls.certificate_problems(certificates, anchors=[ca.root], **kwargs)


def test_a_complete_chain_in_order_with_its_key_passes(ca):
    cert, cert_key = ca.server()
    assert judge([entry("site", [cert, ca.mid], cert_key)], ca) == ([], [])
    # The root may close the chain itself: then no trusted CA is needed.
    assert tls.certificate_problems([entry("site", [cert, ca.mid, ca.root], cert_key)], anchors=[]) == ([], [])


def test_a_key_that_does_not_match_is_refused_without_showing_either(ca):
    cert, _unused = ca.server()
    other = key()
    problems, _unused = judge([entry("site", [cert, ca.mid], other)], ca)
    assert problems == ["haproxy_certificates[0] (site): the key does not match the certificate (CN=www.example.test): "
                        "give the key it was issued for, or the certificate issued for this key"]
    secret = pem(other)
    assert not any(line in problem for problem in problems for line in secret.splitlines()[1:-1])


def test_an_expired_or_future_certificate_is_refused(ca):
    cert, cert_key = ca.server(start=NOW - 400 * DAY, end=NOW - DAY)
    problems, _unused = judge([entry("old", [cert, ca.mid], cert_key)], ca)
    assert len(problems) == 1 and "(old): CN=www.example.test expired on" in problems[0] and "renew it" in problems[0]
    cert, cert_key = ca.server(start=NOW + 2 * DAY, end=NOW + 90 * DAY)
    problems, _unused = judge([entry("soon", [cert, ca.mid], cert_key)], ca)
    assert len(problems) == 1 and "is not valid before" in problems[0]


def test_a_chain_out_of_order_or_incomplete_is_refused(ca):
    cert, cert_key = ca.server()
    problems, _unused = judge([entry("site", [ca.mid, cert], cert_key)], ca)
    # The first certificate is then the intermediate: its key is not the server's either.
    assert any("is not issued by the one after it" in p and "put the chain in order" in p for p in problems), problems
    problems, _unused = judge([entry("site", [cert], cert_key)], ca)
    assert problems == ["haproxy_certificates[0] (site).certificate: the chain stops at CN=www.example.test, whose issuer "
                        "(CN=hapair test intermediate) is neither in it nor a trusted CA: append the intermediate "
                        "certificates; for a private CA, give its root in haproxy_certificate_trust"]
    # haproxy_certificate_trust (PEM) is what a private CA's chain may end at.
    assert tls.certificate_problems([entry("site", [cert, ca.mid], cert_key)], trust=pem(ca.root))[0] == []
    problems, _unused = tls.certificate_problems([entry("site", [cert, ca.mid], cert_key)], trust="not pem")
    assert len(problems) == 1 and problems[0].startswith("haproxy_certificate_trust holds no PEM certificate"), problems


def test_a_certificate_that_expires_soon_is_a_warning_not_a_refusal(ca):
    cert, cert_key = ca.server(end=NOW + 10 * DAY)
    problems, warnings = judge([entry("site", [cert, ca.mid], cert_key)], ca, warn_days=21)
    assert problems == [] and len(warnings) == 1
    assert "haproxy_certificates[0] (site): expires on" in warnings[0] and "haproxy_certificate_warn_days is 21" in warnings[0]
    # As -e gives it: a string.
    assert judge([entry("site", [cert, ca.mid], cert_key)], ca, warn_days="5") == ([], [])


def test_names_keys_and_pem_are_judged_each(ca):
    cert, cert_key = ca.server()
    good = entry("site", [cert, ca.mid], cert_key)
    encrypted = key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(b"pass")).decode()
    cases = {
        "is used twice": [good, dict(good)],
        "is no file name": [{**good, "name": "../etc/passwd"}],
        "name is missing": [{**good, "name": ""}],
        "holds no PEM certificate": [{**good, "certificate": "hello"}],
        "holds a private key": [{**good, "certificate": good["certificate"] + good["key"]}],
        "is encrypted with a passphrase": [{**good, "key": encrypted}],
        "key is empty": [{**good, "key": ""}],
        "is no private key in PEM": [{**good, "key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}],
    }
    for expect, certificates in cases.items():
        problems, _unused = judge(certificates, ca)
        assert any(expect in p for p in problems), (expect, problems)
    assert "give a list" in judge({"name": "x"}, ca)[0][0]
    # Unused by any frontend: written, but not served; said as a warning.
    assert judge([good], ca, used=set())[1] == [
        "haproxy_certificates[0] (site): no frontend names it: it is written to the nodes but not served"]


def test_frontends_ask_only_for_certificates_that_exist():
    known = {"site"}
    ok = {"ssl": True, "certificates": ["site"]}
    assert tls.frontend_problems("f", ok, "http", known) == []
    assert tls.frontend_problems("f", {"ssl": "true", "certificates": "site"}, "http", known) == []
    found = tls.frontend_problems("f", {"ssl": True, "certificates": ["site", "other"]}, "http", known)
    assert found == ["f: certificate 'other' is not in haproxy_certificates (site): add it there, or fix the name"]
    assert "certificates is empty" in tls.frontend_problems("f", {"ssl": True}, "http", known)[0]
    assert "ssl is not true" in tls.frontend_problems("f", {"certificates": ["site"]}, "http", known)[0]
    assert "use true or false" in tls.frontend_problems("f", {"ssl": "maybe", "certificates": ["site"]}, "http", known)[0]
    assert "use true or false" in tls.frontend_problems("f", {"redirect_https": "si"}, "http", known)[0]
    assert "needs mode http" in tls.frontend_problems("f", {"redirect_https": True}, "tcp", known)[0]
    assert "would redirect nothing" in tls.frontend_problems("f", {**ok, "redirect_https": True}, "http", known)[0]
    for age in (-1, "soon", 2 ** 31, True):
        assert any("hsts_max_age" in p for p in tls.frontend_problems("f", {"hsts_max_age": age}, "http", known)), age
    assert tls.frontend_problems("f", {"hsts_max_age": "31536000"}, "http", known) == []
    assert "alpn" in tls.frontend_problems("f", {**ok, "alpn": "h2 http/1.1"}, "http", known)[0]


def test_backends_verify_their_servers_by_default():
    own = {"ca_file": "/etc/haproxy/own-ca.pem"}
    assert tls.backend_problems("b", {"ssl": True, **own}) == [] and tls.backend_problems("b", {"ssl": "yes", **own}) == []
    assert tls.backend_problems("b", {"ssl": "maybe"}) == ["b.ssl is 'maybe': use true or false"]
    assert "use required" in tls.backend_problems("b", {"ssl": True, "verify": "optional"})[0]
    assert "absolute path" in tls.backend_problems("b", {"ssl": True, "ca_file": "ca.pem"})[0]
    assert "ssl is not true" in tls.backend_problems("b", {"ca_file": "/etc/ca.pem"})[0]
    assert "needs verify: required" in tls.backend_problems("b", {"ssl": True, "verify": "none", "verify_host": "a"})[0]
    assert "verify_host" in tls.backend_problems("b", {"ssl": True, "verify_host": "a b"})[0]


def test_the_words_haproxy_cfg_gets():
    frontend = {"ssl": True, "certificates": ["a", "b"]}
    assert tls.bind_words(frontend, "/etc/haproxy/certs/", "http") == (
        " ssl crt /etc/haproxy/certs/a.pem crt /etc/haproxy/certs/b.pem alpn h2,http/1.1")
    assert tls.bind_words(frontend, "/c", "tcp") == " ssl crt /c/a.pem crt /c/b.pem"
    assert tls.bind_words({**frontend, "alpn": "http/1.1"}, "/c", "http").endswith(" alpn http/1.1")
    assert tls.bind_words({"certificates": ["a"]}, "/c", "http") == ""
    assert tls.frontend_lines({"redirect_https": "true", "hsts_max_age": "63072000"}, "http") == [
        "http-request redirect scheme https code 301 unless { ssl_fc }",
        'http-response set-header Strict-Transport-Security "max-age=63072000"']
    assert tls.frontend_lines({"redirect_https": True}, "tcp") == []
    assert tls.server_words({"ssl": True}) == " ssl verify required ca-file /etc/ssl/certs/ca-certificates.crt"
    assert tls.server_words({"ssl": True, "ca_file": ""}) == " ssl verify required ca-file /etc/ssl/certs/ca-certificates.crt"
    assert tls.server_words({"ssl": True, "ca_file": "/ca.pem", "verify_host": "app.test"}) == (
        " ssl verify required ca-file /ca.pem verifyhost app.test sni str(app.test) check-sni app.test")
    assert tls.server_words({"ssl": True, "verify": "none"}) == " ssl verify none"
    assert tls.server_words({}) == ""
    assert tls.certificate_files([{"name": "a"}], "/c") == [{"name": "a", "path": "/c/a.pem"}]
    assert tls.certificate_content({"certificate": "C\n\n", "key": "\nK"}) == "C\nK\n"
    # By name, as the write and the comparison with the node's read both look it up.
    pair = [{"name": "a", "certificate": "A", "key": "KA"}, {"name": "b", "certificate": "B", "key": "KB"}]
    assert tls.named_content(pair, "b") == "B\nKB\n" and tls.named_content(pair, "c") == ""


def test_a_tls_backend_on_the_system_cas_must_name_what_it_verifies():
    assert tls.backend_problems("b", {"ssl": True}) == [
        "b: verify_host is missing: with the system's CAs and no name to check, HAProxy would take any publicly "
        "trusted certificate, for any domain; give the name the servers' certificates carry, or ca_file of your own CA"]
    assert tls.backend_problems("b", {"ssl": True, "ca_file": "/etc/haproxy/own-ca.pem"}) == []
    assert tls.needs_system_cas([{"ssl": True, "verify_host": "a"}]) and not tls.needs_system_cas([{"ssl": "false"}])
    assert not tls.needs_system_cas([{"ssl": True, "ca_file": "/ca.pem"}, {"ssl": True, "verify": "none"}])


def test_a_controller_without_a_ca_bundle_says_so(ca):
    cert, cert_key = ca.server()
    problems, _unused = tls.certificate_problems([entry("site", [cert, ca.mid], cert_key)], anchors=[])
    assert len(problems) == 1 and "the controller has no CA bundle" in problems[0], problems


def test_an_empty_tls_default_is_refused_by_name():
    from ansible_collections.hapair.loadbalancer.plugins.module_utils import validation

    assert validation.scalar_problems({"haproxy_ssl_default_bind_options": " "}) == [
        "haproxy_ssl_default_bind_options is empty: haproxy.cfg needs a value there; leave it out to have the default"]
    assert validation.scalar_problems({"haproxy_ssl_default_bind_options": "no-tlsv10"}) == []
