"""The pair works: one VIP holder, traffic through the VIP, and failover on a clean stop.

Tests run in file order; the failover test is last and restores the pair even if it fails.
"""

import pytest
from conftest import BACKENDS, LB_NODES, VIP, assert_vip_served_by, filter_rules, holders, http_get, vrrp_state, wait_until

pytestmark = pytest.mark.scenarios("default", "roles")

MASTER, BACKUP = LB_NODES[0], LB_NODES[1]


def test_exactly_one_node_holds_the_vip_and_it_is_the_master(lbs):
    assert holders(lbs) == [MASTER]
    assert vrrp_state(lbs[MASTER]) == "MASTER"
    assert vrrp_state(lbs[BACKUP]) == "BACKUP"


def test_http_through_the_vip_reaches_both_backends(lbs):
    answers = [http_get() for _unused in range(10)]
    assert all(a is not None and a[0] == 200 for a in answers), answers
    served_by = {a[1].strip().removeprefix("backend ") for a in answers}
    assert served_by == set(BACKENDS)
    # Cookie stickiness: HAProxy names the server that answered.
    assert all("SERVERID=" in (a[2].get("Set-Cookie") or "") for a in answers)


def test_health_endpoint_through_the_vip():
    answer = http_get("/health")
    assert answer is not None and answer[0] == 200


@pytest.mark.parametrize("name", LB_NODES)
def test_nonlocal_bind_is_on_live_and_persisted(lbs, name):
    host = lbs[name]
    assert host.sysctl("net.ipv4.ip_nonlocal_bind") == 1
    persisted = host.file("/etc/sysctl.d/60-hapair-nonlocal-bind.conf")
    assert persisted.exists
    assert "net.ipv4.ip_nonlocal_bind=1" in persisted.content_string.replace(" ", "")


@pytest.mark.parametrize("name", LB_NODES)
def test_vrrp_is_accepted_from_the_group_only(lbs, name):
    host = lbs[name]
    peers = [
        lbs[n].check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0] for n in LB_NODES
    ]
    chain = filter_rules(host, "HAPAIR-VRRP").splitlines()
    rules = [line for line in chain if line.startswith("-A HAPAIR-VRRP")]
    for peer in peers:
        assert any(
            f"-s {peer}/32 -d 224.0.0.18/32 -p vrrp" in r and r.endswith("-j ACCEPT") for r in rules
        ), (peer, rules)
    # Everything else VRRP is dropped, after the accepts.
    assert rules[-1].startswith("-A HAPAIR-VRRP -p vrrp") and rules[-1].endswith("-j DROP")
    assert any("-p vrrp" in r and r.endswith("-j HAPAIR-VRRP") for r in filter_rules(host, "INPUT").splitlines())
    # Saved for the next boot, where netfilter-persistent restores them.
    saved = host.file("/etc/iptables/rules.v4")
    assert saved.exists and "-A HAPAIR-VRRP -s" in saved.content_string
    assert host.service("netfilter-persistent").is_enabled


@pytest.mark.parametrize("name", LB_NODES)
def test_haproxy_runs_and_listens_on_the_vip(lbs, name):
    host = lbs[name]
    assert host.service("haproxy").is_running
    assert host.service("haproxy").is_enabled
    listening = host.check_output("ss -ltnH")
    assert f"{VIP}:80 " in listening, listening


@pytest.mark.parametrize("name", LB_NODES)
def test_keepalived_conf_is_private_and_valid(lbs, name):
    host = lbs[name]
    conf = host.file("/etc/keepalived/keepalived.conf")
    assert conf.mode == 0o600
    assert conf.user == "root"
    # keepalived -t, through the helper that reads 2.2.7's exit status correctly.
    check = host.run("/usr/local/sbin/hapair-keepalived validate /etc/keepalived/keepalived.conf")
    assert check.rc == 0, check.stderr
    assert host.service("keepalived").is_running


def test_failover_on_clean_stop_and_return(lbs):
    master = lbs[MASTER]
    try:
        master.check_output("systemctl stop keepalived")
        # A clean stop sends a priority-0 advert: the BACKUP takes over at once.
        assert_vip_served_by(lbs, BACKUP, timeout=5)
        assert wait_until(lambda: vrrp_state(lbs[BACKUP]) == "MASTER", timeout=2)[0]
    finally:
        master.run("systemctl start keepalived")
    # The MASTER has the higher priority and preempts when it returns.
    assert_vip_served_by(lbs, MASTER, timeout=10)
    assert wait_until(lambda: vrrp_state(lbs[BACKUP]) == "BACKUP", timeout=2)[0]
