# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VRRP groups heard on the segment, against the group's own; every rule lives in
module_utils/vrrp_wire.py.

Each filter's documentation is the YAML file of its name beside this one (plugins/filter/NAME.yml),
where ansible-doc looks for it: one file holds several filters, so one DOCUMENTATION could not
describe them all."""

from __future__ import annotations


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
