# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VRRP groups heard on the segment, against the group's own; every rule lives in
module_utils/vrrp_wire.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: vrrp_collisions
short_description: The group's VRIDs that a source outside the group also advertises
version_added: 0.1.0
description:
  - From the group model and what each node heard (M(hapair.loadbalancer.vrrp_scan), or the
    C(vrrp_scan) of M(hapair.loadbalancer.node_state)), the messages for each VRID of the group
    that an address outside the group advertises on the interface the instance runs on, naming
    the VRID, the instance, the foreign addresses, the nodes that heard them and VRIDs no one
    used; and for each node that could not listen.
  - A source is the group's own when it is an address of a member (any interface, from its
    facts), so the group's running keepalived passes, also with an old VRID.
  - The same plugin file provides C(vrrp_heard_lines) (one line per VRID each node heard),
    C(vrrp_scan_request) (what a node listens to) and C(vrrp_scan_seconds_problems) (the
    listening time, checked).
author:
  - hapair.loadbalancer maintainers
positional: scans
options:
  _input:
    description: The group model (hapair.loadbalancer.lb_group).
    type: dict
    required: true
  scans:
    description: Each node's scan, by inventory name.
    type: dict
    required: true
"""

EXAMPLES = r"""
problems: "{{ lb_group_model | hapair.loadbalancer.vrrp_collisions({'lb1': scan1, 'lb2': scan2}) }}"
"""

RETURN = r"""
_value:
  description: The messages; empty when no VRID of the group is taken.
  type: list
  elements: str
"""

from ansible_collections.hapair.loadbalancer.plugins.module_utils import vrrp_wire


def vrrp_collisions(model, scans):
    return vrrp_wire.collisions(model, scans)


def vrrp_heard_lines(model, scans):
    return vrrp_wire.heard_lines(model, scans)


def vrrp_scan_request(model, me, seconds, running=None):
    return vrrp_wire.scan_request(model, me, seconds, running)


def vrrp_scan_seconds_problems(value):
    return vrrp_wire.seconds_problems(value)


class FilterModule:
    """hapair.loadbalancer segment filters."""

    def filters(self):
        return {
            "vrrp_collisions": vrrp_collisions,
            "vrrp_heard_lines": vrrp_heard_lines,
            "vrrp_scan_request": vrrp_scan_request,
            "vrrp_scan_seconds_problems": vrrp_scan_seconds_problems,
        }
