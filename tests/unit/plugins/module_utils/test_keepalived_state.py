"""Parsing and judging on output recorded from a real keepalived 2.2.7 pair (the lab)."""

from pathlib import Path
import pytest
from ansible_collections.hapair.loadbalancer.plugins.module_utils import keepalived_state as ks

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
VIP = "192.168.213.100"


def fixture(name):
    return (FIXTURES / name).read_text()


def test_kernel_addresses_of_the_master_include_the_vip():
    held = ks.parse_ip_addresses(fixture("ip-addr-master.json"))
    assert held[VIP] == "eth0"
    assert held["192.168.213.11"] == "eth0"
    assert VIP not in ks.parse_ip_addresses(fixture("ip-addr-backup.json"))


@pytest.mark.parametrize("name, state, base, effective", [
    ("keepalived-master", "MASTER", 100, 100),
    ("keepalived-backup", "BACKUP", 90, 90),
    ("keepalived-fault", "FAULT", 90, 90),
])
@pytest.mark.parametrize("kind, parse", [("json", ks.parse_json_dump), ("data", ks.parse_data_dump)])
def test_both_dumps_give_the_same_instance(name, state, base, effective, kind, parse):
    (instance,) = parse(fixture(f"{name}.{kind}"))
    assert instance == {
        "name": "VI_1", "state": state, "base_priority": base, "effective_priority": effective,
        "virtual_router_id": 51, "interface": "eth0", "vips": [VIP],
    }


def test_the_password_in_the_dump_is_never_returned():
    assert "lab-vrrp" in fixture("keepalived-master.json")  # it is in keepalived's own file
    assert "lab-vrrp" not in repr(ks.parse_json_dump(fixture("keepalived-master.json")))
    assert "lab-vrrp" not in repr(ks.parse_data_dump(fixture("keepalived-master.data")))


def test_config_gives_the_vips_when_keepalived_is_stopped():
    (instance,) = ks.parse_config(fixture("keepalived-lb2.conf"))
    assert instance["name"] == "VI_1" and instance["state"] == "STOP"
    assert instance["vips"] == [VIP] and instance["virtual_router_id"] == 51


@pytest.mark.parametrize("text, parse, message", [
    ("", ks.parse_json_dump, "not valid JSON"),
    ('[{"data": {"iname": "VI_1", "state"', ks.parse_json_dump, "not valid JSON"),
    ('{"data": {}}', ks.parse_json_dump, "not a list"),
    ('[{"data": {"iname": "VI_1"}}]', ks.parse_json_dump, "without 'data.iname' and 'data.state'"),
    ("garbage", ks.parse_data_dump, "no 'VRRP Topology'"),
    ("not json", ks.parse_ip_addresses, "did not print JSON"),
])
def test_broken_output_raises_a_clear_error(text, parse, message):
    with pytest.raises(ks.StateError, match=message):
        parse(text)


def test_a_truncated_real_dump_is_refused():
    text = fixture("keepalived-master.json")
    with pytest.raises(ks.StateError):
        ks.parse_json_dump(text[: len(text) // 2])
    data = fixture("keepalived-master.data")
    with pytest.raises(ks.StateError):
        ks.parse_data_dump(data.split(" VRRP Instance = ")[0])


def judge(ip, dump):
    return ks.assess(ks.parse_json_dump(fixture(dump)), ks.parse_ip_addresses(fixture(ip)))


def test_a_healthy_master_and_backup_agree():
    (master,) = judge("ip-addr-master.json", "keepalived-master.json")
    (backup,) = judge("ip-addr-backup.json", "keepalived-backup.json")
    assert master["held"] and master["agree"] and ks.matches(master, "master")
    assert not backup["held"] and backup["agree"] and ks.matches(backup, "backup")
    assert not ks.matches(master, "backup") and not ks.matches(backup, "master")


def test_a_backup_that_holds_the_vip_is_a_fault():
    (report,) = judge("ip-addr-master.json", "keepalived-backup.json")
    assert report["held"] and report["state"] == "BACKUP" and not report["agree"]
    assert not ks.matches(report, "any")
    assert ks.describe(report) == f"VIP {VIP} (VI_1): held by this node, keepalived says BACKUP"


def test_a_master_without_the_vip_is_a_fault():
    (report,) = judge("ip-addr-backup.json", "keepalived-master.json")
    assert not report["held"] and not report["agree"]


def test_a_fault_state_without_the_vip_agrees():
    (report,) = judge("ip-addr-backup.json", "keepalived-fault.json")
    assert report["agree"] and report["state"] == "FAULT" and not ks.matches(report, "backup")


def test_selection_by_vip_and_instance():
    instances = ks.parse_json_dump(fixture("keepalived-master.json"))
    held = ks.parse_ip_addresses(fixture("ip-addr-master.json"))
    assert ks.assess(instances, held, instance="VI_9") == []
    (other,) = ks.assess(instances, held, vips=["198.51.100.7/24"])
    assert other["instance"] is None and not other["agree"]
    assert "no keepalived instance carries it" in ks.describe(other)
    (vip,) = ks.assess(instances, held, vips=[f"{VIP}/24"])
    assert vip["address"] == VIP and vip["held"]
