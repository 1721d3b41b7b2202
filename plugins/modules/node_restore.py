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
  - In this order, each step going on past another's failure (reported under C(left)) - files
    are written back with their old text, owner, group and mode (atomically), or removed when
    they did not exist; kernel parameters get their old live value; services are started,
    stopped, enabled or disabled as they were, and a running service whose file was put back is
    reloaded; then the filter rules carrying the marker that the tables did not have are
    deleted, and any chain of its own the run created (nothing without the marker, and no
    built-in chain, is touched), and the rules are saved with O(persist); then, with
    O(firewalld), the rich rules of the collection that the firewalld zone did not have.
  - Packages the run installed stay installed.
author:
  - hapair.loadbalancer maintainers (@hapair)
options:
  before:
    description:
      - The C(state) that C(hapair.loadbalancer.node_state) returned on this node before the run; it
        must hold C(files) and C(contents) for every file of O(restore). A family in its
        C(iptables_failed) keeps its rules.
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
  firewalld:
    description:
      - Remove the firewalld rich rules of this collection (its priorities) that the zone lacked
        in O(before)'s C(firewall.firewalld), at runtime and permanently.
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
attributes:
  check_mode:
    support: full
    description: In check mode it changes nothing and reports what it would put back.
  diff_mode:
    support: none
    description: It shows no difference, because the files' old text may hold passwords.
  platform:
    support: full
    platforms: posix
    description: The targets it runs on; services are put back with systemd's systemctl.
notes:
  - The arguments hold the old text of the files, which may hold passwords; call it with C(no_log).
