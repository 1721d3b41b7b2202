# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VRRP adverts as they are heard on the wire, and what the group makes of them.

- parse_packet: one IPv4 or IPv6 packet -> the advert it carries (VRRP v2 or v3), or None;
- listen: a bounded listen on a packet socket that passes only IP protocol 112;
- summarize: the frames heard -> one entry per interface, family and VRID, with its sources;
- scan_request / seconds_problems: what a node listens to, and the time it listens;
- collisions / heard_lines / free_vrids: the group's VRIDs against what its nodes heard.

The parser never reads a VRRPv2 password: only the fields before the addresses, and the addresses.
"""

from __future__ import annotations

import ctypes
import ipaddress
import select
import socket
import struct
import time

from ansible_collections.hapair.loadbalancer.plugins.module_utils.keepalived_state import address_only, parse_config
from ansible_collections.hapair.loadbalancer.plugins.module_utils.group import decimal_number, vip_family
from ansible_collections.hapair.loadbalancer.plugins.module_utils.validation import number_problems

PROTOCOL = 112
ETH_P_ALL = 0x0003
ETHERTYPES = {0x0800: 4, 0x86DD: 6}
PACKET_OUTGOING = 4
# The bounds of one listen: seconds, frames read, sources kept per VRID.
MAX_SECONDS = 60
MAX_FRAMES = 10000
MAX_SOURCES = 16
AUTH_TYPES = {0: "none", 1: "PASS", 2: "AH"}
MULTICAST = {4: "224.0.0.18", 6: "ff02::12"}

# A classic BPF program for a cooked (SOCK_DGRAM) packet socket: IPv4 or IPv6 whose protocol
# (next header) is 112, nothing else, so a busy segment costs the listener nothing.
_BPF = (
    (0x28, 0, 0, 0xFFFFF000),  # ldh the frame's ethertype (SKF_AD_OFF + SKF_AD_PROTOCOL)
    (0x15, 0, 2, 0x0800),      # IPv4?
    (0x30, 0, 0, 9),           # ldb the IPv4 protocol
    (0x15, 3, 4, PROTOCOL),
    (0x15, 0, 3, 0x86DD),      # IPv6?
    (0x30, 0, 0, 6),           # ldb the IPv6 next header
    (0x15, 0, 1, PROTOCOL),
    (0x06, 0, 0, 0x40000),     # accept
    (0x06, 0, 0, 0),           # drop
)
SO_ATTACH_FILTER = 26


def parse_vrrp(payload, family):
    """The fields of one VRRP advertisement (RFC 3768 v2, RFC 5798 v3), or None when payload is
    none: {vrid, version, priority, vip_count, vips, advert_int, auth_type}."""
    if len(payload) < 8:
        return None
    version, kind = payload[0] >> 4, payload[0] & 0x0F
    if kind != 1 or version not in (2, 3) or (family == 6 and version != 3):
        return None
    count, size = payload[3], 4 if family == 4 else 16
    if len(payload) < 8 + count * size:
        return None
    if version == 2:
        advert_int, auth_type = float(payload[5]), AUTH_TYPES.get(payload[4], str(payload[4]))
    else:
        advert_int, auth_type = (struct.unpack("!H", payload[4:6])[0] & 0x0FFF) / 100.0, None
    vips = [str(ipaddress.ip_address(bytes(payload[8 + i * size:8 + (i + 1) * size]))) for i in range(count)]
    return {"vrid": payload[1], "version": version, "priority": payload[2], "vip_count": count, "vips": vips,
            "advert_int": advert_int, "auth_type": auth_type}


def parse_packet(data, family):
    """An IP packet (family 4 or 6, from the frame's ethertype) -> {family, source, destination,
    ttl} and the advert's fields, or None when it carries no VRRP advertisement."""
    data = bytes(data)
    if family == 4:
        if len(data) < 20 or data[0] >> 4 != 4:
            return None
        header = (data[0] & 0x0F) * 4
        fragment = struct.unpack("!H", data[6:8])[0] & 0x3FFF
        if data[9] != PROTOCOL or fragment or header < 20 or len(data) < header:
            return None
        total = struct.unpack("!H", data[2:4])[0]
        payload, source, destination, ttl = data[header:max(header, min(total, len(data)))], data[12:16], data[16:20], data[8]
    elif family == 6:
        if len(data) < 40 or data[0] >> 4 != 6 or data[6] != PROTOCOL:
            return None
        length = struct.unpack("!H", data[4:6])[0]
        payload, source, destination, ttl = data[40:40 + length], data[8:24], data[24:40], data[7]
    else:
        return None
    advert = parse_vrrp(payload, family)
    if advert is None:
        return None
    return {"family": family, "source": str(ipaddress.ip_address(source)),
            "destination": str(ipaddress.ip_address(destination)), "ttl": ttl, **advert}


