#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_restore
short_description: Put a node back, in one call, as hapair.loadbalancer.node_state found it
version_added: 0.1.0
description:
  - Given what C(hapair.loadbalancer.node_state) read on the node before a run, puts back what
    the run changed there, in one remote call. site.yml calls it on every node when a step of
    its rollout fails.
  - Files are written back with their old text, mode, owner and group (atomically), or removed
    when they did not exist. Kernel parameters get their old live value. Filter rules carrying
    the marker that the tables did not have are deleted, then any chain the run created;
    nothing without the marker is touched. Services are started, stopped, enabled or disabled
    as they were, and a running service whose file was put back is reloaded.
  - Packages the run installed stay installed.
author:
  - hapair.loadbalancer maintainers
options:
  before:
    description:
      - The C(state) that C(hapair.loadbalancer.node_state) returned on this node before the run; it
        must hold C(files) and C(contents) for every file of O(restore).
    type: dict
    required: true
  restore:
    description:
      - The files to put back, each with the service that reads it (or none).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file.
        type: path
        required: true
      service:
        description: The service to reload when the file is put back while it runs.
        type: str
  services:
    description: The services to put back in their active and enabled state of O(before).
    type: list
    elements: str
    default: []
  sysctl:
    description: The kernel parameters to set back to their live value in O(before).
    type: list
    elements: str
    default: []
  iptables:
    description: Delete the filter rules with O(marker) that O(before) lacks, in both families.
    type: bool
    default: false
  marker:
    description: The comment prefix of the rules this collection manages.
    type: str
    default: hapair.loadbalancer
  persist:
    description: A command run after filter rules were deleted, to save them (for example C(netfilter-persistent save)).
    type: list
    elements: str
    default: []
notes:
  - The arguments hold the old text of the files, which may hold passwords; call it with C(no_log).
"""

EXAMPLES = r"""
- name: Put the node back as the read found it
  hapair.loadbalancer.node_restore:
    before: "{{ lb_group_node_state.state }}"
    restore:
      - {path: /etc/haproxy/haproxy.cfg, service: haproxy}
    services: [haproxy]
    iptables: true
  no_log: true
"""

RETURN = r"""
restored:
  description: What was put back (never a file's content).
  returned: always
  type: dict
  contains:
    files:
      description: The files written back or removed.
      type: list
      elements: str
    sysctl:
      description: The kernel parameters set back.
      type: list
      elements: str
    rules:
      description: The commands that deleted rules and chains.
      type: list
      elements: list
    services:
      description: Service to the systemctl verbs run for it.
      type: dict
"""

import grp
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hapair.loadbalancer.plugins.module_utils.restore import (
    file_differs, rule_deletions, service_actions,
)
from ansible_collections.hapair.loadbalancer.plugins.module_utils.node_read import (
    file_state, iptables, read_text, services, sysctl,
)


def put_back(path, before):
    """Write the file's old text with its old mode, owner and group, or remove it."""
    if not before.get("exists"):
        if os.path.lexists(path):
            os.unlink(path)
        return
    directory = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix=".hapair-restore.", dir=directory)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(before.get("content") or "")
        os.chmod(temporary, int(before.get("mode") or "0600", 8))
        os.chown(temporary, pwd.getpwnam(before["owner"]).pw_uid if before.get("owner") else 0,
                 grp.getgrnam(before["group"]).gr_gid if before.get("group") else 0)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            before=dict(type="dict", required=True),
            restore=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), service=dict(type="str"))),
            services=dict(type="list", elements="str", default=[]),
            sysctl=dict(type="list", elements="str", default=[]),
            iptables=dict(type="bool", default=False),
            marker=dict(type="str", default="hapair.loadbalancer"),
            persist=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    before = p["before"] or {}
    done = {"files": [], "sysctl": [], "rules": [], "services": {}}
    restored_services = set()

    for item in p["restore"]:
        path = item["path"]
        was = dict((before.get("files") or {}).get(path) or {})
        if "exists" not in was:
            module.fail_json(msg="the read before the run has no state of %s: nothing to put back" % path, restored=done)
        was["content"] = (before.get("contents") or {}).get(path)
        if file_differs(was, file_state(path), read_text(path)):
            if not module.check_mode:
                put_back(path, was)
            done["files"].append(path)
            if item.get("service"):
                restored_services.add(item["service"])

    now = sysctl(p["sysctl"])
    for name in p["sysctl"]:
        old = (before.get("sysctl") or {}).get(name)
        if old is not None and now.get(name) != old:
            if not module.check_mode:
                with open("/proc/sys/" + name.replace(".", "/"), "w") as handle:
                    handle.write(old)
            done["sysctl"].append(name)

    if p["iptables"]:
        for family, save in (("ipv4", "iptables-save"), ("ipv6", "ip6tables-save")):
            for argv in rule_deletions(family, before.get("iptables" if family == "ipv4" else "ip6tables"),
                                       iptables(module, save), p["marker"]):
                if not module.check_mode:
                    rc, _, err = module.run_command(argv)
                    if rc != 0:
                        module.fail_json(msg="%s failed: %s" % (" ".join(argv[:5]), err.strip()), restored=done)
                done["rules"].append(argv)
        if done["rules"] and p["persist"] and not module.check_mode and module.get_bin_path(p["persist"][0]):
            module.run_command(p["persist"], check_rc=True)

    actions = service_actions({name: (before.get("services") or {}).get(name) or {} for name in p["services"]},
                              services(module, p["services"]), restored_services)
    systemctl = module.get_bin_path("systemctl", required=bool(actions))
    for name, verbs in actions.items():
        for verb in verbs:
            if not module.check_mode:
                module.run_command([systemctl, verb, name], check_rc=True)
        done["services"][name] = verbs

    changed = bool(done["files"] or done["sysctl"] or done["rules"] or done["services"])
    module.exit_json(changed=changed, restored=done)


if __name__ == "__main__":
    main()
