"""nopreempt: a returning node does not take the VIP back; preempt_delay: it does, but later."""

import json
import time

import pytest
from conftest import LB_NODES, VIP, holders, run_site, served, stop_and_hand_over, wait_until

pytestmark = pytest.mark.scenarios("nopreempt",)

LB1, LB2 = (LB_NODES + [None, None])[:2]


def holder(lbs):
    found = holders(lbs)
    return found[0] if len(found) == 1 else None


def test_every_node_starts_backup_and_one_wins(lbs):
    for host in lbs.values():
        conf = host.file("/etc/keepalived/keepalived.conf").content_string
        assert "state BACKUP" in conf and "nopreempt" in conf
    # Whichever node's down timer ran out first won; with nopreempt the other leaves it there.
    assert wait_until(lambda: holder(lbs) is not None, timeout=15)[0], holders(lbs)


def test_a_returning_node_does_not_take_the_vip_back(lbs):
    first = holder(lbs)
    other = LB2 if first == LB1 else LB1
    stop_and_hand_over(lbs, first, other)
    # Watch for longer than the down timer and a few adverts: the VIP must stay where it is,
    # even when the returning node has the higher priority.
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        assert holders(lbs) == [other], f"the VIP flapped back: holders {holders(lbs)}"
        time.sleep(0.2)


def test_preempt_delay_defers_the_return(lbs):
    delay = 6
    instances = [{"name": "VI_1", "virtual_router_id": 51, "vips": [f"{VIP}/24"], "preempt_delay": delay}]
    rc, out = run_site("-e", json.dumps({"keepalived_instances": instances}))
    assert rc == 0, out[-3000:]
    # With preemption back on, the higher priority takes the VIP after its delay.
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=delay + 15)[0], holders(lbs)
    lbs[LB1].check_output("systemctl stop keepalived")
    assert wait_until(lambda: served(lbs, VIP, LB2), timeout=3)[0], holders(lbs)
    lbs[LB1].check_output("systemctl start keepalived")
    started = time.monotonic()
    # Not before the delay (less a second of slack for the start itself) ...
    while time.monotonic() - started < delay - 1:
        assert holders(lbs) == [LB2], f"{LB1} took the VIP back after {time.monotonic() - started:.1f} s"
        time.sleep(0.2)
    # ... but soon after it.
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=6)[0], holders(lbs)
