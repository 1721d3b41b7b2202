"""Day-2 moves with traffic through the VIP: a planned switchover there and back (switchover.yml),
maintenance on and off and across a reboot of the node's container (maintenance.yml), and a
switchover of an instance that does not preempt (its holder leaves the election for a moment).
Each test leaves the pair as it found it, also when it fails.

Their speed (failed requests, seconds) is measured by `make bench`; here only functional bounds.
"""

import subprocess

import pytest
from hapair_harness import Probe
from hapair_harness.probe import brief
from hapair_harness.journal import first_entered, journal_command, state_when_stopped, vrrp_events
from conftest import LB_NODES, SCENARIO, VIP, holders, run_playbook, run_site, served, vip_status, wait_until

pytestmark = pytest.mark.scenarios("fast", "nopreempt")

LB1, LB2 = (LB_NODES + [None, None])[:2]


def holder(lbs):
    found = holders(lbs)
    return found[0] if len(found) == 1 else None


def told(summary):
    """A probe's summary whole, the failures by kind first (pytest cuts a long dict short)."""
    return f"failures by kind {summary['errors']}; {summary}"


def switchover(*args):
    rc, out = run_playbook("hapair.loadbalancer.switchover", *args)
    assert rc == 0, out[-3000:]
    return out


def maintenance(node, state):
    rc, out = run_playbook("hapair.loadbalancer.maintenance", "-e", f"hapair_node={node}", "-e", f"hapair_maintenance={state}")
    assert rc == 0, out[-3000:]
    return out


@pytest.fixture
def settled(lbs):
    """One node serves the VIP; every standing is normal again afterwards."""
    assert wait_until(lambda: holder(lbs) is not None, timeout=30)[0], holders(lbs)
    yield lbs
    # Each node's standing, read once: a playbook runs only for what a test left behind.
    standings = {node: vip_status(node).get("standing") for node in LB_NODES}
    if set(standings.values()) - {"normal", "maintenance"}:
        run_playbook("hapair.loadbalancer.switchover", "-e", "hapair_switchover_reset=true")
    for node, standing in standings.items():
        if standing == "maintenance":
            run_playbook("hapair.loadbalancer.maintenance", "-e", f"hapair_node={node}", "-e", "hapair_maintenance=off")


def test_a_planned_switchover_moves_every_vip_there_and_back(settled):
    lbs = settled
    first = holder(lbs)
    other = LB2 if first == LB1 else LB1
    for target, source in ((other, first), (first, other)):
        since = float(lbs[target].check_output("date +%s.%N"))
        with Probe(target=(VIP, 80)) as probe:
            switchover("-e", f"hapair_switchover_to={target}")
            assert served(lbs, VIP, target), holders(lbs)
        summary = probe.summary()
        # The new MASTER announces itself before the old one lets go, by their journals: never
        # a gap with no holder. An instance without preemption has a gap of a skew time instead
        # (its holder leaves the election first). The probe only guards against a gross failure:
        # on a loaded machine a request can time out for reasons of its own, and a request in
        # flight at the very moment may be reset (make bench counts those).
        if SCENARIO != "nopreempt":
            became, let_go = entered(lbs, target, since, "MASTER"), entered(lbs, source, since, "BACKUP")
            # Within 50 ms (each node's journal stamps a line when it receives it): a real gap
            # lasts a down timer, 0.3 s in the fast profile.
            assert became is not None and let_go is not None and became <= let_go + 0.05, (target, became, source, let_go)
        assert summary["sent"] > 100 and brief(summary, bound=2.0), told(summary)
    # From: away from the holder, which stays the last resort (avoid).
    switchover("-e", f"hapair_switchover_from={first}")
    assert served(lbs, VIP, other), holders(lbs)
    assert vip_status(first)["standing"] == "avoid"


def test_a_switchover_that_cannot_be_done_changes_nothing(settled):
    lbs = settled
    before = holder(lbs)
    rc, out = run_playbook("hapair.loadbalancer.switchover", "-e", "hapair_switchover_to=nonesuch")
    assert rc != 0 and "hapair_switchover_to=nonesuch is no member of the group" in out, out[-2000:]
    rc, out = run_playbook("hapair.loadbalancer.maintenance", "-e", f"hapair_node={LB1}", "-e", "hapair_maintenance=maybe")
    assert rc != 0 and "hapair_maintenance=maybe: give on or off" in out, out[-2000:]
    assert holder(lbs) == before and {vip_status(n)["standing"] for n in LB_NODES} == {"normal"}


