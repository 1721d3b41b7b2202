"""Active-active: each node the MASTER of one VIP and the BACKUP of the other."""

import os

import pytest
from conftest import LB_NODES, crash_bound, kill, run_playbook, served, start, vip_status, wait_until

pytestmark = pytest.mark.scenarios("active_active",)

# Read at import by every scenario (pytest imports all files before -k selects): tolerate absence.
VIP_A, VIP_B = (os.environ.get("HAPAIR_VIPS", "") + ",").split(",")[:2]
LB1, LB2 = (LB_NODES + [None, None])[:2]


def test_each_vip_is_served_from_its_home_node(lbs):
    assert wait_until(lambda: served(lbs, VIP_A, LB1) and served(lbs, VIP_B, LB2), timeout=15)[0]
    for node, mine, other in ((LB1, VIP_A, VIP_B), (LB2, VIP_B, VIP_A)):
        assert not vip_status(node, vip=[mine], expect="master").get("failed")
        assert not vip_status(node, vip=[other], expect="backup").get("failed")


def test_one_node_carries_both_vips_and_each_returns_home(lbs):
    kill(LB1)
    try:
        both, _unused = wait_until(lambda: served(lbs, VIP_A, LB2) and served(lbs, VIP_B, LB2),
                                   timeout=crash_bound(240), interval=0.05)
        assert both, f"{LB2} did not serve both VIPs within {crash_bound(240):.2f} s"
        status = vip_status(LB2, expect="master")
        assert not status.get("failed") and sorted(status["holds"]) == sorted([VIP_A, VIP_B]), status
    finally:
        start(LB1)
    home, _unused = wait_until(lambda: served(lbs, VIP_A, LB1) and served(lbs, VIP_B, LB2), timeout=60)
    assert home, "the VIPs did not return home"


def test_the_status_table_names_each_vips_holder(lbs):
    assert wait_until(lambda: served(lbs, VIP_A, LB1) and served(lbs, VIP_B, LB2), timeout=30)[0]
    rc, out = run_playbook("hapair.loadbalancer.status")
    assert rc == 0, out[-3000:]
    rows = {line.split()[0].strip('"'): line.split() for line in out.splitlines()
            if line.strip().strip('"').startswith((VIP_A, VIP_B))}
    # VIP, instance, holder, then each node's state, base/effective priority and "holds".
    assert rows[VIP_A][1:4] == ["VI_A", LB1, "MASTER"] and "holds" in rows[VIP_A], rows
    assert rows[VIP_B][1:3] == ["VI_B", LB2] and rows[VIP_B][3] == "BACKUP", rows
