"""Putting a node back as the read found it: which files, rules, chains and services."""

from ansible_collections.hapair.loadbalancer.plugins.module_utils import restore as r

BEFORE = [
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":FORWARD ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    '-A INPUT -p tcp -m multiport --dports 22 -m comment --comment "ssh, not ours" -j ACCEPT',
    "COMMIT",
]
# After a first deployment's Prepare play: the chain, its rules, the jumps, and a rule of
# someone else's added meanwhile.
AFTER = BEFORE[:4] + [
    ":HAPAIR-VRRP - [0:0]",
    '-A INPUT -p tcp -m multiport --dports 80 -m comment --comment "hapair.loadbalancer: HAProxy frontends tcp/80" -j ACCEPT',
    '-A INPUT -p vrrp -m comment --comment "hapair.loadbalancer: VRRP" -j HAPAIR-VRRP',
    BEFORE[4],
    '-A INPUT -p tcp -m comment --comment "fail2ban" -j ACCEPT',
    '-A HAPAIR-VRRP -s 192.0.2.12/32 -p vrrp -m comment --comment "hapair.loadbalancer: VRRP from 192.0.2.12" -j ACCEPT',
    '-A HAPAIR-VRRP -p vrrp -m comment --comment "hapair.loadbalancer: VRRP from outside the group" -j DROP',
    "COMMIT",
]


def test_the_rules_this_run_added_go_then_the_chain_and_nothing_else():
    commands = r.rule_deletions("ipv4", BEFORE, AFTER)
    assert len(commands) == 5
    assert all(c[:4] == ["iptables", "-t", "filter", "-D"] for c in commands[:4])
    assert commands[0] == ["iptables", "-t", "filter", "-D", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", "80",
                           "-m", "comment", "--comment", "hapair.loadbalancer: HAProxy frontends tcp/80", "-j", "ACCEPT"]
    assert commands[-1] == ["iptables", "-t", "filter", "-X", "HAPAIR-VRRP"]
    assert not any("fail2ban" in c or "ssh, not ours" in c for c in commands)
    assert r.rule_deletions("ipv6", AFTER, AFTER) == []
    # No table at all before (iptables came with the run): the run's rules and chain go, no
    # built-in chain.
    assert r.rule_deletions("ipv6", [], AFTER) == [["ip6tables"] + c[1:] for c in commands]


def test_a_chain_someone_else_uses_stays():
    theirs = AFTER[:-1] + ['-A INPUT -s 198.51.100.1/32 -m comment --comment "theirs" -j HAPAIR-VRRP', "COMMIT"]
    commands = r.rule_deletions("ipv4", BEFORE, theirs)
    assert ["iptables", "-t", "filter", "-X", "HAPAIR-VRRP"] not in commands and len(commands) == 4


def test_a_file_differs_by_text_mode_owner_or_being_there():
    was = {"exists": True, "mode": "0640", "owner": "root", "group": "haproxy", "content": "old\n"}
    same = {"exists": True, "mode": "0640", "owner": "root", "group": "haproxy"}
    assert not r.file_differs(was, same, "old\n")
    assert r.file_differs(was, same, "new\n")
    assert r.file_differs(was, {**same, "mode": "0644"}, "old\n")
    assert r.file_differs(was, {"exists": False}, None)
    assert r.file_differs({"exists": False}, same, "new\n")
    assert not r.file_differs({"exists": False}, {"exists": False}, None)


def test_services_go_back_to_how_they_ran():
    before = {"haproxy": {"active": True, "enabled": True}, "keepalived": {"active": False, "enabled": False},
              "other": {"active": True, "enabled": True}}
    now = {"haproxy": {"active": True, "enabled": True}, "keepalived": {"active": True, "enabled": True},
           "other": {"active": False, "enabled": True}}
    assert r.service_actions(before, now, {"haproxy", "keepalived"}) == {
        "haproxy": ["reload"], "keepalived": ["stop", "disable"], "other": ["start"]}
    assert r.service_actions(before, before, set()) == {}
    # A service the read did not see (no state) is left alone.
    assert r.service_actions({"haproxy": {}}, now, {"haproxy"}) == {}


def test_the_summary_names_what_was_put_back_and_never_a_content():
    results = [
        {"__lb_group_node": "lb1", "ansible_loop_var": "__lb_group_node", "changed": True,
         "restored": {"files": ["/etc/haproxy/haproxy.cfg"], "rules": [["iptables"], ["iptables"]], "sysctl": [],
                      "services": {"haproxy": ["reload"]}}},
        {"__lb_group_node": "lb2", "ansible_loop_var": "__lb_group_node", "changed": False,
         "restored": {"files": [], "rules": [], "sysctl": [], "services": {}}},
        {"__lb_group_node": "lb3", "ansible_loop_var": "__lb_group_node", "unreachable": True, "msg": "ssh: timeout"},
    ]
    assert r.report(results) == {"complete": False, "lines": [
        "lb1: restored /etc/haproxy/haproxy.cfg; removed 2 firewall rule(s) this run added; reload haproxy",
        "lb2: nothing had changed",
        "lb3: the rollback could not reach it (ssh: timeout): check it by hand",
    ]}
    assert r.report(results[:2])["complete"]
    # A node of the play that the read did not see is left as it is, and said so.
    assert r.report(results[:2], ["lb4", "lb5"]) == {"complete": False, "lines": r.report(results[:2])["lines"] + [
        "lb4, lb5: not read before the run, left as they are"]}
    left = [{"__lb_group_node": "lb1", "ansible_loop_var": "__lb_group_node",
             "restored": {"files": [], "left": ["the ipv4 rules as they are (their table could not be listed)"]}}]
    assert r.report(left) == {"complete": False,
                              "lines": ["lb1: left the ipv4 rules as they are (their table could not be listed)"]}


def test_a_rollback_takes_out_the_firewalld_rules_of_ours_the_run_added_and_nothing_else():
    ours = 'rule priority="-32112" family="ipv4" source address="10.0.0.2" protocol value="vrrp" accept'
    added = 'rule priority="-32112" family="ipv4" port port="8443" protocol="tcp" accept'
    foreign = 'rule family="ipv4" port port="22" protocol="tcp" accept'
    before = {"zone": "public", "runtime": [ours], "permanent": [ours], "failed": []}
    current = {"zone": "public", "runtime": [ours, added, foreign], "permanent": [ours, added], "failed": []}
    assert r.rich_rule_deletions(before, current) == [
        ["firewall-cmd", "--zone=public", "--remove-rich-rule=" + added],
        ["firewall-cmd", "--permanent", "--zone=public", "--remove-rich-rule=" + added]]
    # A view that could not be listed, before or now, is left alone; so is another zone.
    assert r.rich_rule_deletions(dict(before, failed=["permanent"]), current) == [
        ["firewall-cmd", "--zone=public", "--remove-rich-rule=" + added]]
    assert r.rich_rule_deletions(before, dict(current, zone="internal")) == []
    assert r.rich_rule_deletions({}, current) == []
