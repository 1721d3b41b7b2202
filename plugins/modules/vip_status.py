#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vip_status
short_description: Report which node holds each VIP, from the kernel and from keepalived
version_added: 0.1.0
description:
  - Runs on a load-balancer node and reports, for every VIP it is given (by default every VIP
    of the node's keepalived configuration), whether this node holds it now, read from the
    kernel's addresses (C(ip -j addr show)), and keepalived's own view of the instance that
    carries it (name, state, base and effective priority).
  - keepalived's view comes from its state dump, which it writes on a signal (C(keepalived
    --signum=JSON), written to /tmp/keepalived.json), or from its data dump (C(--signum=DATA))
    where JSON is not built in. When keepalived is not running, the VIPs come from
    keepalived.conf and every instance is reported as C(STOP).
  - The two views must agree. A node that keepalived calls BACKUP but that holds the VIP is a
    fault, and so is a MASTER that does not hold it; the module fails on a fault.
  - With O(expect), the module fails unless every selected VIP is in that state on this node;
    with O(wait), it polls until the expectation holds or O(timeout) passes, so a playbook can
    wait for a failover to settle.
  - It never changes the host. Its only effect is asking keepalived for a state dump, which
    keepalived writes to its own file in /tmp. The VRRP password in that dump is never returned.
  - See the playbooks C(hapair.loadbalancer.verify) (exactly one holder per VIP across the
    group) and C(hapair.loadbalancer.status) (a table of the group).
author:
  - hapair.loadbalancer maintainers (@hapair)
options:
  vip:
    description:
      - The VIPs to report, as addresses with or without prefix length.
      - Default is every VIP of the selected keepalived instances.
    type: list
    elements: str
  instance:
    description:
      - Only report the VIPs of this VRRP instance.
    type: str
  expect:
    description:
      - V(master) - every selected VIP must be held by this node, and keepalived must call it MASTER.
      - V(backup) - no selected VIP may be held by this node, and keepalived must call it BACKUP.
      - V(fault) - no selected VIP may be held by this node, and keepalived must call it FAULT (a
        node in maintenance, or one whose HAProxy is down).
      - V(any) - any state, as long as the kernel and keepalived agree.
    type: str
    choices: [master, backup, fault, any]
    default: any
  expect_instances:
    description:
      - The expectation instance by instance, by name, over O(expect) (the same choices). The day-2
        playbooks wait with it for the state a move settles in (hapair.loadbalancer.keepalived,
        C(tasks_from=standing)).
    type: dict
    default: {}
  standing_file:
    description:
      - The file whose number keepalived adds to this node's priorities (see the role
        hapair.loadbalancer.keepalived, C(tasks_from=standing)); reported as RV(standing).
    type: path
    default: /var/lib/hapair-keepalived.standing
  haproxy_file:
    description:
      - The file systemd's hooks on haproxy.service write HAProxy's liveness to (0 up, 1 down);
        reported as RV(haproxy).
    type: path
    default: /run/hapair-keepalived.haproxy
  servers:
    description:
      - Also report each backend server's state as this node's HAProxy sees it (RV(servers)), from
        HAProxy's stats socket, the one O(haproxy_config) declares.
    type: bool
    default: false
  haproxy_config:
    description: HAProxy's configuration, read for its stats socket with O(servers).
    type: path
    default: /etc/haproxy/haproxy.cfg
  wait:
    description:
      - Poll until O(expect) holds, for at most O(timeout) seconds, instead of judging once.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait with O(wait). Without O(wait), a disagreement between the kernel and
        keepalived is re-checked for up to one second before it counts as a fault, because
        keepalived changes state and addresses in two steps.
    type: float
    default: 10
  config_file:
    description: keepalived's configuration, read for the VIPs when keepalived is not running.
    type: path
    default: /etc/keepalived/keepalived.conf
  pid_file:
    description: keepalived's PID file.
    type: path
    default: /run/keepalived.pid
attributes:
  check_mode:
    support: full
    description: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no difference to show.
  platform:
    support: full
    platforms: posix
    description: The targets it runs on.
notes:
  - Needs C(ip) from iproute2 on the node, and root to signal keepalived.
seealso:
  - name: keepalived.conf(5)
    description: keepalived's configuration, including the VRRP instances this module reports.
    link: https://keepalived.readthedocs.io/en/latest/configuration_synopsis.html
  - module: ansible.builtin.wait_for
"""

EXAMPLES = r"""
- name: Report every VIP of this node
  hapair.loadbalancer.vip_status:
  register: vip

