"""Role templates rendered from sample data pass the daemons' own checkers, and bad input fails them."""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest
from conftest import WORK
from template_checks import haproxy_check, keepalived_check


def instances(text):
    """vrrp_instance blocks of a keepalived.conf by name."""
    return dict(re.findall(r"vrrp_instance (\S+) \{(.*?)\n\}", text, flags=re.S))


@pytest.mark.parametrize("host", ["lb1", "lb2"])
def test_classic_keepalived_conf_passes_keepalived_t(classic, host):
    ok, messages = keepalived_check(classic / "lb1" / "hapair-keepalived", classic / host / "keepalived.conf")
    assert ok, messages


def test_classic_roles_follow_the_group_order(classic):
    master = instances((classic / "lb1" / "keepalived.conf").read_text())["VI_1"]
    backup = instances((classic / "lb2" / "keepalived.conf").read_text())["VI_1"]
    assert "state MASTER" in master and "priority 250" in master
    assert "state BACKUP" in backup and "priority 240" in backup
    for block in (master, backup):
        assert "virtual_router_id 51" in block
        assert "auth_type PASS" in block and "auth_pass s3cret" in block
        assert "192.0.2.100/24 dev" in block
        assert "chk_haproxy" in block


def test_haproxy_check_weight_moves_the_vip(classic):
    text = (classic / "lb1" / "keepalived.conf").read_text()
    weight = int(re.search(r"vrrp_script chk_haproxy \{[^}]*weight (-?\d+)", text).group(1))
    # A dead HAProxy must drop the MASTER (250) below the BACKUP (240).
    assert 250 + weight < 240
    assert "enable_script_security" in text
    assert "vrrp_garp_master_delay 1" in text
    assert "script_user nobody" in text


def test_classic_haproxy_cfg_passes_haproxy_c(classic):
    ok, messages = haproxy_check(classic / "lb1" / "haproxy.cfg")
    assert ok, messages


def test_classic_haproxy_cfg_content(classic):
    text = (classic / "lb1" / "haproxy.cfg").read_text()
    assert text.startswith("#")  # ansible_managed header
    assert "master-worker" in text
    assert "bind 127.0.0.1:8404" in text  # stats on loopback
    # HAProxy's own Prometheus exporter, on loopback too (haproxy -c knows the service: built in).
    assert "frontend metrics\n    bind 127.0.0.1:8405\n" in text
    assert "http-request use-service prometheus-exporter if { path /metrics }" in text
    assert "bind 192.0.2.100:80" in text
    assert "http-check send meth GET uri /health" in text
    assert "http-check expect status 200" in text
    assert "cookie SERVERID insert indirect nocache" in text
    assert "server web1 192.0.2.21:8080 check cookie web1" in text
    assert "default-server inter 2s fall 3 rise 2" in text
    # keepalived's check asks the monitor URI: 503 while the node has no server UP in a backend.
    assert "    monitor-uri /hapair/serving\n    acl hapair_cut_off nbsrv(web) lt 1\n    monitor fail if hapair_cut_off\n" in text
    helper = (classic / "lb1" / "hapair-keepalived").read_text()
    assert 'printf "GET /hapair/serving HTTP/1.0\\r\\n\\r\\n" >&3 && read -r _ code _ <&3 && [ "$code" = 200 ]' in helper


def assert_both_checkers_pass(out, host):
    ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / host / "keepalived.conf")
    assert ok, messages
    ok, messages = haproxy_check(out / host / "haproxy.cfg")
    assert ok, messages


