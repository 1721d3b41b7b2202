"""The preflight rules: each bad input gives a message naming the variable, the value and the fix."""

import re
from pathlib import Path

import pytest
from ansible_collections.hapair.loadbalancer.plugins.module_utils import group as g
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


def resolve(instances, settings, nodes, me, facts=None):
    """One node's instances as the group model resolves them, every node with these settings."""
    key = g.new_key()
    facts = facts or {n: {"interfaces": ["eth0"], "default_ipv4": {"interface": "eth0", "address": f"192.0.2.{11 + i}"}}
                      for i, n in enumerate(nodes)}
    model = g.build(nodes, {n: g.member_inputs(settings, key) for n in nodes}, facts)
    return model["nodes"][me]["instances"]


def instance(**over):
    return {"name": "VI_1", "virtual_router_id": 51, "vips": ["192.0.2.100/24"], **over}


def problems(instances, me="lb1", facts=None, **settings):
    facts = FACTS if facts is None else facts
    resolved = resolve(instances, {**SETTINGS, "instances": instances, **settings}, NODES, me)
    return v.keepalived_problems(resolved, facts, instances)


def test_the_classic_pair_is_fine():
    assert problems([instance()]) == []
    assert problems([instance()], me="lb2") == []


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
    # Not numbers at all, as -e gives them or YAML reads them: named, never a crash.
    ({"advert_int": "nan"}, {}, "advert_int is 'nan': with VRRPv2 use a whole number"),
    ({"advert_int": "NaN"}, {"vrrp_version": 3, "auth_type": "none"}, "advert_int is 'NaN': with VRRPv3"),
    ({"advert_int": float("inf")}, {}, "advert_int is inf"),
    ({"advert_int": "-Infinity"}, {"vrrp_version": 3, "auth_type": "none"}, "advert_int is '-Infinity'"),
    ({"advert_int": True}, {}, "advert_int is True"),
    ({"advert_int": " 1x"}, {}, "advert_int is ' 1x'"),
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


def test_a_checker_quoting_a_secret_never_shows_it():
    """HAProxy's -c quotes the line it cannot parse: the message keeps its words, not the secret."""
    result = {"msg": "failed to validate", "stdout": "",
              "stderr": "[ALERT] parsing [/tmp/x:40]: unmatched quote at position 30:\n"
                        "  http-request deny if { req.hdr(x) -m str \"St4tsS3cret }\n"}
    settings = {"haproxy_stats_password": "St4tsS3cret", "keepalived_auth_pass": "",
                "keepalived_instances": [{"name": "VI_1", "auth_pass": "vrrp-one"}, {"name": "VI_2"}]}
    message = v.checker_refusal(result, "/etc/haproxy/haproxy.cfg", "lb1", settings)
    assert message.startswith("The new /etc/haproxy/haproxy.cfg did not replace the live one on lb1: failed to validate: ")
    assert "unmatched quote" in message and "St4tsS3cret" not in message and v.MASK in message
    assert v.masked("vrrp-one and vrrp-one-two", settings) == f"{v.MASK} and {v.MASK}-two"
    # One secret inside another is masked whole; an empty one masks nothing.
    assert v.masked("abc123", {"haproxy_stats_password": "abc123", "keepalived_auth_pass": "abc"}) == v.MASK
    assert v.masked("left as is", {"haproxy_stats_password": ""}) == "left as is"
    # Overlapping secrets leave no letter of either.
    assert v.masked("x abcde y", {"haproxy_stats_password": "abcd", "keepalived_auth_pass": "bcde"}) == f"x {v.MASK} y"
    # The path and the host are never masked, whatever the secret.
    assert v.checker_refusal({"msg": "a"}, "/etc/haproxy/haproxy.cfg", "lba", {"haproxy_stats_password": "a"}) == \
        f"The new /etc/haproxy/haproxy.cfg did not replace the live one on lba: {v.MASK}"
    assert v.checker_refusal({"msg": "failed to validate"}, "f", "h", {}) == \
        "The new f did not replace the live one on h: failed to validate"


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
        out[node] = (over, settings)
    key = g.new_key()
    inputs = {n: g.member_inputs({**SETTINGS, "instances": [instance(**o)], **st}, key) for n, (o, st) in out.items()}
    facts = {n: {"interfaces": ["eth0"], "default_ipv4": {"interface": "eth0", "address": f"192.0.2.{11 + i}"}}
             for i, n in enumerate(NODES)}
    model = g.build(NODES, inputs, facts)
    return {n: model["nodes"][n]["instances"] for n in NODES}


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
    ({"lb2": ({"name": "VI_2"}, {})}, "keepalived_instances (VI_1) is defined on lb1 but not on lb2"),
])
def test_group_rules(per_node, expected):
    found, _unused = group(views(**per_node))
    assert any(expected in p for p in found), found


