"""Least privilege on the nodes, and a VRRP firewall that keeps outsiders out."""

import pytest
from conftest import ADVERT, LB_NODES, VIP, assert_outsider_kept_out, outsider

pytestmark = pytest.mark.scenarios("default",)

MASTER, BACKUP = LB_NODES[0], LB_NODES[1]


@pytest.mark.parametrize("name", LB_NODES)
def test_keepalived_scripts_are_root_owned_and_run_unprivileged(lbs, name):
    host = lbs[name]
    helper = host.file("/usr/local/sbin/hapair-keepalived")
    assert helper.user == "root" and helper.group == "root" and helper.mode == 0o755
    uid = host.check_output("id -u keepalived_script")
    dump = host.check_output(
        "kill -s $(keepalived --signum=DATA) $(cat /run/keepalived.pid) && sleep 0.5 && cat /tmp/keepalived.data"
    )
    scripts = dump.split("------< VRRP Scripts >------")[1]
    assert f"Script uid:gid = {uid}:" in scripts
    assert "Insecure = no" in scripts
    assert "enable_script_security" in host.file("/etc/keepalived/keepalived.conf").content_string


@pytest.mark.parametrize("name", LB_NODES)
def test_haproxy_keeps_its_user_and_chroot_and_stats_stay_local(lbs, name):
    host = lbs[name]
    master_pid = host.check_output("cat /run/haproxy.pid").strip()
    workers = host.check_output(f"pgrep -P {master_pid} haproxy").split()
    assert workers
    for pid in workers:
        assert host.check_output(f"ps -o user= -p {pid}").strip() == "haproxy"
        assert host.check_output(f"readlink /proc/{pid}/root").strip() == "/var/lib/haproxy"
    listening = host.check_output("ss -ltnH")
    assert "127.0.0.1:8404 " in listening and "0.0.0.0:8404 " not in listening
    socket = host.file("/run/haproxy/admin.sock")
    assert socket.is_socket and socket.mode == 0o660


def drops(host):
    """Packets the VRRP chain's final DROP has counted."""
    for line in host.check_output("iptables -vnxL HAPAIR-VRRP").splitlines():
        if "DROP" in line:
            return int(line.split()[0])
    raise AssertionError("no DROP rule in HAPAIR-VRRP")


def test_vrrp_from_outside_the_group_is_dropped(lbs):
    host, address = outsider()
    counted = {n: drops(h) for n, h in lbs.items()}
    host.check_output(f"python3 -c '{ADVERT.format(vip=VIP)}'")
    # Dropped on both nodes, and nothing moved.
    assert all(drops(h) >= counted[n] + 25 for n, h in lbs.items()), {n: drops(h) for n, h in lbs.items()}
    rule = f"HAPAIR-VRRP -s {address} -p vrrp -m comment --comment hapair-test-control -j ACCEPT"
    assert_outsider_kept_out(lbs, MASTER, f"iptables -I {rule}", f"iptables -D {rule}")
