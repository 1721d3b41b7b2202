"""Notify hooks: the user's commands run on every transition, in step with keepalived's own
record (the notify FIFO's reader) and its journal."""

import time

import pytest
from hapair_harness.journal import journal_command, vrrp_events
from conftest import LB_NODES, VIP, holders, served, vip_status, vrrp_state, wait_until

pytestmark = pytest.mark.scenarios("notify",)

LB1, LB2 = (LB_NODES + [None, None])[:2]


def since(host):
    """A moment on the node's clock from which to read what happens next."""
    now = float(host.check_output("date +%s.%N"))
    time.sleep(1.1)  # journalctl --since has whole seconds
    return int(now) + 1


def hook_calls(host, start):
    """(user, state) of each hook call since start, from the hook's journal lines."""
    out = host.check_output(f"journalctl -q -o cat -t hapair-test-hook --since @{start}")
    return [tuple(line.split()[:2]) for line in out.splitlines() if line.strip()]


def keepalived_transitions(host, start):
    """The states keepalived's journal says VI_1 entered since start; a stop counts as STOP (the
    notify's name for it)."""
    events = vrrp_events(host.check_output(journal_command(start)), since=start, instance="VI_1")
    return ["STOP" if event.state == "STOPPED" else event.state for event in events]


def recorded_transitions(host, start):
    """What the FIFO reader (and the STOP notify) appended to transitions.log since start."""
    iso = host.check_output(f"date -u -d @{start} +%Y-%m-%dT%H:%M:%S")
    lines = host.file("/var/lib/hapair-keepalived/transitions.log").content_string.splitlines()
    return [line.split()[2] for line in lines if line.split()[0] >= iso and line.split()[1] == "VI_1"]


def test_every_transition_runs_its_hook_as_the_script_user(lbs):
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=15)[0], holders(lbs)
    conf = lbs[LB1].file("/etc/keepalived/keepalived.conf").content_string
    assert 'notify_master "/usr/local/sbin/hapair-test-hook MASTER"' in conf
    assert "vrrp_notify_fifo /run/hapair-keepalived.fifo" in conf
    start = max(since(host) for host in lbs.values())

    # 1. A clean stop of the MASTER: STOP there, MASTER on the BACKUP.
    lbs[LB1].check_output("systemctl stop keepalived")
    assert wait_until(lambda: served(lbs, VIP, LB2), timeout=3)[0], holders(lbs)
    # keepalived runs the STOP notify as it exits, without waiting for it: the record can follow
    # the BACKUP's takeover by a moment (CI once read MASTER here).
    assert wait_until(lambda: vrrp_state(lbs[LB1]) == "STOP", timeout=3)[0], vrrp_state(lbs[LB1])
    # 2. It returns and takes the VIP back: BACKUP (its start), then MASTER; the other BACKUP.
    lbs[LB1].check_output("systemctl start keepalived")
    assert wait_until(lambda: served(lbs, VIP, LB1) and vrrp_state(lbs[LB2]) == "BACKUP", timeout=15)[0], holders(lbs)
    # 3. The BACKUP's link goes down and up: FAULT, then BACKUP.
    route = lbs[LB2].check_output("ip route show default")
    lbs[LB2].check_output("ip link set eth0 down")
    try:
        assert wait_until(lambda: vrrp_state(lbs[LB2]) == "FAULT", timeout=5)[0], vrrp_state(lbs[LB2])
    finally:
        lbs[LB2].check_output("ip link set eth0 up")
        if route:
            lbs[LB2].run(f"ip route replace {route}")
    assert wait_until(lambda: vrrp_state(lbs[LB2]) == "BACKUP", timeout=10)[0], vrrp_state(lbs[LB2])
    assert not vip_status(LB2, expect="backup").get("failed")
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=5)[0], holders(lbs)

    expected = {LB1: ["STOP", "BACKUP", "MASTER"], LB2: ["MASTER", "BACKUP", "FAULT", "BACKUP"]}
    for name, host in lbs.items():
        # keepalived's own account, the collection's record and the user's hooks agree, in order.
        assert keepalived_transitions(host, start) == expected[name], name
        assert recorded_transitions(host, start) == expected[name], name
        calls = hook_calls(host, start)
        assert [state for _unused, state in calls] == expected[name], (name, calls)
        assert {user for user, _unused in calls} == {"keepalived_script"}, calls
