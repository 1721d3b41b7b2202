"""Nodes whose firewall firewalld manages: the vrrp_firewall role puts the group's policy in the
zone as rich rules, at runtime and permanently. They hold across `firewall-cmd --reload` and a
reboot, keep an outsider's adverts out, and the pair fails over.

Tests run in file order; each leaves the pair as it found it (MASTER on the first node)."""

import json
import time

import hapair_harness
import pytest
from conftest import (
    LB_NODES, VIP, assert_outsider_kept_out, crash_and_return, fingerprint, holders, outsider, run_site, squatting,
    vrrp_state, wait_until,
)

pytestmark = pytest.mark.scenarios("firewalld",)

MASTER, BACKUP = LB_NODES[0], LB_NODES[1]
# The priorities that mark the collection's rich rules (module_utils/group.py: FIREWALLD_PRIORITY).
OURS = ('rule priority="-32112" ', 'rule priority="-32111" ')


def rich_rules(host, permanent=False):
    """The rich rules of eth0's zone (prepare binds it to trusted) that carry the collection's
    priorities, as firewall-cmd lists them."""
    zone = host.check_output("firewall-cmd --get-zone-of-interface=eth0")
    assert zone == "trusted", zone
    out = host.check_output("firewall-cmd --zone=%s %s--list-rich-rules" % (zone, "--permanent " if permanent else ""))
    return sorted(line.strip() for line in out.splitlines() if line.strip().startswith(OURS))


def address(host):
    return host.check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0]


@pytest.mark.parametrize("name", LB_NODES)
def test_firewalld_takes_the_groups_policy_at_runtime_and_permanently(lbs, name):
    host = lbs[name]
    runtime = rich_rules(host)
    assert runtime == rich_rules(host, permanent=True)
    for member in lbs.values():
        assert (f'rule priority="-32112" family="ipv4" source address="{address(member)}" '
                'destination address="224.0.0.18" protocol value="vrrp" accept') in runtime
    assert 'rule priority="-32111" family="ipv4" protocol value="vrrp" drop' in runtime
    assert 'rule priority="-32112" family="ipv4" port port="80" protocol="tcp" accept' in runtime
    # Nothing of iptables' backend: no chain of ours, and no netfilter-persistent to fight firewalld.
    assert "HAPAIR-VRRP" not in host.run("iptables-save -t filter").stdout
    assert not host.package("netfilter-persistent").is_installed


def test_the_rules_hold_across_a_reload(lbs):
    before = {name: rich_rules(host) for name, host in lbs.items()}
    for host in lbs.values():
        host.check_output("firewall-cmd --reload")
    assert {name: rich_rules(host) for name, host in lbs.items()} == before
    # The nodes still hear each other: the MASTER stays, the BACKUP stays BACKUP.
    for _ in range(3):
        assert holders(lbs) == [MASTER]
        time.sleep(1)
    assert vrrp_state(lbs[MASTER]) == "MASTER" and vrrp_state(lbs[BACKUP]) == "BACKUP"


def test_the_pair_fails_over_and_the_rules_come_back_with_a_rebooted_node(lbs):
    before = rich_rules(lbs[MASTER])
    # The MASTER's container is killed and started again: the BACKUP serves meanwhile, and the
    # MASTER boots with firewalld's permanent rules and takes the VIP back.
    crash_and_return(lbs, MASTER, BACKUP)
    assert rich_rules(lbs[MASTER]) == before
    assert wait_until(lambda: vrrp_state(lbs[BACKUP]) == "BACKUP", timeout=5)[0]


def both_views(lbs):
    return {name: (rich_rules(host), rich_rules(host, permanent=True)) for name, host in lbs.items()}


def test_a_new_port_is_taken_out_by_a_rollback_and_by_the_next_run_without_it(lbs):
    """A new frontend port: a rollout that fails on the BACKUP (another process holds the port
    there) takes the rule it added out again on both nodes, at runtime and permanently. Once the
    port is free the rule comes and the port is served through the VIP; a run without the port
    removes the rule (the prune after the rollout)."""
    port_rule = 'rule priority="-32112" family="ipv4" port port="8081" protocol="tcp" accept'
    more = {"haproxy_listen_timeout": 3, "haproxy_frontends": [
        {"name": "http_in", "mode": "http", "default_backend": "web", "binds": [{"address": VIP, "port": 80}]},
        {"name": "http_alt", "mode": "http", "default_backend": "web", "binds": [{"address": VIP, "port": 8081}]}]}
    before, prints = both_views(lbs), fingerprint(lbs)
    with squatting(lbs[BACKUP], 8081):
        rc, out = run_site("-e", json.dumps(more))
        assert rc != 0 and "Every node was rolled back" in out, out[-3000:]
        assert both_views(lbs) == before and fingerprint(lbs) == prints, out[-3000:]
    rc, out = run_site("-e", json.dumps(more))
    assert rc == 0, out[-3000:]
    assert all(port_rule in runtime and port_rule in permanent for runtime, permanent in both_views(lbs).values())
    answer = hapair_harness.http_get((VIP, 8081), "/", 2.0)
    assert answer is not None and answer[0] == 200, answer
    rc, out = run_site()
    assert rc == 0, out[-3000:]
    assert both_views(lbs) == before


def test_adverts_from_outside_the_group_are_dropped(lbs):
    """eth0's zone, trusted, accepts everything: the collection's drop alone keeps them out."""
    _, address = outsider()
    rule = f'rule priority="-32200" family="ipv4" source address="{address}" protocol value="vrrp" accept'
    assert_outsider_kept_out(lbs, MASTER, f"firewall-cmd --zone=trusted --add-rich-rule='{rule}'",
                             f"firewall-cmd --zone=trusted --remove-rich-rule='{rule}'")