def test_the_rhel_familys_variables_render_files_both_checkers_pass(render_sample, classic):
    """Rendered with vars/RedHat.yml (RHEL 9 family, not run on real nodes here): HAProxy's
    socket where RHEL's package keeps it and logs to the journal through stdout (no /dev/log in
    RHEL's chroot); both checkers pass, and nothing else differs from the Debian rendering."""
    out = render_sample("classic-redhat", "classic.yml", render_os_family="RedHat")
    for host in ("lb1", "lb2"):
        ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / host / "keepalived.conf")
        assert ok, messages
    ok, messages = haproxy_check(out / "lb1" / "haproxy.cfg")
    assert ok, messages
    redhat, debian = (d / "lb1" / "haproxy.cfg" for d in (out, classic))
    changed = [(a, b) for a, b in zip(debian.read_text().splitlines(), redhat.read_text().splitlines()) if a != b]
    assert changed == [
        ("    log /dev/log local0", "    log stdout format short local0"),
        ("    log /dev/log local1 notice", "    log stdout format short local1 notice"),
        ("    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners",
         "    stats socket /var/lib/haproxy/stats mode 660 level admin expose-fd listeners"),
    ]
    # keepalived.conf differs only in where the helper is (the render's own directory here).
    assert (out / "lb1" / "keepalived.conf").read_text().replace(str(out), str(classic)) == \
        (classic / "lb1" / "keepalived.conf").read_text()


@pytest.mark.parametrize("host", ["lb1", "lb2"])
def test_tcp_example_passes_both_checkers(tcp, host):
    assert_both_checkers_pass(tcp, host)


def test_tcp_example_mirrors_the_masters(tcp):
    lb1 = instances((tcp / "lb1" / "keepalived.conf").read_text())
    lb2 = instances((tcp / "lb2" / "keepalived.conf").read_text())
    assert "state MASTER" in lb1["VI_DB"] and "state BACKUP" in lb2["VI_DB"]
    assert "state BACKUP" in lb1["VI_DB2"] and "state MASTER" in lb2["VI_DB2"]
    assert "priority 250" in lb2["VI_DB2"] and "priority 240" in lb1["VI_DB2"]
    assert "track_script" not in lb1["VI_DB2"]
    text = (tcp / "lb1" / "haproxy.cfg").read_text()
    assert "mode tcp" in text and "option tcplog" in text and "option httplog" not in text
    assert "server db2 198.51.100.22:5432 check backup" in text


def test_keepalived_errors_are_reported_despite_the_2_2_7_exit_status(render_sample):
    out = render_sample(
        "bad-vrid", "classic.yml",
        keepalived_instances=[{"name": "VI_1", "virtual_router_id": 300, "vips": ["192.0.2.100/24"]}],
    )
    ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / "lb1" / "keepalived.conf")
    assert not ok
    assert "VRID" in messages or "300" in messages, messages


def test_keepalived_would_truncate_a_long_password_so_the_file_is_refused(render_sample):
    out = render_sample("long-pass", "classic.yml", keepalived_auth_pass="much-too-long")
    ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / "lb1" / "keepalived.conf")
    assert not ok
    assert "auth_pass" in messages, messages


def test_haproxy_rejects_a_broken_free_form_line(render_sample):
    out = render_sample(
        "bad-haproxy", "classic.yml",
        haproxy_backends=[{
            "name": "web",
            "servers": [{"name": "web1", "address": "192.0.2.21", "port": 8080}],
            "options": ["server broken-line-without-address"],
        }],
    )
    ok, messages = haproxy_check(out / "lb1" / "haproxy.cfg")
    assert not ok
    assert "'server' expects <name> and <addr>" in messages, messages


@pytest.mark.parametrize("host", ["lb1", "lb2"])
def test_documented_examples_pass_both_checkers(documented, host):
    assert_both_checkers_pass(documented, host)


def test_stats_authentication_renders_and_passes_haproxy_c(render_sample):
    out = render_sample("stats-auth", "classic.yml", haproxy_stats_user="ops", haproxy_stats_password="St4ts!pw")
    text = (out / "lb1" / "haproxy.cfg").read_text()
    assert "stats auth ops:St4ts!pw" in text
    ok, messages = haproxy_check(out / "lb1" / "haproxy.cfg")
    assert ok, messages


def test_unicast_and_preempt_delay_render_and_pass_keepalived_t(render_sample):
    out = render_sample(
        "unicast", "classic.yml", keepalived_unicast=True,
        keepalived_instances=[{"name": "VI_1", "virtual_router_id": 51, "vips": ["192.0.2.100/24"],
                               "preempt_delay": 5, "unicast_src_ip": "192.0.2.11", "unicast_peers": ["192.0.2.12"]}],
    )
    block = instances((out / "lb1" / "keepalived.conf").read_text())["VI_1"]
    assert "state BACKUP" in block and "preempt_delay 5" in block
    assert "unicast_src_ip 192.0.2.11" in block and re.search(r"unicast_peer \{\s+192\.0\.2\.12\s+\}", block)
    ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / "lb1" / "keepalived.conf")
    assert ok, messages


