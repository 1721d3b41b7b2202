"""Unicast VRRP on a network that drops multicast."""

import json
import time

import pytest
from conftest import LB_NODES, VIP, crash_and_return, filter_rules, holders, run_site, served, vip_status, wait_until

pytestmark = pytest.mark.scenarios("fast",)

LB1, LB2 = (LB_NODES + [None, None])[:2]


def address(host):
    return host.check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0]


def test_adverts_go_to_the_peer_and_multicast_is_dropped(lbs):
    for name, host in lbs.items():
        peer = address(lbs[LB2 if name == LB1 else LB1])
        conf = host.file("/etc/keepalived/keepalived.conf").content_string
        assert f"unicast_src_ip {address(host)}" in conf and peer in conf.split("unicast_peer", 1)[1]
        raw = host.check_output("iptables -t raw -S PREROUTING").splitlines()
        assert any("-d 224.0.0.18/32" in rule and rule.endswith("-j DROP") for rule in raw), raw
        # The firewall accepts the peer's unicast adverts (no multicast destination).
        rules = filter_rules(host, "HAPAIR-VRRP")
        assert f"-s {peer}/32 -p vrrp" in rules and "224.0.0.18" not in rules
    # Only unicast adverts can keep the pair from a split brain here.
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=10)[0], holders(lbs)
    assert not vip_status(LB2, expect="backup").get("failed")


def test_the_unicast_pair_fails_over_and_back(lbs):
    crash_and_return(lbs, LB1, LB2)


def test_an_instances_own_unicast_switch_moves_the_firewall_with_it(lbs):
    """keepalived_unicast off, the instance's own unicast on: keepalived sends to the peer, and
    the firewall must accept it from there. (It once followed keepalived_unicast alone: the
    adverts hit the DROP rule and both nodes took the VIP.)"""
    per_instance = {"keepalived_unicast": False,
                    "keepalived_instances": [{"name": "VI_1", "virtual_router_id": 51, "vips": [f"{VIP}/24"],
                                              "unicast": True}]}
    try:
        rc, out = run_site("-e", json.dumps(per_instance))
        assert rc == 0, out[-3000:]
        for name, host in lbs.items():
            peer = address(lbs[LB2 if name == LB1 else LB1])
            assert f"-s {peer}/32 -p vrrp" in filter_rules(host, "HAPAIR-VRRP")
        # Longer than the BACKUP's down timer (3 adverts and the skew): one holder all along.
        seen = set()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            seen.add(tuple(holders(lbs)))
            time.sleep(0.2)
        assert seen == {(LB1,)}, seen
    finally:
        rc, out = run_site()
        assert rc == 0, out[-3000:]
