"""Stick tables shared by the group's nodes (module_utils/peers.py), on the group model of
recorded facts (tests/unit/fixtures/facts)."""

from test_group import DS, LAB, LAB_VI, V4, V6, model

from ansible_collections.hapair.loadbalancer.plugins.module_utils import group as g
from ansible_collections.hapair.loadbalancer.plugins.module_utils import peers as p
from ansible_collections.hapair.loadbalancer.plugins.module_utils import validation as v

STICKY = {"name": "tcp_sticky", "stickiness": "source", "servers": [{"name": "a", "address": "192.0.2.21", "port": 80}]}
PLAIN = {"name": "web", "servers": [{"name": "a", "address": "192.0.2.21", "port": 80}]}


def test_the_model_names_each_member_at_the_address_it_sends_vrrp_from():
    assert model(LAB, [LAB_VI])["peers"] == [{"name": "lab-lb1", "address": "192.168.213.11"},
                                             {"name": "lab-lb2", "address": "192.168.213.12"}]
    # Never a VIP, though ds-lb1 holds both.
    assert [x["address"] for x in model(DS, [V4, V6])["peers"]] == ["192.168.230.11", "192.168.230.12", "192.168.230.13"]


def test_a_peers_section_only_while_a_backend_shares_a_table():
    built = model(LAB, [LAB_VI])
    assert p.group_peers(built, [PLAIN]) == [] and p.port([PLAIN], 10000) == 0
    assert p.own_address(built, "lab-lb2", [PLAIN]) is None
    assert p.group_peers(built, [PLAIN, STICKY]) == built["peers"]
    assert p.own_address(built, "lab-lb2", [STICKY]) == "192.168.213.12"
    # The role's port, also typed with -e; the default without the haproxy role in scope.
    assert p.port([STICKY], "10001") == 10001 and p.port([STICKY]) == p.DEFAULT_PORT
    assert not p.sticky({**STICKY, "stickiness": "none"}) and not p.sticky({**STICKY, "stickiness": ""})


def test_the_backend_lines_share_the_table_with_the_peers():
    assert p.backend_lines(PLAIN, "100k", "30m") == []
    # ipv6 keeps IPv4 clients too (a type ip table would keep no IPv6 client); a backend's own
    # size and expiry win.
    assert p.backend_lines(STICKY, "100k", "30m") == ["stick-table type ipv6 size 100k expire 30m peers hapair",
                                                      "stick on src"]
    own = {**STICKY, "stick_table_size": "1m", "stick_table_expire": "2h"}
    assert p.backend_lines(own, "100k", "30m")[0] == "stick-table type ipv6 size 1m expire 2h peers hapair"


def test_bad_stickiness_is_refused_with_the_fix():
    found = p.backend_problems("haproxy_backends[0] (x)", {**STICKY, "stickiness": "cookie", "stick_table_size": "1 m",
                                                           "stick_table_expire": "-5"})
    assert found == [
        "haproxy_backends[0] (x).stickiness is 'cookie': use source (the client's address), or leave it out for none",
        "haproxy_backends[0] (x).stick_table_size is '1 m': use a whole number of entries with an optional k, m or g, "
        "such as 100k",
        "haproxy_backends[0] (x).stick_table_expire is '-5': use a whole number with an optional unit "
        "(us, ms, s, m, h, d), such as 30m"]
    assert p.settings_problems("100k", "30m") == [] and p.settings_problems("3g", "24d") == []
    # What haproxy -c refuses: a size of 2^32 entries or more, a timer past 2^31 - 1 ms.
    assert "at most 4294967295 entries" in p.settings_problems("4g", "30m")[0]
    assert "up to 2147483647 ms" in p.settings_problems("100k", "25d")[0]
    assert "less than a millisecond" in p.settings_problems("100k", "500us")[0]
    assert p.settings_problems("100k\nfoo", "0")[0].startswith("haproxy_stick_table_size is '100k\\nfoo'")


def test_the_peers_port_is_its_own():
    assert p.port_problem(10000, [80, 443], [8404]) is None and p.port_problem("0", [80]) is None
    assert "a port the HAProxy frontends take" in p.port_problem("443", [80, 443])
    assert "another of HAProxy's own listeners" in p.port_problem(8404, [80], [8404, 8405])
    assert p.port_problem(70000) == "is 70000: use a port number from 1 to 65535 (0: none)"
    assert p.port_problem("x") == "is 'x': use a port number from 1 to 65535 (0: none)"


def test_a_member_haproxy_cannot_name_or_reach_is_refused():
    built = model(LAB, [LAB_VI])
    assert p.group_problems(built, [STICKY]) == []
    odd = {**built, "peers": [{"name": "lb 1", "address": "192.0.2.11"}, {"name": "lb2", "address": None}]}
    found = p.group_problems(odd, [STICKY])
    assert "group member 'lb 1' shares the stick tables" in found[0] and "rename the host" in found[0]
    assert "group member lb2 has no address on its VRRP interface" in found[1]
    # Without a shared table, nothing is asked of the members.
    assert p.group_problems(odd, [PLAIN]) == []