def test_the_password_is_compared_by_hash_and_never_shown():
    found, _unused = group(views(lb2=({}, {"auth_pass": "Zq9!pw"})))
    assert found and not any("s3cret" in p or "Zq9!pw" in p for p in found)


def test_a_weight_that_cannot_move_the_vip_is_rejected_or_warned():
    found, warned = group(views(), weight=-10)
    assert any("keepalived_check_weight is -10, but the gap between the two highest priorities is 10" in p for p in found)
    found, warned = group(views(), weight=-10, weak_ok=True)
    assert found == [] and len(warned) == 1


def test_a_positive_weight_that_saturates_would_hand_a_healthy_pair_s_vip_away():
    # 250 + 20 and 240 + 20 are both held at 254: a tie, which the higher address wins.
    found, _unused = group(views(lb1=({"priority": 250}, {}), lb2=({"priority": 240}, {})), weight=20)
    assert any("keepalived_check_weight is 20, and on a healthy group the two highest priorities become the same, "
               "254 (lb1 at 250 + 20 = 270, held at 254, lb2 at 240 + 20 = 260, held at 254)" in p for p in found), found
    # A positive weight that stays below the cap moves the VIP when HAProxy dies: fine.
    assert group(views(lb1=({"priority": 200}, {}), lb2=({"priority": 190}, {})), weight=20) == ([], [])
    # The top node's HAProxy unwatched: the second one's weight lifts it above, and the message says so.
    found, _unused = group(views(lb1=({"priority": 200}, {"track_haproxy": False}), lb2=({"priority": 190}, {})), weight=20)
    assert any("the two highest priorities swap places, lb2 above lb1 (lb1 at 200, lb2 at 190 + 20 = 210): "
               "lb2 then holds the VIP" in p for p in found), found


def test_a_weight_is_judged_by_its_effect_with_the_arithmetic():
    # With a positive weight the dead node keeps its base, the healthy one gains the weight.
    found, _unused = group(views(lb1=({"priority": 200}, {}), lb2=({"priority": 190}, {})), weight=5)
    assert any("a MASTER whose HAProxy dies would keep the VIP (lb1 at 200, lb2 at 190 + 5 = 195)" in p
               for p in found), found
    found, _unused = group(views(), weight=-10)
    assert any("(lb1 at 100 - 10 = 90, lb2 at 90)" in p for p in found), found


def test_a_weight_given_with_e_means_what_the_vars_file_means():
    # -e keepalived_check_weight=-10 -e keepalived_check_weight_warn_only=false: strings.
    assert group(views(), weight="-10", weak_ok="false") == group(views(), weight=-10, weak_ok=False)
    assert group(views(), weight="-10", weak_ok="false")[0]
    assert group(views(), weight="-300")[0] == group(views(), weight=-300)[0] != []


def test_the_weight_is_not_blamed_for_what_no_weight_mends():
    # Equal priorities: only "not distinct". The top node's HAProxy unwatched: no weight acts there.
    found, _unused = group(views(lb2=({"priority": 100}, {})))
    assert not any("keepalived_check_weight" in p for p in found) and found, found
    assert group(views(lb1=({}, {"track_haproxy": False})), weight=-5) == ([], [])


def test_a_number_given_with_a_plus_sign_is_still_a_number():
    assert g.as_number("+5") == 5 and g.as_number(" -7 ") == -7 and g.as_number("--5") == "--5"
    assert group(views(), weight="+300")[0] == group(views(), weight=300)[0] != []