- name: Wait until this node has taken over the VIP after a failover
  hapair.loadbalancer.vip_status:
    vip: 192.0.2.100
    expect: master
    wait: true
    timeout: 5

- name: Fail unless this node is standing by for instance VI_1
  hapair.loadbalancer.vip_status:
    instance: VI_1
    expect: backup
"""

RETURN = r"""
vips:
  description: One entry per selected VIP.
  returned: always
  type: list
  elements: dict
  contains:
    address:
      description: The VIP, without prefix length.
      type: str
      sample: 192.0.2.100
    instance:
      description: The VRRP instance that carries it, or null if none does.
      type: str
      sample: VI_1
    interface:
      description: The interface it is (or would be) on.
      type: str
      sample: eth0
    held:
      description: Whether this node's kernel holds the address now.
      type: bool
      sample: true
    state:
      description: keepalived's state of the instance, MASTER, BACKUP, FAULT, INIT or STOP.
      type: str
      sample: MASTER
    base_priority:
      description: The configured priority (null when keepalived is not running).
      type: int
      sample: 100
    effective_priority:
      description: The priority after track scripts (null when keepalived is not running).
      type: int
      sample: 100
    agree:
      description: Whether the kernel and keepalived agree (MASTER holds, others do not).
      type: bool
      sample: true
met:
  description: Whether O(expect) held when the module finished (also returned when it fails).
  returned: always
  type: bool
  sample: true
holds:
  description: The addresses of the selected VIPs this node holds.
  returned: always
  type: list
  elements: str
  sample: [192.0.2.100]
keepalived_running:
  description: Whether keepalived runs on this node.
  returned: always
  type: bool
  sample: true
source:
  description: Where keepalived's view came from, C(json), C(data) (the dumps) or C(config).
  returned: always
  type: str
  sample: json
standing:
  description:
    - This node's standing in the elections, from O(standing_file) - V(normal), V(preferred) (a
      switchover's target), V(avoid) (a switchover's source) or V(maintenance) (out of the
      election). A missing file is V(normal).
  returned: always
  type: str
  sample: normal
haproxy:
  description:
    - HAProxy's liveness as systemd's hooks last wrote it - V(up), V(down), or V(unknown) without
      the file (keepalived_track_haproxy off, or a node the keepalived role has not configured).
  returned: always
  type: str
  sample: up
servers:
  description:
    - With O(servers), each backend server as this node's HAProxy sees it, from C(show stat) on its
      stats socket - its backend, its name, HAProxy's status (V(UP), V(DOWN), V(DRAIN), V(MAINT),
      C(UP 1/3) while going down...) and its current sessions. None when the socket cannot be read.
  returned: when O(servers) is true
  type: list
  elements: dict
  sample: [{"backend": "web", "server": "web1", "status": "UP", "sessions": 3}]
servers_error:
  description: With O(servers), why the servers could not be read, or None.
  returned: when O(servers) is true
  type: str
node:
  description: This node's host name.
  returned: always
  type: str
  sample: lb1
"""

import os
import platform
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hapair.loadbalancer.plugins.module_utils import haproxy_runtime as runtime
from ansible_collections.hapair.loadbalancer.plugins.module_utils import standing as standings
from ansible_collections.hapair.loadbalancer.plugins.module_utils.keepalived_state import (
    StateError,
    assess,
    describe,
    expectation,
    matches,
    parse_config,
    parse_data_dump,
    parse_ip_addresses,
    parse_json_dump,
)

# keepalived writes its dumps here (a fixed path in keepalived 2.x).
DUMPS = (
    ("JSON", "/tmp/keepalived.json", parse_json_dump),
    ("DATA", "/tmp/keepalived.data", parse_data_dump),
)
DUMP_TIMEOUT = 3.0
POLL = 0.2


def keepalived_pid(pid_file):
    """The PID of a running keepalived, or None."""
    try:
        with open(pid_file) as handle:
            pid = int(handle.read().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def mtime(path):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def read_dump(module, pid):
    """Ask keepalived for a state dump and parse it: (instances, source)."""
    keepalived = module.get_bin_path("keepalived", required=True)
    for kind, path, parse in DUMPS:
        rc, out, _err = module.run_command([keepalived, f"--signum={kind}"])
        if rc != 0 or not out.strip().isdigit():
            continue
        before = mtime(path)
        os.kill(pid, int(out.strip()))
        deadline = time.monotonic() + DUMP_TIMEOUT
        while mtime(path) == before:
            if time.monotonic() > deadline:
                raise StateError(f"keepalived (pid {pid}) did not write {path} within {DUMP_TIMEOUT:g} s of the dump signal")
            time.sleep(0.02)
        # keepalived may still be writing: a parse error is retried briefly before it counts.
        for attempt in range(10):
            try:
                with open(path) as handle:
                    return parse(handle.read()), kind.lower()
            except StateError:
                if attempt == 9:
                    raise
                time.sleep(0.05)
    raise StateError("keepalived answers neither --signum=JSON nor --signum=DATA: no way to read its state")


def read_small(path):
    """A small file's text, or None when it cannot be read."""
    try:
        with open(path) as handle:
            return handle.read(64)
    except OSError:
        return None


