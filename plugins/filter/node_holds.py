# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a node, as hapair.loadbalancer.node_state read it, already holds a file or directory."""

from __future__ import annotations

import hashlib

DOCUMENTATION = r"""
name: node_holds
short_description: Whether a node already holds a file as a task would write it
version_added: 0.1.0
description:
  - Compares what C(hapair.loadbalancer.node_state) read of a path with what a task would make
    of it. The roles skip their template and file tasks without a remote call when it is true.
  - False when there is no node_state result (a role used outside site.yml), so the task runs.
author:
  - hapair.loadbalancer maintainers
positional: path, content, mode, owner, group
options:
  _input:
    description: The registered result of C(hapair.loadbalancer.node_state), or nothing.
    type: raw
    required: true
  path:
    description: The path the task manages.
    type: str
    required: true
  content:
    description: The file's content as the task would write it (for example a rendered template); null for a directory.
    type: raw
    required: true
  mode:
    description: The mode, as four octal digits.
    type: str
    required: true
  owner:
    description: The owning user.
    type: str
    required: true
  group:
    description: The owning group.
    type: str
    required: true
"""

EXAMPLES = r"""
when: not (__hapair_node_state | default(none) | hapair.loadbalancer.node_holds(
             '/etc/haproxy/haproxy.cfg', lookup('ansible.builtin.template', 'haproxy.cfg.j2'), '0640', 'root', 'haproxy'))
"""

RETURN = r"""
_value:
  description: True when the node has the path with exactly this content (or as a directory), mode, owner and group.
  type: bool
"""


def node_holds(node_state, path, content, mode, owner, group):
    if not isinstance(node_state, dict) or "state" not in node_state:
        return False
    wanted = {"exists": True, "isdir": content is None, "mode": mode, "owner": owner, "group": group}
    if content is not None:
        wanted["checksum"] = hashlib.sha1(str(content).encode("utf-8")).hexdigest()
    return node_state["state"].get("files", {}).get(path) == wanted


class FilterModule:
    """hapair.loadbalancer node_state filters."""

    def filters(self):
        return {"node_holds": node_holds}