seealso:
  - module: hapair.loadbalancer.node_state
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
  description: What was put back, in check mode what would be (never a file's content).
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
    left:
      description: What could not be put back, and why (the rollback is then incomplete).
      type: list
      elements: str
"""

import grp
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hapair.loadbalancer.plugins.module_utils.restore import (
    file_differs, rich_rule_deletions, rule_deletions, service_actions,
)
from ansible_collections.hapair.loadbalancer.plugins.module_utils.node_read import (
    file_state, firewalld_rich_rules, iptables_read, read_text, services, sysctl,
)


def put_back(path, before):
    """Write the file's old text with its old owner, group and mode, or remove it. A directory
    the run made is removed once empty (what the run wrote in it comes first in the restore
    list); one that was there gets its old owner, group and mode back."""
    if not before.get("exists"):
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)  # OSError when not empty: reported, and the directory stays
        elif os.path.lexists(path):
            os.unlink(path)
        return
    if before.get("isdir"):
        os.chown(path, _id(pwd.getpwnam, before.get("owner")), _id(grp.getgrnam, before.get("group")))
        os.chmod(path, int(before.get("mode") or "0755", 8))
        return
    directory = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix=".hapair-restore.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape", newline="") as out:
            out.write(before.get("content") or "")
        # chown first: it clears the set-id bits that the mode may carry.
        os.chown(temporary, _id(pwd.getpwnam, before.get("owner")), _id(grp.getgrnam, before.get("group")))
        os.chmod(temporary, int(before.get("mode") or "0600", 8))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _id(lookup, name):
    """The number of a user or group name as the read gave it (a number where it had no name)."""
    if name is None or name == "":
        return 0
    try:
        return lookup(name)[2]
    except KeyError:
        return int(name)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            # Not no_log here: every string in it (such as "haproxy") would then be masked in the
            # result. The task runs with no_log instead (rollback.yml).
            before=dict(type="dict", required=True),
            restore=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), service=dict(type="str"))),
            services=dict(type="list", elements="str", default=[]),
            sysctl=dict(type="list", elements="str", default=[]),
            iptables=dict(type="bool", default=False),
            firewalld=dict(type="bool", default=False),
            marker=dict(type="str", default="hapair.loadbalancer"),
            persist=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    before = p["before"] or {}
    # What was put back (in check mode: what would be), and what could not be: each step goes on
    # past another's failure, so a node is put back as far as it can be.
    done = {"files": [], "sysctl": [], "rules": [], "services": {}, "left": []}
    restored_services = set()

    def attempt(what, action):
        if module.check_mode:
            return True
        try:
            action()
            return True
        except Exception as exc:  # noqa: BLE001 (reported, and the other steps go on)
            done["left"].append("%s as it is (%s)" % (what, exc))
            return False

    # 1. The files, then 2. the kernel parameters: what the daemons will read.
    for item in p["restore"]:
        path = item["path"]
        was = dict((before.get("files") or {}).get(path) or {})
        if "exists" not in was:
            done["left"].append("%s as it is (the read before the run has no state of it)" % path)
            continue
        was["content"] = (before.get("contents") or {}).get(path)
        if file_differs(was, file_state(path), read_text(path)) and attempt(path, lambda: put_back(path, was)):
            done["files"].append(path)
            if item.get("service"):
                restored_services.add(item["service"])

    now = sysctl(p["sysctl"])
    for name in p["sysctl"]:
        old = (before.get("sysctl") or {}).get(name)
        if old is not None and now.get(name) != old:
            def write(name=name, old=old):
                with open("/proc/sys/" + name.replace(".", "/"), "w") as handle:
                    handle.write(old)
            if attempt(name, write):
                done["sysctl"].append(name)

    # 3. The services, which then run the old files (while the new firewall rules still let
    # every node's adverts through).
    seen = before.get("services") or {}
    actions = service_actions({name: seen.get(name) for name in p["services"] if name in seen},
                              services(module, p["services"]), restored_services)
    systemctl = module.get_bin_path("systemctl")
    for name, verbs in actions.items():
        for verb in verbs:
            if systemctl is None:
                done["left"].append("%s as it runs (no systemctl)" % name)
                break
            if not module.check_mode:
                rc, _out, err = module.run_command([systemctl, verb, name])
                if rc != 0:
                    done["left"].append("%s: systemctl %s failed (%s)" % (name, verb, err.strip()))
                    continue
            done["services"].setdefault(name, []).append(verb)

    def delete(commands, rules, shown):
        """Run each command that deletes a rule (reported under rules; a failed one by its words
        from shown on); without its tool, rules stay as they are."""
        for argv in commands:
            tool = module.get_bin_path(argv[0])
            if tool is None:
                done["left"].append("%s (no %s)" % (rules, argv[0]))
                return
            if not module.check_mode:
                rc, _out, err = module.run_command([tool] + argv[1:])
                if rc != 0:
                    done["left"].append("%s (%s)" % (" ".join(argv[shown:]), err.strip()))
                    continue
            done["rules"].append(argv)

    # 4. The filter rules this run added, then 5. saving them.
    if p["iptables"]:
        failed = before.get("iptables_failed") or []
        for family, save in (("ipv4", "iptables-save"), ("ipv6", "ip6tables-save")):
            current, failed_now = iptables_read(module, save)
            if family in failed or failed_now:
                if any(line.startswith("-A ") for line in current):
                    done["left"].append("the %s rules as they are (their table could not be listed)" % family)
                continue
            delete(rule_deletions(family, before.get("iptables" if family == "ipv4" else "ip6tables"), current, p["marker"]),
                   "the %s rules as they are" % family, 3)
        persist = module.get_bin_path(p["persist"][0]) if p["persist"] else None
        if done["rules"] and persist and not module.check_mode:
            rc, _out, err = module.run_command([persist] + p["persist"][1:])
            if rc != 0:
                done["left"].append("the saved rules as they are (%s failed: %s)" % (" ".join(p["persist"]), err.strip()))

    # 6. The firewalld rich rules this run added, at runtime and permanently.
    was = (before.get("firewall") or {}).get("firewalld") or {}
    if p["firewalld"] and was.get("zone"):
        current = dict(firewalld_rich_rules(module, was["zone"]), zone=was["zone"])
        unlisted = sorted(set(was.get("failed") or []) | set(current.get("failed") or []))
        if unlisted:
            done["left"].append("the firewalld rules of zone %s as they are (%s: could not be listed)"
                                % (was["zone"], ", ".join(unlisted)))
        delete(rich_rule_deletions(was, current), "the firewalld rules as they are", 1)

    changed = bool(done["files"] or done["sysctl"] or done["rules"] or done["services"])
    module.exit_json(changed=changed, restored=done)


if __name__ == "__main__":
    main()
