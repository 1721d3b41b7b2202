"""The preflight rules: each bad input gives a message naming the variable, the value and the fix."""

import pytest
from ansible_collections.hapair.loadbalancer.plugins.module_utils import validation as v

NODES = ["lb1", "lb2"]
SETTINGS = {
    "interface": "eth0", "vrrp_version": 2, "advert_int": 1, "auth_type": "PASS", "auth_pass": "s3cret",
    "priority_base": 100, "priority_step": 10, "track_haproxy": True,
}
# Network facts as Ansible gathers them for a node on 192.0.2.0/24.
FACTS = {
    "interfaces": ["lo", "eth0"],
    "eth0": {"ipv4": {"address": "192.0.2.11", "netmask": "255.255.255.0"},
             "ipv6": [{"address": "fe80::1", "prefix": "64"}, {"address": "2001:db8::11", "prefix": "64"}]},
}


def instance(**over):
    return {"name": "VI_1", "virtual_router_id": 51, "vips": ["192.0.2.100/24"], **over}


def problems(instances, me="lb1", facts=FACTS, **settings):
    resolved = v.resolve_instances(instances, {**SETTINGS, **settings}, NODES, me)
    return v.keepalived_problems(resolved, facts, instances)


def test_the_classic_pair_is_fine():
    assert problems([instance()]) == []
    assert problems([instance()], me="lb2") == []


def test_resolution_follows_the_group_order_and_holds_no_secret():
    (lb1,) = v.resolve_instances([instance()], SETTINGS, NODES, "lb1")
    (lb2,) = v.resolve_instances([instance()], SETTINGS, NODES, "lb2")
    assert (lb1["state"], lb1["priority"], lb2["state"], lb2["priority"]) == ("MASTER", 100, "BACKUP", 90)
    assert "s3cret" not in repr(lb1) and lb1["auth_pass_length"] == 6
    (mirrored,) = v.resolve_instances([instance(master="lb2")], SETTINGS, NODES, "lb1")
    assert mirrored["state"] == "BACKUP" and mirrored["priority"] == 90
    (nopreempt,) = v.resolve_instances([instance(nopreempt=True)], SETTINGS, NODES, "lb1")
    assert nopreempt["state"] == "BACKUP" and nopreempt["priority"] == 100


@pytest.mark.parametrize("over, settings, expected", [
    ({"virtual_router_id": 0}, {}, "virtual_router_id is 0: use a whole number from 1 to 255"),
    ({"virtual_router_id": 256}, {}, "virtual_router_id is 256"),
    ({"virtual_router_id": "51a"}, {}, "virtual_router_id is '51a'"),
    ({"priority": 255}, {}, "this node's priority is 255: it must be from 1 to 254"),
    ({"priority": 0}, {}, "this node's priority is 0"),
    ({"advert_int": 0.5}, {}, "advert_int is 0.5: with VRRPv2 use a whole number of seconds"),
    ({"advert_int": 0.005}, {"vrrp_version": 3, "auth_type": "none"}, "advert_int is 0.005: with VRRPv3 use 0.01 to 40.95"),
    ({"advert_int": 41}, {"vrrp_version": 3, "auth_type": "none"}, "advert_int is 41"),
    ({"advert_int": 0.015}, {"vrrp_version": 3, "auth_type": "none"}, "in steps of 0.01"),
    ({"vips": ["192.0.2.100"]}, {}, "VIP '192.0.2.100' has no prefix length"),
    ({"vips": ["192.0.2.300/24"]}, {}, "VIP '192.0.2.300/24' is not a valid address/prefix"),
    ({"vips": ["198.51.100.10/24"]}, {}, "VIP 198.51.100.10/24 is not inside the subnet of eth0 (192.0.2.0/24)"),
    ({"vips": []}, {}, "vips is empty"),
    ({"interface": "eth9"}, {}, "interface eth9 does not exist on this host (it has eth0, lo)"),
    ({}, {"auth_pass": "much-too-long"}, "auth_pass has 13 characters: use 1 to 8"),
    ({}, {"auth_pass": ""}, "auth_pass has 0 characters"),
    ({}, {"vrrp_version": 3}, "PASS authentication with VRRPv3: keepalived ignores it there"),
    ({"vips": ["2001:db8::100/64"]}, {}, "PASS authentication with IPv6 VIPs: keepalived ignores it there (IPv6 runs VRRPv3"),
    ({}, {"auth_type": "AH"}, "keepalived_auth_type is 'AH': use PASS or none"),
    ({"notify": {"master": "page-oncall"}}, {}, "notify master is 'page-oncall': give an absolute path"),
    ({}, {"notify": {"fault": '/bin/logger "lb fault"'}}, "without double quotes or line breaks (keepalived_notify.fault"),
    ({"notify": {"up": "/bin/true"}}, {}, "notify has the key 'up': use master, backup, fault, stop"),
])
def test_one_node_rules(over, settings, expected):
    found = problems([instance(**over)], **settings)
    assert any(expected in p for p in found), found


