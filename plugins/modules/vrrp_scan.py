#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vrrp_scan
short_description: List the VRRP groups that advertise on a node's segments
version_added: 0.1.0
description:
  - Listens for VRRP advertisements (IP protocol 112, VRRP versions 2 and 3, over IPv4 and IPv6)
    for a bounded time and reports every virtual router ID heard, per interface and address
    family, with the addresses that advertise it and their priorities, the VRRP version, the
    number of VIPs and the advert interval.
  - Use it to see which VRIDs are taken on a segment before you choose one. The keepalived role
    (its entry point C(tasks_from=segment), which C(main) and site.yml run before any host
    changes) refuses a VRID of the group that a source outside the group advertises.
  - It only listens. A packet socket with a kernel filter passes it only protocol 112; it reads
    at most 10,000 adverts and keeps at most 16 sources per VRID. It never reads a VRRPv2
    password. Adverts this host sends itself are not listed.
  - It hears what reaches the node. Unicast adverts between other hosts, and adverts a switch or
    a firewall keeps from the node, go unheard; a group that advertises less often than once in
    O(seconds) may be missed.
author:
  - hapair.loadbalancer maintainers (@hapair)
options:
  interfaces:
    description: The interfaces to listen on. Empty, the default, for every interface.
    type: list
    elements: str
    default: []
  seconds:
    description:
      - How long to listen, more than 0 and at most 60. Three times the longest advert interval on
        the segment hears every group at least twice.
    type: float
    default: 3
attributes:
  check_mode:
    support: full
    description: The module only listens.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no difference to show.
  platform:
    support: full
    platforms: linux
    description: The targets it runs on; the packet socket it listens with is Linux's.
notes:
  - Needs root (C(CAP_NET_RAW)) to open the packet socket.
seealso:
  - module: hapair.loadbalancer.vip_status
"""

EXAMPLES = r"""
- name: List the VRRP groups on eth0
  hapair.loadbalancer.vrrp_scan:
    interfaces: [eth0]
    seconds: 3
  become: true
  register: segment

- name: Show the VRIDs in use
  ansible.builtin.debug:
    msg: "{{ segment.heard | map(attribute='vrid') | unique }}"
"""

RETURN = r"""
heard:
  description: One entry per interface, address family and VRID heard, sorted.
  returned: always
  type: list
  elements: dict
  contains:
    interface:
      description: Where the adverts arrived.
      type: str
      sample: eth0
    family:
      description: 4 or 6.
      type: int
    vrid:
      description: The virtual router ID.
      type: int
      sample: 51
    versions:
      description: The VRRP versions heard for it.
      type: list
      elements: int
      sample: [2]
    adverts:
      description: How many adverts were heard.
      type: int
    vip_count:
      description: The most VIPs one advert carried.
      type: int
    advert_int:
      description: The shortest advert interval announced, in seconds.
      type: float
    auth_types:
      description: The VRRPv2 authentication types announced (V(none), V(PASS), V(AH)); empty for VRRPv3.
      type: list
      elements: str
    sources:
      description: The advertising addresses, at most 16, with the priority each announced.
      type: list
      elements: dict
      sample: [{address: 192.0.2.11, priority: 250}]
    more_sources:
      description: How many more addresses advertised it.
      type: int
frames:
  description: How many VRRP adverts were heard in all.
  returned: always
  type: int
seconds:
  description: How long the module listened.
  returned: always
  type: float
interfaces:
  description: The interfaces listened on (empty for all).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hapair.loadbalancer.plugins.module_utils import vrrp_wire


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interfaces=dict(type="list", elements="str", default=[]),
            seconds=dict(type="float", default=3),
        ),
        supports_check_mode=True,
    )
    interfaces, seconds = module.params["interfaces"], module.params["seconds"]
    if not 0 < seconds <= vrrp_wire.MAX_SECONDS:
        module.fail_json(msg=f"seconds is {seconds:g}: listen for more than 0 and at most {vrrp_wire.MAX_SECONDS} seconds")
    problems = vrrp_wire.interface_problems(interfaces)
    if problems:
        module.fail_json(msg="; ".join(problems) + ": name interfaces that `ip link` lists, or none for all")
    result = vrrp_wire.scan(seconds, interfaces)
    if result["error"]:
        module.fail_json(**result, msg=result["error"])
    del result["error"]
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
