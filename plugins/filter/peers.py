# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stick tables shared by the group's nodes for templates and tasks; every rule lives in
module_utils/peers.py.

Each filter's documentation is the YAML file of its name beside this one (plugins/filter/NAME.yml),
where ansible-doc looks for it: one file holds several filters, so one DOCUMENTATION could not
describe them all."""

from __future__ import annotations


from ansible_collections.hapair.loadbalancer.plugins.module_utils import peers


def peers_backend_lines(backend, size, expire):
    return peers.backend_lines(backend or {}, size, expire)


def peers_section(model, backends):
    """{name, peers: [{name, address}]}; peers empty when no backend shares a table."""
    return {"name": peers.SECTION, "peers": peers.group_peers(model, backends)}


def peers_port(backends, configured=None):
    return peers.port(backends, configured)


def peers_own_address(model, me, backends):
    return peers.own_address(model, me, backends)


def peers_port_problem(port, frontend_ports=(), own_ports=()):
    return peers.port_problem(port, frontend_ports, own_ports)


def peers_problems(model, backends, size, expire):
    return peers.group_problems(model, backends) + (peers.settings_problems(size, expire) if peers.in_use(backends) else [])


class FilterModule:
    """hapair.loadbalancer peers filters."""

    def filters(self):
        return {
            "peers_backend_lines": peers_backend_lines,
            "peers_section": peers_section,
            "peers_port": peers_port,
            "peers_own_address": peers_own_address,
            "peers_problems": peers_problems,
            "peers_port_problem": peers_port_problem,
        }