def observe(module):
    """One look at the node: (reports, keepalived_running, source)."""
    params = module.params
    ip = module.get_bin_path("ip", required=True)
    rc, out, err = module.run_command([ip, "-j", "addr", "show"])
    if rc != 0:
        raise StateError(f"'ip -j addr show' failed: {err.strip()}")
    held = parse_ip_addresses(out)
    pid = keepalived_pid(params["pid_file"])
    if pid is not None:
        instances, source = read_dump(module, pid)
    else:
        try:
            with open(params["config_file"]) as handle:
                instances = parse_config(handle.read())
        except OSError as exc:
            raise StateError(f"keepalived is not running and {params['config_file']} cannot be read: {exc.strerror}") from None
        source = "config"
    return assess(instances, held, params["vip"], params["instance"]), pid is not None, source


def main():
    module = AnsibleModule(
        argument_spec=dict(
            vip=dict(type="list", elements="str"),
            instance=dict(type="str"),
            expect=dict(type="str", choices=["master", "backup", "fault", "any"], default="any"),
            expect_instances=dict(type="dict", default={}),
            wait=dict(type="bool", default=False),
            timeout=dict(type="float", default=10),
            config_file=dict(type="path", default="/etc/keepalived/keepalived.conf"),
            pid_file=dict(type="path", default="/run/keepalived.pid"),
            standing_file=dict(type="path", default=standings.STANDING_FILE),
            haproxy_file=dict(type="path", default=standings.HAPROXY_FILE),
            servers=dict(type="bool", default=False),
            haproxy_config=dict(type="path", default="/etc/haproxy/haproxy.cfg"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    node = platform.node()
    expect = params["expect"]
    by_instance = params["expect_instances"]
    choices = ("master", "backup", "fault", "any")
    wrong = {k: v for k, v in by_instance.items() if v not in choices}
    if wrong:
        module.fail_json(msg=f"{node}: expect_instances: {wrong} - each must be one of {', '.join(choices)}")
    budget = params["timeout"] if params["wait"] else 1.0
    # Read once: the servers' states are HAProxy's, whatever keepalived does meanwhile.
    servers = runtime.read_servers(params["haproxy_config"]) if params["servers"] else (None, None)
    start = time.monotonic()
    while True:
        try:
            reports, running, source = observe(module)
        except StateError as exc:
            module.fail_json(msg=f"{node}: {exc}", node=node)
        result = dict(
            changed=False,
            node=node,
            vips=reports,
            holds=[r["address"] for r in reports if r["held"]],
            keepalived_running=running,
            source=source,
            standing=standings.name_of(read_small(params["standing_file"])),
            haproxy=standings.haproxy_liveness(read_small(params["haproxy_file"])),
            met=False,
        )
        if params["servers"]:
            result["servers"], result["servers_error"] = servers
        if not reports:
            what = f"instance {params['instance']}" if params["instance"] else "the keepalived configuration"
            module.fail_json(msg=f"{node}: no VIP to report: {what} has none, and no vip was given", **result)
        faults = [r for r in reports if not r["agree"]]
        unmet = [r for r in reports if not matches(r, expectation(r, expect, by_instance))]
        if not unmet:
            break
        # Without wait only a disagreement is re-checked (for a second); an unmet
        # expectation with agreeing views is the answer.
        if time.monotonic() - start >= budget or (not params["wait"] and not faults):
            waited = f" (waited {params['timeout']:g} s)" if params["wait"] else ""
            if faults and expect == "any":
                detail = "; ".join(describe(r) for r in faults)
                module.fail_json(msg=f"{node}: the kernel and keepalived disagree{waited}: {detail}", **result)
            detail = "; ".join(f"expected {expectation(r, expect, by_instance)}, found {describe(r)}" for r in unmet)
            module.fail_json(msg=f"{node}: {detail}{waited}", **result)
        time.sleep(POLL)
    result["met"] = True
    result["msg"] = "; ".join(describe(r) for r in reports)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
