"""IPv6: a VIP on VRRPv3 over ff02::12, the ip6tables rules, net.ipv6.ip_nonlocal_bind, the
dual-stack variant (an IPv4 and an IPv6 instance on the same pair), and unicast over IPv6."""

import json

import pytest
from conftest import (
    LB_NODES, VIP, crash_and_return, filter_rules, holders, run_site, run_site_watching, served, stop_and_hand_over,
    vip_status, wait_until,
)

pytestmark = pytest.mark.scenarios("ipv6",)

LB1, LB2 = (LB_NODES + [None, None])[:2]
NET4 = "192.168.222"
VIP4 = f"{NET4}.100"


def link_locals(host):
    out = host.check_output("ip -6 -o addr show scope link")
    return {line.split()[3].split("/")[0] for line in out.splitlines()}


def test_the_ipv6_vip_runs_vrrpv3_behind_ip6tables(lbs):
    for name, host in lbs.items():
        conf = host.file("/etc/keepalived/keepalived.conf").content_string
        assert f"{VIP}/64 dev eth0" in conf and "version 3" in conf and "authentication" not in conf
        assert host.sysctl("net.ipv6.ip_nonlocal_bind") == 1
        # HAProxy binds the VIP on both nodes, the BACKUP too.
        assert f"[{VIP}]:80 " in host.check_output("ss -6 -ltnH")
        # VRRPv3 adverts come from the peers' link-local addresses to ff02::12; nothing else passes.
        rules = filter_rules(host, "HAPAIR-VRRP", 6)
        for peer in (LB1, LB2):
            for address in link_locals(lbs[peer]):
                assert f"-s {address}/128 -d ff02::12/128 -p vrrp" in rules, (name, address, rules)
        assert rules.rstrip().endswith("-j DROP"), rules
        assert "-j HAPAIR-VRRP" in filter_rules(host, "INPUT", 6)
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=15)[0], holders(lbs)
    assert not vip_status(LB1, expect="master", vip=[VIP]).get("failed")
    assert not vip_status(LB2, expect="backup", vip=[VIP]).get("failed")


def test_the_ipv6_vip_fails_over_and_back(lbs):
    crash_and_return(lbs, LB1, LB2)


def test_an_upper_case_ipv6_vip_gets_the_right_verdict(lbs):
    """The VIP typed in upper case with its zeros: keepalived.conf, the checks, vip_status and
    the verdict all see one address (the verdict once said OUTAGE for a VIP that was held)."""
    shouting = {"keepalived_instances": [{"name": "VI_6", "virtual_router_id": 61,
                                          "vips": [VIP.upper().replace("::", ":0::") + "/64"]}],
                "haproxy_frontends": [{"name": "http_in6", "mode": "http", "default_backend": "web",
                                       "binds": [{"address": VIP.upper(), "port": 80}]}]}
    rc, out = run_site("-e", json.dumps(shouting))
    assert rc == 0, out[-3000:]
    assert f"VIP {VIP} (VI_6) is held by {LB1}" in out, out[-3000:]
    assert f"{VIP}/64 dev eth0" in lbs[LB1].file("/etc/keepalived/keepalived.conf").content_string
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=15)[0], holders(lbs)


def test_dual_stack_carries_both_families_on_one_pair(lbs):
    both = {
        "keepalived_auth_type": "PASS",
        "keepalived_instances": [
            {"name": "VI_4", "virtual_router_id": 51, "vips": [f"{VIP4}/24"]},
            {"name": "VI_6", "virtual_router_id": 61, "vips": [f"{VIP}/64"], "auth_type": "none"},
        ],
        "haproxy_frontends": [{"name": "http_in", "mode": "http", "default_backend": "web",
                               "binds": [{"address": VIP4, "port": 80}, {"address": VIP, "port": 80}]}],
    }
    rc, out = run_site("-e", json.dumps(both))
    assert rc == 0, out[-3000:]
    conf = lbs[LB1].file("/etc/keepalived/keepalived.conf").content_string
    # VRRPv2 with a password for IPv4, VRRPv3 without for IPv6.
    assert "vrrp_version 2" in conf and conf.count("auth_type PASS") == 1 and conf.count("version 3") == 1
    for vip in (VIP4, VIP):
        assert wait_until(lambda: served(lbs, vip, LB1), timeout=15)[0], (vip, holders(lbs, vip))
    assert "-j HAPAIR-VRRP" in filter_rules(lbs[LB2], "INPUT")
    crash_and_return(lbs, LB1, LB2, vips=[VIP4, VIP])


def multicast_dropped(lbs):
    """While some node's keepalived.conf still sends adverts to ff02::12, a node whose ip6tables
    no longer accepts them cannot hear that node: a split brain made by the firewall."""
    senders = [name for name, host in lbs.items()
               if "unicast_peer" not in host.run("cat /etc/keepalived/keepalived.conf").stdout]
    deaf = [name for name, host in lbs.items() if "ff02::12" not in host.run("ip6tables -S HAPAIR-VRRP").stdout]
    return senders and deaf and f"{senders} send to ff02::12, {deaf} drop it"


def test_unicast_ipv6_sends_to_the_peer_and_the_firewall_follows(lbs):
    unicast = {
        "keepalived_unicast": True,
        "keepalived_instances": [{"name": "VI_6", "virtual_router_id": 61, "vips": [f"{VIP}/64"]}],
    }
    # The switch from multicast: the multicast rules stay until every node sends unicast.
    rc, out, dropped = run_site_watching(lambda: multicast_dropped(lbs), "-e", json.dumps(unicast))
    assert rc == 0, out[-3000:]
    assert not dropped, dropped[:3]
    for name, host in lbs.items():
        me, peer = (("::11", "::12") if name == LB1 else ("::12", "::11"))
        prefix = VIP.rsplit("::", 1)[0]
        conf = host.file("/etc/keepalived/keepalived.conf").content_string
        assert f"unicast_src_ip {prefix}{me}" in conf and f"{prefix}{peer}" in conf.split("unicast_peer", 1)[1]
        rules = filter_rules(host, "HAPAIR-VRRP", 6)
        # Adverts from the peers' default IPv6 addresses; the multicast rules are gone.
        assert f"-s {prefix}{peer}/128 -p vrrp" in rules and "ff02::12" not in rules, rules
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=15)[0], holders(lbs)
    stop_and_hand_over(lbs, LB1, LB2)
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=15)[0], holders(lbs)
