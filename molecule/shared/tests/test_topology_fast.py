"""The fast failover profile: VRRPv3, an advert every 0.1 s, the VRRP process at nice -20.

Its speed is measured by `make bench` (docs/benchmarks.md); here only functional bounds.
"""

import pytest
from hapair_harness import Probe
from conftest import LB_NODES, VIP, crash_bound, holders, kill, served, start, vip_status, wait_until

pytestmark = pytest.mark.scenarios("fast",)

LB1, LB2 = (LB_NODES + [None, None])[:2]


def test_the_profile_is_in_place(lbs):
    for host in lbs.values():
        conf = host.file("/etc/keepalived/keepalived.conf").content_string
        assert "vrrp_version 3" in conf and "advert_int 0.1" in conf
        # VRRPv3 has no authentication in keepalived: none is configured, so none is ignored.
        assert "authentication" not in conf
        assert "vrrp_priority -20" in conf and "vrrp_no_swap" in conf
        # keepalived's VRRP process (the newest keepalived process) runs at nice -20.
        nice = host.check_output("ps -o ni= -p $(pgrep -f -n '^/usr/sbin/keepalived')").strip()
        assert nice == "-20", nice
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=10)[0], holders(lbs)
    assert not vip_status(LB1, expect="master").get("failed")
    assert not vip_status(LB2, expect="backup").get("failed")


def test_a_crashed_master_is_replaced_within_the_fast_down_timer(lbs):
    # 3 adverts of 0.1 s, the skew of priority 240 and a second of slack: 1.31 s, against 4.06 s
    # with the default profile.
    bound = crash_bound(240, advert_int=0.1)
    with Probe(target=(VIP, 80)) as probe:
        kill(LB1)
        try:
            moved, _unused = wait_until(lambda: served(lbs, VIP, LB2), timeout=bound, interval=0.02)
            assert moved, f"{LB2} did not serve {VIP} within {bound:.2f} s: holders {holders(lbs)}"
        finally:
            start(LB1)
    summary = probe.summary()
    assert summary["outage"] is not None and summary["outage"] < bound, summary
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=60)[0], holders(lbs)