def test_a_computed_priority_below_one_is_caught_on_the_node_that_gets_it():
    found = problems([instance()], me="lb2", priority_base=5, priority_step=10)
    assert any("this node's priority is -5" in p and "keepalived_priority_step" in p for p in found), found


def test_secrets_never_reach_a_message():
    found = problems([instance()], auth_pass="much-too-long")
    assert found and not any("much-too-long" in p for p in found)


def test_two_instances_with_one_vrid_on_an_interface():
    found = problems([instance(), instance(name="VI_2", vips=["192.0.2.101/24"])])
    assert any("virtual_router_id 51 on eth0 is also used by keepalived_instances[0] (VI_1)" in p for p in found)


def test_duplicate_instance_names():
    found = problems([instance(), instance(virtual_router_id=52, vips=["192.0.2.101/24"])])
    assert any("the name VI_1 is used twice" in p for p in found)


def test_an_ipv6_vip_inside_the_interface_subnet_is_fine():
    assert problems([instance(vips=["2001:db8::100/64"])], auth_type="none") == []


def group(views_by_node, weight=-20, weak_ok=False):
    return v.group_problems(views_by_node, weight, weak_ok)


def views(**per_node):
    """Resolved views of lb1 and lb2, each with its own instance overrides and settings."""
    out = {}
    for node in NODES:
        over, settings = per_node.get(node, ({}, {}))
        out[node] = v.resolve_instances([instance(**over)], {**SETTINGS, **settings}, NODES, node)
    return out


def test_a_consistent_group_is_fine():
    assert group(views()) == ([], [])


@pytest.mark.parametrize("per_node, expected", [
    ({"lb2": ({"virtual_router_id": 52}, {})}, "virtual_router_id differs between the nodes (lb1: 51, lb2: 52)"),
    ({"lb2": ({}, {"auth_pass": "other"})}, "auth_pass differs between the nodes"),
    ({"lb2": ({"vips": ["192.0.2.101/24"]}, {})}, "the VIPs differ between the nodes"),
    ({"lb2": ({"advert_int": 2}, {})}, "advert_int differs between the nodes"),
    ({"lb2": ({}, {"vrrp_version": 3})}, "keepalived_vrrp_version differs between the nodes"),
    ({"lb2": ({"priority": 100}, {})}, "priorities are not distinct (lb1: 100, lb2: 100)"),
    ({"lb2": ({"master": "lb2"}, {})}, "MASTER on lb1, lb2: exactly one node must be MASTER"),
    ({"lb2": ({"name": "VI_2"}, {})}, "instance VI_1 is defined on lb1 but not on lb2"),
])
def test_group_rules(per_node, expected):
    found, _ = group(views(**per_node))
    assert any(expected in p for p in found), found


def test_the_password_is_compared_by_hash_and_never_shown():
    found, _ = group(views(lb2=({}, {"auth_pass": "Zq9!pw"})))
    assert found and not any("s3cret" in p or "Zq9!pw" in p for p in found)