def _attach_filter(sock):
    program = b"".join(struct.pack("HBBI", *op) for op in _BPF)
    buffer = ctypes.create_string_buffer(program)
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack("HL", len(_BPF), ctypes.addressof(buffer)))


def interface_problems(interfaces):
    """The names among interfaces that name no interface of this host."""
    problems = []
    for name in interfaces or []:
        try:
            socket.if_nametoindex(str(name))
        except OSError:
            problems.append(f"{name!r} is no network interface of this host")
    return problems


def listen(seconds, interfaces=None, max_frames=MAX_FRAMES, clock=time.monotonic):
    """Listen for VRRP adverts for seconds (at most MAX_SECONDS) on the given interfaces (None:
    all) -> {frames: [(interface, advert)], read, error}. Frames this host sends are not heard."""
    seconds = max(0.0, min(float(seconds), MAX_SECONDS))
    wanted = set(interfaces) if interfaces else None
    frames, read = [], 0
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    except OSError as error:
        return {"frames": [], "read": 0, "error": f"cannot open a packet socket to hear VRRP ({error.strerror or error}): "
                                                  "the listener needs root (CAP_NET_RAW)"}
    try:
        _attach_filter(sock)
        deadline = clock() + seconds
        while read < max_frames:
            left = deadline - clock()
            if left <= 0:
                break
            ready, _writable, _failed = select.select([sock], [], [], left)
            if not ready:
                break
            data, address = sock.recvfrom(65535)
            read += 1
            interface, ethertype, pkttype = address[0], address[1], address[2]
            if pkttype == PACKET_OUTGOING or (wanted is not None and interface not in wanted):
                continue
            advert = parse_packet(data, ETHERTYPES.get(ethertype))
            if advert:
                frames.append((interface, advert))
    except OSError as error:
        return {"frames": frames, "read": read, "error": f"listening for VRRP failed: {error.strerror or error}"}
    finally:
        sock.close()
    return {"frames": frames, "read": read, "error": None}


def summarize(frames, max_sources=MAX_SOURCES):
    """The frames heard -> one entry per (interface, family, VRID), sorted: {interface, family,
    vrid, versions, adverts, vip_count, advert_int, auth_types, sources: [{address, priority}],
    more_sources} (at most max_sources sources each; more_sources counts the rest)."""
    entries = {}
    for interface, advert in frames:
        key = (interface, advert["family"], advert["vrid"])
        entry = entries.setdefault(key, {"interface": interface, "family": advert["family"], "vrid": advert["vrid"],
                                         "versions": [], "adverts": 0, "vip_count": 0, "advert_int": None,
                                         "auth_types": [], "sources": [], "more_sources": 0, "_seen": set()})
        entry["adverts"] += 1
        entry["vip_count"] = max(entry["vip_count"], advert["vip_count"])
        entry["advert_int"] = advert["advert_int"] if entry["advert_int"] is None else min(entry["advert_int"], advert["advert_int"])
        for field, value in (("versions", advert["version"]), ("auth_types", advert.get("auth_type"))):
            if value is not None and value not in entry[field]:
                entry[field].append(value)
        if advert["source"] not in entry["_seen"]:
            entry["_seen"].add(advert["source"])
            if len(entry["sources"]) < max_sources:
                entry["sources"].append({"address": advert["source"], "priority": advert["priority"]})
            else:
                entry["more_sources"] += 1
    out = []
    for key in sorted(entries, key=lambda k: (k[0], k[1], k[2])):
        entry = entries[key]
        del entry["_seen"]
        entry["versions"].sort()
        out.append(entry)
    return out


