"""HTTPS at the VIP (the tls scenario): TLS termination with a certificate from the test's own
private CA, verified by the client (chain and name); HTTP/2 by ALPN; TLS 1.1 refused; port 80
redirected with a 301, HSTS on HTTPS; backends reached over TLS and verified; a certificate
rotation under a new HTTPS connection every 10 ms; the BACKUP serving the same certificate after
the MASTER dies."""

import functools
import json
import os
import re
import socket
import ssl
import threading
from pathlib import Path

import pytest
from conftest import LB_NODES, VIP, crash_bound, holders, http_get, kill, run_site, running, start, vip_status, wait_until
from cryptography import x509
from hapair_harness import Probe, https_request, tls_context
from hapair_harness import http_get as hapair_get

pytestmark = pytest.mark.scenarios("tls",)

LB1, LB2 = (LB_NODES + [None, None])[:2]
TLS_DIR = Path(os.environ.get("HAPAIR_TLS_DIR", "/nonexistent"))
NAME = "www.hapair.test"
HTTPS = (VIP, 443)


def context(alpn=("http/1.1",)):
    return tls_context(TLS_DIR / "root.pem", alpn)


def get(path="/", alpn=("http/1.1",)):
    """One HTTPS request through the VIP, verified: (status, body, headers, tls), None on failure."""
    try:
        return https_request(HTTPS, NAME, context(alpn), path)
    except OSError:
        return None


def handshake(client, target=HTTPS, name=NAME):
    """Only the TLS handshake: (version, ALPN protocol, certificate DER). Raises ssl.SSLError."""
    with socket.create_connection(target, timeout=3) as sock:
        with client.wrap_socket(sock, server_hostname=name) as tls:
            return tls.version(), tls.selected_alpn_protocol(), tls.getpeercert(binary_form=True)


def serial(der):
    return x509.load_der_x509_certificate(der).serial_number


def file_serial(stem):
    """The serial of the test's certificate stem (site, site2): the first in its chain."""
    return x509.load_pem_x509_certificate((TLS_DIR / f"{stem}.crt").read_bytes()).serial_number


def test_https_through_the_vip_verifies_and_offers_http2(lbs):
    assert wait_until(lambda: get() is not None, timeout=20)[0], holders(lbs)
    version, alpn, der = handshake(context(("h2", "http/1.1")))
    assert version in ("TLSv1.2", "TLSv1.3") and alpn == "h2", (version, alpn)
    assert serial(der) == file_serial("site")
    status, body, headers, tls = get("/")
    assert status == 200 and body.startswith("backend "), (status, body)
    assert tls["alpn"] == "http/1.1"
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    # The backend answered on its HTTPS listener: HAProxy spoke TLS to it.
    assert headers["X-Backend-Scheme"] == "https"
    # The client's checks are real: another name, or no trust in the test's root, is refused.
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(context(), name="other.hapair.test")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(ssl.create_default_context())


def _tls11_client():
    """A client that speaks TLS 1.1 and only that (OpenSSL 3 needs security level 0 for it)."""
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.set_ciphers("DEFAULT:@SECLEVEL=0")
    client.minimum_version = client.maximum_version = ssl.TLSVersion.TLSv1_1
    return client


def test_tls_1_1_is_refused_by_a_client_that_would_speak_it():
    # The client does speak TLS 1.1: a loopback server that allows it gets it.
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.set_ciphers("DEFAULT:@SECLEVEL=0")
    server.minimum_version = ssl.TLSVersion.TLSv1_1
    server.load_cert_chain(TLS_DIR / "site.crt", TLS_DIR / "site.key")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)

        def accept_one():
            conn, _unused = listener.accept()
            try:
                with server.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

        worker = threading.Thread(target=accept_one, daemon=True)
        worker.start()
        assert handshake(_tls11_client(), listener.getsockname())[0] == "TLSv1.1"
        worker.join(timeout=5)
    # The VIP refuses it for its version (a protocol_version alert), not for want of a cipher.
    with pytest.raises(ssl.SSLError) as refused:
        handshake(_tls11_client())
    assert "PROTOCOL_VERSION" in str(refused.value).upper() or "UNSUPPORTED_PROTOCOL" in str(refused.value).upper(), refused.value


def test_plain_http_is_redirected_to_https():
    answer = http_get("/some/page?q=1")
    assert answer is not None, "no answer on port 80"
    status, _unused, headers = answer
    assert status == 301 and headers["Location"] == "https://hapair-test/some/page?q=1", (status, dict(headers))


