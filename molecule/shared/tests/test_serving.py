"""Failover that follows the node able to serve: a MASTER cut off from its backends (its HAProxy
alive, but no server UP in a backend) gives the VIP to the BACKUP that still reaches them, and
takes it back once it reaches them again; where every node has lost them, each has lost the same
weight and the configured order holds again: the MASTER holds the VIP, and it stays there. And a
backend server drained at runtime (backend.yml) under traffic: no failed request, no new request
to it, and `ready` brings it back. Each test leaves the pair as it found it, also when it fails.

The outage is measured by `make bench`; here only functional bounds.
"""

import re

import pytest
import testinfra
from hapair_harness import Probe
from conftest import BACKENDS, LB_NODES, VIP, holders, http_get, run_playbook, served, vip_status, wait_until

pytestmark = pytest.mark.scenarios("fast",)

LB1, LB2 = (LB_NODES + [None, None])[:2]
MARK = "hapair-test-cut-off"


def backend_addresses():
    return [testinfra.get_host(f"podman://{name}").interface("eth0").addresses[0] for name in BACKENDS]


def cut_off(host, addresses):
    for address in addresses:
        host.check_output(f"iptables -I OUTPUT -d {address} -m comment --comment {MARK} -j DROP")


def reconnect(host):
    """Every rule cut_off added, gone (bounded: one per backend and a few to spare)."""
    for _unused in range(2 * len(BACKENDS) + 2):
        rules = [line for line in host.check_output("iptables -S OUTPUT").splitlines() if MARK in line]
        if not rules:
            return
        host.run("iptables " + rules[0].replace("-A OUTPUT", "-D OUTPUT", 1))


def test_a_master_cut_off_from_its_backends_gives_the_vip_away(lbs):
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=30)[0], holders(lbs)
    addresses = backend_addresses()
    try:
        cut_off(lbs[LB1], addresses)
        # HAProxy marks the servers DOWN (3 failed checks, 2 s apart), the monitor URI answers 503,
        # keepalived's check fails twice (2 s apart): LB1 loses 20 and LB2 takes over after its
        # down timer. HTTP through the VIP is answered by LB2.
        moved, _unused = wait_until(lambda: served(lbs, VIP, LB2), timeout=30, interval=0.5)
        assert moved, f"{LB2} did not take {VIP} from {LB1}, cut off from its backends: holders {holders(lbs)}"
        status = vip_status(LB1, expect="backup")
        assert status["vips"][0]["effective_priority"] == status["vips"][0]["base_priority"] - 20, status
        # Every node cut off: both lose alike, so the configured order holds again (LB1 preempts
        # once LB2's check has failed too) and nothing flaps after. No node can serve: 503s.
        cut_off(lbs[LB2], addresses)
        assert wait_until(lambda: holders(lbs) == [LB1], timeout=40, interval=0.5)[0], holders(lbs)
        assert not wait_until(lambda: holders(lbs) != [LB1], timeout=5, interval=0.2)[0], holders(lbs)
        status = vip_status(LB2, expect="backup")
        assert status["vips"][0]["effective_priority"] == status["vips"][0]["base_priority"] - 20, status
    finally:
        reconnect(lbs[LB1])
        reconnect(lbs[LB2])
        # Reconnected, both get their priority back, each after its own checks: until both have,
        # the VIP may still move (LB2 back at 240 while LB1 is still at 230), under the next test.
        settled = wait_until(lambda: at_full_priority(LB1) and at_full_priority(LB2), timeout=40, interval=1)[0]
    assert settled, (vip_status(LB1), vip_status(LB2))
    # LB1, the MASTER, serves through the VIP again.
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=40, interval=0.5)[0], holders(lbs)


def at_full_priority(node):
    """Every instance of node at its base priority (no check failing)."""
    vips = vip_status(node).get("vips") or []
    return bool(vips) and all(v["effective_priority"] == v["base_priority"] for v in vips)


def served_by(count=20):
    """The backends that answered count requests through the VIP (each on a new connection)."""
    answers = [http_get() for _unused in range(count)]
    assert all(a is not None and a[0] == 200 for a in answers), answers
    return {a[1].strip().removeprefix("backend ") for a in answers}


def test_a_drained_server_takes_no_new_request_and_ready_brings_it_back(lbs):
    assert wait_until(lambda: served(lbs, VIP, LB1), timeout=30)[0], holders(lbs)
    drained = BACKENDS[1]
    # Every server UP (after a cut-off, HAProxy needs 2 good checks 2 s apart for each).
    assert wait_until(lambda: served_by(10) == set(BACKENDS), timeout=20, interval=1)[0]
    with Probe(target=(VIP, 80)) as probe:
        rc, out = run_playbook("hapair.loadbalancer.backend", "-e", "hapair_backend=web", "-e", "hapair_server=web2",
                               "-e", "hapair_state=drain")
        assert rc == 0, out[-3000:]
        # Every node's HAProxy sends no new request to it (the BACKUP's too: it would serve after a failover).
        assert drained not in served_by(), "a drained server still took new requests"
        for node in LB_NODES:
            assert f"{node}: web/web2 UP -> DRAIN" in out or f"{node}: web/web2 DRAIN -> DRAIN" in out, out[-3000:]
        # status.yml shows it on every node, beside the server that still serves.
        rc, out = run_playbook("hapair.loadbalancer.status")
        assert rc == 0 and re.search(r"web/web2 +server +DRAIN \(\d+\) +DRAIN \(\d+\)", out), out[-3000:]
        assert re.search(r"web/web1 +server +UP \(\d+\) +UP \(\d+\)", out), out[-3000:]
        rc, out = run_playbook("hapair.loadbalancer.backend", "-e", "hapair_backend=web", "-e", "hapair_server=web2",
                               "-e", "hapair_state=ready")
        assert rc == 0, out[-3000:]
    assert probe.summary()["failed"] == 0, probe.summary()
    assert served_by() == set(BACKENDS)
    # A server the backend does not have: refused before any node changes, naming the fix.
    rc, out = run_playbook("hapair.loadbalancer.backend", "-e", "hapair_backend=web", "-e", "hapair_server=web9",
                           "-e", "hapair_state=drain")
    assert rc != 0 and "which backend web does not have: name one of web1, web2" in out, out[-2000:]