def test_transparent_binds_render_and_pass_haproxy_c(render_sample):
    binds = [{"address": "192.0.2.100", "port": 80}, {"address": "*", "port": 8080}, {"address": "::", "port": 8081}]
    out = render_sample("transparent", "classic.yml", haproxy_bind_transparent=True, haproxy_frontends=[
        {"name": "http_in", "binds": binds, "mode": "http", "default_backend": "web"}])
    text = (out / "lb1" / "haproxy.cfg").read_text()
    assert "bind 192.0.2.100:80 transparent" in text
    # A wildcard binds every address the host has: it needs no transparent option.
    assert "bind *:8080\n" in text and "bind [::]:8081\n" in text, text
    assert "bind 127.0.0.1:8404\n" in text  # the stats listener is local, not a VIP
    ok, messages = haproxy_check(out / "lb1" / "haproxy.cfg")
    assert ok, messages


def test_notify_hooks_render_beside_the_fifo_and_pass_keepalived_t(render_sample):
    out = render_sample(
        "notify", "classic.yml", keepalived_notify={"master": "/bin/true master", "fault": "/bin/true fault"},
        keepalived_instances=[{"name": "VI_1", "virtual_router_id": 51, "vips": ["192.0.2.100/24"],
                               "notify": {"master": "/bin/echo VI_1 is MASTER", "backup": "/bin/true"}}],
    )
    text = (out / "lb1" / "keepalived.conf").read_text()
    assert "vrrp_notify_fifo /run/hapair-keepalived.fifo\n" in text
    assert f'vrrp_notify_fifo_script "{out}/lb1/hapair-keepalived fifo"' in text
    block = instances(text)["VI_1"]
    # The instance's own command replaces the default; the others come from keepalived_notify.
    assert 'notify_master "/bin/echo VI_1 is MASTER"' in block and "/bin/true master" not in block
    assert 'notify_backup "/bin/true"' in block and 'notify_fault "/bin/true fault"' in block
    assert "notify_stop" not in block
    ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / "lb1" / "keepalived.conf")
    assert ok, messages


def test_the_fast_profile_renders_vrrpv3_without_authentication_and_passes_keepalived_t(render_sample, classic):
    out = render_sample("fast", "classic.yml", keepalived_profile="fast")
    text = (out / "lb2" / "keepalived.conf").read_text()
    block = instances(text)["VI_1"]
    assert "vrrp_version 3" in text and "advert_int 0.1" in block and "authentication" not in block
    assert "vrrp_priority -20" in text and "vrrp_no_swap" in text and "vrrp_garp_interval 0.001" in text
    ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / "lb2" / "keepalived.conf")
    assert ok, messages
    # The default profile carries none of it.
    default = (classic / "lb2" / "keepalived.conf").read_text()
    assert "vrrp_version 2" in default and "vrrp_priority" not in default and "advert_int 1\n" in default


def test_dual_stack_renders_vrrpv3_for_the_ipv6_instance_and_passes_both_checkers(render_sample):
    out = render_sample(
        "dual-stack", "classic.yml",
        keepalived_instances=[{"name": "VI_1", "virtual_router_id": 51, "vips": ["192.0.2.100/24"]},
                              {"name": "VI_6", "virtual_router_id": 61, "vips": ["2001:db8::100/64"], "auth_type": "none"}],
        haproxy_frontends=[{"name": "http_in", "default_backend": "web",
                            "binds": [{"address": "192.0.2.100", "port": 80}, {"address": "2001:db8::100", "port": 80}]}],
    )
    blocks = instances((out / "lb1" / "keepalived.conf").read_text())
    assert "version 3" in blocks["VI_6"] and "authentication" not in blocks["VI_6"]
    assert "version" not in blocks["VI_1"].replace("vrrp_version", "") and "auth_type PASS" in blocks["VI_1"]
    assert "bind [2001:db8::100]:80" in (out / "lb1" / "haproxy.cfg").read_text()
    assert_both_checkers_pass(out, "lb1")