def test_a_backend_whose_certificate_does_not_verify_is_taken_out(lbs):
    """verify_host names what the backends' certificates must carry: another name fails every
    TLS health check, and HAProxy stops sending to them (503)."""
    servers = [{"name": f"web{n}", "address": f"{{{{ lab_net }}}}.2{n}", "port": 8443} for n in (1, 2)]
    sticky = {"name": "tcp_sticky", "mode": "tcp", "stickiness": "source", "balance": "first",
              "servers": [{**server, "port": 8080} for server in servers]}
    wrong = json.dumps({"haproxy_backends": [
        {"name": "web_tls", "ssl": True, "ca_file": "/usr/local/share/hapair-test-ca.pem", "verify_host": "wrong.hapair.test",
         "health_check": {"path": "/health"}, "servers": servers}, sticky]})
    rc, out = run_site("-e", wrong)
    try:
        assert rc == 0, out[-3000:]
        assert wait_until(lambda: (get() or [None])[0] == 503, timeout=20)[0], get()
    finally:
        rc, out = run_site()
        assert rc == 0, out[-3000:]
    assert wait_until(lambda: (get() or [None])[0] == 200, timeout=30)[0], get()
    # Both nodes' HAProxy checks failed meanwhile (503: no server up), each at its own moment: each
    # node gets its weight back after its own rise, and the VIP moves to the BACKUP and back (after
    # the MASTER's down timer) if the BACKUP's comes first. The next test's probe must not see that.
    assert wait_until(lambda: all(checks_settled(node) for node in LB_NODES) and holders(lbs) == [LB_NODES[0]],
                      timeout=45, interval=0.5)[0], [vip_status(node) for node in LB_NODES]


def checks_settled(node):
    """Every VIP of the node at its base priority (no check weight applied) in keepalived's view."""
    status = vip_status(node)
    return not status.get("failed") and all(v.get("effective_priority") == v.get("base_priority")
                                            for v in status.get("vips") or [])


def test_a_new_certificate_is_served_after_a_rollout_without_a_failed_request(lbs):
    """Also: a certificate file no certificate names any more (retired.pem, as a removed or
    renamed certificate leaves it) is removed after the rollout; other files are left alone."""
    for host in lbs.values():
        host.check_output("cp -p /etc/haproxy/certs/site.pem /etc/haproxy/certs/retired.pem"
                          " && touch /etc/haproxy/certs/notes.txt")
    send = functools.partial(https_request, server_name=NAME, context=context())
    # Verbose, with diffs: what a careless task would print (its arguments, the file's diff) shows.
    with Probe(HTTPS, timeout=2.0, send=send) as probe:
        rc, out = run_site("-vvv", "--diff", "-e", "tls_site=site2")
    for name, host in lbs.items():
        left = host.check_output("ls /etc/haproxy/certs").split()
        host.run("rm -f /etc/haproxy/certs/retired.pem /etc/haproxy/certs/notes.txt")
        assert sorted(left) == ["notes.txt", "site.pem"], (name, left)
    summary = probe.summary()
    assert rc == 0, out[-3000:]
    assert summary["sent"] > 100 and summary["failed"] == 0, summary
    assert serial(get()[3]["certificate"]) == file_serial("site2")
    # Written root's own, 0600, on every node; the key never in the run's output.
    key_line = (TLS_DIR / "site2.key").read_text().splitlines()[1]
    assert key_line not in out
    for host in lbs.values():
        pem = host.file("/etc/haproxy/certs/site.pem")
        assert pem.user == "root" and pem.mode == 0o600
        assert host.file("/etc/haproxy/certs").mode == 0o700
        assert key_line in host.check_output("cat /etc/haproxy/certs/site.pem")


# HAProxy's runtime API on a node (its stats socket, root's), one command.
RUNTIME = ("import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
           "s.sendall(sys.argv[1].encode() + b'\\n'); print(b''.join(iter(lambda: s.recv(65536), b'')).decode())")
STICKY = (VIP, 9000)
TEXTFILE = "/var/lib/prometheus/node-exporter/hapair_vrrp.prom"


def runtime(host, command):
    return host.check_output("python3 -c %s %s", RUNTIME, command)


def table(host):
    """The tcp_sticky backend's stick table on a node: {client address: server id}."""
    entries = {}
    for line in runtime(host, "show table tcp_sticky").splitlines():
        fields = dict(word.split("=", 1) for word in line.split() if "=" in word)
        if "key" in fields:
            entries[fields["key"]] = fields.get("server_id")
    return entries


def vrrp_metrics(host):
    """The node's VRRP textfile for node_exporter: {(metric, labels): value}."""
    out = {}
    for line in host.file(TEXTFILE).content_string.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            out[series] = int(value)
    return out


