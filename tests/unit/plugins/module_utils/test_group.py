"""The group model, on network facts recorded from real nodes (tests/unit/fixtures/facts):

- lab-lb1/2: the lab pair (podman, 192.168.213.0/24), lab-lb1 holding the IPv4 VIP .100;
- ds-lb1/2/3: three dual-stack nodes (192.168.230.0/24, fd48:6170:6169:7230::/64), ds-lb1
  holding both VIPs, so that Ansible's default_ipv6.address on it is the IPv6 VIP.
"""

import json
from pathlib import Path

import pytest
from ansible_collections.hapair.loadbalancer.plugins.filter import group as filters
from ansible_collections.hapair.loadbalancer.plugins.module_utils import group as g

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SETTINGS = {"vrrp_version": 2, "advert_int": 1, "auth_type": "PASS", "auth_pass": "s3cret", "priority_base": 250,
            "priority_step": 10, "track_haproxy": True, "unicast": False, "notify": {}, "interface": ""}
V4 = {"name": "VI_4", "virtual_router_id": 51, "vips": ["192.168.230.100/24"]}
V6 = {"name": "VI_6", "virtual_router_id": 61, "vips": ["FD48:6170:6169:7230:0::100/64"], "auth_type": "none"}


def facts(*names):
    return {name: json.loads((FIXTURES / "facts" / f"{name}.json").read_text()) for name in names}


def model(members, instances, recorded=None, **settings):
    key = g.new_key()
    inputs = {m: g.member_inputs({**SETTINGS, "instances": instances, **settings}, key) for m in members}
    return g.build(members, inputs, recorded if recorded is not None else facts(*members))


def instance_of(built, node, name):
    return next(i for i in built["nodes"][node]["instances"] if i["name"] == name)


LAB = ["lab-lb1", "lab-lb2"]
LAB_VI = {"name": "VI_1", "virtual_router_id": 51, "vips": ["192.168.213.100/24"]}
DS = ["ds-lb1", "ds-lb2", "ds-lb3"]


def test_the_lab_pair_multicast():
    built = model(LAB, [LAB_VI])
    assert built["missing_facts"] == []
    lb1, lb2 = (instance_of(built, n, "VI_1") for n in LAB)
    assert (lb1["state"], lb1["priority"], lb2["state"], lb2["priority"]) == ("MASTER", 250, "BACKUP", 240)
    assert lb1["interface"] == lb2["interface"] == "eth0"
    assert (lb1["version"], lb1["unicast"], lb1["unicast_peers"]) == (2, False, [])
    # Every member's own address on eth0 (never the VIP lab-lb1 holds), towards 224.0.0.18.
    for node in LAB:
        assert built["nodes"][node]["vrrp_sources"] == {
            "ipv4": [("192.168.213.11", "224.0.0.18"), ("192.168.213.12", "224.0.0.18")], "ipv6": []}
        assert g.sysctls(built["nodes"][node]) == ["net.ipv4.ip_nonlocal_bind"]
    assert built["vips"] == [{"address": "192.168.213.100", "cidr": "192.168.213.100/24", "family": 4,
                              "instance": "VI_1", "master": "lab-lb1"}]


def test_every_address_of_every_member_is_the_group_s_own():
    # A source of VRRP adverts the segment scan (module_utils/vrrp_wire.py) counts as ours.
    assert model(LAB, [LAB_VI])["host_addresses"] == sorted(
        {a for name in LAB for key in ("all_ipv4_addresses", "all_ipv6_addresses") for a in facts(name)[name][key]})


def test_the_lab_pair_unicast_sends_to_the_other_member_only():
    built = model(LAB, [LAB_VI], unicast=True)
    lb1 = instance_of(built, "lab-lb1", "VI_1")
    assert (lb1["unicast_src_ip"], lb1["unicast_peers"]) == ("192.168.213.11", ["192.168.213.12"])
    assert built["nodes"]["lab-lb1"]["vrrp_sources"]["ipv4"] == [("192.168.213.12", None)]
    assert built["nodes"]["lab-lb2"]["vrrp_sources"]["ipv4"] == [("192.168.213.11", None)]


def test_a_per_instance_unicast_switch_moves_the_firewall_with_it():
    """The split brain of old: keepalived_unicast false, the instance's own unicast true. The
    adverts go to the peer's address, so the firewall must accept them there, not only to
    224.0.0.18."""
    built = model(LAB, [{**LAB_VI, "unicast": True}], unicast=False)
    assert instance_of(built, "lab-lb2", "VI_1")["unicast_peers"] == ["192.168.213.11"]
    rules = g.firewall_rules(built["nodes"]["lab-lb2"], "HAPAIR-VRRP")
    accepts = [r for r in rules if r.get("jump") == "ACCEPT" and r["chain"] == "HAPAIR-VRRP"]
    assert [(r["source"], r.get("destination")) for r in accepts] == [("192.168.213.11", None)]


def test_a_multicast_and_a_unicast_instance_side_by_side():
    second = {"name": "VI_2", "virtual_router_id": 52, "vips": ["192.168.213.101/24"], "unicast": True}
    sources = model(LAB, [LAB_VI, second])["nodes"]["lab-lb1"]["vrrp_sources"]["ipv4"]
    assert sources == [("192.168.213.11", "224.0.0.18"), ("192.168.213.12", "224.0.0.18"), ("192.168.213.12", None)]


