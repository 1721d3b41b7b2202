"""The filters that let a role skip a task when the group's one read shows its target holds."""

import hashlib

from ansible_collections.hapair.loadbalancer.plugins.filter import node_holds as f

READ = {"state": {
    "packages": {"haproxy": True, "keepalived": False},
    "services": {"haproxy": {"active": True, "enabled": True}, "keepalived": {"active": True, "enabled": False}},
    "files": {"/etc/x": {"exists": True, "isdir": False, "mode": "0640", "owner": "root", "group": "haproxy",
                         "checksum": hashlib.sha1(b"text\n").hexdigest()}},
    "contents": {"/etc/sysctl.d/60.conf": "# managed\nnet.ipv4.ip_nonlocal_bind=1\n"},
    "sysctl": {"net.ipv4.ip_nonlocal_bind": "1"},
    "users": {"keepalived_script": True},
}}


def test_without_a_read_every_task_runs():
    assert f.node_lacks_packages(None, ["haproxy"]) == ["haproxy"]
    assert not f.node_runs(None, "haproxy") and not f.node_has_user(None, "u") and not f.node_holds(None, "/etc/x", "", "0640", "root", "root")
    assert f.node_sysctl(None, "net.ipv4.ip_nonlocal_bind") is None and not f.node_has_line(None, "/p", "l")


def test_what_the_read_shows_in_place_is_skipped_and_nothing_else():
    assert f.node_lacks_packages(READ, ["haproxy", "keepalived", "iptables"]) == ["keepalived", "iptables"]
    assert f.node_runs(READ, "haproxy") and not f.node_runs(READ, "keepalived") and not f.node_runs(READ, "nginx")
    # Stopped only as read: a running service, one the read did not see, or no read at all, is not.
    stopped = {"state": {"services": {"haproxy": {"active": False, "enabled": True}}}}
    assert f.node_stopped(stopped, "haproxy")
    assert not f.node_stopped(READ, "haproxy") and not f.node_stopped(READ, "nginx") and not f.node_stopped(None, "haproxy")
    assert f.node_holds(READ, "/etc/x", "text\n", "0640", "root", "haproxy")
    assert not f.node_holds(READ, "/etc/x", "text\n", "0644", "root", "haproxy")
    assert not f.node_holds(READ, "/etc/x", "other\n", "0640", "root", "haproxy")
    assert f.node_has_line(READ, "/etc/sysctl.d/60.conf", "net.ipv4.ip_nonlocal_bind=1")
    assert not f.node_has_line(READ, "/etc/sysctl.d/60.conf", "net.ipv6.ip_nonlocal_bind=1")
    assert f.node_has_user(READ, "keepalived_script") and not f.node_has_user(READ, "nobody2")
    assert f.node_sysctls_on(READ, ["net.ipv4.ip_nonlocal_bind"]) and not f.node_sysctls_on(None, ["net.ipv4.ip_nonlocal_bind"])
    assert not f.node_sysctls_on(READ, ["net.ipv4.ip_nonlocal_bind", "net.ipv6.ip_nonlocal_bind"])


def test_the_roles_reads_merge_into_one():
    merged = f.node_read_union([{"packages": ["haproxy"], "files": ["/a"], "restore": [{"path": "/a", "service": "haproxy"}]},
                                {"packages": ["haproxy", "keepalived"]},
                                {"iptables": True, "persist": ["netfilter-persistent", "save"],
                                 "firewall": {"interfaces": ["eth0"]}, "firewalld": True},
                                {"sysctl": ["k"], "contents": ["/c"], "restore": [{"path": "/c"}],
                                 "vrrp_scan": {"interfaces": ["eth1"], "seconds": 2}},
                                {"vrrp_scan": {"interfaces": ["eth0", "eth1"], "seconds": "3"}}, {"vrrp_scan": {}}])
    # A file to restore is read with its state and its text.
    assert merged == {"packages": ["haproxy", "keepalived"], "services": [], "files": ["/a", "/c"], "contents": ["/c", "/a"],
                      "sysctl": ["k"], "users": [], "scripts": [], "listings": [], "links": [], "iptables": True,
                      "restore": [{"path": "/a", "service": "haproxy"}, {"path": "/c"}],
                      "persist": ["netfilter-persistent", "save"],
                      # The firewall read, and a rollback that takes out the firewalld rules the run added.
                      "firewall": {"interfaces": ["eth0"]}, "firewalld": True,
                      # One listen: every interface asked for, the longest time asked.
                      "vrrp_scan": {"interfaces": ["eth0", "eth1"], "seconds": 3.0, "vrids": []}}
    alone = f.node_read_union([{"packages": ["haproxy"]}])
    assert alone["vrrp_scan"] == {} and alone["firewall"] is None and alone["firewalld"] is False


A = {"interface": "eth0", "family": 4, "vrid": 51}
B = {"interface": "eth1", "family": 6, "vrid": 61}


def test_the_listen_is_skipped_only_if_every_request_allows_it():
    conf = {"config": "/etc/keepalived/keepalived.conf", "service": "keepalived"}
    both = f.node_read_union([{"vrrp_scan": {"interfaces": ["eth0"], "seconds": 3, "vrids": [A], "unless_running": conf}},
                              {"vrrp_scan": {"interfaces": ["eth1"], "seconds": 2, "vrids": [B, A], "unless_running": conf}}])
    assert both["vrrp_scan"] == {"interfaces": ["eth0", "eth1"], "seconds": 3.0, "vrids": [A, B], "unless_running": conf}
    # A request that listens always (no condition), first or last, makes the union listen always.
    for order in ([{"interfaces": ["eth0"], "seconds": 3, "vrids": [A], "unless_running": conf},
                   {"interfaces": ["eth1"], "seconds": 3, "vrids": [B]}],
                  [{"interfaces": ["eth1"], "seconds": 3, "vrids": [B]},
                   {"interfaces": ["eth0"], "seconds": 3, "vrids": [A], "unless_running": conf}]):
        assert "unless_running" not in f.node_read_union([{"vrrp_scan": scan} for scan in order])["vrrp_scan"]