def test_the_backup_takes_over_with_the_same_certificate_the_clients_stickiness_and_its_vrrp_metrics(lbs):
    """One failover proves three things: the BACKUP serves HTTPS with the same certificate; a
    client that stuck to a server on the MASTER reaches the same server through the BACKUP,
    whose table had its entry before the failover (HAProxy's peers); and each node's VRRP
    textfile for node_exporter names the MASTER, then the new one."""
    before = serial(get()[3]["certificate"])
    master, backup = lbs[LB1], lbs[LB2]
    # The textfile: MASTER on exactly one node.
    metrics = {name: vrrp_metrics(host) for name, host in lbs.items()}
    masters = [name for name, m in metrics.items() if m.get('hapair_vrrp_state{instance="VI_1",state="MASTER"}') == 1]
    assert masters == [LB1], metrics
    assert metrics[LB2]['hapair_vrrp_state{instance="VI_1",state="BACKUP"}'] == 1, metrics
    # A root-owned link to the file the unprivileged helper writes.
    assert master.check_output(f"stat -c '%F %U' {TEXTFILE}") == "symbolic link root"
    transitions = metrics[LB2]['hapair_vrrp_transitions_total{instance="VI_1"}']
    # `balance first` sends a new client to web1: with web1 in maintenance, this client sticks to web2.
    runtime(master, "set server tcp_sticky/web1 state maint")
    try:
        answer = hapair_get(STICKY)
        assert answer is not None and answer[0] == 200, answer
        stuck = answer[1]
    finally:
        runtime(master, "set server tcp_sticky/web1 state ready")
    assert hapair_get(STICKY)[1] == stuck, "the client left its server while the MASTER ran"
    entries = table(master)
    assert list(entries.values()) == ["2"], entries
    # The BACKUP's own table has the client's entry before any failover.
    assert wait_until(lambda: table(backup) == entries, timeout=5)[0], (entries, table(backup))
    kill(LB1)
    try:
        served, _unused = wait_until(lambda: holders(lbs) == [LB2] and get() is not None, timeout=crash_bound(240) + 2)
        assert served, holders(lbs)
        assert serial(get()[3]["certificate"]) == before
        # Without the shared entry the BACKUP would send the client to web1.
        answer = hapair_get(STICKY)
        assert answer is not None and answer[1] == stuck, (answer, stuck)
        after = vrrp_metrics(backup)
        assert after['hapair_vrrp_state{instance="VI_1",state="MASTER"}'] == 1, after
        assert after['hapair_vrrp_state{instance="VI_1",state="BACKUP"}'] == 0, after
        assert after['hapair_vrrp_transitions_total{instance="VI_1"}'] == transitions + 1, after
    finally:
        start(LB1)
    assert wait_until(lambda: running(LB1) and holders(lbs) == [LB1] and get() is not None, timeout=60)[0], holders(lbs)


def test_the_peers_port_takes_the_members_haproxy_alone(lbs):
    """HAProxy's peers protocol has no authentication: a member's peers port drops this host (on
    the same network, but no member), and refuses every user of a member but HAProxy's own (root,
    an unprivileged user); the two HAProxy workers are connected all the same."""
    # Its own address: the first on eth0 (a VIP it holds comes after, as a secondary).
    address = lbs[LB1].check_output("ip -4 -o addr show dev eth0 | awk 'NR == 1 {print $4}'").split("/")[0]
    with pytest.raises(OSError):
        socket.create_connection((address, 10000), timeout=2).close()
    connect = f"timeout 3 bash -c ': < /dev/tcp/{address}/10000'"
    assert lbs[LB2].run(connect).rc != 0, "root on the other member reached the peers port"
    assert lbs[LB1].run(f"runuser -u nobody -- {connect}").rc != 0, "an unprivileged local user reached it"
    # HAProxy 2.6 prints last_status right after the address; 3.0 puts app_state and learn_state between.
    established = re.compile(rf"id={re.escape(LB1)}\(remote,active\) addr={re.escape(address)}:10000 (\S+ )*last_status=ESTA")
    assert wait_until(lambda: established.search(runtime(lbs[LB2], "show peers")), timeout=15)[0], \
        runtime(lbs[LB2], "show peers")


METRICS = ("python3 -c \"import urllib.request; "
           "print(urllib.request.urlopen('http://127.0.0.1:8405/metrics', timeout=5).read().decode())\"")


def test_haproxy_metrics_answer_on_every_node(lbs):
    """HAProxy's own Prometheus exporter, on its loopback listener: every node answers with the
    haproxy_* series, the HTTPS frontend's among them."""
    for name, host in lbs.items():
        text = host.check_output(METRICS)
        assert "# TYPE haproxy_process_uptime_seconds gauge" in text, (name, text[:500])
        assert 'haproxy_frontend_current_sessions{proxy="https_in"}' in text, name
        # Both TLS backends up by their checks (a node that just came back may still be checking).
        up = 'haproxy_backend_active_servers{proxy="web_tls"} 2'
        assert wait_until(lambda: up in host.check_output(METRICS), timeout=15)[0], name
        # Loopback only.
        listeners = [line.split()[3] for line in host.check_output("ss -Htln").splitlines() if ":8405" in line]
        assert listeners == ["127.0.0.1:8405"], listeners