@pytest.mark.scenarios("fast")
def test_maintenance_holds_across_a_reboot_and_release_returns_the_vip(settled):
    lbs = settled
    switchover("-e", f"hapair_switchover_to={LB1}")
    with Probe(target=(VIP, 80)) as probe:
        maintenance(LB1, "on")
    assert brief(probe.summary()), told(probe.summary())
    assert served(lbs, VIP, LB2), holders(lbs)
    status = vip_status(LB1, expect="fault")
    assert not status.get("failed") and status["standing"] == "maintenance", status
    assert lbs[LB1].service("haproxy").is_running
    # A reboot of its container: keepalived comes back out of the election.
    subprocess.run(["podman", "restart", "-t", "5", LB1], check=True, capture_output=True, timeout=120)
    assert wait_until(lambda: vip_status(LB1).get("vips", [{}])[0].get("state") == "FAULT", timeout=60, interval=1)[0]
    # Longer than a BACKUP's down timer: LB1 has not taken the VIP back.
    assert not wait_until(lambda: LB1 in holders(lbs), timeout=3, interval=0.2)[0], holders(lbs)
    # site.yml keeps it in maintenance, and says so.
    rc, out = run_site()
    assert rc == 0 and f"{LB1} is in maintenance" in out, out[-3000:]
    assert served(lbs, VIP, LB2), holders(lbs)
    maintenance(LB1, "off")
    # Released, it preempts (the configured MASTER).
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=10)[0], holders(lbs)
    assert vip_status(LB1)["standing"] == "normal"


@pytest.mark.scenarios("nopreempt")
def test_an_instance_without_preemption_still_moves(settled):
    # A priority change alone leaves the VIP where it is; the holder leaves the election for a
    # moment (priority-0 advert) and comes back as a BACKUP.
    lbs = settled
    first = holder(lbs)
    other = LB2 if first == LB1 else LB1
    switchover("-e", f"hapair_switchover_to={other}")
    assert served(lbs, VIP, other), holders(lbs)
    assert vip_status(first, expect="backup")["standing"] == "normal"
    switchover("-e", f"hapair_switchover_to={first}")
    assert served(lbs, VIP, first), holders(lbs)


def started(lbs, node):
    """{unit: (main PID, start time in monotonic microseconds)} of keepalived and HAProxy on node."""
    found = {}
    for unit in ("keepalived", "haproxy"):
        out = lbs[node].check_output(f"systemctl show -p MainPID -p ActiveEnterTimestampMonotonic {unit}")
        props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        found[unit] = (props["MainPID"], int(props["ActiveEnterTimestampMonotonic"]))
    return found


def entered(lbs, node, since, state):
    """When node's keepalived first entered state after `since` (epoch seconds), by its journal,
    or None."""
    return first_entered(vrrp_events(lbs[node].check_output(journal_command(since)), since=since), state)


def state_when_keepalived_stopped(lbs, node, since):
    """The VRRP state node's keepalived had last entered when systemd began to stop it, by its
    journal since `since` (epoch seconds)."""
    journal = lbs[node].check_output(journal_command(since))
    events = vrrp_events(journal)
    assert any(event.state == "STOPPED" for event in events), f"keepalived on {node} was not stopped:\n{journal[-2000:]}"
    return state_when_stopped(events)


@pytest.mark.scenarios("fast")
def test_a_rolling_upgrade_hands_each_nodes_vips_over_before_its_daemons_restart(settled):
    lbs = settled
    first = holder(lbs)
    other = LB2 if first == LB1 else LB1
    before = {node: started(lbs, node) for node in LB_NODES}
    since = float(lbs[first].check_output("date +%s.%N"))
    # No package is newer in the test's sources: restarting anyway is the same hand-over.
    with Probe(target=(VIP, 80), max_seconds=600) as probe:
        rc, out = run_playbook("hapair.loadbalancer.upgrade", "-e", "hapair_upgrade_restart=true")
    assert rc == 0 and f"Upgrading, one at a time: {other}, {first}." in out, out[-3000:]
    summary = probe.summary()
    # Two moves: the holder's VIPs to the other node, and back once it preempts again.
    assert summary["sent"] > 100 and brief(summary, moves=2), told(summary)
    after = {node: started(lbs, node) for node in LB_NODES}
    # Both daemons restarted everywhere, the BACKUP first; the holder had handed its VIP over
    # when its keepalived stopped.
    assert all(after[n][u][0] != before[n][u][0] for n in LB_NODES for u in ("keepalived", "haproxy")), (before, after)
    assert after[other]["haproxy"][1] < after[first]["keepalived"][1], after
    assert state_when_keepalived_stopped(lbs, first, since) == "BACKUP"
    assert served(lbs, VIP, first), holders(lbs)
    assert {vip_status(n)["standing"] for n in LB_NODES} == {"normal"}
    # Nothing newer and no restart asked: no node is touched, no VIP moves. In check mode, it
    # says what it would do, and does none of it.
    rc, out = run_playbook("hapair.loadbalancer.upgrade")
    assert rc == 0 and "Nothing to upgrade" in out, out[-3000:]
    rc, out = run_playbook("hapair.loadbalancer.upgrade", "--check", "-e", "hapair_upgrade_restart=yes")
    assert rc == 0 and f"Would upgrade, one at a time: {other}, {first}." in out, out[-3000:]
    assert {node: started(lbs, node) for node in LB_NODES} == after and served(lbs, VIP, first)
    rc, out = run_playbook("hapair.loadbalancer.upgrade", "-e", "hapair_upgrade_nodes=nonesuch", "-e",
                           "hapair_upgrade_restart=maybe")
    assert rc != 0 and "hapair_upgrade_nodes=nonesuch: nonesuch is no member of the group" in out, out[-2000:]
    assert "hapair_upgrade_restart=maybe: give true" in out, out[-2000:]
