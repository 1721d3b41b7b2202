"""Nodes whose firewall firewalld manages: the vrrp_firewall role puts the group's policy in the
zone as rich rules, at runtime and permanently. They hold across `firewall-cmd --reload` and a
reboot, keep an outsider's adverts out, and the pair fails over. prepare binds the MASTER's eth0
to trusted (everything accepted: the role's drop alone keeps outsiders out) and the BACKUP's to
public (everything rejected that no rule accepts: the role's accepts alone let the MASTER's
adverts and the clients in).

Tests run in file order; each leaves the pair as it found it (MASTER on the first node)."""

import json
import time

import hapair_harness
import pytest
from conftest import (
    LB_NODES, VIP, assert_outsider_kept_out, crash_and_return, fingerprint, holders, outsider, run_site, squatting,
    state_changes, vrrp_state, wait_until,
)

pytestmark = pytest.mark.scenarios("firewalld",)

MASTER, BACKUP = LB_NODES[0], LB_NODES[1]
# The priorities that mark the collection's rich rules (module_utils/group.py: FIREWALLD_PRIORITY).
OURS = ('rule priority="-32112" ', 'rule priority="-32111" ')


ZONES = {MASTER: "trusted", BACKUP: "public"}


def zone(host):
    return host.check_output("firewall-cmd --get-zone-of-interface=eth0")


def rich_rules(host, permanent=False):
    """The rich rules of eth0's zone that carry the collection's priorities, as firewall-cmd lists them."""
    out = host.check_output("firewall-cmd --zone=%s %s--list-rich-rules" % (zone(host), "--permanent " if permanent else ""))
    return sorted(line.strip() for line in out.splitlines() if line.strip().startswith(OURS))


def address(host):
    return host.check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0]


@pytest.mark.parametrize("name", LB_NODES)
def test_firewalld_takes_the_groups_policy_at_runtime_and_permanently(lbs, name):
    host = lbs[name]
    assert zone(host) == ZONES[name]
    runtime = rich_rules(host)
    assert runtime == rich_rules(host, permanent=True)
    for member in lbs.values():
        assert (f'rule priority="-32112" family="ipv4" source address="{address(member)}" '
                'destination address="224.0.0.18" protocol value="vrrp" accept') in runtime
    assert 'rule priority="-32111" family="ipv4" protocol value="vrrp" drop' in runtime
    assert 'rule priority="-32112" family="ipv4" port port="80" protocol="tcp" accept' in runtime
    # Nothing of the iptables backend: no netfilter-persistent to load rules beside firewalld's.
    assert not host.package("netfilter-persistent").is_installed
    assert not host.package("iptables-persistent").is_installed


def test_the_rules_hold_across_a_reload(lbs):
    before = {name: rich_rules(host) for name, host in lbs.items()}
    for host in lbs.values():
        host.check_output("firewall-cmd --reload")
    assert {name: rich_rules(host) for name, host in lbs.items()} == before
    # The nodes still hear each other: the MASTER stays, the BACKUP stays BACKUP.
    for _unused in range(3):
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
    removes the rule (the prune after the rollout), and with it any iptables rule of ours left
    from a time the node had the iptables backend."""
    port_rule = 'rule priority="-32112" family="ipv4" port port="8081" protocol="tcp" accept'
    more = {"haproxy_listen_timeout": 3, "haproxy_frontends": [
        {"name": "http_in", "mode": "http", "default_backend": "web", "binds": [{"address": VIP, "port": 80}]},
        {"name": "http_alt", "mode": "http", "default_backend": "web", "binds": [{"address": VIP, "port": 8081}]}]}
    before, prints = both_views(lbs), fingerprint(lbs)
    with squatting(lbs[BACKUP], 8081):
        rc, out = run_site("-e", json.dumps(more))
        assert rc != 0 and "Every node was rolled back" in out, out[-3000:]
        assert both_views(lbs) == before, out[-3000:]
        changes = state_changes(prints, fingerprint(lbs))
        assert not changes, "\n".join(changes.values()) + out[-3000:]
    rc, out = run_site("-e", json.dumps(more))
    assert rc == 0, out[-3000:]
    assert all(port_rule in runtime and port_rule in permanent for runtime, permanent in both_views(lbs).values())
    answer = hapair_harness.http_get((VIP, 8081), "/", 2.0)
    assert answer is not None and answer[0] == 200, answer
    # A node that moved from the iptables backend to firewalld: its iptables rules of ours go with
    # the next run's prune (firewalld's accept the same members).
    comment = "hapair.loadbalancer: HAProxy frontends tcp/8081"
    lbs[BACKUP].check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iptables")
    lbs[BACKUP].check_output(f"iptables -I INPUT -p tcp -m multiport --dports 8081 -m comment --comment '{comment}' -j ACCEPT")
    assert comment in lbs[BACKUP].check_output("iptables -S INPUT")
    rc, out = run_site()
    assert rc == 0, out[-3000:]
    assert both_views(lbs) == before
    assert "hapair.loadbalancer" not in lbs[BACKUP].check_output("iptables -S INPUT")


def test_adverts_from_outside_the_group_are_dropped(lbs):
    """The MASTER's zone, trusted, accepts everything: the collection's drop alone keeps them out."""
    _unused, address = outsider()
    rule = f'rule priority="-32200" family="ipv4" source address="{address}" protocol value="vrrp" accept'
    assert_outsider_kept_out(lbs, MASTER, f"firewall-cmd --zone=$(firewall-cmd --get-zone-of-interface=eth0) --add-rich-rule='{rule}'",
                             f"firewall-cmd --zone=$(firewall-cmd --get-zone-of-interface=eth0) --remove-rich-rule='{rule}'")