def test_an_instances_own_password_wins_over_the_default(render_sample):
    own = [{"name": "VI_1", "virtual_router_id": 51, "vips": ["192.0.2.100/24"], "auth_pass": "inst-pw"},
           {"name": "VI_2", "virtual_router_id": 52, "vips": ["192.0.2.101/24"]}]
    out = render_sample("own-password", "classic.yml", keepalived_instances=own)
    blocks = instances((out / "lb2" / "keepalived.conf").read_text())
    assert "auth_pass inst-pw" in blocks["VI_1"] and "s3cret" not in blocks["VI_1"]
    assert "auth_pass s3cret" in blocks["VI_2"]
    ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / "lb2" / "keepalived.conf")
    assert ok, messages


def test_https_frontends_and_tls_backends_render_and_pass_haproxy_c(render_sample, tmp_path_factory):
    """TLS termination with two certificates (SNI), a redirect to HTTPS with HSTS, and a backend
    verified over TLS, with real certificates from a private CA: haproxy -c loads every file."""
    from hapair_harness.pki import PrivateCA, pem

    from ansible_collections.hapair.loadbalancer.plugins.module_utils import tls

    ca = PrivateCA()
    certificates = []
    for name in ("www", "api"):
        cert, cert_key = ca.server(f"{name}.example.test")
        certificates.append({"name": name, "certificate": pem(cert, ca.mid), "key": pem(cert_key)})
    directory = tmp_path_factory.mktemp("certs")
    for item in tls.certificate_files(certificates, directory):
        certificate = next(c for c in certificates if c["name"] == item["name"])
        with open(item["path"], "w", encoding="utf-8") as handle:
            handle.write(tls.certificate_content(certificate))
    ca_file = directory / "backend-ca.pem"
    ca_file.write_text(pem(ca.root))
    out = render_sample(
        "tls", "classic.yml", haproxy_certificates=certificates, haproxy_certificate_dir=str(directory),
        haproxy_frontends=[
            {"name": "http_in", "binds": [{"address": "192.0.2.100", "port": 80}], "redirect_https": True},
            {"name": "https_in", "binds": [{"address": "192.0.2.100", "port": 443}], "ssl": True,
             "certificates": ["www", "api"], "hsts_max_age": 31536000, "default_backend": "web"},
        ],
        haproxy_backends=[{"name": "web", "ssl": True, "ca_file": str(ca_file), "verify_host": "app.example.test",
                           "health_check": {"path": "/health"},
                           "servers": [{"name": "web1", "address": "192.0.2.21", "port": 8443}]}],
    )
    text = (out / "lb1" / "haproxy.cfg").read_text()
    assert f"bind 192.0.2.100:443 ssl crt {directory}/www.pem crt {directory}/api.pem alpn h2,http/1.1\n" in text
    assert "http-request redirect scheme https code 301 unless { ssl_fc }" in text
    assert 'http-response set-header Strict-Transport-Security "max-age=31536000"' in text
    assert (f"server web1 192.0.2.21:8443 check ssl verify required ca-file {ca_file} verifyhost app.example.test "
            "sni str(app.example.test) check-sni app.example.test") in text
    assert "ssl-default-bind-options prefer-client-ciphers no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets" in text
    # The redirect-only frontend has no backend of its own.
    assert "frontend http_in\n    bind 192.0.2.100:80\n    mode http\n    option httplog\n    option forwardfor\n" \
           "    http-request redirect scheme https code 301 unless { ssl_fc }\n\n" in text, text
    ok, messages = haproxy_check(out / "lb1" / "haproxy.cfg")
    assert ok, messages
    # The checker loads the certificates: one missing file, and haproxy -c refuses the file.
    (directory / "api.pem").unlink()
    ok, messages = haproxy_check(out / "lb1" / "haproxy.cfg")
    assert not ok and "api.pem" in messages, messages