def scan(seconds, interfaces=None):
    """One bounded listen, summarized: {seconds, interfaces, heard, frames, error}."""
    result = listen(seconds, interfaces)
    return {"seconds": float(seconds), "interfaces": list(interfaces or []), "heard": summarize(result["frames"]),
            "frames": len(result["frames"]), "error": result["error"]}


def seconds_problems(value, variable="keepalived_vrrp_scan_seconds"):
    """The listening time, a number of seconds from 0 (no listening) to MAX_SECONDS."""
    return number_problems(variable, value, 0, MAX_SECONDS,
                           "the seconds each node listens for VRRP adverts before any host changes (0: not at all), "
                           "such as 3")


def _seconds(value):
    number = decimal_number(value)
    return None if number is None else float(number)


def scan_request(model, me, seconds, running=None):
    """What node me listens to before any host changes: {interfaces, seconds, vrids} (its
    instances' interfaces, and the VRID of each on its interface: [{interface, family, vrid}]),
    or {} when it listens to nothing (seconds 0, or no instance). With running ({config: the path
    of the node's keepalived.conf, service: keepalived's unit}), also unless_running: the node
    listens only where this run brings it a VRID that its running keepalived does not run yet on
    that interface (skip_reason)."""
    number = _seconds(seconds)
    node = ((model or {}).get("nodes") or {}).get(me) or {}
    instances = [i for i in node.get("instances") or [] if i.get("interface")]
    interfaces = sorted({i["interface"] for i in instances})
    if not number or number <= 0 or not interfaces:
        return {}
    vrids = sorted(({"interface": i["interface"], "family": i["family"], "vrid": i["virtual_router_id"]} for i in instances),
                   key=_vrid_key)
    request = {"interfaces": interfaces, "seconds": min(number, MAX_SECONDS), "vrids": vrids}
    if running and running.get("config") and running.get("service"):
        request["unless_running"] = {"config": running["config"], "service": running["service"]}
    return request


def _vrid_key(entry):
    """(interface, family, VRID) of a heard advert or a scan request's entry."""
    return (entry.get("interface"), entry.get("family"), entry.get("vrid"))


def _configured(text):
    """(interface, family, VRID) of every instance of a keepalived.conf (keepalived_state.parse_config;
    an instance runs in the family of its first VIP)."""
    return {(inst["interface"], vip_family(inst["vips"]), inst["virtual_router_id"]) for inst in parse_config(text or "")}


def skip_reason(config_text, active, vrids, config="keepalived.conf"):
    """Why a node need not listen before this run (scan_request's unless_running), or None: its
    keepalived is active and its keepalived.conf runs every VRID of vrids on its interface, so
    the run brings it no VRID new to the segment (each was checked when it was new). A node
    whose keepalived is not running, without the file, or with a VRID, family or interface it
    does not run yet, listens."""
    if not active or config_text is None or not vrids:
        return None
    try:
        wanted = {(v["interface"], int(v["family"]), int(v["vrid"])) for v in vrids}
    except (KeyError, TypeError, ValueError):
        return None
    if wanted <= _configured(config_text):
        return (f"keepalived runs every VRID this run gives the node, on the same interface ({config}): "
                f"no VRID is new to the segment")
    return None


def _ours(model):
    """Every address a member of the group may send adverts from: the model's member addresses
    and every address its members' facts list (an address changed in this run still sends)."""
    return {address_only(a) for a in list((model or {}).get("member_addresses") or [])
            + list((model or {}).get("host_addresses") or [])}


def _error(result):
    """Why a node could not listen: the scan's error, or the message of a vrrp_scan that failed."""
    return result.get("error") or (result.get("msg") if result.get("failed") else None)


def free_vrids(used, count=5):
    """The first count VRIDs (1-255) not in used."""
    return [vrid for vrid in range(1, 256) if vrid not in set(used)][:count]