def test_three_dual_stack_nodes():
    built = model(DS, [V4, V6])
    assert built["missing_facts"] == []
    four = [instance_of(built, n, "VI_4") for n in DS]
    six = [instance_of(built, n, "VI_6") for n in DS]
    assert [i["priority"] for i in four] == [250, 240, 230] and [i["state"] for i in six] == ["MASTER", "BACKUP", "BACKUP"]
    assert (four[0]["version"], six[0]["version"], six[0]["auth_type"]) == (2, 3, "none")
    # The IPv6 VIP in the spelling `ip` prints, whatever case and zeros it was typed with.
    assert six[0]["vip_cidrs"] == ["fd48:6170:6169:7230::100/64"]
    node = built["nodes"]["ds-lb2"]
    assert node["vrrp_sources"]["ipv6"] == [(f"fe80::68:61ff:fe70:301{i}", "ff02::12") for i in (1, 2, 3)]
    assert node["vrrp_sources"]["ipv4"] == [(f"192.168.230.1{i}", "224.0.0.18") for i in (1, 2, 3)]
    assert g.sysctls(node) == ["net.ipv4.ip_nonlocal_bind", "net.ipv6.ip_nonlocal_bind"]
    assert g.sysctls(node, ipv4=False) == ["net.ipv6.ip_nonlocal_bind"]
    assert [v["address"] for v in built["vips"]] == ["192.168.230.100", "fd48:6170:6169:7230::100"]


def test_ipv6_unicast_never_sends_from_a_vip_the_node_holds():
    built = model(DS, [V6], unicast=True)
    lb1 = instance_of(built, "ds-lb1", "VI_6")
    # Ansible's default_ipv6.address on ds-lb1 is the VIP it holds; the node's own is ::11.
    assert facts("ds-lb1")["ds-lb1"]["default_ipv6"]["address"] == "fd48:6170:6169:7230::100"
    assert lb1["unicast_src_ip"] == "fd48:6170:6169:7230::11"
    assert lb1["unicast_peers"] == ["fd48:6170:6169:7230::12", "fd48:6170:6169:7230::13"]
    assert built["nodes"]["ds-lb3"]["vrrp_sources"]["ipv6"] == [
        ("fd48:6170:6169:7230::11", None), ("fd48:6170:6169:7230::12", None)]


def test_the_firewall_rules_of_a_node():
    built = model(DS, [V4, V6])
    rules = g.firewall_rules(built["nodes"]["ds-lb1"], "HAPAIR-VRRP", frontend_ports=[443, 80, 80])
    by_family = {f: [r for r in rules if r["ip_version"] == f] for f in ("ipv4", "ipv6")}
    for family, group_address in (("ipv4", "224.0.0.18"), ("ipv6", "ff02::12")):
        chain, *accepts, drop, jump, ports = by_family[family]
        assert chain == {"ip_version": family, "chain": "HAPAIR-VRRP", "chain_management": True, "comment": "chain HAPAIR-VRRP"}
        assert len(accepts) == 3 and all(r["destination"] == group_address and r["action"] == "insert" for r in accepts)
        assert accepts[0]["comment"] == f"hapair.loadbalancer: VRRP from {accepts[0]['source']} to {group_address}"
        assert (drop["jump"], drop["action"]) == ("DROP", "append")
        assert (jump["chain"], jump["jump"]) == ("INPUT", "HAPAIR-VRRP")
        assert ports["destination_ports"] == ["80", "443"] and ports["comment"].endswith("tcp/80,443")


def test_peers_given_by_hand_replace_the_models_sources():
    built = model(LAB, [LAB_VI])
    rules = g.firewall_rules(built["nodes"]["lab-lb1"], "C", peers=["198.51.100.7"])
    accepts = [r for r in rules if r.get("jump") == "ACCEPT" and r["chain"] == "C"]
    assert [(r["source"], r.get("destination")) for r in accepts] == [("198.51.100.7", None)]
    assert g.bad_addresses(["198.51.100.7", "2001:db8::1", "lb2", ""], 4) == ["2001:db8::1", "lb2", ""]
    assert g.bad_addresses(["2001:DB8::1", "198.51.100.7"], 6) == ["198.51.100.7"]


LIVE = (FIXTURES / "iptables-save-lb1.txt").read_text().splitlines()