def test_a_sticky_backend_shares_its_table_with_the_peers_and_passes_haproxy_c(render_sample):
    """A backend with stickiness: source gets a stick table shared through a peers section of
    the group's members (each at its own address), and each node names itself its local peer."""
    backends = [{"name": "web", "servers": [{"name": "web1", "address": "192.0.2.21", "port": 8080}]},
                {"name": "tcp_sticky", "mode": "tcp", "stickiness": "source", "stick_table_expire": "1h",
                 "servers": [{"name": "web1", "address": "192.0.2.21", "port": 80},
                             {"name": "web2", "address": "192.0.2.22", "port": 80}]}]
    frontends = [{"name": "http_in", "binds": [{"address": "192.0.2.100", "port": 80}], "default_backend": "web"},
                 {"name": "tcp_in", "mode": "tcp", "binds": [{"address": "192.0.2.100", "port": 9000}],
                  "default_backend": "tcp_sticky"}]
    out = render_sample("sticky", "classic.yml", haproxy_backends=backends, haproxy_frontends=frontends)
    for host in ("lb1", "lb2"):
        text = (out / host / "haproxy.cfg").read_text()
        assert f"    localpeer {host}\n" in text
        assert "\npeers hapair\n    peer lb1 192.0.2.11:10000\n    peer lb2 192.0.2.12:10000\n" in text, text
        assert ("backend tcp_sticky\n    mode tcp\n    balance roundrobin\n"
                "    stick-table type ipv6 size 100k expire 1h peers hapair\n    stick on src\n") in text, text
        assert text.count("stick-table") == 1
        ok, messages = haproxy_check(out / host / "haproxy.cfg")
        assert ok, messages
    # Without a sticky backend, no peers at all.
    text = (render_sample("unsticky", "classic.yml") / "lb1" / "haproxy.cfg").read_text()
    assert "peers" not in text and "stick" not in text, text


def test_the_helper_writes_vrrp_metrics_for_node_exporter(render_sample):
    """The notify FIFO's reader, fed keepalived's lines: each configured instance's state and its
    count of transitions in Prometheus' text format; a state keepalived repeats is no transition;
    an instance this node no longer has is not reported."""
    state = WORK / "metrics-state"
    out = render_sample("metrics", "classic.yml", keepalived_state_dir=str(state))
    helper = str(out / "lb1" / "hapair-keepalived")
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    feed = out / "fifo.txt"
    feed.write_text('INSTANCE "VI_1" BACKUP 240\nINSTANCE "VI_1" MASTER_RX_LOWER_PRI 250\nINSTANCE "VI_1" MASTER 250\n'
                    'INSTANCE "VI_1" MASTER 250\nINSTANCE "VI_9" FAULT 0\n')
    subprocess.run([helper, "fifo", str(feed)], check=True, timeout=30)
    text = (state / "vrrp.prom").read_text()
    assert 'hapair_vrrp_state{instance="VI_1",state="MASTER"} 1\n' in text, text
    assert 'hapair_vrrp_state{instance="VI_1",state="BACKUP"} 0\n' in text
    assert 'hapair_vrrp_transitions_total{instance="VI_1"} 2\n' in text
    assert "VI_9" not in text and (state / "VI_9.state").exists()
    assert "# TYPE hapair_vrrp_state gauge\n" in text and "# TYPE hapair_vrrp_transitions_total counter\n" in text
    assert oct(os.stat(state / "vrrp.prom").st_mode & 0o777) == "0o644"
    # A new reader (keepalived restarted) starts from what is recorded: counters keep counting.
    feed.write_text('INSTANCE "VI_1" MASTER 250\nINSTANCE "VI_1" BACKUP 240\n')
    subprocess.run([helper, "fifo", str(feed)], check=True, timeout=30)
    assert 'hapair_vrrp_transitions_total{instance="VI_1"} 3\n' in (state / "vrrp.prom").read_text()
    # The role's `metrics` writes the file again from what is recorded.
    (state / "vrrp.prom").unlink()
    subprocess.run([helper, "metrics"], check=True, timeout=30)
    assert 'hapair_vrrp_state{instance="VI_1",state="BACKUP"} 1\n' in (state / "vrrp.prom").read_text()
    # The FIFO's reader and the STOP notify record at once, each STOP counts once (the lock).
    for round_ in range(25):
        feed.write_text('INSTANCE "VI_1" MASTER 250\n')
        subprocess.run([helper, "fifo", str(feed)], check=True, timeout=30)
        stops = [subprocess.Popen([helper, "notify", "INSTANCE", "VI_1", "STOP", "0"]) for _unused in range(3)]
        assert all(p.wait(timeout=30) == 0 for p in stops)
    assert 'hapair_vrrp_transitions_total{instance="VI_1"} 53\n' in (state / "vrrp.prom").read_text()
    assert not [p for p in state.iterdir() if p.name.startswith(".") and p.name != ".lock"], "a temporary file was left"