def test_a_weight_that_cannot_move_the_vip_is_rejected_or_warned():
    found, warned = group(views(), weight=-10)
    assert any("keepalived_check_weight is -10, but the gap between the two highest priorities is 10" in p for p in found)
    found, warned = group(views(), weight=-10, weak_ok=True)
    assert found == [] and len(warned) == 1


def test_all_backup_with_nopreempt_is_fine():
    assert group(views(lb1=({"nopreempt": True}, {}), lb2=({"nopreempt": True}, {}))) == ([], [])


def frontend(**over):
    return {"name": "http_in", "binds": [{"address": "192.0.2.100", "port": 80}], "default_backend": "web", **over}


def backend(**over):
    return {"name": "web", "servers": [{"name": "web1", "address": "192.0.2.21", "port": 8080}], **over}


def hp(frontends, backends, vips=("192.0.2.100/24",), local=("192.0.2.11",), stats_port=8404):
    return v.haproxy_problems(frontends, backends, list(vips) if vips is not None else None, list(local), stats_port)


def test_good_haproxy_input_is_fine():
    assert hp([frontend()], [backend()]) == []
    assert hp([frontend(binds=[{"address": "*", "port": 80}])], [backend()]) == []
    assert hp([frontend(binds=[{"address": "10.9.9.9", "port": 80}])], [backend()], vips=None) == []


@pytest.mark.parametrize("frontends, backends, expected", [
    ([frontend(binds=[{"address": "192.0.2.200", "port": 80}])], [backend()],
     "address 192.0.2.200 is no VIP of any keepalived instance (192.0.2.100)"),
    ([frontend()], [backend(servers=[])], "servers is empty: a backend without servers answers every request with 503"),
    ([frontend(), frontend()], [backend()], "the frontend name http_in is used twice"),
    ([frontend()], [backend(), backend()], "the backend name web is used twice"),
    ([frontend()], [backend(servers=[{"name": "a", "address": "x", "port": 1}, {"name": "a", "address": "y", "port": 2}])],
     "the server name a is used twice in backend web"),
    ([frontend(binds=[{"address": "192.0.2.100", "port": 0}])], [backend()], "port is 0: use a whole number from 1 to 65535"),
    ([frontend(binds=[{"address": "192.0.2.100", "port": 70000}])], [backend()], "port is 70000"),
    ([frontend()], [backend(servers=[{"name": "a", "address": "x", "port": 65536}])], "(a): port is 65536"),
    ([frontend(default_backend="api")], [backend()], "default_backend is api, but haproxy_backends defines only web"),
    ([frontend(binds=[])], [backend()], "binds is empty"),
])
def test_haproxy_rules(frontends, backends, expected):
    found = hp(frontends, backends)
    assert any(expected in p for p in found), found


def test_stats_port_range():
    assert any("haproxy_stats_port: port is 99999" in p for p in hp([frontend()], [backend()], stats_port=99999))


ADDRESSES = {"lb1": "192.0.2.11", "lb2": "192.0.2.12"}


def test_unicast_resolves_source_and_peers_from_the_group():
    (lb1,) = v.resolve_instances([instance()], {**SETTINGS, "unicast": True, "addresses": ADDRESSES}, NODES, "lb1")
    assert lb1["unicast_src_ip"] == "192.0.2.11" and lb1["unicast_peers"] == ["192.0.2.12"]
    (own,) = v.resolve_instances([instance(unicast_src_ip="192.0.2.99", unicast_peers=["192.0.2.98"])],
                                 {**SETTINGS, "unicast": True, "addresses": ADDRESSES}, NODES, "lb1")
    assert own["unicast_src_ip"] == "192.0.2.99" and own["unicast_peers"] == ["192.0.2.98"]


