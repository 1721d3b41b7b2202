"""node_state on this very machine: real files, packages, users and /proc/sys, nothing patched
but Ansible's exit."""

import hashlib
import os

import pytest
from ansible_collections.hapair.loadbalancer.plugins.modules import node_state


@pytest.fixture
def run(run_module):
    return lambda **args: run_module(node_state.main, **args)


def test_files_report_what_the_template_module_compares(run, monkeypatch, tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text("global\n")
    config.chmod(0o640)
    result = run(files=[str(config), str(tmp_path), str(tmp_path / "missing")])
    state = result["state"]["files"]
    assert result["changed"] is False
    assert state[str(config)] == {
        "exists": True, "isdir": False, "mode": "0640", "owner": "root", "group": "root",
        "checksum": hashlib.sha1(b"global\n").hexdigest(),
    }
    assert state[str(tmp_path)]["isdir"] and "checksum" not in state[str(tmp_path)]
    assert state[str(tmp_path / "missing")] == {"exists": False}


def test_contents_sysctl_and_users(run, monkeypatch, tmp_path):
    conf = tmp_path / "60-test.conf"
    conf.write_text("net.ipv4.ip_nonlocal_bind=1\n")
    live = open("/proc/sys/net/ipv4/ip_forward").read().strip()
    result = run(contents=[str(conf), str(tmp_path / "none")],
                 sysctl=["net.ipv4.ip_forward", "net.ipv4.no_such_thing"], users=["root", "no-such-user-here"])
    state = result["state"]
    assert state["contents"] == {str(conf): "net.ipv4.ip_nonlocal_bind=1\n", str(tmp_path / "none"): None}
    assert state["sysctl"] == {"net.ipv4.ip_forward": live, "net.ipv4.no_such_thing": None}
    assert state["users"] == {"root": True, "no-such-user-here": False}


def test_packages_from_dpkg(run, monkeypatch):
    # keepalived is installed on this machine for its config checker (scripts/bootstrap.sh).
    result = run(packages=["keepalived", "no-such-package-hapair"])
    assert result["state"]["packages"] == {"keepalived": True, "no-such-package-hapair": False}


@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="checks the answer without systemd")
def test_services_without_systemd_are_reported_down(run, monkeypatch):
    result = run(services=["haproxy"])
    assert result["state"]["services"] == {"haproxy": {"active": False, "enabled": False}}


def test_both_filter_tables_are_read_as_the_save_commands_print_them(run, monkeypatch):
    # iptables is installed on this machine (scripts/bootstrap.sh).
    result = run(iptables=True)
    for key, command in (("iptables", "iptables-save"), ("ip6tables", "ip6tables-save")):
        lines = result["state"][key]
        assert "*filter" in lines and "COMMIT" in lines, (command, lines)
        assert any(line.startswith(":INPUT ") for line in lines), lines
    # Not asked, not read: a caller tells that apart from empty tables.
    assert not {"iptables", "ip6tables", "iptables_failed"} & set(run()["state"])


def test_node_holds_agrees_with_what_node_state_read(run, monkeypatch, tmp_path):
    from ansible_collections.hapair.loadbalancer.plugins.filter.node_holds import node_holds

    config = tmp_path / "keepalived.conf"
    config.write_text("global_defs {}\n")
    config.chmod(0o600)
    result = run(files=[str(config), str(tmp_path)])
    dir_mode = f"{tmp_path.stat().st_mode & 0o7777:04o}"
    assert node_holds(result, str(config), "global_defs {}\n", "0600", "root", "root")
    assert node_holds(result, str(tmp_path), None, dir_mode, "root", "root")
    # Any difference means the task must run: content, mode, owner, a missing read.
    assert not node_holds(result, str(config), "global_defs { }\n", "0600", "root", "root")
    assert not node_holds(result, str(config), "global_defs {}\n", "0644", "root", "root")
    assert not node_holds(result, str(config), "global_defs {}\n", "0600", "root", "haproxy")
    assert not node_holds(result, str(tmp_path / "other"), "", "0600", "root", "root")
    assert not node_holds(None, str(config), "global_defs {}\n", "0600", "root", "root")


def test_scripts_report_why_keepalived_would_refuse_them(run, monkeypatch, tmp_path):
    hook = tmp_path / "hook"
    hook.write_text("#!/bin/sh\n")
    hook.chmod(0o755)
    plain = tmp_path / "plain"
    plain.write_text("not a program\n")
    plain.chmod(0o644)
    result = run(scripts=["/bin/true", str(hook), str(plain), str(tmp_path / "missing")])
    scripts = result["state"]["scripts"]
    # Root-owned all the way up and writable by root only: keepalived runs it.
    assert scripts["/bin/true"] is None
    # /tmp is writable by everyone (and a test run by a user owns its own directory).
    writable = next(d for d in [str(tmp_path), *map(str, tmp_path.parents)]
                    if os.stat(d).st_uid != 0 or os.stat(d).st_mode & 0o022)
    assert scripts[str(hook)] == f"{writable} is not owned by root, or others can write to it"
    assert scripts[str(plain)] == f"{plain} does not exist or is not an executable file"
    assert scripts[str(tmp_path / 'missing')] == f"{tmp_path / 'missing'} does not exist or is not an executable file"


