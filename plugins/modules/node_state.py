#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_state
short_description: Read, in one call, the state the load-balancer roles manage on a node
version_added: 0.1.0
description:
  - Reads packages, services, files, directory listings, sysctl values, users and the ip(6)tables filter rules of a
    node and returns them. site.yml calls it once per node before it changes anything, and the
    roles skip every task whose target already matches, so an unchanged node costs one remote
    call instead of one per task.
  - It never changes the host.
author:
  - hapair.loadbalancer maintainers (@hapair)
options:
  packages:
    description: Debian packages whose installed state to report.
    type: list
    elements: str
    default: []
  services:
    description: systemd units whose active and enabled state to report.
    type: list
    elements: str
    default: []
  files:
    description: Paths whose existence, SHA-1 checksum, mode, owner and group to report.
    type: list
    elements: path
    default: []
  contents:
    description: Paths of small text files whose contents to report.
    type: list
    elements: path
    default: []
  sysctl:
    description: Kernel parameters whose live value to report, for example C(net.ipv4.ip_nonlocal_bind).
    type: list
    elements: str
    default: []
  users:
    description: Users whose existence to report.
    type: list
    elements: str
    default: []
  scripts:
    description:
      - Paths of executables that keepalived is to run with C(enable_script_security). For each,
        the module reports why keepalived would refuse to run it, or null when it would run it.
      - keepalived runs a script only when it is an executable regular file and it and every
        directory above it are owned by root and writable by no one else.
    type: list
    elements: path
    default: []
  listings:
    description: Directories whose regular files to list by name.
    type: list
    elements: path
    default: []
  links:
    description: Paths of symbolic links whose target to report.
    type: list
    elements: path
    default: []
  iptables:
    description:
      - Report the IPv4 and IPv6 filter tables as C(iptables-save -t filter) and
        C(ip6tables-save -t filter) print them.
    type: bool
    default: false
  firewall:
    description:
      - Report which firewall managers run (firewalld, ufw, nftables), and where firewalld is
        active, the zone the VRRP rules belong to and its rich rules, in RV(state.firewall).
        Unset, the default, for none of it.
    type: dict
    suboptions:
      interfaces:
        description: The interfaces VRRP runs on, whose zones are reported; the rules belong to the first one's.
        type: list
        elements: str
        default: []
  vrrp_scan:
    description:
      - Listen for VRRP adverts while the rest is read, as M(hapair.loadbalancer.vrrp_scan) does,
        and report them in RV(state.vrrp_scan). Empty, the default, or O(vrrp_scan.seconds=0) for
        no listening.
    type: dict
    default: {}
    suboptions:
      interfaces:
        description: The interfaces to listen on; empty for all.
        type: list
        elements: str
        default: []
      seconds:
        description: How long to listen, at most 60.
        type: float
        default: 0
      vrids:
        description:
          - The VRIDs the node is to run, each on its interface (C(interface), C(family) 4 or 6,
            C(vrid)), for O(vrrp_scan.unless_running).
        type: list
        elements: dict
        default: []
      unless_running:
        description:
          - Where keepalived already runs every VRID of O(vrrp_scan.vrids) on the same interface
            (its unit is active, and its keepalived.conf has each), the node does not listen, as no
            VRID is new to the segment. RV(state.vrrp_scan.skipped) says so. Unset, the default,
            to listen always.
        type: dict
        suboptions:
          config:
            description: The path of keepalived.conf.
            type: path
            required: true
          service:
            description: keepalived's systemd unit.
            type: str
            required: true
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no difference to show.
  platform:
    support: full
    platforms: posix
    description: The targets it runs on.
seealso:
  - module: ansible.builtin.package_facts
  - module: ansible.builtin.service_facts
"""

EXAMPLES = r"""
- name: Read what the roles manage
  hapair.loadbalancer.node_state:
    packages: [haproxy, keepalived]
    services: [haproxy, keepalived]
    files: [/etc/haproxy/haproxy.cfg]
    sysctl: [net.ipv4.ip_nonlocal_bind]
    iptables: true
  register: node
