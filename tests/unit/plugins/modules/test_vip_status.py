"""The module end to end on recorded output: results, failures and messages, never tracebacks."""

from pathlib import Path
import json
import shutil

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.hapair.loadbalancer.plugins.modules import vip_status

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
VIP = "192.168.213.100"


class Exit(Exception):
    pass


class Fail(Exception):
    pass


def run(monkeypatch, tmp_path, ip_fixture, args=None, ip_rc=0):
    """Run main() with keepalived stopped (no PID file) and ip answering from a recording."""
    config = tmp_path / "keepalived.conf"
    shutil.copy(FIXTURES / "keepalived-lb2.conf", config)
    module_args = {"config_file": str(config), "pid_file": str(tmp_path / "none.pid"), **(args or {})}
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": module_args})))
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    out = (FIXTURES / ip_fixture).read_text() if ip_fixture else "oops"

    def exit_json(self, **kwargs):
        raise Exit(kwargs)

    def fail_json(self, **kwargs):
        raise Fail(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: f"/usr/sbin/{name}")
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, cmd, **kw: (ip_rc, out, "ip: boom"))
    with pytest.raises((Exit, Fail)) as caught:
        vip_status.main()
    return caught.type, caught.value.args[0]


def test_stopped_keepalived_without_the_vip_is_reported_not_failed(monkeypatch, tmp_path):
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json")
    assert kind is Exit
    assert result["keepalived_running"] is False and result["source"] == "config"
    assert result["holds"] == [] and result["changed"] is False
    assert result["vips"][0]["state"] == "STOP" and result["vips"][0]["agree"]


def test_stopped_keepalived_still_holding_the_vip_is_a_fault(monkeypatch, tmp_path):
    kind, result = run(monkeypatch, tmp_path, "ip-addr-master.json")
    assert kind is Fail
    assert "the kernel and keepalived disagree" in result["msg"]
    assert f"VIP {VIP} (VI_1): held by this node, keepalived says STOP" in result["msg"]


def test_an_unmet_expectation_names_node_vip_and_state(monkeypatch, tmp_path):
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", {"expect": "master"})
    assert kind is Fail
    assert result["msg"].endswith(f"expected master, found VIP {VIP} (VI_1): not held by this node, keepalived says STOP")
    assert result["vips"][0]["address"] == VIP


def test_wait_polls_until_the_timeout(monkeypatch, tmp_path):
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", {"expect": "master", "wait": True, "timeout": 0.5})
    assert kind is Fail and "(waited 0.5 s)" in result["msg"]


def test_broken_ip_output_is_a_clear_error(monkeypatch, tmp_path):
    kind, result = run(monkeypatch, tmp_path, None)
    assert kind is Fail and "'ip -j addr show' did not print JSON" in result["msg"]


def test_a_failing_ip_command_is_a_clear_error(monkeypatch, tmp_path):
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", ip_rc=1)
    assert kind is Fail and "'ip -j addr show' failed: ip: boom" in result["msg"]


def test_an_unknown_instance_has_nothing_to_report(monkeypatch, tmp_path):
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", {"instance": "VI_9"})
    assert kind is Fail and "no VIP to report: instance VI_9 has none" in result["msg"]


def test_expectations_by_instance_override_expect(monkeypatch, tmp_path):
    # keepalived is stopped: STOP is neither backup nor fault.
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", {"expect": "any", "expect_instances": {"VI_1": "fault"}})
    assert kind is Fail and result["msg"].endswith(f"expected fault, found VIP {VIP} (VI_1): not held by this node, keepalived says STOP")
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", {"expect": "master", "expect_instances": {"VI_1": "any"}})
    assert kind is Exit and result["met"]
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", {"expect_instances": {"VI_1": "primary"}})
    assert kind is Fail and "expect_instances: {'VI_1': 'primary'}" in result["msg"]


def test_the_standing_and_haproxys_liveness_are_reported_from_their_files(monkeypatch, tmp_path):
    standing, haproxy = tmp_path / "standing", tmp_path / "haproxy"
    paths = {"standing_file": str(standing), "haproxy_file": str(haproxy)}
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", paths)
    assert (result["standing"], result["haproxy"]) == ("normal", "unknown")
    standing.write_text("-254\n")
    haproxy.write_text("1\n")
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", paths)
    assert (result["standing"], result["haproxy"]) == ("maintenance", "down")
    standing.write_text("253\n")
    haproxy.write_text("0\n")
    kind, result = run(monkeypatch, tmp_path, "ip-addr-backup.json", paths)
    assert kind is Exit and (result["standing"], result["haproxy"]) == ("preferred", "up")
