# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a node, as hapair.loadbalancer.node_state read it, already holds a file or directory.

Each filter's documentation is the YAML file of its name beside this one (plugins/filter/NAME.yml),
where ansible-doc looks for it: one file holds several filters, so one DOCUMENTATION could not
describe them all."""

from __future__ import annotations

import hashlib

from ansible_collections.hapair.loadbalancer.plugins.module_utils import restore


def _state(node_state):
    return node_state["state"] if isinstance(node_state, dict) and isinstance(node_state.get("state"), dict) else None


def node_holds(node_state, path, content, mode, owner, group):
    if _state(node_state) is None:
        return False
    wanted = {"exists": True, "isdir": content is None, "mode": mode, "owner": owner, "group": group}
    if content is not None:
        wanted["checksum"] = hashlib.sha1(str(content).encode("utf-8")).hexdigest()
    return node_state["state"].get("files", {}).get(path) == wanted


def node_lacks_packages(node_state, packages):
    """The packages the read shows missing; every one when there is no read (each task checks itself)."""
    state = _state(node_state)
    if state is None:
        return list(packages or [])
    return [p for p in packages or [] if not state.get("packages", {}).get(p)]


def node_runs(node_state, service):
    """Whether the read shows the service active and enabled (false without a read)."""
    state = _state(node_state)
    return state is not None and state.get("services", {}).get(service) == {"active": True, "enabled": True}


def node_stopped(node_state, service):
    """Whether the read shows the service not active (false without a read)."""
    state = _state(node_state)
    return state is not None and not (state.get("services", {}).get(service) or {}).get("active", True)


def node_has_user(node_state, user):
    state = _state(node_state)
    return state is not None and bool(state.get("users", {}).get(user))


def node_has_line(node_state, path, line):
    """Whether the read shows the text file at path holding line (false without a read)."""
    state = _state(node_state)
    return state is not None and line in (state.get("contents", {}).get(path) or "").splitlines()


def node_sysctl(node_state, key):
    """The live value of a kernel parameter as read, or None without a read."""
    state = _state(node_state)
    return None if state is None else state.get("sysctl", {}).get(key)


def node_sysctls_on(node_state, keys):
    """Whether the read shows every one of the kernel parameters at 1 (false without a read)."""
    return all(node_sysctl(node_state, key) == "1" for key in keys or []) if _state(node_state) is not None else False


READ_LISTS = ("packages", "services", "files", "contents", "sysctl", "users", "scripts", "listings", "links")


def node_read_union(manages):
    """The roles' *_manages facts merged into the options of one node_state read, and of the
    node_restore that puts the node back as read: restore (files with their service, whose
    state and text the read keeps), persist (how to save the filter rules) and firewalld
    (whether to take out the firewalld rules the run added)."""
    out = {key: [] for key in READ_LISTS + ("restore",)}
    out["iptables"] = False
    out["persist"] = []
    # The firewall read (vrrp_firewall's: which manager, and firewalld's zone and rules), and
    # whether a rollback takes out the firewalld rules the run added.
    out["firewall"] = next((item["firewall"] for item in manages or [] if (item or {}).get("firewall")), None)
    out["firewalld"] = any(bool((item or {}).get("firewalld")) for item in manages or [])
    # One listen for VRRP adverts: every interface named, for the longest time asked; skipped
    # only where every request's VRIDs already run (module_utils/vrrp_wire.py: scan_request).
    out["vrrp_scan"] = {}
    scans = [(item or {}).get("vrrp_scan") or {} for item in manages or []]
    scans = [scan for scan in scans if scan.get("seconds")]
    if scans:
        vrids = []
        for scan in scans:
            vrids += [v for v in scan.get("vrids") or [] if v not in vrids]
        out["vrrp_scan"] = {"interfaces": sorted({i for scan in scans for i in scan.get("interfaces") or []}),
                            "vrids": vrids, "seconds": max(float(scan["seconds"]) for scan in scans)}
        # A request without the condition listens always, and so does the union.
        running = [scan.get("unless_running") for scan in scans]
        if running[0] and all(r == running[0] for r in running):
            out["vrrp_scan"]["unless_running"] = running[0]
    for item in manages or []:
        for key in READ_LISTS + ("restore",):
            for value in (item or {}).get(key) or []:
                if value not in out[key]:
                    out[key].append(value)
        out["iptables"] = out["iptables"] or bool((item or {}).get("iptables"))
        out["persist"] = out["persist"] or list((item or {}).get("persist") or [])
    for entry in out["restore"]:
        for key in ("files", "contents"):
            if entry.get("path") and entry["path"] not in out[key]:
                out[key].append(entry["path"])
    return out


def rollback_report(results, unread=()):
    """What lb_group's rollback.yml did: {lines, complete} (restore.report)."""
    return restore.report(results, unread)


class FilterModule:
    """hapair.loadbalancer node_state filters."""

    def filters(self):
        return {
            "node_holds": node_holds,
            "node_lacks_packages": node_lacks_packages,
            "node_runs": node_runs,
            "node_stopped": node_stopped,
            "node_has_user": node_has_user,
            "node_has_line": node_has_line,
            "node_sysctl": node_sysctl,
            "node_sysctls_on": node_sysctls_on,
            "node_read_union": node_read_union,
            "rollback_report": rollback_report,
        }
