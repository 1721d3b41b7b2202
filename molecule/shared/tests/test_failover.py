"""Failover, proven: crash, clean stop, HAProxy death and split brain, with traffic through the
VIP and vip_status. Each test starts from a healthy pair and leaves one behind, also when it fails.
"""

import pytest
from conftest import (
    LB_NODES, VIP, assert_vip_served_by, crash_bound, group_verdict, holders, http_get, kill, served, start,
    vip_status, wait_until,
)
from hapair_harness import kill_haproxy, revive_haproxy

pytestmark = pytest.mark.scenarios("default", "roles")

MASTER, BACKUP = LB_NODES[0], LB_NODES[1]
# keepalived's defaults here: advert_int 1 s; the BACKUP (priority 240) declares the MASTER
# dead after 3 adverts plus a skew of (256 - 240) / 256 s.
CRASH_BOUND = crash_bound(240)


@pytest.fixture
def healthy(lbs):
    """The MASTER holds the VIP, the BACKUP stands by, both say so, and traffic flows."""
    assert_vip_served_by(lbs, MASTER, timeout=60)
    for node, expect in ((MASTER, "master"), (BACKUP, "backup")):
        status = vip_status(node, expect=expect, wait=True, timeout=15)
        assert not status.get("failed"), status["msg"]
    return lbs


def test_crash_of_the_master(healthy):
    lbs = healthy
    kill(MASTER)
    try:
        moved, elapsed = wait_until(lambda: served(lbs, VIP, BACKUP), timeout=CRASH_BOUND, interval=0.05)
        assert moved, f"{BACKUP} did not serve {VIP} within {CRASH_BOUND:.2f} s of the crash"
        status = vip_status(BACKUP, expect="master")
        assert not status.get("failed"), status["msg"]
    finally:
        start(MASTER)
    # The MASTER boots, keepalived starts, and with the higher priority it preempts.
    assert_vip_served_by(lbs, MASTER, timeout=60)
    status = vip_status(MASTER, expect="master", wait=True, timeout=10)
    assert not status.get("failed"), status["msg"]


def test_clean_stop_of_keepalived(healthy):
    lbs = healthy
    master = lbs[MASTER]
    try:
        master.check_output("systemctl stop keepalived")
        # The stopping MASTER sends a priority-0 advert: no waiting for the down timer.
        moved, elapsed = wait_until(lambda: holders(lbs) == [BACKUP], timeout=1.5, interval=0.05)
        assert moved, f"{BACKUP} did not take {VIP} within 1.5 s of a clean stop"
        status = vip_status(MASTER, expect="backup")
        assert status["vips"][0]["state"] == "STOP" and not status["vips"][0]["held"], status["msg"]
        assert http_get() is not None
    finally:
        master.run("systemctl start keepalived")
    assert_vip_served_by(lbs, MASTER, timeout=10)


def test_haproxy_death_moves_the_vip(healthy):
    lbs = healthy
    try:
        # A death that sticks: systemd does not restart HAProxy until revive_haproxy.
        kill_haproxy(MASTER)
        # systemd's hook tells keepalived at once: the MASTER leaves the election (FAULT) with a
        # priority-0 advert, where the check (every 2 s, down after 2 failures) would take 4 s
        # and more before the BACKUP's down timer even starts.
        moved, elapsed = wait_until(lambda: served(lbs, VIP, BACKUP), timeout=1.5, interval=0.05)
        assert moved, f"{BACKUP} did not serve {VIP} within 1.5 s of HAProxy's death: holders {holders(lbs)}"
        status = vip_status(MASTER, expect="fault", wait=True, timeout=5)
        assert not status.get("failed"), status["msg"]
        assert status["haproxy"] == "down", status
    finally:
        revive_haproxy(MASTER)
    # Started again, HAProxy's hook puts the MASTER back in the election, and it preempts.
    assert_vip_served_by(lbs, MASTER, timeout=15)
    assert vip_status(MASTER)["haproxy"] == "up"


def test_split_brain_is_named_and_heals(healthy):
    lbs = healthy
    backup = lbs[BACKUP]
    rule = "INPUT -p vrrp -m comment --comment hapair-test-split-brain -j DROP"
    try:
        backup.check_output(f"iptables -I {rule}")
        split, _unused = wait_until(lambda: sorted(holders(lbs)) == sorted(LB_NODES), timeout=CRASH_BOUND + 2)
        assert split, f"cutting VRRP did not split the pair: holders {holders(lbs)}"
        passed, messages = group_verdict()
        assert not passed
        verdict = next(m for m in messages if "SPLIT BRAIN" in m)
        assert MASTER in verdict and BACKUP in verdict and VIP in verdict
    finally:
        backup.run(f"iptables -D {rule}")
    # VRRP flows again: the lower priority yields, one holder remains.
    assert_vip_served_by(lbs, MASTER, timeout=10)
    passed, messages = group_verdict()
    assert passed, messages
    assert any(f"VIP {VIP} (VI_1) is held by {MASTER}" in m for m in messages), messages


def test_an_outage_is_named(healthy):
    """No holder at all: the verdict says OUTAGE (and does not trip over its own message)."""
    lbs = healthy
    try:
        for host in lbs.values():
            host.check_output("systemctl stop keepalived")
        assert wait_until(lambda: holders(lbs) == [], timeout=5)[0]
        passed, messages = group_verdict()
        assert not passed
        assert any(m.startswith("OUTAGE: no node of group") and VIP in m for m in messages), messages
    finally:
        for host in lbs.values():
            host.run("systemctl start keepalived")
    assert_vip_served_by(lbs, MASTER, timeout=15)