def test_the_helper_commits_the_staged_file_at_the_moment_or_refuses_when_late(render_sample, tmp_path):
    """`hapair-keepalived commit`: at the moment (epoch ms) the staged file replaces the live one
    and keepalived (here a sleeping stand-in whose MainPID a stand-in systemctl reports) gets
    SIGHUP; a node already later than it may be changes nothing."""
    out = render_sample("commit", "classic.yml")
    helper = str(out / "lb1" / "hapair-keepalived")
    daemon = subprocess.Popen(["sleep", "60"])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(f"#!/bin/sh\necho {daemon.pid}\n")
    (bin_dir / "systemctl").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    staged, live = tmp_path / "keepalived.conf.hapair-staged", tmp_path / "keepalived.conf"
    try:
        staged.write_text("new\n")
        live.write_text("old\n")
        late = subprocess.run([helper, "commit", str(staged), str(live), str(int(time.time() * 1000) - 2000), "500"],
                              capture_output=True, text=True, env=env, timeout=30, check=False)
        assert late.returncode == 3 and "ms late (at most 500 ms): nothing changed" in late.stderr, late
        assert (live.read_text(), staged.exists(), daemon.poll()) == ("old\n", True, None)
        moment = int(time.time() * 1000) + 700
        done = subprocess.run([helper, "commit", str(staged), str(live), str(moment), "500"],
                              capture_output=True, text=True, env=env, timeout=30, check=False)
        finished = time.time() * 1000
        assert done.returncode == 0 and "committed" in done.stdout, done
        assert moment <= finished < moment + 1000
        assert (live.read_text(), staged.exists()) == ("new\n", False)
        assert daemon.wait(timeout=5) == -signal.SIGHUP
    finally:
        daemon.kill()


@pytest.mark.parametrize(("version", "status", "printed", "valid"), [
    ("2.2.7", 143, "", True),    # 2.2.7's SIGTERM bug: 143 alone says nothing about the file
    ("2.2.7", 143, "Unknown keyword 'vrrp_instanc'", False),
    ("2.2.7", 1, "", False),
    ("2.2.8", 143, "", False),   # fixed upstream: from 2.2.8 on the status is trusted
    ("2.3.3", 143, "", False),   # Debian 13's
    ("2.3.3", 5, "", False),
    ("2.3.3", 0, "", True),
    ("2.3.3", 0, "WARNING - default user 'keepalived_script' for script execution does not exist", False),
])
def test_the_helper_reads_keepalived_t_by_the_version_that_ran(classic, tmp_path, version, status, printed, valid):
    """The helper's validate as each keepalived answers it: a stand-in keepalived on PATH
    prints its version and ends -t with the given status and messages."""
    fake = tmp_path / "keepalived"
    fake.write_text(f"""#!/bin/sh
[ "$1" = --version ] && {{ echo "Keepalived v{version} (01/16,2022)" >&2; exit 0; }}
[ -n "{printed}" ] && echo "{printed}" >&2
exit {status}
""")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = subprocess.run([str(classic / "lb1" / "hapair-keepalived"), "validate", str(classic / "lb1" / "keepalived.conf")],
                            capture_output=True, text=True, env=env, check=False)
    assert (result.returncode == 0) == valid, (result.returncode, result.stderr)
    if not valid:
        assert result.stderr.strip(), "an invalid file is explained"