def _family_name(family):
    return "IPv4" if family == 4 else "IPv6"


def collisions(model, scans):
    """The group's VRIDs that a source outside the group also advertises, on the interface an
    instance runs on, and the listens that failed: a list of messages (empty: none).
    scans: {member: the scan its node_state (or vrrp_scan) returned}."""
    ours = _ours(model)
    nodes = (model or {}).get("nodes") or {}
    found, problems = {}, []
    heard_vrids = {4: set(), 6: set()}
    for member in sorted(scans or {}):
        result = scans[member] or {}
        if _error(result):
            problems.append(f"{member} could not listen for VRRP adverts: {_error(result)}. Run as root, or set "
                            "keepalived_vrrp_scan_seconds to 0 to skip the check for VRIDs already in use")
        for entry in result.get("heard") or []:
            heard_vrids.setdefault(entry["family"], set()).add(entry["vrid"])
    for member in sorted(scans or {}):
        heard = (scans[member] or {}).get("heard") or []
        for inst in (nodes.get(member) or {}).get("instances") or []:
            key = (inst.get("interface"), inst.get("family"), inst.get("virtual_router_id"))
            for entry in heard:
                if _vrid_key(entry) != key:
                    continue
                strangers = [s["address"] for s in entry["sources"] if address_only(s["address"]) not in ours]
                if not strangers:
                    continue
                item = found.setdefault((inst["name"], inst["family"], inst["virtual_router_id"]), {"members": [], "sources": []})
                item["members"].append(member)
                item["sources"] += [s for s in strangers if s not in item["sources"]]
                item["more"] = entry.get("more_sources", 0)
    group_vrids = {4: set(), 6: set()}
    for node in nodes.values():
        for inst in node.get("instances") or []:
            group_vrids.setdefault(inst["family"], set()).add(inst["virtual_router_id"])
    for (name, family, vrid), item in sorted(found.items(), key=lambda kv: (kv[0][2], kv[0][0])):
        free = free_vrids(heard_vrids.get(family, set()) | group_vrids.get(family, set()))
        sources = ", ".join(item["sources"]) + (f" and {item['more']} more" if item.get("more") else "")
        problems.append(
            f"virtual_router_id {vrid} ({_family_name(family)}), which instance {name} uses, is already used on the "
            f"segment: {', '.join(item['members'])} heard its adverts from {sources}, outside group "
            f"'{(model or {}).get('name', '')}'. Two groups with one VRID share one virtual MAC and fight over it, or "
            f"discard each other's adverts and each hold its VIPs. Give {name} a virtual_router_id no one uses (none was "
            f"heard of {', '.join(str(v) for v in free)}), or stop that group, then run again")
    return problems


def heard_lines(model, scans):
    """One line per VRID each node heard: its sources (the group's own marked), version, VIPs
    and advert interval; a line for a node that heard nothing."""
    ours = _ours(model)
    lines = []
    for member in sorted(scans or {}):
        result = scans[member] or {}
        if _error(result):
            lines.append(f"{member}: could not listen ({_error(result)})")
            continue
        if result.get("skipped"):
            lines.append(f"{member}: did not listen: {result['skipped']}")
            continue
        heard = result.get("heard") or []
        if not heard:
            lines.append(f"{member} ({', '.join(result.get('interfaces') or ['all'])}): no VRRP advert heard in "
                         f"{_number(result.get('seconds'))} s")
        for entry in heard:
            sources = ", ".join(f"{s['address']} ({'ours, ' if address_only(s['address']) in ours else ''}priority {s['priority']})"
                                for s in entry["sources"])
            if entry.get("more_sources"):
                sources += f" and {entry['more_sources']} more"
            versions = "/".join(f"VRRPv{v}" for v in entry["versions"])
            lines.append(f"{member} ({entry['interface']}): VRID {entry['vrid']} {_family_name(entry['family'])} {versions} "
                         f"from {sources}; {entry['vip_count']} VIP(s), an advert every {_number(entry['advert_int'])} s")
    return lines


def _number(value):
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)
