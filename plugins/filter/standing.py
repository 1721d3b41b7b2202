# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's standing in the elections, for the keepalived role and the day-2 playbooks; every
rule lives in module_utils/standing.py.

Each filter's documentation is the YAML file of its name beside this one (plugins/filter/NAME.yml),
where ansible-doc looks for it: one file holds several filters, so one DOCUMENTATION could not
describe them all."""

from __future__ import annotations


from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.hapair.loadbalancer.plugins.module_utils import standing


def _reports(nodes, results):
    return dict(zip(nodes or [], results or []))


def standing_plan(model, nodes, results, to="", away="", reset=False):
    return standing.plan(model, _reports(nodes, results), str(to or ""), str(away or ""), boolean(reset or False, strict=False))


def standing_maintenance_plan(model, nodes, results, node, on):
    return standing.maintenance_plan(model, _reports(nodes, results), str(node or ""), on)


def standing_upgrade_input(model, nodes, restart):
    return standing.upgrade_input(model, nodes, restart)


def standing_upgrade_plan(model, nodes, results, pending):
    return standing.upgrade_plan(model, _reports(nodes, results), list(pending or []))


def standing_expectations(model, standings, node, enforce=True):
    return standing.expectations(model, standings or {}, node, boolean(enforce, strict=False))


def standing_content(model, node, name):
    return standing.content(model, node, name)


def standing_files(_ignored=None):
    """{standing, haproxy}: the paths of the two track files."""
    return {"standing": standing.STANDING_FILE, "haproxy": standing.HAPROXY_FILE}


def standing_read(model, hostvars):
    """{member: standing, or None where unknown} from what the play has read of each member: the
    group's read (lb_group_node_state, which holds the standing file's text) or a vip_status
    result registered as __verify_first."""
    found = {}
    for member in (model or {}).get("members") or []:
        try:
            node = hostvars[member]
        except KeyError:
            node = {}
        first = node.get("__verify_first") or {}
        read = ((node.get("lb_group_node_state") or {}).get("state") or {}).get("contents") or {}
        if first.get("standing"):
            found[member] = standing.name_of_standing(first["standing"])
        elif standing.STANDING_FILE in read:
            found[member] = standing.name_of(read[standing.STANDING_FILE])
        else:
            found[member] = None
    return found


def standing_notes(standings):
    return standing.notes(standings or {})


def standing_problems(model, standings):
    return standing.standings_problems(model, standings)


def standing_settle(model):
    return standing.settle_seconds(model)


def standing_kick(model, standings, node, report, enforce=True):
    return standing.kicks(model, standings or {}, node, report or {}, boolean(enforce, strict=False))


class FilterModule:
    """hapair.loadbalancer standing filters."""

    def filters(self):
        return {
            "standing_plan": standing_plan,
            "standing_maintenance_plan": standing_maintenance_plan,
            "standing_upgrade_plan": standing_upgrade_plan,
            "standing_upgrade_input": standing_upgrade_input,
            "standing_expectations": standing_expectations,
            "standing_content": standing_content,
            "standing_files": standing_files,
            "standing_settle": standing_settle,
            "standing_problems": standing_problems,
            "standing_read": standing_read,
            "standing_notes": standing_notes,
            "standing_kick": standing_kick,
        }
