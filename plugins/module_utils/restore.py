# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What it takes to put a node back as the group's read (node_state) found it before a run:
the plain rules behind the node_restore module, apart from the host so that they are tested."""

from __future__ import annotations

from ansible_collections.hapair.loadbalancer.plugins.module_utils.group import RULE_MARKER, _comment, delete_argv, firewalld_ours


def file_differs(before, now, content_now):
    """Whether a file is not as the read found it (before: its file state and its text under
    'content'; now: its file state now, content_now its text now)."""
    if not before.get("exists"):
        return bool(now.get("exists"))
    if not now.get("exists") or content_now != before.get("content"):
        return True
    return any(now.get(key) != before.get(key) for key in ("mode", "owner", "group"))


def rule_deletions(family, before_lines, current_lines, marker=RULE_MARKER):
    """The commands that take out what this run added to one family's filter table: each rule
    with the marker that the table did not have before (as iptables-save printed it), then each
    chain it did not have, once nothing is left in it nor jumps to it. Nothing without the
    marker is touched."""
    before = set(before_lines or [])
    current = list(current_lines or [])
    added = [line for line in current if line.startswith("-A ") and line not in before
             and (_comment(line) or "").startswith(marker + ": ")]
    commands = [delete_argv(family, line) for line in added]
    known = {line.split()[0] for line in before if line.startswith(":")}
    left = [line for line in current if line.startswith("-A ") and line not in added]
    tool = "iptables" if family == "ipv4" else "ip6tables"
    for line in current:
        words = line.split()
        # A chain of one's own shows with the policy '-'; a built-in one (INPUT) is never deleted,
        # also where the read found no table at all (iptables not yet installed).
        chain = words[0][1:] if line.startswith(":") and len(words) > 1 and words[1] == "-" else None
        if chain and ":" + chain not in known and not any(chain in (rule.split()[1], rule.split()[-1]) for rule in left):
            commands.append([tool, "-t", "filter", "-X", chain])
    return commands


def rich_rule_deletions(before, current):
    """The firewall-cmd arguments that take out the rich rules of this collection (group.firewalld_ours)
    that the zone did not have before, at runtime and permanently (before and current: the
    firewalld read of node_state, {zone, runtime, permanent}). Nothing without the collection's
    priorities is touched; a zone that changed since the read is left alone."""
    before, current = before or {}, current or {}
    if not before.get("zone") or before.get("zone") != current.get("zone"):
        return []
    commands = []
    for view, extra in (("runtime", []), ("permanent", ["--permanent"])):
        if view in (before.get("failed") or []) or view in (current.get("failed") or []):
            continue
        had = set(before.get(view) or [])
        added = [line for line in firewalld_ours(current.get(view)) if line not in had]
        commands += [["firewall-cmd"] + extra + ["--zone=" + current["zone"], "--remove-rich-rule=" + line] for line in added]
    return commands


def service_actions(before, now, restored):
    """{service: [systemctl verbs]} that put each service back as the read found it (before and
    now: {name: {active, enabled}}); one whose file was restored (restored: names) and that ran
    before and runs now is reloaded. A service the read did not see is left alone."""
    actions = {}
    for name, was in (before or {}).items():
        if not was:
            continue
        state = (now or {}).get(name) or {}
        verbs = []
        if was.get("active") and not state.get("active"):
            verbs.append("start")
        elif not was.get("active") and state.get("active"):
            verbs.append("stop")
        elif was.get("active") and name in (restored or ()):
            verbs.append("reload")
        if bool(was.get("enabled")) != bool(state.get("enabled")):
            verbs.append("enable" if was.get("enabled") else "disable")
        if verbs:
            actions[name] = verbs
    return actions


def _summary(results):
    """One line per node that a rollback ran on, from the node_restore results (loop results
    of a registered task): what was put back there. Never any file's content."""
    lines = []
    for result in results or []:
        node = result.get(result.get("ansible_loop_var") or "item") or "?"
        if result.get("unreachable") or result.get("failed"):
            why = "could not reach it" if result.get("unreachable") else "failed"
            lines.append(f"{node}: the rollback {why} ({result.get('msg') or 'no reason given'}): check it by hand")
            continue
        done = result.get("restored") or {}
        parts = []
        if done.get("files"):
            parts.append("restored " + ", ".join(done["files"]))
        if done.get("rules"):
            parts.append(f"removed {len(done['rules'])} firewall rule(s) this run added")
        if done.get("sysctl"):
            parts.append("reset " + ", ".join(done["sysctl"]))
        for service, verbs in (done.get("services") or {}).items():
            parts.append(f"{'/'.join(verbs)} {service}")
        for problem in done.get("left") or []:
            parts.append(f"left {problem}")
        lines.append(f"{node}: " + ("; ".join(parts) if parts else "nothing had changed"))
    return lines


def _complete(results):
    """Whether the rollback put back every node it ran on (none unreachable, failed or left)."""
    return all(not (r.get("unreachable") or r.get("failed") or (r.get("restored") or {}).get("left"))
               for r in results or [])


def report(results, unread=()):
    """What a rollback did: lines, one per node (unread: the play's nodes the group's read did
    not see, which the rollback leaves as they are), and complete, whether every node is back as
    the read found it."""
    lines = _summary(results)
    if unread:
        lines.append(f"{', '.join(unread)}: not read before the run, left as they are")
    return {"lines": lines, "complete": _complete(results) and not unread}
