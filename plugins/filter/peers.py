# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stick tables shared by the group's nodes for templates and tasks; every rule lives in
module_utils/peers.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: peers_backend_lines
short_description: The stick-table lines of a HAProxy backend that shares its table with the group
version_added: 0.1.0
description:
  - Returns the lines a backend with C(stickiness) gets (its stick table, shared with the group's
    peers, and what it sticks on), or an empty list.
  - The same plugin file provides C(peers_section) (the peers section's name and entries, each
    member's name and address, none when no backend shares a table), C(peers_port) (the port the
    firewall opens to the members alone, 0 for none), C(peers_own_address) (the address this node's
    peers listener binds, none when off), C(peers_problems) (what keeps the group's stickiness
    from working) and C(peers_port_problem) (why a port cannot be the peers port).
author:
  - hapair.loadbalancer maintainers
positional: size, expire
options:
  _input:
    description: The backend, as in C(haproxy_backends).
    type: dict
    required: true
  size:
    description: C(haproxy_stick_table_size), unless the backend sets C(stick_table_size).
    type: str
    required: true
  expire:
    description: C(haproxy_stick_table_expire), unless the backend sets C(stick_table_expire).
    type: str
    required: true
"""

EXAMPLES = r"""
lines: "{{ backend | hapair.loadbalancer.peers_backend_lines(haproxy_stick_table_size, haproxy_stick_table_expire) }}"
"""

RETURN = r"""
_value:
  description: The lines, without indentation.
  type: list
  elements: str
"""

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