def test_listings_name_the_regular_files_of_a_directory(run, monkeypatch, tmp_path):
    """The certificate directory as the prune step sees it: regular files only, by name."""
    from ansible_collections.hapair.loadbalancer.plugins.module_utils import tls

    (tmp_path / "site.pem").write_text("x")
    (tmp_path / "old.pem").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub.pem").mkdir()
    (tmp_path / "link.pem").symlink_to(tmp_path / "site.pem")
    state = run(listings=[str(tmp_path), str(tmp_path / "missing")])["state"]["listings"]
    assert state == {str(tmp_path): ["notes.txt", "old.pem", "site.pem"], str(tmp_path / "missing"): None}
    # What the prune step removes: the .pem files no certificate names.
    assert tls.retired_files(state[str(tmp_path)], f"{tmp_path}/", [{"name": "site"}]) == [f"{tmp_path}/old.pem"]
    assert tls.retired_files(None, str(tmp_path), []) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="a packet socket needs root")
def test_the_vrrp_scan_listens_beside_the_reads(run, monkeypatch):
    import time
    start = time.monotonic()
    result = run(sysctl=["net.ipv4.ip_forward"], vrrp_scan={"interfaces": ["lo"], "seconds": 0.5})
    scan = result["state"]["vrrp_scan"]
    assert time.monotonic() - start >= 0.5
    assert (scan["interfaces"], scan["seconds"], scan["error"]) == (["lo"], 0.5, None)
    # (Another test, run beside this one, may send an advert on loopback meanwhile.)
    assert all(entry["interface"] == "lo" for entry in scan["heard"])
    # A name that is no interface is said, not a traceback; without seconds there is no listen.
    assert "'eth-none' is no network interface" in run(vrrp_scan={"interfaces": ["eth-none"], "seconds": 0.2})["state"]["vrrp_scan"]["error"]
    assert "vrrp_scan" not in run(sysctl=["net.ipv4.ip_forward"])["state"]


@pytest.mark.skipif(os.geteuid() != 0, reason="a packet socket needs root")
def test_the_vrrp_scan_is_skipped_only_where_keepalived_runs_every_vrid(run, tmp_path, monkeypatch):
    import time
    conf = tmp_path / "keepalived.conf"
    conf.write_text("vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 51\n  virtual_ipaddress {\n"
                    "    192.0.2.100/24 dev lo\n  }\n}\n")
    running = [{"interface": "lo", "family": 4, "vrid": 51}]

    def scan(vrids, path, seconds=0.5):
        start = time.monotonic()
        result = run(vrrp_scan={"interfaces": ["lo"], "seconds": seconds, "vrids": vrids,
                                "unless_running": {"config": str(path), "service": "keepalived"}})["state"]["vrrp_scan"]
        return result, time.monotonic() - start

    # This machine runs no keepalived (no systemd even): the file has VRID 51, but nothing sends
    # it, so the node listens, for the time asked.
    result, took = scan(running, conf)
    assert took >= 0.5 and "skipped" not in result and result["error"] is None
    # Where systemd says keepalived is active (the molecule scenarios have it for real), a run
    # that brings no VRID new to the file does not listen...
    monkeypatch.setattr(node_state, "services", lambda module, names: {n: {"active": True, "enabled": True} for n in names})
    result, took = scan(running, conf, seconds=2)
    assert took < 1.5, "it listened"
    assert result["heard"] == [] and result["skipped"].startswith("keepalived runs every VRID this run gives the node")
    # ... and one that brings a VRID the file does not run, or with no file, listens.
    for vrids, path in ((running + [{"interface": "lo", "family": 4, "vrid": 52}], conf), (running, tmp_path / "none")):
        result, took = scan(vrids, path)
        assert took >= 0.5 and "skipped" not in result and result["error"] is None


@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="checks the answer without systemd")
def test_the_firewall_read_names_no_manager_where_none_runs(run, monkeypatch):
    # This machine runs no firewall manager (the firewalld scenario reads a running firewalld).
    result = run(firewall={"interfaces": ["eth0"]})
    assert result["state"]["firewall"] == {
        "managers": {m: {"active": False, "enabled": False} for m in ("firewalld", "ufw", "nftables")}, "firewalld": None}
    assert "firewall" not in run()["state"]


def test_packages_from_rpm_where_dpkg_is_absent(run, monkeypatch):
    """The RHEL family: rpm -q names an installed package by its name and says of another that it
    is not installed (rpm 4.16's words; this machine has no rpm database to ask)."""
    from ansible.module_utils.basic import AnsibleModule

    real = AnsibleModule.get_bin_path
    monkeypatch.setattr(AnsibleModule, "get_bin_path",
                        lambda self, name, *a, **k: None if name == "dpkg-query" else "/usr/bin/rpm" if name == "rpm"
                        else real(self, name, *a, **k))
    calls = []

    def rpm(self, args, **kwargs):
        calls.append(args)
        return 1, "keepalived installed\npackage no-such-package-hapair is not installed\n", ""

    monkeypatch.setattr(AnsibleModule, "run_command", rpm)
    result = run(packages=["keepalived", "no-such-package-hapair"])
    assert result["state"]["packages"] == {"keepalived": True, "no-such-package-hapair": False}
    assert calls == [["/usr/bin/rpm", "-q", "--queryformat", "%{NAME} installed\\n", "keepalived", "no-such-package-hapair"]]