"""

RETURN = r"""
state:
  description: What was read.
  returned: always
  type: dict
  contains:
    packages:
      description: Package name to whether it is installed.
      type: dict
      sample: {haproxy: true}
    services:
      description: Unit name to its C(active) and C(enabled) state.
      type: dict
      sample: {haproxy: {active: true, enabled: true}}
    files:
      description: Path to C(exists), C(checksum) (SHA-1, as Ansible's copy and template report), C(mode), C(owner), C(group), C(isdir).
      type: dict
      sample: {/etc/haproxy/haproxy.cfg: {exists: true, checksum: 3f1e..., mode: "0640", owner: root, group: haproxy, isdir: false}}
    contents:
      description: Path to the file's text, or null when it does not exist.
      type: dict
    sysctl:
      description: Parameter to its live value, or null when the kernel has no such parameter.
      type: dict
      sample: {net.ipv4.ip_nonlocal_bind: "1"}
    users:
      description: User name to whether it exists.
      type: dict
    listings:
      description: Directory to the sorted names of its regular files, or null when it is no directory.
      type: dict
      sample: {/etc/haproxy/certs: [site.pem]}
    links:
      description: Path to where the symbolic link points (as written), or null when it is no link.
      type: dict
      sample: {/var/lib/prometheus/node-exporter/hapair_vrrp.prom: /var/lib/hapair-keepalived/vrrp.prom}
    scripts:
      description: Script path to why keepalived's script security would refuse it, or null.
      type: dict
      sample: {/usr/local/sbin/on-master: "/usr/local/sbin/on-master is not executable"}
    iptables:
      description:
        - The lines of C(iptables-save -t filter), empty when iptables is not installed or fails.
        - Only with O(iptables=true).
      type: list
      elements: str
    ip6tables:
      description:
        - The lines of C(ip6tables-save -t filter), empty when it is not installed or fails.
        - Only with O(iptables=true).
      type: list
      elements: str
    iptables_failed:
      description:
        - The families (C(ipv4), C(ipv6)) whose save command is installed but failed.
        - Only with O(iptables=true).
      type: list
      elements: str
    firewall:
      description:
        - C(managers), each firewall manager's unit as C(active) and C(enabled) (ufw active only
          where /etc/ufw/ufw.conf also says ENABLED=yes, as its unit runs while ufw is off too);
          C(firewalld), null unless firewalld is active, else its C(zone) (the first interface's,
          firewalld's default zone for an interface bound to none), C(zones) (each interface's),
          that zone's C(runtime) and C(permanent) rich rules, and C(failed), the views that could
          not be listed.
        - Only with O(firewall).
      type: dict
    vrrp_scan:
      description:
        - What the listener heard, as M(hapair.loadbalancer.vrrp_scan) returns it, and why it
          could not listen or did not.
        - Only with O(vrrp_scan.seconds) above 0.
      type: dict
      contains:
        heard:
          description: One entry per interface, address family and VRID heard, as RV(hapair.loadbalancer.vrrp_scan#module:heard).
          type: list
          elements: dict
        frames:
          description: How many VRRP adverts were heard in all.
          type: int
        seconds:
          description: How long the node was asked to listen (0 where the listen was skipped).
          type: float
        interfaces:
          description: The interfaces listened on (empty for all).
          type: list
          elements: str
        error:
          description: Why the node could not listen, or null.
          type: str
        skipped:
          description:
            - Why the node did not listen (O(vrrp_scan.unless_running)); then nothing is heard.
          returned: only when the node did not listen
          type: str
"""

import threading

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hapair.loadbalancer.plugins.module_utils import vrrp_wire
from ansible_collections.hapair.loadbalancer.plugins.module_utils.node_read import (
    file_state, firewall, iptables_read, link_target, listing, packages, read_text, script_refusal, services, sysctl, users,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            services=dict(type="list", elements="str", default=[]),
            files=dict(type="list", elements="path", default=[]),
            contents=dict(type="list", elements="path", default=[]),
            sysctl=dict(type="list", elements="str", default=[]),
            users=dict(type="list", elements="str", default=[]),
            scripts=dict(type="list", elements="path", default=[]),
            listings=dict(type="list", elements="path", default=[]),
            links=dict(type="list", elements="path", default=[]),
            iptables=dict(type="bool", default=False),
            firewall=dict(type="dict", options=dict(
                interfaces=dict(type="list", elements="str", default=[]),
            )),
            vrrp_scan=dict(type="dict", default={}, options=dict(
                interfaces=dict(type="list", elements="str", default=[]),
                seconds=dict(type="float", default=0),
                vrids=dict(type="list", elements="dict", default=[]),
                unless_running=dict(type="dict", options=dict(
                    config=dict(type="path", required=True),
                    service=dict(type="str", required=True),
                )),
            )),
        ),
        supports_check_mode=True,
    )
    p = module.params
    # The listener runs beside the reads: the run waits for the longer of the two, not both.
    scan = p["vrrp_scan"] or {}
    heard, listener = {}, None
    skipped = None
    running = scan.get("unless_running")
    if (scan.get("seconds") or 0) > 0 and running:
        active = services(module, [running["service"]])[running["service"]]["active"]
        skipped = vrrp_wire.skip_reason(read_text(running["config"]), active, scan.get("vrids"), running["config"])
    if skipped:
        heard.update({"seconds": 0.0, "interfaces": scan.get("interfaces") or [], "heard": [], "frames": 0,
                      "error": None, "skipped": skipped})
    elif (scan.get("seconds") or 0) > 0:
        listener = threading.Thread(target=lambda: heard.update(_scan(scan)), daemon=True)
        listener.start()
    state = {
        "packages": packages(module, p["packages"]),
        "services": services(module, p["services"]),
        "files": {path: file_state(path) for path in p["files"]},
        "contents": {path: read_text(path) for path in p["contents"]},
        "sysctl": sysctl(p["sysctl"]),
        "users": users(p["users"]),
        "scripts": {path: script_refusal(path) for path in p["scripts"]},
        "listings": {path: listing(path) for path in p["listings"]},
        "links": {path: link_target(path) for path in p["links"]},
    }
    # A family whose table could not be listed is named: a rollback leaves its rules alone.
    # Only when asked: a caller tells "not read" (no key) from "read, and empty" (a node without
    # iptables has no rules, and needs no second read after installing it).
    if p["iptables"]:
        state["iptables"], failed4 = iptables_read(module)
        state["ip6tables"], failed6 = iptables_read(module, "ip6tables-save")
        state["iptables_failed"] = [family for family, failed in (("ipv4", failed4), ("ipv6", failed6)) if failed]
    if p["firewall"] is not None:
        state["firewall"] = firewall(module, p["firewall"]["interfaces"])
    if listener is not None:
        listener.join()
    if heard:
        state["vrrp_scan"] = heard
    module.exit_json(changed=False, state=state)


def _scan(request):
    problems = vrrp_wire.interface_problems(request.get("interfaces"))
    if problems:
        return {"seconds": request["seconds"], "interfaces": request.get("interfaces") or [], "heard": [], "frames": 0,
                "error": "; ".join(problems)}
    return vrrp_wire.scan(min(request["seconds"], vrrp_wire.MAX_SECONDS), request.get("interfaces"))


if __name__ == "__main__":
    main()
