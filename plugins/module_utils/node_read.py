# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a node's state: what node_state reports and node_restore compares, in one place."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat


def listing(path):
    """The names of the regular files in a directory (not following links), sorted; None when
    it is no directory."""
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
    except OSError:
        return None


def link_target(path):
    """Where a symbolic link points, as written; None when path is no link."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def file_state(path):
    try:
        info = os.stat(path)
    except OSError:
        return {"exists": False}
    result = {
        "exists": True,
        "isdir": stat.S_ISDIR(info.st_mode),
        "mode": "%04o" % stat.S_IMODE(info.st_mode),
        "owner": _name(pwd.getpwuid, info.st_uid),
        "group": _name(grp.getgrgid, info.st_gid),
    }
    if stat.S_ISREG(info.st_mode):
        digest = hashlib.sha1()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(65536), b""):
                digest.update(block)
        result["checksum"] = digest.hexdigest()
    return result


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def read_text(path):
    """The file's text with its line endings as they are; bytes that are not UTF-8 come back as
    surrogates, which write_text() turns into the same bytes."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as handle:
            return handle.read()
    except OSError:
        return None


def packages(module, names):
    if not names:
        return {}
    dpkg = module.get_bin_path("dpkg-query")
    rpm = module.get_bin_path("rpm")
    installed = set()
    if dpkg:
        # Unknown packages make dpkg-query exit 1 but still print the known ones.
        _rc, out, _err = module.run_command([dpkg, "-W", "-f", "${Package} ${db:Status-Status}\\n"] + names)
        installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    elif rpm:
        # Where dpkg is absent (the RHEL family). rpm -q prints "package NAME is not installed"
        # for an unknown one and exits non-zero, but still prints the known ones by name.
        _rc, out, _err = module.run_command([rpm, "-q", "--queryformat", "%{NAME} installed\\n"] + names)
        installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed") and " " in line
                     and not line.startswith("package ")}
    return {name: name in installed for name in names}


def services(module, names):
    if not names:
        return {}
    systemctl = module.get_bin_path("systemctl")
    states = {name: {"active": False, "enabled": False} for name in names}
    if not systemctl:
        return states
    units = [n if "." in n else n + ".service" for n in names]
    _rc, out, _err = module.run_command([systemctl, "show", "--property=Id,ActiveState,UnitFileState"] + units)
    by_unit = dict(zip(units, names))
    for block in out.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        name = by_unit.get(props.get("Id"))
        if name is None:
            continue
        states[name] = {
            "active": props.get("ActiveState") == "active",
            "enabled": props.get("UnitFileState") in ("enabled", "enabled-runtime", "static", "alias"),
        }
    return states


def sysctl(names):
    return {name: (read_text("/proc/sys/" + name.replace(".", "/")) or "").strip() or None for name in names}


def users(names):
    result = {}
    for name in names:
        try:
            pwd.getpwnam(name)
            result[name] = True
        except KeyError:
            result[name] = False
    return result


def script_refusal(path):
    """Why keepalived's script security would refuse to run path, or None when it runs it."""
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        return "%s does not exist or is not an executable file" % path
    current = os.path.realpath(path)
    while True:
        info = os.stat(current)
        if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return "%s is not owned by root, or others can write to it" % current
        if current == "/":
            return None
        current = os.path.dirname(current)


def iptables_read(module, command="iptables-save"):
    """(the lines of the filter table, whether listing it failed): no lines and no failure when
    the command is not installed."""
    save = module.get_bin_path(command)
    if not save:
        return [], False
    rc, out, _err = module.run_command([save, "-t", "filter"])
    return (out.splitlines(), False) if rc == 0 else ([], True)


def iptables(module, command="iptables-save"):
    """The lines of the filter table; empty when the command is not installed or fails."""
    return iptables_read(module, command)[0]


FIREWALL_MANAGERS = ("firewalld", "ufw", "nftables")


def firewalld_rich_rules(module, zone):
    """{runtime, permanent}: the zone's rich rules as firewall-cmd lists them (empty lists where
    it fails), and failed: the views that could not be listed."""
    cmd = module.get_bin_path("firewall-cmd")
    out, failed = {"runtime": [], "permanent": []}, []
    for view, extra in (("runtime", []), ("permanent", ["--permanent"])):
        rc, text, _err = module.run_command([cmd] + extra + ["--zone=" + zone, "--list-rich-rules"]) if cmd else (1, "", "")
        if rc == 0:
            out[view] = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            failed.append(view)
    out["failed"] = failed
    return out


def firewall(module, interfaces=()):
    """Which firewall managers the node runs ({managers: {name: {active, enabled}}}; ufw counts as
    active only where /etc/ufw/ufw.conf says ENABLED=yes, as its unit also runs while ufw is
    off), and where firewalld is active, firewalld: {zone, zones, runtime, permanent, failed}:
    each interface's zone (firewalld's default zone for an interface bound to none), the first
    one's, and that zone's rich rules."""
    state = {"managers": services(module, list(FIREWALL_MANAGERS)), "firewalld": None}
    ufw = state["managers"]["ufw"]
    ufw["active"] = ufw["active"] and "ENABLED=yes" in (read_text("/etc/ufw/ufw.conf") or "").replace(" ", "").splitlines()
    cmd = module.get_bin_path("firewall-cmd")
    if not cmd or not state["managers"]["firewalld"]["active"]:
        return state
    rc, text, _err = module.run_command([cmd, "--get-default-zone"])
    default = text.strip() if rc == 0 else ""
    zones = {}
    for name in interfaces:
        rc, text, _err = module.run_command([cmd, "--get-zone-of-interface=" + name])
        zones[name] = text.strip() if rc == 0 and text.strip() else default
    zone = zones[interfaces[0]] if interfaces else default
    state["firewalld"] = {"zone": zone, "zones": zones, **(firewalld_rich_rules(module, zone) if zone
                                                           else {"runtime": [], "permanent": [], "failed": ["runtime", "permanent"]})}
    return state
