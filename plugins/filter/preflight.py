# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the roles' preflight checks; the rules live in module_utils/validation.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: keepalived_resolve
short_description: Apply every default to a node's keepalived instances
version_added: 0.1.0
description:
  - Used by the keepalived role; also the filters C(keepalived_problems),
    C(keepalived_group_problems) and C(haproxy_problems), which return the broken rules of
    the input as messages that name the variable, the bad value and the fix, and C(own_ipv6),
    a node's own global IPv6 address from its facts (never one of the given VIPs).
author:
  - hapair.loadbalancer maintainers
positional: settings, nodes, me
options:
  _input:
    description: The keepalived_instances list.
    type: list
    elements: dict
    required: true
  settings:
    description: The role-wide defaults (interface, vrrp_version, advert_int, auth_type, auth_pass, priority_base, priority_step, track_haproxy).
    type: dict
    required: true
  nodes:
    description: The VRRP group in inventory order.
    type: list
    elements: str
    required: true
  me:
    description: This node's inventory name.
    type: str
    required: true
"""

EXAMPLES = r"""
__keepalived_resolved: "{{ keepalived_instances | hapair.loadbalancer.keepalived_resolve(settings, groups['lb'], inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: The instances with name, virtual_router_id, vips, interface, advert_int, version, auth_type, priority, state, master, nopreempt, track_haproxy.
  type: list
  elements: dict
"""

from ansible_collections.hapair.loadbalancer.plugins.module_utils import validation


def keepalived_resolve(instances, settings, nodes, me):
    return validation.resolve_instances(instances, settings, list(nodes or []), me)


def keepalived_problems(resolved, facts=None, raw=None):
    return validation.keepalived_problems(resolved, facts, raw)


def keepalived_group_problems(views, check_weight, weak_weight_ok=False):
    problems, warnings = validation.group_problems(dict(views), check_weight, weak_weight_ok)
    return {"problems": problems, "warnings": warnings}


def own_ipv6(facts, vips=None):
    return validation.own_ipv6_address(facts, vips or [])


def haproxy_problems(frontends, backends, vips=None, local_addresses=None, stats_port=None):
    return validation.haproxy_problems(frontends, backends, vips, local_addresses, stats_port)


class FilterModule:
    """hapair.loadbalancer preflight filters."""

    def filters(self):
        return {
            "keepalived_resolve": keepalived_resolve,
            "keepalived_problems": keepalived_problems,
            "keepalived_group_problems": keepalived_group_problems,
            "haproxy_problems": haproxy_problems,
            "own_ipv6": own_ipv6,
        }
