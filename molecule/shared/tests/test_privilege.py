"""Least privilege on the nodes, and a VRRP firewall that keeps outsiders out."""

import textwrap

import pytest
from conftest import BACKENDS, LB_NODES, VIP, holders, vrrp_state, wait_until

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


# A VRRPv2 advert for VRID 51 with the highest priority and the right password, sent from a
# backend: an outsider that would take the VIP if the nodes listened. Bounded: 30 adverts.
ADVERT = textwrap.dedent("""
    import socket, struct, time
    def csum(data):
        total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        total = (total >> 16) + (total & 0xFFFF)
        return ~(total + (total >> 16)) & 0xFFFF
    body = struct.pack("!BBBBBBH4s8s", 0x21, 51, 254, 1, 1, 1, 0, socket.inet_aton("{vip}"), b"lab-vrrp")
    packet = body[:6] + struct.pack("!H", csum(body)) + body[8:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    for _ in range(30):
        s.sendto(packet, ("224.0.0.18", 0))
        time.sleep(0.1)
""")


def drops(host):
    """Packets the VRRP chain's final DROP has counted."""
    for line in host.check_output("iptables -vnxL HAPAIR-VRRP").splitlines():
        if "DROP" in line:
            return int(line.split()[0])
    raise AssertionError("no DROP rule in HAPAIR-VRRP")


def test_vrrp_from_outside_the_group_is_dropped(lbs):
    import testinfra

    outsider = testinfra.get_host(f"podman://{BACKENDS[0]}")
    outsider_ip = outsider.check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0]
    counted = {n: drops(h) for n, h in lbs.items()}
    outsider.check_output(f"python3 -c '{ADVERT.format(vip=VIP)}'")
    # Dropped on both nodes, and nothing moved.
    assert all(drops(h) >= counted[n] + 25 for n, h in lbs.items()), {n: drops(h) for n, h in lbs.items()}
    assert holders(lbs) == [MASTER] and vrrp_state(lbs[MASTER]) == "MASTER"

    # Control: let the outsider through and the same adverts do take the MASTERship away,
    # so the firewall, not a broken packet, is what stopped them.
    rule = f"HAPAIR-VRRP -s {outsider_ip} -p vrrp -m comment --comment hapair-test-control -j ACCEPT"
    try:
        for host in lbs.values():
            host.check_output(f"iptables -I {rule}")
        outsider.check_output(f"python3 -c '{ADVERT.format(vip=VIP)}'")
        assert vrrp_state(lbs[MASTER]) == "BACKUP", "the outsider's adverts were accepted yet changed nothing"
    finally:
        for host in lbs.values():
            host.run(f"iptables -D {rule}")
    # Without the outsider the MASTER takes the VIP back.
    back, _ = wait_until(lambda: holders(lbs) == [MASTER], timeout=10)
    assert back, holders(lbs)
