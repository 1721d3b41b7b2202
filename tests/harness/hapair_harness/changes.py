"""Changes to what a group's VRRP adverts carry, applied while the group is watched: for each
kind, the seconds a VIP had two holders, the seconds it had none, and the requests through the
VIP that failed. Shared by the three_nodes scenario (test_advert_changes.py) and `make bench`."""

from __future__ import annotations

import json
import time

from hapair_harness.nodes import holders, wait_until
from hapair_harness.probe import Probe
from hapair_harness.watch import HolderWatch

# The kinds of change, in the order they are applied: each builds on the one before, and the
# last puts the group back as it started. A kind whose new advert cannot meet the old one (a
# new VRID is a new VRRP group; a new transport) restarts the election: some seconds with no
# holder, never two.
RESTARTS = ("VRID changed", "multicast to unicast", "unicast to multicast", "all back")


def advert_kinds(base_instance, auth_pass, extra_vip):
    """[(kind, extra variables for site.yml)], cumulative from base_instance (the group's one
    instance) and its password; extra_vip is the address/prefix the first kind adds."""
    steps = [
        ("VIP added", {"vips": base_instance["vips"] + [extra_vip]}, None),
        ("VIP removed", {"vips": base_instance["vips"]}, None),
        ("advert_int changed", {"advert_int": 2}, None),
        ("password changed", {}, auth_pass[:4] + "-new"),
        ("VRID changed", {"virtual_router_id": base_instance["virtual_router_id"] + 10}, None),
        ("multicast to unicast", {"unicast": True}, None),
        ("unicast to multicast", {"unicast": False}, None),
    ]
    instance, password, kinds = dict(base_instance), auth_pass, []
    for kind, change, new_password in steps:
        instance = {**instance, **change}
        password = new_password or password
        kinds.append((kind, {"keepalived_instances": [instance], "keepalived_auth_pass": password}))
    kinds.append(("all back", {"keepalived_instances": [dict(base_instance)], "keepalived_auth_pass": auth_pass}))
    return kinds


def extra_vars(variables):
    return json.dumps(variables)


def configured_vips(variables):
    """The VIP addresses a kind's variables configure (without their prefix)."""
    return [vip.split("/")[0] for inst in variables["keepalived_instances"] for vip in inst["vips"]]


def measure(apply, nodes, vips, target, expected, timeout=60, settle=1.0):
    """Run apply() (a site.yml run: returns (rc, output)) while watching who holds each of vips
    on nodes and sending a request every 10 ms to target; then wait (at most timeout seconds)
    until each of expected (the VIPs the change configures) has one holder and the others none,
    and settle. Returns {rc, output, settled, two, none, failed, sent, errors, seconds}: two, the
    longest any VIP had two or more holders; none, the longest a VIP held before and after had
    none (a VIP added or removed has none on one side by design)."""
    before = {vip: holders(nodes, vip) for vip in vips}
    with HolderWatch(nodes, vips) as watch, Probe(target, timeout=2.0) as probe:
        started = time.time()
        rc, output = apply()
        settled, _unused = wait_until(lambda: all(len(holders(nodes, vip)) == (1 if vip in expected else 0) for vip in vips),
                                      timeout=timeout)
        time.sleep(settle)
        ended = time.time()
    after = {vip: list(watch.holders_now(vip)) for vip in vips}
    kept = [vip for vip in vips if before[vip] and after[vip]]
    summary = probe.summary()
    return {
        "rc": rc, "output": output, "settled": settled, "seconds": round(ended - started, 1),
        "two": max((watch.seconds_with_two_or_more(vip, started, ended) for vip in vips), default=0.0),
        "none": max((watch.seconds_with(vip, 0, started, ended) for vip in kept), default=0.0),
        "failed": summary["failed"], "sent": summary["sent"], "errors": summary["errors"],
    }