@pytest.mark.parametrize("name, value", [
    ("keepalived_check_address", "127.0.0.1;touch /tmp/x"),
    ("keepalived_check_address", "127.0.0.1/8404 x"),
    ("keepalived_check_port", "8404'"),
    ("keepalived_check_port", 70000),
    ("haproxy_stats_user", "ad:min"),
    ("haproxy_balance", "nonsense"), ("haproxy_balance", "roundrobin\n    server x 1.2.3.4:80"),
    ("haproxy_balance", "hdr(a b)"),
    # The check's path lands in the helper's shell line and HAProxy's monitor-uri.
    ("keepalived_check_uri", "/x' ; touch /tmp/x; '"), ("keepalived_check_uri", "hapair"),
    ("haproxy_monitor_uri", "/a b"), ("haproxy_monitor_uri", '/a"b'),
])
def test_a_setting_that_reaches_a_shell_or_user_password_is_refused(name, value):
    found = v.scalar_problems({name: value})
    assert found and found[0].startswith(f"{name}"), found
    assert f" is {str(value)!r}: use " in found[0], found


def test_a_port_from_haproxy_s_stats_port_says_so():
    # keepalived_check_port defaults to haproxy_stats_port, and keepalived's preflight runs first.
    assert v.scalar_problems({"keepalived_check_port": 99999}) == [
        "keepalived_check_port (by default haproxy_stats_port) is '99999': use a port number from 1 to 65535"]


@pytest.mark.parametrize("name, value", [
    ("keepalived_check_address", "127.0.0.1"), ("keepalived_check_address", "::1"),
    ("keepalived_check_address", "localhost"), ("keepalived_check_port", 8404), ("keepalived_check_port", "65535"),
    ("haproxy_balance", "url_param userid"), ("haproxy_stats_user", "admin"),
    ("haproxy_balance", "hdr(Host)"), ("haproxy_balance", "random(2)"), ("haproxy_balance", "rdp-cookie"),
    ("haproxy_balance", "hash req.cookie(id)"), ("haproxy_balance", "uri len 12 depth 2"),
    ("keepalived_check_uri", "/hapair/serving"), ("keepalived_check_uri", ""), ("haproxy_monitor_uri", "/healthz"),
])
def test_the_usual_settings_pass(name, value):
    assert v.scalar_problems({name: value}) == []


def test_a_weight_of_zero_faults_the_node_and_is_fine():
    assert group(views(), weight=0) == ([], [])


@pytest.mark.parametrize("weight", [-254, 254, 1000])
def test_a_weight_outside_keepalived_s_range_is_refused(weight):
    found, _unused = group(views(), weight=weight)
    assert found == [f"keepalived_check_weight is {weight}: use a whole number from -253 to 253 (keepalived's range; "
                     "negative lowers a node whose HAProxy is down, 0 puts it into FAULT)"]


def test_all_backup_with_nopreempt_is_fine():
    assert group(views(lb1=({"nopreempt": True}, {}), lb2=({"nopreempt": True}, {}))) == ([], [])


def frontend(**over):
    return {"name": "http_in", "binds": [{"address": "192.0.2.100", "port": 80}], "default_backend": "web", **over}


def backend(**over):
    return {"name": "web", "servers": [{"name": "web1", "address": "192.0.2.21", "port": 8080}], **over}


def own(stats="127.0.0.1", stats_port=8404, metrics=None, metrics_port=8405, peer=None, peers_port=10000):
    """HAProxy's own listeners: the stats page on by default."""
    return v.own_listeners(stats, stats_port, metrics, metrics_port, peer, peers_port)


def hp(frontends, backends, vips=("192.0.2.100/24",), local=("192.0.2.11",), stats_port=8404):
    return v.haproxy_problems(frontends, backends, list(vips) if vips is not None else None, list(local),
                              own(stats_port=stats_port))


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


def test_unicast_peers_must_be_members_of_the_group():
    unicast = ({}, {"unicast": True})
    assert group(views(lb1=unicast, lb2=unicast)) == ([], [])
    found, _unused = group(views(lb1=({"unicast_peers": ["203.0.113.9"]}, {"unicast": True}), lb2=unicast))
    assert any("on lb1, unicast_peers has 203.0.113.9, which is no other member's unicast_src_ip (192.0.2.12)" in p
               for p in found), found


def test_unicast_without_addresses_is_caught():
    settings = {**SETTINGS, "unicast": True, "instances": [instance()]}
    found = v.keepalived_problems(resolve([instance()], settings, NODES, "lb1", facts={n: {} for n in NODES}), FACTS)
    assert any("unicast needs this node's address" in p for p in found), found


def test_preempt_delay_makes_every_node_backup_and_is_checked():
    delayed = views(lb1=({"preempt_delay": 5}, {}), lb2=({"preempt_delay": 5}, {}))
    assert all(view[0]["state"] == "BACKUP" for view in delayed.values())
    assert group(delayed) == ([], [])
    assert any("preempt_delay is 5000" in p for p in problems([instance(preempt_delay=5000)]))


