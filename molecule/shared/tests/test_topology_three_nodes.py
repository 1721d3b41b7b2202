"""Three nodes: one MASTER and two BACKUPs with descending priorities (250, 240, 230)."""

import pytest
from conftest import LB_NODES, VIP, crash_bound, holders, kill, served, start, vip_status, wait_until

pytestmark = pytest.mark.scenarios("three_nodes",)

LB1, LB2, LB3 = (LB_NODES + [None] * 3)[:3]


def test_the_first_node_holds_the_vip(lbs):
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=15)[0], holders(lbs)
    status = vip_status(LB3, expect="backup")
    assert status["vips"][0]["base_priority"] == 230, status


def test_the_vip_goes_to_the_highest_survivor_then_the_last(lbs):
    try:
        kill(LB1)
        second, _unused = wait_until(lambda: served(lbs, VIP, LB2), timeout=crash_bound(240), interval=0.05)
        assert second, f"{LB2} (240) did not take {VIP}: holders {holders(lbs)}"
        kill(LB2)
        last, _unused = wait_until(lambda: served(lbs, VIP, LB3), timeout=crash_bound(230), interval=0.05)
        assert last, f"{LB3} (230) did not take {VIP}: holders {holders(lbs)}"
        assert not vip_status(LB3, expect="master").get("failed")
    finally:
        start(LB2)
        start(LB1)
    back, _unused = wait_until(lambda: served(lbs, VIP, LB1), timeout=90)
    assert back, holders(lbs)
