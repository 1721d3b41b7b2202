# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stick tables shared by the group's nodes (HAProxy's peers), in one place: whether a backend
shares one, the lines it gets, the peers section the group makes, the port the firewall opens to
the members alone, and what makes a backend's stickiness or the group's peers unfit. Plain
Python: the haproxy role's template and preflight, the vrrp_firewall role and the unit tests use it.

Each node's HAProxy listens for its peers on its own address (the group model's `peers`: every
member's name and the address it sends VRRP from) and pushes every change of a shared table to
the others, so the node that takes the VIP over already knows where each client stuck. The
peers protocol has no authentication: the firewall lets only the members reach that port."""

from __future__ import annotations

import re

from ansible_collections.hapair.loadbalancer.plugins.module_utils.group import as_number, is_int, is_port, peer_address

# The peers section's name in haproxy.cfg.
SECTION = "hapair"
# haproxy_peers_port's default (roles/haproxy/defaults/main.yml), for a role that runs without
# the haproxy role's defaults in scope (vrrp_firewall in a play of its own).
DEFAULT_PORT = 10000
# What a backend may stick on; the stick-table and stick lines of each.
STICKINESS = ("source",)
# A peer's name: HAProxy takes letters, digits and . _ : - (its invalid_char()).
PEER_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# A stick table's size (entries, with an optional k, m or g: times 1024 each) and expiry (a
# HAProxy time, milliseconds without a unit), and the largest of each HAProxy takes.
SIZE = re.compile(r"([1-9][0-9]{0,9})([kmg]?)")
EXPIRE = re.compile(r"([1-9][0-9]{0,9})(us|ms|s|m|h|d)?")
MAX_SIZE = 2 ** 32 - 1
MAX_EXPIRE_MS = 2 ** 31 - 1
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
_MS = {"us": 0.001, "ms": 1, None: 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}


def sticky(backend):
    """Whether a backend sticks its clients to a server in a shared table (stickiness set)."""
    return isinstance(backend, dict) and backend.get("stickiness") not in (None, "", "none", False)


def in_use(backends):
    """Whether any backend shares a stick table: only then is there a peers section."""
    return any(sticky(b) for b in backends or [])


def group_peers(model, backends):
    """The peers section's entries, [{name, address}] in group order; none without a shared table."""
    return list((model or {}).get("peers") or []) if in_use(backends) else []


def own_address(model, me, backends):
    """The address node me's peers listener binds: its own in the model's peers; None when no
    backend shares a table (no listener)."""
    return peer_address(model, me) if in_use(backends) else None


def port(backends, configured=None):
    """The TCP port the members' HAProxy peers use, as a number; 0 when no backend shares a
    table (the firewall then opens nothing). configured: haproxy_peers_port, if known."""
    if not in_use(backends):
        return 0
    value = as_number(DEFAULT_PORT if configured in (None, "") else configured)
    return value if is_int(value) else 0


def backend_lines(backend, size, expire):
    """The lines a sticky backend gets (none for another): its table, shared with the peers,
    and what it sticks on. The table is of type ipv6, which keeps IPv4 clients too (as
    ::ffff:a.b.c.d): a type ip table would silently keep no IPv6 client, whatever binds."""
    if not sticky(backend):
        return []
    size = backend.get("stick_table_size") or size
    expire = backend.get("stick_table_expire") or expire
    return [f"stick-table type ipv6 size {size} expire {expire} peers {SECTION}", "stick on src"]


def _size_problem(value):
    found = SIZE.fullmatch(str(value))
    if not found:
        return "use a whole number of entries with an optional k, m or g, such as 100k"
    if int(found.group(1)) * _SIZE_UNITS[found.group(2)] > MAX_SIZE:
        return f"HAProxy takes at most {MAX_SIZE} entries (4g is too many): use a smaller size, such as 1m"
    return None


def _expire_problem(value):
    found = EXPIRE.fullmatch(str(value))
    if not found:
        return "use a whole number with an optional unit (us, ms, s, m, h, d), such as 30m"
    if int(found.group(1)) * _MS[found.group(2)] > MAX_EXPIRE_MS:
        return "HAProxy's timers go up to 2147483647 ms (about 24 days): use 24d or less"
    if int(found.group(1)) * _MS[found.group(2)] < 1:
        return "that is less than a millisecond: use 1ms or more, such as 30m"
    return None


def backend_problems(where, backend):
    """What makes a backend's stickiness unfit: a kind HAProxy is not told here, or a size or
    expiry that breaks the stick-table line."""
    problems = []
    if not sticky(backend):
        return problems
    if str(backend.get("stickiness")) not in STICKINESS:
        problems.append(f"{where}.stickiness is {backend.get('stickiness')!r}: use {' or '.join(STICKINESS)} "
                        "(the client's address), or leave it out for none")
    for field, judge in (("stick_table_size", _size_problem), ("stick_table_expire", _expire_problem)):
        value = backend.get(field)
        problem = judge(value) if value not in (None, "") else None
        if problem:
            problems.append(f"{where}.{field} is {value!r}: {problem}")
    return problems


def settings_problems(size, expire):
    """haproxy_stick_table_size and haproxy_stick_table_expire, the backends' defaults."""
    problems = []
    for name, value, judge in (("haproxy_stick_table_size", size, _size_problem),
                               ("haproxy_stick_table_expire", expire, _expire_problem)):
        problem = judge(value)
        if problem:
            problems.append(f"{name} is {value!r}: {problem}")
    return problems


def port_problem(port, frontend_ports=(), own_ports=()):
    """Why port cannot be the peers port (vrrp_firewall_haproxy_peers_port, haproxy_peers_port;
    0: none), or None. The firewall opens the frontends' ports to every client, and the peers
    port to the members alone: they may not share one; nor may HAProxy's own listeners."""
    if not is_port(port, zero=True):
        return f"is {port!r}: use a port number from 1 to 65535 (0: none)"
    value = as_number(port)
    taken = {as_number(p) for p in frontend_ports or []}
    if value and value in taken:
        return (f"is {value}, a port the HAProxy frontends take (open to every client): give the peers, which the "
                "group's members alone may reach, a port of their own")
    if value and value in {as_number(p) for p in own_ports or []}:
        return f"is {value}, the port of another of HAProxy's own listeners (stats, metrics): give the peers their own"
    return None


def group_problems(model, backends):
    """What keeps the group's nodes from being one another's peers: a member whose inventory name
    HAProxy does not take as a peer's name, or whose address is not known."""
    problems = []
    for peer in group_peers(model, backends):
        if not PEER_NAME.fullmatch(str(peer.get("name"))):
            problems.append(f"group member {peer.get('name')!r} shares the stick tables of haproxy_backends, but "
                            f"HAProxy takes a peer's name of 1 to 64 letters, digits or _ . : - only: rename the host "
                            "in the inventory (and set ansible_host to its address)")
        if not peer.get("address"):
            problems.append(f"group member {peer.get('name')} has no address on its VRRP interface for HAProxy's "
                            "peers: give the interface an address, or set keepalived_interface to one that has one")
    return problems