def test_notify_commands_merge_the_instance_over_the_defaults():
    assert problems([instance(notify={"master": "/bin/a", "stop": ""})]) == []


def test_vips_of_both_families_in_one_instance_are_refused():
    found = problems([instance(vips=["192.0.2.100/24", "2001:db8::100/64"])])
    assert any("the VIPs mix IPv4 and IPv6" in p for p in found), found


def test_two_spellings_of_one_ipv6_vip_are_one_address():
    frontends = [{"name": "f", "binds": [{"address": "2001:DB8:0:0::100", "port": 80}], "default_backend": "b"}]
    backends = [{"name": "b", "servers": [{"name": "s", "address": "192.0.2.21", "port": 80}]}]
    assert v.haproxy_problems(frontends, backends, vips=["2001:db8::100/64"]) == []


def test_two_spellings_of_one_vip_are_the_same_vips_across_the_group():
    spelled = views(lb1=({"vips": ["2001:DB8::100/64"]}, {"auth_type": "none"}),
                    lb2=({"vips": ["2001:db8:0:0::0100/64"]}, {"auth_type": "none"}))
    assert not any("the VIPs differ" in p for p in group(spelled)[0]), group(spelled)
    apart = views(lb1=({"vips": ["2001:db8::100/64"]}, {"auth_type": "none"}),
                  lb2=({"vips": ["2001:db8::101/64"]}, {"auth_type": "none"}))
    assert any("the VIPs differ between the nodes (lb1: 2001:db8::100/64; lb2: 2001:db8::101/64)" in p for p in group(apart)[0])


def test_every_listener_is_used_once():
    other = {**frontend(), "name": "http_alt"}
    assert hp([frontend(), {**other, "binds": [{"address": "192.0.2.100", "port": 8080}]}], [backend()]) == []
    found = hp([frontend(), other], [backend()])
    assert any("haproxy_frontends[1] (http_alt).binds[0]: 192.0.2.100:80 is also where haproxy_frontends[0] (http_in).binds[0] listens"
               in p for p in found), found
    # A port typed as a string ('-e' JSON, a quoted YAML value) is that port: accepted, and the same listener.
    assert hp([{**frontend(), "binds": [{"address": "192.0.2.100", "port": "80"}]}], [backend()]) == []
    found = hp([frontend(), {**other, "binds": [{"address": "192.0.2.100", "port": "80"}]}], [backend()])
    assert any("192.0.2.100:80 is also where haproxy_frontends[0] (http_in).binds[0] listens" in p for p in found), found
    # A wildcard takes the port on every address; the same address spelt twice is one listener.
    found = hp([frontend(), {**other, "binds": [{"address": "*", "port": 80}]}], [backend()])
    assert any("*:80 is also where haproxy_frontends[0] (http_in)" in p for p in found), found
    found = v.haproxy_problems([frontend(binds=[{"address": "127.0.0.1", "port": 8404}])], [backend()], None, [], own())
    assert any("haproxy_stats_address/haproxy_stats_port: 127.0.0.1:8404 is also where" in p for p in found), found
    # A wildcard takes its own family: 0.0.0.0 leaves IPv6 addresses free, :: (dual-stack) does not.
    v6 = {**other, "binds": [{"address": "2001:db8::100", "port": 80}]}
    assert not [p for p in hp([frontend(binds=[{"address": "0.0.0.0", "port": 80}]), v6], [backend()], vips=None)
                if "listens" in p]
    found = hp([frontend(), {**other, "binds": [{"address": "::", "port": 80}]}], [backend()])
    assert any("[::]:80 is also where haproxy_frontends[0] (http_in)" in p for p in found), found
    # The stats page off: its port is free.
    assert v.haproxy_problems([frontend(binds=[{"address": "127.0.0.1", "port": 8404}])], [backend()], None, [], own(None)) == []


def address_model(*instances, facts=None):
    facts = facts or {n: {"interfaces": ["lo", "eth0"], "default_ipv4": {"interface": "eth0", "address": f"192.0.2.{11 + i}"},
                          "lo": {"ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0"}},
                          "eth0": {"ipv4": {"address": f"192.0.2.{11 + i}", "netmask": "255.255.255.0"}}}
                      for i, n in enumerate(NODES)}
    key = g.new_key()
    settings = {**SETTINGS, "instances": list(instances)}
    return g.build(NODES, {n: g.member_inputs(settings, key) for n in NODES}, facts)


