# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read which node holds a VIP: the kernel's addresses and keepalived's own state.

Plain functions over text, so the unit tests feed them recorded real output:
``ip -j addr show``, keepalived's JSON dump (/tmp/keepalived.json), its data dump
(/tmp/keepalived.data) and keepalived.conf. Nothing here touches the host.
"""

from __future__ import annotations

import ipaddress
import json
import re

# keepalived's vrrp.h: VRRP_STATE_INIT, _BACK, _MAST, _FAULT, _DELETED, _STOP.
STATE_NAMES = {0: "INIT", 1: "BACKUP", 2: "MASTER", 3: "FAULT", 97: "DELETED", 98: "STOP"}


class StateError(ValueError):
    """Output that cannot be read as what it claims to be."""


def address_only(vip):
    """'192.0.2.100/24 dev eth0 scope global' -> '192.0.2.100'; IPv6 in its canonical
    (compressed, lower-case) spelling, the one `ip` prints."""
    words = str(vip if vip is not None else "").split()
    text = words[0].split("/")[0] if words else ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text.lower()


def _json_list(text, not_json, not_list):
    """Parse text that must be a JSON list; StateError with the caller's words otherwise."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StateError(f"{not_json}: {exc}") from None
    if not isinstance(value, list):
        raise StateError(not_list)
    return value


def parse_ip_addresses(text):
    """``ip -j addr show`` -> {address: interface} for every address the kernel holds."""
    links = _json_list(text, "'ip -j addr show' did not print JSON",
                       "'ip -j addr show' printed JSON that is not a list of interfaces")
    held = {}
    for link in links:
        if not isinstance(link, dict):
            raise StateError("'ip -j addr show' printed an interface that is not an object")
        for info in link.get("addr_info", []):
            if "local" in info:
                held[address_only(info["local"])] = link.get("ifname")
    return held


def _instance(name, state, base, effective, vrid, interface, vips):
    return {
        "name": name,
        "state": state,
        "base_priority": base,
        "effective_priority": effective,
        "virtual_router_id": vrid,
        "interface": interface,
        "vips": [address_only(v) for v in vips],
    }


def parse_json_dump(text):
    """keepalived's JSON dump -> list of instances (never the authentication data)."""
    dump = _json_list(text, "keepalived's JSON dump is not valid JSON",
                      "keepalived's JSON dump is not a list of VRRP instances")
    instances = []
    for entry in dump:
        data = entry.get("data") if isinstance(entry, dict) else None
        if not isinstance(data, dict) or "iname" not in data or "state" not in data:
            raise StateError("keepalived's JSON dump has an instance without 'data.iname' and 'data.state'")
        code = data["state"]
        instances.append(_instance(
            data["iname"],
            STATE_NAMES.get(code, f"UNKNOWN({code})"),
            data.get("base_priority"),
            data.get("effective_priority"),
            data.get("vrid"),
            data.get("ifp_ifname"),
            data.get("vips", []),
        ))
    return instances


_DATA_FIELDS = {
    "State": "state",
    "Priority": "base_priority",
    "Effective priority": "effective_priority",
    "Virtual Router ID": "virtual_router_id",
    "Interface": "interface",
}


def parse_data_dump(text):
    """keepalived's data dump (the text one, for builds without JSON) -> list of instances."""
    if "------< VRRP Topology >------" not in text:
        raise StateError("keepalived's data dump has no 'VRRP Topology' section")
    topology = text.split("------< VRRP Topology >------", 1)[1].split("------<", 1)[0]
    instances = []
    for block in re.split(r"^ VRRP Instance = ", topology, flags=re.M)[1:]:
        lines = block.splitlines()
        fields = {"name": lines[0].strip(), "vips": []}
        in_vips = False
        for line in lines[1:]:
            stripped = line.strip()
            if in_vips:
                if line.startswith("     "):
                    fields["vips"].append(stripped)
                    continue
                in_vips = False
            if stripped.startswith("Virtual IP ("):
                in_vips = True
                continue
            key, sep, value = stripped.partition(" = ")
            if sep and key in _DATA_FIELDS and _DATA_FIELDS[key] not in fields:
                fields[_DATA_FIELDS[key]] = value.strip()
        if "state" not in fields:
            raise StateError(f"keepalived's data dump has no State for instance {fields['name']}")

        def number(key):
            value = fields.get(key)
            return int(value) if value is not None and value.isdigit() else None

        instances.append(_instance(
            fields["name"], fields["state"], number("base_priority"), number("effective_priority"),
            number("virtual_router_id"), fields.get("interface"), fields["vips"],
        ))
    if not instances:
        raise StateError("keepalived's data dump lists no VRRP instance")
    return instances