def test_unicast_peers_must_be_members_of_the_group():
    settings = {**SETTINGS, "unicast": True, "addresses": ADDRESSES}
    views = {n: v.resolve_instances([instance()], settings, NODES, n) for n in NODES}
    assert v.group_problems(views, -20) == ([], [])
    views["lb1"] = v.resolve_instances([instance(unicast_peers=["203.0.113.9"])], settings, NODES, "lb1")
    found, _ = v.group_problems(views, -20)
    assert any("on lb1, unicast_peers has 203.0.113.9, which is no other member's unicast_src_ip (192.0.2.12)" in p
               for p in found), found


def test_unicast_without_addresses_is_caught():
    found = v.keepalived_problems(
        v.resolve_instances([instance()], {**SETTINGS, "unicast": True, "addresses": {}}, NODES, "lb1"), FACTS)
    assert any("unicast needs this node's address" in p for p in found), found


def test_preempt_delay_makes_every_node_backup_and_is_checked():
    views = {n: v.resolve_instances([instance(preempt_delay=5)], SETTINGS, NODES, n) for n in NODES}
    assert all(view[0]["state"] == "BACKUP" for view in views.values())
    assert v.group_problems(views, -20) == ([], [])
    assert any("preempt_delay is 5000" in p for p in problems([instance(preempt_delay=5000)]))


def test_notify_commands_merge_the_instance_over_the_defaults():
    (lb1,) = v.resolve_instances([instance(notify={"master": "/bin/a", "stop": ""})],
                                 {**SETTINGS, "notify": {"master": "/bin/b", "stop": "/bin/c", "fault": "/bin/d"}}, NODES, "lb1")
    assert lb1["notify"] == {"master": "/bin/a", "stop": "", "fault": "/bin/d"}
    assert problems([instance(notify={"master": "/bin/a", "stop": ""})]) == []


def test_an_ipv6_instance_runs_vrrpv3_and_takes_ipv6_unicast_addresses():
    settings = {**SETTINGS, "unicast": True, "addresses": ADDRESSES,
                "addresses6": {"lb1": "2001:db8::11", "lb2": "2001:db8::12"}}
    four, six = v.resolve_instances(
        [instance(), instance(name="VI_6", virtual_router_id=61, vips=["2001:db8::100/64"], auth_type="none")],
        settings, NODES, "lb1")
    assert (four["version"], four["auth_type"], four["unicast_peers"]) == (2, "PASS", ["192.0.2.12"])
    assert (six["version"], six["auth_type"]) == (3, "none")
    assert (six["unicast_src_ip"], six["unicast_peers"]) == ("2001:db8::11", ["2001:db8::12"])
    # Dual stack on one pair: PASS for IPv4, none for IPv6, both valid.
    assert v.keepalived_problems([four, six], FACTS) == []


def test_vips_of_both_families_in_one_instance_are_refused():
    found = problems([instance(vips=["192.0.2.100/24", "2001:db8::100/64"])])
    assert any("the VIPs mix IPv4 and IPv6" in p for p in found), found


def test_two_spellings_of_one_ipv6_vip_are_one_address():
    frontends = [{"name": "f", "binds": [{"address": "2001:DB8:0:0::100", "port": 80}], "default_backend": "b"}]
    backends = [{"name": "b", "servers": [{"name": "s", "address": "192.0.2.21", "port": 80}]}]
    assert v.haproxy_problems(frontends, backends, vips=["2001:db8::100/64"]) == []


def test_a_nodes_own_ipv6_address_is_never_a_vip_it_holds():
    # As Ansible gathers it on a MASTER: the kernel's source address choice is the VIP.
    facts = {
        "default_ipv6": {"interface": "eth0", "address": "2001:db8::100"},
        "eth0": {"ipv6": [{"address": "2001:db8::100", "prefix": "64", "scope": "global"},
                          {"address": "2001:db8::11", "prefix": "64", "scope": "global"},
                          {"address": "fe80::1", "prefix": "64", "scope": "link"}]},
    }
    assert v.own_ipv6_address(facts, ["2001:DB8::100/64"]) == "2001:db8::11"
    assert v.own_ipv6_address(facts) == "2001:db8::100"
    assert v.own_ipv6_address({"eth0": facts["eth0"]}) == ""