@pytest.mark.parametrize("vips, expected", [
    (["192.0.2.0/24"], "VIP 192.0.2.0/24 is the network address of 192.0.2.0/24"),
    (["192.0.2.255/24"], "VIP 192.0.2.255/24 is the broadcast address of 192.0.2.0/24"),
    (["192.0.2.12/24"], "VIP 192.0.2.12 is lb2's own address on eth0"),
    (["127.0.0.5/8"], "VIP 127.0.0.5/8 is a loopback address"),
    (["224.0.0.18/24"], "is a multicast address"),
    (["2001:db8::/64"], "is the subnet-router anycast address of 2001:db8::/64"),
    (["fe80::100/64"], "is a link-local address"),
])
def test_a_vip_is_a_usable_address_no_host_has(vips, expected):
    found = v.address_problems(address_model(instance(vips=vips)))
    assert any(expected in p for p in found), found


def test_good_vips_and_small_subnets_are_fine():
    assert v.address_problems(address_model(instance(vips=["192.0.2.100/24", "198.51.100.1/31", "198.51.100.9/32"]))) == []
    assert v.address_problems(address_model(instance(vips=["2001:db8::100/64"]))) == []


def test_a_vip_belongs_to_one_instance():
    found = v.address_problems(address_model(instance(), instance(name="VI_2", virtual_router_id=52, vips=["192.0.2.100/24"])))
    assert any("VIP 192.0.2.100 is in the vips of VI_1 and VI_2 on lb1" in p for p in found), found


@pytest.mark.parametrize("name, expected", [
    ("VI 1", "the name 'VI 1' breaks keepalived.conf: use 1 to 64 letters"),
    ("VI_1}\nvrrp_script x {", "breaks keepalived.conf"),
])
def test_an_instance_name_is_one_word(name, expected):
    found = problems([instance(name=name)])
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("password", ["ab cd", "ab#cd", "ab!cd", 'ab"cd', "ab\ncd", "ab{", "ab\\c"])
def test_a_password_that_breaks_keepalived_conf_is_refused_and_not_shown(password):
    found = problems([instance()], auth_pass=password)
    assert any("auth_pass holds a space, a line break or one of" in p for p in found), found
    assert not any(password in p for p in found), found
    assert problems([instance()], auth_pass="s3-cr.t:") == []


def test_haproxy_names_and_fields_are_one_word_and_options_one_line():
    found = hp([frontend(name="http in")], [backend()])
    assert any("the frontend name 'http in' breaks haproxy.cfg" in p for p in found), found
    found = hp([frontend()], [backend(servers=[{"name": "a", "address": "192.0.2.21\n    server evil 6.6.6.6:80", "port": 80}])])
    assert any("servers[0] (a).address is" in p and "use one word" in p for p in found), found
    found = hp([frontend()], [backend(options=["option httpchk", "timeout check 2s\nbackend injected"])])
    assert any("haproxy_backends[0] (web).options[1] is" in p and "one entry is one line" in p for p in found), found
    found = hp([frontend()], [backend(health_check={"path": "/health check"})])
    assert any("health_check.path is '/health check'" in p for p in found), found
    assert hp([frontend()], [backend(options=["option httpchk", "http-request set-header X-A b"])]) == []


def test_settings_that_land_as_one_word():
    found = v.scalar_problems({"haproxy_timeout_client": "30s\n    timeout server 1s", "haproxy_stats_password": "a b",
                               "keepalived_state_dir": "/var/lib/x; rm -rf /", "keepalived_script_user": "Root",
                               "haproxy_timeout_server": "30s", "keepalived_auth_pass": "not judged here", "other": "a b"})
    assert len(found) == 4, found
    assert any(p.startswith("haproxy_timeout_client is '30s\\n") and "use one word" in p for p in found), found
    assert any(p.startswith("haproxy_stats_password is set to a value that breaks the file (not shown)") for p in found), found
    assert not any("a b" in p for p in found), found
    assert any(p.startswith("keepalived_state_dir is") and "an absolute path" in p for p in found), found
    assert any(p.startswith("keepalived_script_user is 'Root'") for p in found), found
    assert v.scalar_problems({"haproxy_maxconn": 4096, "haproxy_stats_enabled": True}) == []


