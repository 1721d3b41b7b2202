"""Binding without the sysctl: HAProxy's `transparent` bind option, ip_nonlocal_bind left at 0."""

import pytest
from conftest import LB_NODES, VIP, holders, served, wait_until

pytestmark = pytest.mark.scenarios("notify",)

LB1, LB2 = (LB_NODES + [None, None])[:2]


def test_the_sysctl_is_left_alone_and_haproxy_binds_the_vip_everywhere(lbs):
    for host in lbs.values():
        assert host.sysctl("net.ipv4.ip_nonlocal_bind") == 0
        assert not host.file("/etc/sysctl.d/60-hapair-nonlocal-bind.conf").exists
        assert f"bind {VIP}:80 transparent" in host.file("/etc/haproxy/haproxy.cfg").content_string
        # On the BACKUP too, which does not hold the VIP: only `transparent` makes this possible here.
        assert host.service("haproxy").is_running
        assert f"{VIP}:80 " in host.check_output("ss -ltnH")
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=15)[0], holders(lbs)


def test_the_backup_serves_after_failover(lbs):
    lbs[LB1].check_output("systemctl stop keepalived")
    try:
        assert wait_until(lambda: served(lbs, VIP, LB2), timeout=3, interval=0.05)[0], holders(lbs)
    finally:
        lbs[LB1].run("systemctl start keepalived")
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=15)[0], holders(lbs)