def test_an_unchanged_lab_node_needs_no_rule_and_has_none_stale():
    rules = g.firewall_rules(model(LAB, [LAB_VI])["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80])
    assert g.missing_rules(rules, {"ipv4": LIVE, "ipv6": []}) == []
    assert g.stale_rules(rules, {"ipv4": LIVE, "ipv6": []}) == []


def test_a_switch_to_unicast_adds_the_peer_and_leaves_the_old_rules_for_the_prune():
    rules = g.firewall_rules(model(LAB, [LAB_VI], unicast=True)["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80])
    missing = g.missing_rules(rules, {"ipv4": LIVE})
    assert [r["comment"] for r in missing] == ["hapair.loadbalancer: VRRP from 192.168.213.12"]
    stale = g.stale_rules(rules, {"ipv4": LIVE, "ipv6": []})
    assert [s[1].split("--comment ")[1] for s in stale] == [
        '"hapair.loadbalancer: VRRP from 192.168.213.12 to 224.0.0.18" -j ACCEPT',
        '"hapair.loadbalancer: VRRP from 192.168.213.11 to 224.0.0.18" -j ACCEPT']
    # Deleted with the exact spec iptables-save printed, the comment as one argument.
    assert g.delete_argv(*stale[0]) == [
        "iptables", "-t", "filter", "-D", "HAPAIR-VRRP", "-s", "192.168.213.12/32", "-d", "224.0.0.18/32", "-p", "vrrp",
        "-m", "comment", "--comment", "hapair.loadbalancer: VRRP from 192.168.213.12 to 224.0.0.18", "-j", "ACCEPT"]


def test_rules_without_the_marker_are_never_stale():
    foreign = LIVE + ['-A INPUT -p vrrp -m comment --comment "someone else" -j DROP', "-A INPUT -p tcp -j ACCEPT"]
    rules = g.firewall_rules(model(LAB, [LAB_VI])["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80])
    assert g.stale_rules(rules, {"ipv4": foreign}) == []


def test_the_firewalld_rules_are_the_same_policy_as_rich_rules():
    built = model(DS, [V4, V6])
    rules = g.firewall_rules(built["nodes"]["ds-lb1"], "HAPAIR-VRRP", frontend_ports=[443, 80],
                             haproxy_peers=["192.168.230.11", "192.168.230.12"], haproxy_peers_port=10000,
                             haproxy_peer_address="192.168.230.11")
    rich = g.firewalld_rules(rules)
    lines = [r["rule"] for r in rich if r["family"] == "ipv4"]
    sources = [r["source"] for r in rules if r["chain"] == "HAPAIR-VRRP" and r.get("protocol") == "vrrp"
               and r["ip_version"] == "ipv4" and r["jump"] == "ACCEPT"]
    # In the form `firewall-cmd --list-rich-rules` prints, so that a read finds them.
    assert lines[:len(sources)] == [f'rule priority="-32112" family="ipv4" source address="{s}" '
                                    'destination address="224.0.0.18" protocol value="vrrp" accept' for s in sources]
    assert 'rule priority="-32111" family="ipv4" protocol value="vrrp" drop' in lines
    assert ('rule priority="-32112" family="ipv4" source address="192.168.230.12" destination address="192.168.230.11" '
            'port port="10000" protocol="tcp" accept') in lines
    assert ('rule priority="-32111" family="ipv4" destination address="192.168.230.11" port port="10000" protocol="tcp" '
            'drop') in lines
    # One rule per frontend port; no counterpart for the chain, INPUT's jumps or OUTPUT's owner rule.
    assert [line for line in lines if "port port=\"80\"" in line or "port port=\"443\"" in line] == [
        'rule priority="-32112" family="ipv4" port port="80" protocol="tcp" accept',
        'rule priority="-32112" family="ipv4" port port="443" protocol="tcp" accept']
    assert len(lines) == len(sources) + 1 + 3 + 2
    assert any('family="ipv6"' in r["rule"] and 'destination address="ff02::12"' in r["rule"] for r in rich)


def test_the_firewalld_rules_a_zone_lacks_and_those_of_ours_it_no_longer_needs():
    rules = g.firewalld_rules(g.firewall_rules(model(LAB, [LAB_VI])["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80]))
    every = [r["rule"] for r in rules]
    foreign = 'rule family="ipv4" source address="192.168.213.99" protocol value="vrrp" accept'
    old = 'rule priority="-32112" family="ipv4" source address="192.168.213.13" protocol value="vrrp" accept'
    assert g.firewalld_missing(rules, {"runtime": every, "permanent": every}) == []
    # Missing where either view lacks it: a reload would drop a runtime-only rule, a reboot too.
    assert g.firewalld_missing(rules, {"runtime": every, "permanent": every[1:]}) == rules[:1]
    assert g.firewalld_missing(rules, {"runtime": every[:-1], "permanent": every}) == rules[-1:]
    current = {"runtime": every + [foreign, old], "permanent": every + [old]}
    assert g.firewalld_stale(rules, current) == [old]
    assert g.firewalld_stale(rules, current, keep_sources=["192.168.213.13"]) == []


@pytest.mark.parametrize("choice, active, enabled, manager, problem", [
    ("auto", [], [], "iptables", None),
    ("auto", ["firewalld"], ["firewalld"], "firewalld", None),
    ("auto", ["ufw"], ["ufw"], None, "ufw (enabled) manages the firewall of lb1"),
    ("auto", [], ["nftables"], None, "nftables.service (enabled: its /etc/nftables.conf flushes every table"),
    ("auto", ["firewalld"], ["nftables"], "firewalld", None),
    ("iptables", ["ufw"], ["nftables"], "iptables", None),
    ("iptables", ["firewalld"], [], None, "firewalld runs on lb1 and puts its own rules back"),
    # Enabled but stopped: at the next boot it would reject VRRP.
    ("auto", [], ["firewalld"], None, "firewalld is enabled on lb1 but not running"),
    ("iptables", [], ["firewalld"], None, "firewalld is enabled on lb1 but not running"),
    ("firewalld", [], ["firewalld"], None, "vrrp_firewall_backend is firewalld, but firewalld does not run on lb1"),
    ("firewalld", [], [], None, "vrrp_firewall_backend is firewalld, but firewalld does not run on lb1"),
    (" FirewallD ", ["firewalld"], [], "firewalld", None),
    ("nft", [], [], None, "vrrp_firewall_backend is 'nft': give auto"),
])
def test_the_firewall_manager_is_the_one_that_runs(choice, active, enabled, manager, problem):
    read = {"managers": {m: {"active": m in active, "enabled": m in enabled} for m in ("firewalld", "ufw", "nftables")},
            "firewalld": {"zone": "public", "zones": {"eth0": "public"}, "failed": []} if "firewalld" in active else None}
    result = g.firewall_manager(choice, read, "lb1")
    assert result["manager"] == manager
    assert (result["problem"] is None) if problem is None else problem in result["problem"]


@pytest.mark.parametrize("firewalld, problem", [
    ({"zone": "public", "zones": {"eth0": "public", "eth1": "internal"}, "failed": []}, "eth0: public, eth1: internal"),
    ({"zone": "public", "zones": {"eth0": "public"}, "failed": ["permanent"]}, "rules of its zone public could not be listed (permanent)"),
    ({"zone": "", "zones": {"eth0": ""}, "failed": ["runtime", "permanent"]}, "(none: no default zone)"),
])
def test_a_firewalld_zone_that_cannot_take_the_rules_is_refused(firewalld, problem):
    read = {"managers": {"firewalld": {"active": True, "enabled": True}}, "firewalld": firewalld}
    result = g.firewall_manager("auto", read, "lb1")
    assert result["manager"] is None and problem in result["problem"]


def test_listeners_are_the_binds_on_the_groups_vips():
    built = model(DS, [V4, V6])
    frontends = [{"name": "a", "binds": [{"address": "192.168.230.100", "port": 80}, {"address": "*", "port": 80},
                                         {"address": "FD48:6170:6169:7230::100", "port": 443}]},
                 {"name": "b", "binds": [{"address": "192.168.230.100", "port": 80}, {"address": "127.0.0.1", "port": 9}]}]
    assert g.listeners(built, frontends) == [{"address": "192.168.230.100", "port": 80},
                                             {"address": "fd48:6170:6169:7230::100", "port": 443}]
    assert g.frontend_ports(frontends) == [80, 443, 9]


# `ss -Htlnp` on a node whose HAProxy kept its old configuration: a reload could not bind
# 192.168.230.100:8081, which another process holds on every address.
SS = [
    'LISTEN 0 4096 192.168.230.100:80 0.0.0.0:* users:(("haproxy",pid=1370,fd=9))',
    'LISTEN 0 4096 127.0.0.1:8404 0.0.0.0:* users:(("haproxy",pid=1370,fd=7))',
    'LISTEN 0 4096 [fd48:6170:6169:7230::100]:443 [::]:* users:(("haproxy",pid=1370,fd=10))',
    'LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:* users:(("haproxy",pid=1370,fd=11))',
    'LISTEN 0 128 0.0.0.0:8081 0.0.0.0:* users:(("python3",pid=2178,fd=3))',
]


def test_haproxy_binds_and_those_no_haproxy_socket_listens_on():
    frontends = [{"name": "a", "binds": [{"address": "192.168.230.100", "port": 80}, {"address": "*", "port": 8080},
                                         {"address": "FD48:6170:6169:7230::100", "port": "443"}]},
                 {"name": "b", "binds": [{"address": "192.168.230.100", "port": 80},
                                         {"address": "192.168.230.100", "port": 8081}]}]
    binds = g.haproxy_binds(frontends, [{"address": "127.0.0.1", "port": 8404, "variable": "haproxy_stats_address/haproxy_stats_port"}])
    assert binds == [{"address": "192.168.230.100", "port": 80}, {"address": "0.0.0.0", "port": 8080},
                     {"address": "fd48:6170:6169:7230::100", "port": 443},
                     {"address": "192.168.230.100", "port": 8081}, {"address": "127.0.0.1", "port": 8404}]
    assert g.haproxy_binds(frontends)[-1] == {"address": "192.168.230.100", "port": 8081}
    # Another process on 0.0.0.0:8081 is not HAProxy listening on the VIP's 8081.
    assert g.unserved_binds(binds, SS) == [{"address": "192.168.230.100", "port": 8081}]
    assert g.unserved_binds(binds, []) == binds
    assert [g.hostport(b) for b in binds[1:3]] == ["0.0.0.0:8080", "[fd48:6170:6169:7230::100]:443"]
    # An interface after the address, and a dual-stack socket on every address ('*').
    assert g.unserved_binds([{"address": "::", "port": 80}, {"address": "fe80::1", "port": 81}],
                            ['LISTEN 0 4096 *:80 *:* users:(("haproxy",pid=1,fd=5))',
                             'LISTEN 0 4096 [fe80::1]%eth0:81 [::]:* users:(("haproxy",pid=1,fd=6))']) == []
    assert g.hostport("192.0.2.1", 80) == "192.0.2.1:80"
    assert g.hostport("::1", " +8404 ") == "[::1]:8404"


def test_the_model_holds_no_password_and_compares_them_only_within_one_computation():
    built = model(LAB, [{**LAB_VI, "auth_pass": "inst-pw"}], auth_pass="s3cret")
    text = repr(built)
    assert "s3cret" not in text and "inst-pw" not in text
    lb1, lb2 = (instance_of(built, n, "VI_1") for n in LAB)
    assert lb1["auth_fingerprint"] == lb2["auth_fingerprint"] and lb1["auth_pass_length"] is None
    assert lb1["auth_pass_from"] == "instance"
    assert instance_of(model(LAB, [LAB_VI]), "lab-lb1", "VI_1")["auth_pass_from"] == "keepalived_auth_pass"
    again = instance_of(model(LAB, [{**LAB_VI, "auth_pass": "inst-pw"}]), "lab-lb1", "VI_1")
    # A fresh key for every computation: a fingerprint seen in a log says nothing of the password.
    assert again["auth_fingerprint"] != lb1["auth_fingerprint"]
    assert instance_of(model(LAB, [LAB_VI], auth_pass="much-too-long"), "lab-lb1", "VI_1")["auth_pass_length"] == 13


def test_members_without_network_facts_are_named():
    built = model(LAB, [LAB_VI], recorded={"lab-lb1": facts("lab-lb1")["lab-lb1"], "lab-lb2": {}})
    assert built["missing_facts"] == ["lab-lb2"]
    assert built["nodes"]["lab-lb1"]["vrrp_sources"]["ipv4"] == [("192.168.213.11", "224.0.0.18")]


class FakeHostvars(dict):
    """hostvars as a play limited to lab-lb1 sees it: lab-lb2's inventory variables and facts."""


@pytest.mark.parametrize("typed", [True, "true", "yes"])
def test_the_filter_reads_other_members_from_hostvars(typed):
    recorded = facts(*LAB)
    hostvars = FakeHostvars({
        "lab-lb1": {"ansible_facts": recorded["lab-lb1"]},
        # lab-lb2 pins its own priority in host_vars, and turns unicast on with -e (a string).
        "lab-lb2": {"ansible_facts": recorded["lab-lb2"], "keepalived_unicast": typed,
                    "keepalived_instances": [{**LAB_VI, "priority": 100}]},
    })
    built = filters.group_model(LAB, hostvars, {**SETTINGS, "instances": [LAB_VI]}, "lab-lb1")
    lb2 = instance_of(built, "lab-lb2", "VI_1")
    assert (lb2["priority"], lb2["unicast"], lb2["unicast_peers"]) == (100, True, ["192.168.213.11"])
    assert instance_of(built, "lab-lb1", "VI_1")["unicast"] is False
    assert filters.group_missing_facts(["lb"], {"lb": LAB}, FakeHostvars({"lab-lb1": hostvars["lab-lb1"]})) == ["lab-lb2"]


def test_the_model_of_many_groups_at_once():
    recorded = facts(*LAB, *DS)
    hostvars = FakeHostvars({m: {"ansible_facts": f} for m, f in recorded.items()})
    for m in DS:
        hostvars[m]["keepalived_instances"] = [V4]
    models = filters.group_models(["pair", "trio"], {"pair": LAB, "trio": DS}, hostvars,
                                  {**SETTINGS, "instances": [LAB_VI]}, "lab-lb1")
    assert models["pair"]["members"] == LAB and models["trio"]["members"] == DS
    assert models["trio"]["vips"][0]["address"] == "192.168.230.100" and models["trio"]["name"] == "trio"


def test_the_role_alone_keeps_a_members_rules_for_its_old_transport():
    """vrrp_firewall's main.yml, on a switch to unicast: the multicast rules of both members stay
    (the other node may still send multicast); a stranger's rule goes."""
    built = model(LAB, [LAB_VI], unicast=True)
    assert built["member_addresses"] == ["192.168.213.11", "192.168.213.12", "fe80::6860:f8ff:fee3:73c7",
                                         "fe80::ccf0:dcff:fe14:1475"]
    rules = g.firewall_rules(built["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80])
    stranger = '-A HAPAIR-VRRP -s 192.168.213.99/32 -p vrrp -m comment --comment "hapair.loadbalancer: VRRP from 192.168.213.99" -j ACCEPT'
    stale = g.stale_rules(rules, {"ipv4": LIVE + [stranger]}, keep_sources=built["member_addresses"])
    assert stale == [["ipv4", stranger]]


def test_a_change_of_what_the_adverts_carry_conflicts_with_members_outside_the_run():
    before = model(LAB, [LAB_VI])
    running = {"lab-lb1": g.adverts(before["nodes"]["lab-lb1"])}
    # Nothing that adverts carry changed (a priority, a notify command): no conflict.
    calmer = model(LAB, [{**LAB_VI, "notify": {"master": "/bin/true"}}], priority_base=200)
    assert g.advert_conflicts(calmer, running) == []
    for change in ({"vips": ["192.168.213.100/24", "192.168.213.101/24"]}, {"virtual_router_id": 52},
                   {"advert_int": 2}, {"unicast": True}, {"auth_type": "none"}):
        assert g.advert_conflicts(model(LAB, [{**LAB_VI, **change}]), running) == [
            ("VI_1", "lab-lb1", "changes its adverts")], change
    assert g.advert_conflicts(model(LAB, [LAB_VI, {**LAB_VI, "name": "VI_2", "virtual_router_id": 52}]), running) == [
        ("VI_2", "lab-lb1", "is new")]
    # A member that runs none of ours yet (no file) conflicts with nothing.
    assert g.advert_conflicts(model(LAB, [{**LAB_VI, "virtual_router_id": 52}]), {"lab-lb1": None}) == []


def test_the_filter_reads_the_outside_members_files_as_slurp_returns_them():
    import base64

    before = model(LAB, [LAB_VI])
    content = base64.b64encode(json.dumps(g.adverts(before["nodes"]["lab-lb1"])).encode()).decode()
    # As the loop in the keepalived preflight registers them (loop_var __keepalived_member).
    slurped = [{"__keepalived_member": "lab-lb1", "ansible_loop_var": "__keepalived_member", "content": content,
                "encoding": "base64", "source": "/etc/keepalived/hapair-adverts.json", "changed": False},
               {"__keepalived_member": "lab-lb2", "ansible_loop_var": "__keepalived_member", "failed": True,
                "msg": "file not found: /etc/keepalived/hapair-adverts.json"}]
    assert filters.group_advert_conflicts(before, slurped) == []
    changed = model(LAB, [{**LAB_VI, "advert_int": 3}])
    assert filters.group_advert_conflicts(changed, slurped) == [
        {"instance": "VI_1", "member": "lab-lb1", "what": "changes its adverts"}]


def test_haproxy_needs_the_non_local_bind_of_each_family_it_binds_a_vip_of():
    built = model(DS, [V4, V6])
    v4 = [{"name": "a", "binds": [{"address": "192.168.230.100", "port": 80}, {"address": "*", "port": 81}]}]
    both = v4 + [{"name": "b", "binds": [{"address": "fd48:6170:6169:7230::100", "port": 80}]}]
    assert g.bind_sysctls(built, v4) == ["net.ipv4.ip_nonlocal_bind"]
    assert g.bind_sysctls(built, both) == ["net.ipv4.ip_nonlocal_bind", "net.ipv6.ip_nonlocal_bind"]
    assert g.bind_sysctls(built, both, transparent=True) == [] and g.bind_sysctls(built, [{"name": "w", "binds": [{"address": "*", "port": 80}]}]) == []


@pytest.mark.parametrize("typed, given", [
    # As a vars file types them, and as -e name=value gives them: one meaning.
    ({"priority_base": 200, "priority_step": 10}, {"priority_base": "200", "priority_step": "10"}),
    ({"vrrp_version": 2}, {"vrrp_version": "2"}),
])
def test_a_number_given_as_a_string_means_the_number(typed, given):
    one = instance_of(model(LAB, [LAB_VI], **typed), "lab-lb2", "VI_1")
    other = instance_of(model(LAB, [LAB_VI], **given), "lab-lb2", "VI_1")
    for field in ("priority", "version", "advert"):
        assert one[field] == other[field], field


def test_one_string_where_a_list_belongs_is_a_list_of_one():
    built = model(LAB, [{**LAB_VI, "vips": "192.168.213.100/24", "virtual_router_id": "51", "advert_int": "1"}])
    lb1 = instance_of(built, "lab-lb1", "VI_1")
    assert lb1["vip_cidrs"] == ["192.168.213.100/24"] and lb1["virtual_router_id"] == 51
    assert lb1["advert"] == instance_of(model(LAB, [LAB_VI]), "lab-lb1", "VI_1")["advert"]
    # Something that is no list at all is none (validation then says vips is empty), never a crash.
    assert instance_of(model(LAB, [{**LAB_VI, "vips": 5}]), "lab-lb1", "VI_1")["vip_cidrs"] == []
    assert model(LAB, "not a list")["nodes"]["lab-lb1"]["instances"] == []


def test_a_port_that_is_no_number_is_left_to_the_haproxy_checks():
    rules = g.firewall_rules(model(LAB, [LAB_VI])["nodes"]["lab-lb1"], "C", frontend_ports=["http", "443", 80])
    assert [r["destination_ports"] for r in rules if "destination_ports" in r] == [["80", "443"]]


def test_a_setting_of_one_host_alone_is_never_lent_to_another():
    recorded = facts(*LAB)
    hostvars = FakeHostvars({
        # lab-lb1 sets these in its own host variables; lab-lb2 sets neither.
        "lab-lb1": {"ansible_facts": recorded["lab-lb1"], "keepalived_priority_base": 200, "keepalived_interface": "eth0"},
        "lab-lb2": {"ansible_facts": recorded["lab-lb2"]},
    })
    here = {**SETTINGS, "instances": [LAB_VI], "priority_base": 200, "interface": "eth0"}
    built = filters.group_model(LAB, hostvars, here, "lab-lb1")
    assert built["unknown"] == [{"member": "lab-lb2", "variable": "keepalived_priority_base", "from": "lab-lb1"}]
    # The interface's own default (empty: the member's default route) is known, and used.
    assert instance_of(built, "lab-lb2", "VI_1")["interface"] == "eth0"
    assert filters.group_model(LAB, FakeHostvars({m: {"ansible_facts": f} for m, f in recorded.items()}),
                               here, "lab-lb1")["unknown"] == []


def test_a_password_change_for_some_members_only_is_found_and_never_shown():
    import base64

    from ansible_collections.hapair.loadbalancer.plugins.module_utils.keepalived_state import config_passwords

    conf = (FIXTURES / "keepalived-lb2.conf").read_text()
    assert config_passwords(conf) == {"VI_1": "lab-vrrp"}
    slurped = [{"__keepalived_member": "lab-lb1", "ansible_loop_var": "__keepalived_member",
                "content": base64.b64encode(conf.encode()).decode()}]
    same = model(LAB, [LAB_VI], auth_pass="lab-vrrp")
    assert filters.group_password_changes(same, slurped, [LAB_VI], "lab-vrrp") == []
    changed = filters.group_password_changes(model(LAB, [LAB_VI], auth_pass="n3w"), slurped, [LAB_VI], "n3w")
    assert changed == [{"instance": "VI_1", "member": "lab-lb1"}] and "lab-vrrp" not in repr(changed)
    # An instance's own password is the one it writes; an instance without PASS has none to compare.
    own = [{**LAB_VI, "auth_pass": "lab-vrrp"}]
    assert filters.group_password_changes(model(LAB, own, auth_pass="n3w"), slurped, own, "n3w") == []
    none = [{**LAB_VI, "auth_type": "none"}]
    assert filters.group_password_changes(model(LAB, none), slurped, none, "") == []
    # A member whose file could not be read (none of ours yet) is no conflict.
    assert filters.group_password_changes(changed and model(LAB, [LAB_VI]), [{"failed": True}], [LAB_VI], "x") == []


def test_missing_rules_become_one_restore_transaction_per_family():
    built = model(DS, [V4, V6])
    rules = g.firewall_rules(built["nodes"]["ds-lb1"], "HAPAIR-VRRP", frontend_ports=[443, 80])
    ipv4, ipv6 = g.restore_input(rules)
    assert (ipv4["family"], ipv4["command"], ipv6["command"]) == ("ipv4", "iptables-restore", "ip6tables-restore")
    lines = ipv4["input"].splitlines()
    # The chain is declared (it is missing), then every rule in firewall_rules' order, in one COMMIT.
    assert lines[0] == "*filter" and lines[1] == ":HAPAIR-VRRP - [0:0]" and lines[-1] == "COMMIT"
    assert len(lines) == 2 + len([r for r in rules if r["ip_version"] == "ipv4" and "jump" in r]) + 1
    assert lines[-2] == ('-I INPUT -p tcp -m multiport --dports 80,443 -m comment '
                         '--comment "hapair.loadbalancer: HAProxy frontends tcp/80,443" -j ACCEPT')
    assert '-A HAPAIR-VRRP -p vrrp -m comment --comment "hapair.loadbalancer: VRRP from outside the group" -j DROP' in lines
    assert all(" -s " in line for line in lines if line.startswith("-I HAPAIR-VRRP "))
    assert "ff02::12" in ipv6["input"] and "224.0.0.18" not in ipv6["input"]


def test_a_chain_that_exists_is_not_declared_again():
    # iptables-restore --noflush empties a chain it declares: only a missing chain is declared.
    rules = g.firewall_rules(model(LAB, [LAB_VI], unicast=True)["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80])
    (only,) = g.restore_input(g.missing_rules(rules, {"ipv4": LIVE}))
    assert only["input"] == ('*filter\n-I HAPAIR-VRRP -s 192.168.213.12 -p vrrp -m comment '
                             '--comment "hapair.loadbalancer: VRRP from 192.168.213.12" -j ACCEPT\nCOMMIT\n')
    assert g.restore_input([]) == []


@pytest.mark.parametrize("name, problem", [
    ("HAPAIR-VRRP", None), ("vrrp_in.2", None), ("a" * 28, None),
    ("a" * 29, "no iptables chain name"), ("", "no iptables chain name"), ("my chain", "no iptables chain name"),
    ("-j", "no iptables chain name"), ('x"y', "no iptables chain name"), ("INPUT", "built-in"), ("drop", "built-in"),
])
def test_the_vrrp_chain_name_must_be_one_of_our_own(name, problem):
    found = g.chain_problem(name)
    assert (found is None) if problem is None else (problem in found), found


def _report(held, state, vips=("192.168.213.100",), agree=True):
    return {"holds": list(vips) if held else [],
            "vips": [{"address": v, "instance": "VI_1", "held": held, "state": state, "base_priority": 250,
                      "effective_priority": 250, "agree": agree} for v in vips]}


def test_holders_are_the_members_whose_reports_list_the_vip():
    reports = {"lab-lb1": [_report(True, "MASTER")], "lab-lb2": [_report(False, "BACKUP"), _report(True, "MASTER")]}
    # Any of a member's reads counts (verify.yml reads twice: backup VIPs, then master VIPs).
    assert g.holders("192.168.213.100", reports) == ["lab-lb1", "lab-lb2"]
    assert g.holders("192.168.213.101", reports) == []
    assert g.holders("192.168.213.100", {"lab-lb1": [None], "lab-lb2": [{"msg": "unreachable"}]}) == []


def test_the_status_table_has_a_row_per_vip_of_the_model_and_says_nobody():
    built = model(LAB, [LAB_VI, {"name": "VI_2", "virtual_router_id": 52, "vips": ["192.168.213.101/24"]}])
    reports = {"lab-lb1": [_report(True, "MASTER")],
               "lab-lb2": [{"failed": True, "msg": "keepalived.conf is unreadable here"}]}
    lines = g.status_lines(built, reports, LAB)
    assert lines[0].split() == ["VIP", "INSTANCE", "HOLDER", "lab-lb1", "lab-lb2"]
    first, second = lines[1].split(), lines[2].split()
    assert first[:6] == ["192.168.213.100", "VI_1", "lab-lb1", "MASTER", "250/250", "holds"]
    assert " ".join(first[6:]) == "keepalived.conf is unr"  # an error, cut to the column
    # A VIP of the model that no node reports: a row all the same, held by NOBODY.
    assert second[:3] == ["192.168.213.101", "VI_2", "NOBODY"] and second[3:5] == ["not", "configured"]
    # A VIP a node reports that the model does not have (an old keepalived.conf) gets a row too;
    # a disagreement between kernel and keepalived is a FAULT; a node with no read is unreachable.
    stale = {"lab-lb1": [_report(True, "BACKUP", vips=("192.168.213.100", "192.168.213.99"), agree=False)]}
    lines = g.status_lines(built, stale, LAB)
    assert lines[3].split() == ["192.168.213.99", "VI_1", "lab-lb1", "BACKUP", "250/250", "holds", "FAULT", "unreachable"]


def test_the_status_table_shows_each_nodes_standing_and_haproxy():
    built = model(LAB, [LAB_VI])
    reports = {"lab-lb1": [{**_report(False, "FAULT"), "standing": "maintenance", "haproxy": "up", "keepalived_running": True}],
               "lab-lb2": [{"failed": True, "msg": "boom"}]}
    lines = g.status_lines(built, reports, LAB + ["lab-lb3"])
    # One table, a column per node: the VIP's row, then the nodes' own rows; no server was read.
    assert lines[0].split() == ["VIP", "INSTANCE", "HOLDER", "lab-lb1", "lab-lb2", "lab-lb3"]
    assert [line.split() for line in lines[2:]] == [["standing", "maintenance", "no", "read", "unreachable"],
                                                    ["haproxy", "up", "no", "read", "unreachable"],
                                                    ["keepalived", "running", "no", "read", "unreachable"]]


def test_the_backends_whose_servers_decide_whether_a_node_can_serve():
    backends = [{"name": "web", "servers": [{"name": "a", "address": "192.0.2.21", "port": 80}]},
                {"name": "empty", "servers": []}, {"name": "none"}, "junk"]
    assert g.monitored_backends(backends) == ["web"]
    assert g.monitored_backends(None) == []


def test_a_run_s_changes_to_a_node_s_adverts_are_classified_and_no_password_shows():
    conf = (FIXTURES / "keepalived-lb2.conf").read_text()
    running = model(LAB, [LAB_VI], auth_pass="lab-vrrp")
    recorded = g.adverts(running["nodes"]["lab-lb2"])

    def read(adverts=recorded, text=conf):
        files = {"/etc/keepalived/keepalived.conf": text, "/etc/keepalived/hapair-adverts.json": json.dumps(adverts)}
        return {"state": {"contents": files}}

    def changes(built, instances, auth_pass, state=None):
        return filters.group_advert_changes(built, "lab-lb2", read() if state is None else state,
                                            "/etc/keepalived/keepalived.conf", "/etc/keepalived/hapair-adverts.json",
                                            instances, auth_pass)

    assert changes(running, [LAB_VI], "lab-vrrp") == []
    # A priority or a check is no change to what the adverts carry: it rolls out node by node.
    assert changes(model(LAB, [{**LAB_VI, "priority": 100}], auth_pass="lab-vrrp"), [LAB_VI], "lab-vrrp") == []
    for kind in ({"vips": ["192.168.213.100/24", "192.168.213.101/24"]}, {"virtual_router_id": 52}, {"advert_int": 2},
                 {"unicast": True}):
        vi = {**LAB_VI, **kind}
        assert changes(model(LAB, [vi], auth_pass="lab-vrrp"), [vi], "lab-vrrp") == [
            {"instance": "VI_1", "what": "changes its adverts"}], kind
    new = changes(model(LAB, [LAB_VI], auth_pass="n3w"), [LAB_VI], "n3w")
    assert new == [{"instance": "VI_1", "what": "changes its password"}] and "lab-vrrp" not in repr(new)
    other = {"name": "VI_2", "virtual_router_id": 52, "vips": ["192.168.213.101/24"]}
    assert changes(model(LAB, [LAB_VI, other], auth_pass="lab-vrrp"), [LAB_VI, other], "lab-vrrp") == [
        {"instance": "VI_2", "what": "is new"}]
    assert changes(model(LAB, [], auth_pass="lab-vrrp"), [], "lab-vrrp") == [{"instance": "VI_1", "what": "goes away"}]
    # A node that runs none of ours yet, or without a read, has nothing to compare.
    assert changes(model(LAB, [{**LAB_VI, "virtual_router_id": 52}]), [LAB_VI], "x", read(adverts=None)) == []
    assert changes(model(LAB, [{**LAB_VI, "virtual_router_id": 52}]), [LAB_VI], "x", {}) == []


def test_the_holders_commit_first_and_the_others_one_advert_later():
    from ansible_collections.hapair.loadbalancer.plugins.module_utils.keepalived_state import config_advert_ints

    conf = (FIXTURES / "keepalived-lb2.conf").read_text()
    assert config_advert_ints(conf) == {"VI_1": 1.0}
    built = model(LAB, [{**LAB_VI, "advert_int": 2}])
    # Without a read, the new interval.
    assert g.commit_delay(built, "lab-lb1", ["192.168.213.100"]) == {"delay": 0.0, "late": 1.0}
    assert g.commit_delay(built, "lab-lb2", []) == {"delay": 2.0, "late": 1.0}
    # The interval the node runs now decides: its old instance claims after three of them (1 -> 3:
    # within 1 s, not 3 s; the fast profile's 0.1 s -> 1 s: within 0.1 s). Bounded.
    assert g.commit_delay(model(LAB, [{**LAB_VI, "advert_int": 3}]), "lab-lb2", [], {"VI_1": 1.0}) == {"delay": 1.0, "late": 0.5}
    assert g.commit_delay(model(LAB, [LAB_VI]), "lab-lb2", [], {"VI_1": 0.1, "VI_2": 2.0})["delay"] == 0.1
    assert g.commit_delay(model(LAB, [LAB_VI]), "lab-lb2", [], {"VI_1": 40.0})["delay"] == g.MAX_COMMIT_DELAY
    read = {"state": {"contents": {"/k.conf": conf.replace("advert_int 1", "advert_int 4")}}}
    assert filters.group_commit_delay(model(LAB, [LAB_VI]), "lab-lb2", [], read, "/k.conf") == {"delay": 4.0, "late": 2.0}


def test_a_commit_batch_must_hold_every_member_with_something_staged():
    built = model(LAB, [LAB_VI])
    assert g.commit_batch_missing(built, ["lab-lb1", "lab-lb2"], ["lab-lb1", "lab-lb2"]) == []
    # serial 1: the first batch lacks the other staged member.
    assert g.commit_batch_missing(built, ["lab-lb2"], ["lab-lb1", "lab-lb2"]) == ["lab-lb1"]
    # A member with nothing staged is no reason to refuse; nor is nothing staged at all.
    assert g.commit_batch_missing(built, ["lab-lb2"], ["lab-lb2"]) == []
    assert g.commit_batch_missing(built, ["lab-lb1"], []) == []
    # From the members' keepalived_staged, as set_fact left it (a bool) or as a string; a member
    # the play never reached has none.
    hostvars = {"lab-lb1": {"keepalived_staged": True}, "lab-lb2": {"keepalived_staged": "True"}}
    assert filters.group_commit_batch_missing(built, ["lab-lb1"], hostvars) == ["lab-lb2"]
    assert filters.group_commit_batch_missing(built, ["lab-lb2"], {"lab-lb1": {"keepalived_staged": False}}) == []
    assert filters.group_commit_batch_missing(built, ["lab-lb2"], {"lab-lb1": {}}) == []


GROUPS = {"all": ["lb1", "lb2", "web1"], "ungrouped": [], "lb": ["lb1", "lb2"], "web": ["web1"], "spare": []}


@pytest.mark.parametrize("value, name", [(None, "lb"), ("", "lb"), ("lb", "lb"), ("web", "web"), ("all", "all")])
def test_the_play_runs_on_the_named_group_or_lb(value, name):
    assert g.play_group(value, GROUPS) == (name, None)
    assert filters.group_play_hosts(value, GROUPS) == name


@pytest.mark.parametrize("value", ["lbs", "lb,web", "lb:!lb2", "lb*", "LB", " lb"])
def test_a_name_that_is_no_group_would_match_nothing_and_is_refused(value):
    name, problem = g.play_group(value, GROUPS)
    assert name is None
    assert problem.startswith(f"hapair_lb_group is {value!r}, and the inventory has no such group")
    # The groups the inventory has, without the two every inventory has.
    assert problem.endswith("the inventory's groups: lb, spare, web")


def test_without_the_default_group_the_message_says_none_was_given():
    _unused, problem = g.play_group(None, {"all": ["a"], "ungrouped": ["a"]})
    assert problem.startswith("hapair_lb_group is not given (with -e: a play's hosts cannot see inventory variables), "
                              "so the group is 'lb', and the inventory has no such group")
    assert problem.endswith("the inventory's groups: none")


def test_the_playbooks_default_group_is_the_lb_group_role_s():
    import yaml
    defaults = Path(__file__).resolve().parents[4] / "roles" / "lb_group" / "defaults" / "main.yml"
    assert yaml.safe_load(defaults.read_text())["lb_group_name"] == g.DEFAULT_GROUP


@pytest.mark.parametrize("groups", [{"all": [], "ungrouped": []}, {}, None])
def test_an_inventory_without_hosts_is_let_through_for_ansible_to_warn_of(groups):
    # A syntax check (ansible-playbook --syntax-check, ansible-lint) has no inventory.
    assert g.play_group("lbs", groups) == ("lbs", None)
    assert g.play_group(None, groups) == ("lb", None)


@pytest.mark.parametrize("vips, family", [(["192.0.2.1/24", "fd00::1/64"], 4), (["fd00::1"], 6), (["192.0.2.1 dev eth0"], 4),
                                          (["no"], None), ([], None), ([None], None)])
def test_an_instance_runs_in_the_family_of_its_first_vip(vips, family):
    assert g.vip_family(vips) == family


@pytest.mark.parametrize("value", [["lb"], {"lb": 1}, 5])
def test_a_value_that_is_no_name_is_refused(value):
    assert g.play_group(value, GROUPS)[1] == (f"hapair_lb_group is {value!r}: give the name of one inventory group "
                                              "(a string), for example -e hapair_lb_group=lb")


def test_a_group_without_hosts_is_refused_and_the_filter_raises():
    assert "'spare', a group without hosts" in g.play_group("spare", GROUPS)[1]
    with pytest.raises(Exception, match="hapair_lb_group is 'spare', a group without hosts"):
        filters.group_play_hosts("spare", GROUPS)