def test_the_firewall_opens_the_peers_port_to_the_members_alone():
    built = model(LAB, [LAB_VI])
    addresses = [x["address"] for x in built["peers"]]
    rules = g.firewall_rules(built["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80], haproxy_peers=addresses,
                             haproxy_peers_port=10000, haproxy_peer_address=g.peer_address(built, "lab-lb1"))
    tcp = [r for r in rules if r.get("protocol") == "tcp" and r.get("destination_ports") == ["10000"]]
    own = "192.168.213.11"
    assert [(r["chain"], r["action"], r.get("source"), r.get("destination"), r["jump"]) for r in tcp] == [
        ("HAPAIR-VRRP", "insert", "192.168.213.11", own, "ACCEPT"), ("HAPAIR-VRRP", "insert", "192.168.213.12", own, "ACCEPT"),
        ("HAPAIR-VRRP", "append", None, own, "DROP"), ("INPUT", "insert", None, own, "HAPAIR-VRRP"),
        ("OUTPUT", "insert", None, "192.168.213.11", "REJECT"), ("OUTPUT", "insert", None, "192.168.213.12", "REJECT")]
    assert tcp[2]["comment"] == "hapair.loadbalancer: HAProxy peers tcp/10000 from outside the group"
    # As iptables-restore reads them, and none while the port is 0.
    restore = g.restore_input(rules)[0]["input"]
    assert ('-I HAPAIR-VRRP -s 192.168.213.11 -d 192.168.213.11 -p tcp -m multiport --dports 10000 -m comment --comment '
            '"hapair.loadbalancer: HAProxy peers from 192.168.213.11 tcp/10000" -j ACCEPT') in restore
    assert ('-I INPUT -d 192.168.213.11 -p tcp -m multiport --dports 10000 -m comment --comment '
            '"hapair.loadbalancer: HAProxy peers tcp/10000" -j HAPAIR-VRRP') in restore
    # Only HAProxy's own user connects to a member's peers port from this node.
    assert ('-I OUTPUT -d 192.168.213.12 -p tcp -m multiport --dports 10000 -m owner ! --uid-owner haproxy -m comment '
            '--comment "hapair.loadbalancer: HAProxy peers tcp/10000 to 192.168.213.12 from users but haproxy" -j REJECT') \
        in restore
    assert g.firewall_rules(built["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80], haproxy_peers=addresses,
                            haproxy_peer_address=own) == g.firewall_rules(built["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80])
    # Dropping stickiness leaves the rules stale (the prune removes them).
    live = {"ipv4": [r.split(" ", 1)[0] == "-I" and "-A " + r.split(" ", 1)[1] or r
                     for r in restore.splitlines()], "ipv6": []}
    stale = g.stale_rules(g.firewall_rules(built["nodes"]["lab-lb1"], "HAPAIR-VRRP", [80]), live)
    assert len([s for s in stale if "HAProxy peers" in s[1]]) == 6


def test_the_peers_listener_is_one_of_haproxy_s_own():
    own = v.own_listeners("127.0.0.1", 8404, None, 8405, "192.0.2.11", 10000)
    assert [o["section"] for o in own] == ["stats", "hapair"]
    frontend = {"name": "f", "binds": [{"address": "*", "port": 10000}], "default_backend": "tcp_sticky"}
    found = v.haproxy_problems([frontend], [STICKY], None, [], own)
    assert any("haproxy_peers_port (this node's peers listener): 192.0.2.11:10000 is also where haproxy_frontends[0] (f)"
               in x for x in found), found
    assert any("haproxy_peers_port is 10000, a port the HAProxy frontends take" in x for x in found), found
    # Nor a port of the stats page, on another address.
    found = v.haproxy_problems([], [STICKY], None, [], v.own_listeners("127.0.0.1", 10000, None, 8405, "192.0.2.11", 10000))
    assert any("haproxy_peers_port is 10000, the port of another of HAProxy's own listeners" in x for x in found), found
    # Its section's name is taken, and its port is judged.
    named = {"name": "hapair", "binds": [{"address": "192.0.2.11", "port": 80}], "default_backend": "tcp_sticky"}
    found = v.haproxy_problems([named], [STICKY], None, [], v.own_listeners(None, None, None, None, "192.0.2.11", 0))
    assert any("the frontend name hapair is taken by the peers" in x for x in found), found
    assert any("haproxy_peers_port: port is 0" in x for x in found), found


def test_the_textfile_link_is_made_outside_the_state_directory():
    assert v.textfile_problems("/var/lib/prometheus/node-exporter/h.prom", "/var/lib/hapair-keepalived") == []
    assert v.textfile_problems("", "/var/lib/hapair-keepalived") == []
    assert "inside keepalived_state_dir" in v.textfile_problems("/var/lib/hapair-keepalived/vrrp.prom",
                                                                "/var/lib/hapair-keepalived/")[0]


def test_the_textfile_must_be_a_prom_file_by_an_absolute_path():
    ok = "/var/lib/prometheus/node-exporter/hapair_vrrp.prom"
    assert v.scalar_problems({"keepalived_metrics_textfile": ok}) == []
    assert v.scalar_problems({"keepalived_metrics_textfile": ""}) == []
    for bad in ("hapair.prom", "/var/lib/x/hapair.txt", "/var/lib/x y/h.prom", "/var/lib/x/.prom"):
        found = v.scalar_problems({"keepalived_metrics_textfile": bad})
        assert found and "whose file name ends in .prom" in found[0], (bad, found)