def _instance_blocks(text):
    """keepalived.conf -> [(instance name, [(depth, token), ...])]: each vrrp_instance's tokens,
    comments and braces left out, with their nesting depth (1 at the instance's top level)."""
    tokens = re.sub(r"[#!][^\n]*", "", text).replace("{", " { ").replace("}", " } ").split()
    blocks, i = [], 0
    while i < len(tokens):
        if tokens[i] == "vrrp_instance" and i + 2 < len(tokens) and tokens[i + 2] == "{":
            name, depth, j, body = tokens[i + 1], 1, i + 3, []
            while j < len(tokens) and depth:
                token = tokens[j]
                if token == "{":
                    depth += 1
                elif token == "}":
                    depth -= 1
                else:
                    body.append((depth, token))
                j += 1
            blocks.append((name, body))
            i = j
        else:
            i += 1
    return blocks


def _after(body, key, depth=None):
    """The token that follows key (at depth, or at any depth), or None."""
    for n, (level, token) in enumerate(body[:-1]):
        if token == key and (depth is None or level == depth):
            return body[n + 1][1]
    return None


def parse_config(text):
    """keepalived.conf -> list of instances with their VIPs, state STOP (keepalived not running)."""
    instances = []
    for name, body in _instance_blocks(text):
        vrid = _after(body, "virtual_router_id", 1)
        vips, inside = [], False
        for level, token in body:
            if level == 1:
                inside = token == "virtual_ipaddress"
            elif inside and re.match(r"^[0-9a-fA-F:.]+(/\d+)?$", token) and ("." in token or ":" in token):
                vips.append(token)
        instances.append(_instance(name, "STOP", None, None, int(vrid) if vrid and vrid.isdigit() else None,
                                   _after(body, "interface", 1), vips))
    return instances


def config_passwords(text):
    """keepalived.conf -> {instance: its auth_pass} for the instances with PASS authentication.
    For a comparison on the controller only: no module returns it."""
    return {name: password for name, body in _instance_blocks(text)
            if (password := _after(body, "auth_pass")) is not None}


def config_advert_ints(text):
    """keepalived.conf -> {instance: its advert_int in seconds} (where it is a number)."""
    out = {}
    for name, body in _instance_blocks(text):
        try:
            out[name] = float(_after(body, "advert_int"))
        except (TypeError, ValueError):
            continue
    return out


def assess(instances, held, vips=None, instance=None):
    """One report per VIP: does the kernel hold it, what does keepalived say, do they agree.

    instances: from one of the parsers; held: from parse_ip_addresses; vips: restrict to
    these addresses (default: every VIP of the selected instances); instance: restrict to
    one instance name. A VIP that no instance carries is reported with instance None.
    """
    selected = [i for i in instances if instance is None or i["name"] == instance]
    by_vip = {}
    for inst in selected:
        for vip in inst["vips"]:
            by_vip.setdefault(vip, inst)
    wanted = [address_only(v) for v in vips] if vips else list(by_vip)
    reports = []
    for vip in wanted:
        inst = by_vip.get(vip)
        holds = vip in held
        state = inst["state"] if inst else None
        reports.append({
            "address": vip,
            "instance": inst["name"] if inst else None,
            "interface": held.get(vip) or (inst["interface"] if inst else None),
            "held": holds,
            "state": state,
            "base_priority": inst["base_priority"] if inst else None,
            "effective_priority": inst["effective_priority"] if inst else None,
            # keepalived and the kernel agree when the MASTER, and only the MASTER, holds it.
            "agree": inst is not None and holds == (state == "MASTER"),
        })
    return reports


def describe(report):
    """'VIP 192.0.2.100 (VI_1): held, keepalived says BACKUP' for messages."""
    where = f" ({report['instance']})" if report["instance"] else ""
    holds = "held by this node" if report["held"] else "not held by this node"
    if report["instance"] is None:
        return f"VIP {report['address']}: {holds}, and no keepalived instance carries it"
    return f"VIP {report['address']}{where}: {holds}, keepalived says {report['state']}"


def matches(report, expect):
    """Whether one VIP's report meets the expectation master, backup, fault (out of the election,
    as a node in maintenance is) or any."""
    if not report["agree"]:
        return False
    if expect == "master":
        return report["held"] and report["state"] == "MASTER"
    if expect == "backup":
        return not report["held"] and report["state"] == "BACKUP"
    if expect == "fault":
        return not report["held"] and report["state"] == "FAULT"
    return True


def expectation(report, expect, by_instance=None):
    """The expectation for one VIP's report: its instance's in by_instance, else expect."""
    return (by_instance or {}).get(report["instance"], expect)