@pytest.mark.parametrize("vip", ["192.0.2.255/32", "192.0.2.0/32"])
def test_a_vip_typed_narrower_than_its_subnet_is_judged_in_the_subnet(vip):
    found = problems([instance(vips=[vip])])
    assert any(f"VIP {vip} is the" in p and "address of 192.0.2.0/24, the subnet of eth0" in p for p in found), found
    assert problems([instance(vips=["192.0.2.100/32"])]) == []


@pytest.mark.parametrize("value", ["lb!1", "lb#1", "lb 1", "l\u00e9b"])
def test_a_keepalived_word_follows_the_password_s_rule(value):
    found = v.scalar_problems({"keepalived_router_id": value})
    assert found and "one word of printable ASCII" in found[0], found
    assert g.pass_is_one_word(value) is False


def test_a_misspelt_variable_is_named_with_the_closest_known_one():
    known = ["keepalived_instances", "keepalived_auth_pass", "keepalived_check_weight"]
    assert v.unknown_variables(["keepalived_instance", "keepalived_auth_pass"], known, "keepalived") == [
        "keepalived_instance is set, but the keepalived role has no such variable, so it is ignored: "
        "did you mean keepalived_instances?"]
    assert v.unknown_variables(["keepalived_zzz"], known, "keepalived") == [
        "keepalived_zzz is set, but the keepalived role has no such variable, so it is ignored: "
        "see ansible-doc -t role hapair.loadbalancer.keepalived"]


def test_a_misspelt_playbook_variable_is_named_too():
    assert v.unknown_variables(["hapair_rollout_bach", "hapair_lb_group"], v.PLAYBOOK_VARIABLES, "hapair") == [
        "hapair_rollout_bach is set, but no playbook of the collection has such a variable, so it is ignored: "
        "did you mean hapair_rollout_batch?"]
    assert v.unknown_variables(["hapair_rollout_timeout"], v.PLAYBOOK_VARIABLES, "hapair") == [
        "hapair_rollout_timeout is set, but it is no longer used, so it is ignored: set haproxy_listen_timeout "
        "(HAProxy's wait after each change)"]
    # Every hapair_ variable the playbooks read is known, and no other.
    root = Path(v.__file__).resolve().parents[2]
    read = set()
    for path in (root / "playbooks").glob("*.yml"):
        read |= set(re.findall(r"\bhapair_[a-z_]+", path.read_text()))
    assert read == set(v.PLAYBOOK_VARIABLES), read


def test_every_entry_point_s_options_are_known():
    specs = {"argument_specs": {"main": {"options": {"a_x": {}, "a_y": {}}}, "configure": {"options": {"a_z": {}}}}}
    assert v.spec_options(specs) == ["a_x", "a_y", "a_z"]


def test_the_metrics_listener_is_a_listener_and_its_name_is_taken():
    metrics = own(metrics="127.0.0.1")
    on_metrics = [frontend(binds=[{"address": "127.0.0.1", "port": 8405}])]
    found = v.haproxy_problems(on_metrics, [backend()], None, [], metrics)
    assert any("haproxy_metrics_address/haproxy_metrics_port: 127.0.0.1:8405 is also where" in p for p in found), found
    # The stats page and the metrics listener on one port.
    found = v.haproxy_problems([frontend()], [backend()], None, [], own(metrics="*", metrics_port=8404))
    assert any("haproxy_metrics_address/haproxy_metrics_port: *:8404 is also where haproxy_stats_address" in p
               for p in found), found
    assert any("haproxy_metrics_port: port is 0" in p
               for p in v.haproxy_problems([frontend()], [backend()], None, [], own(None, metrics="127.0.0.1", metrics_port=0))), "port 0"
    # haproxy.cfg's own sections keep their names while their listener is on.
    for name in ("stats", "metrics"):
        found = v.haproxy_problems([frontend(name=name)], [backend(name=name)], None, [], metrics)
        assert any(f"haproxy_frontends[0]: the frontend name {name} is taken by" in p for p in found), found
        # `listen stats` takes both kinds of name; `frontend metrics` leaves a backend its name.
        assert any(f"haproxy_backends[0]: the backend name {name} is taken by" in p for p in found) == (name == "stats")
    assert not [p for p in v.haproxy_problems([frontend(name="metrics")], [backend()], None, [], own())
                if "taken by" in p]
