# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules a load-balancer group must meet before any host changes.

Plain functions: they take the variables (and, for the checks that need them, the host's
network facts) and return a list of problems, each naming the variable, the bad value and
the fix. An empty list means the input is good. Secrets are never put into a message.

The instances they judge are the group model's (module_utils/group.py), every default applied.

- keepalived_problems: one node's rules (ranges, VIPs inside the interface's subnet, ...).
- group_problems: the rules across the group (same VRID, VIPs, timers and password on every
  node, distinct priorities, one MASTER, a check weight that can move the VIP, ...).
- address_problems: the VIPs as addresses: usable host addresses of their subnet, no member's
  own address, each in one instance.
- haproxy_problems: frontends, backends and servers, and every listener used once.
- unknown_variables: variables with a role's prefix that the role does not know (misspelt).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from decimal import Decimal

from ansible_collections.hapair.loadbalancer.plugins.module_utils.group import (
    KEEPALIVED_WORD, any_address, as_number, as_truth, bind_sources, binds_overlap, decimal_number, hostport, interface_facts,
    is_int, is_port, is_wildcard,
)
from ansible_collections.hapair.loadbalancer.plugins.module_utils import peers, tls
from ansible_collections.hapair.loadbalancer.plugins.module_utils.keepalived_state import address_only

# What reaches keepalived.conf and haproxy.cfg from the inventory, by what the file's tokenizer
# takes at that place. A name: HAProxy's own rule for proxy and server names, which keepalived
# also reads as one word. A token: one word of either file (no whitespace, comment, quote or
# escape). A line: one free-form line (no line break).
NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
TOKEN = re.compile(r"[^\s#\"'\\{}]+")
USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
PATH = re.compile(r"/[A-Za-z0-9_.+/-]*")
# Where a value lands in a shell command (the helper's HAProxy check) or in `user:password`.
HOST = re.compile(r"[A-Za-z0-9.:-]{1,253}")
PORT = re.compile(r"6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}")
LOGIN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# A file node_exporter's textfile collector reads: it takes *.prom files only.
TEXTFILE = re.compile(r"/[A-Za-z0-9_.+/-]*/[A-Za-z0-9_.+-]+\.prom")
# A balance line: an algorithm HAProxy knows, then its arguments, on one line.
BALANCE = re.compile(r"(roundrobin|static-rr|leastconn|first|source|uri|url_param|random(\([0-9]+\))?"
                     r"|hdr\([!-'*-~]+\)|rdp-cookie(\([!-'*-~]+\))?|hash)([ \t][^\r\n\x00]*)?")
RULES = {NAME: "1 to 64 letters, digits or _ . : -",
         TOKEN: "one word: no spaces, line breaks, #, quotes, backslashes or braces",
         KEEPALIVED_WORD: "one word of printable ASCII: no spaces, line breaks, # or ! (a comment in keepalived.conf), "
                          "quotes, backslashes or braces",
         USER: "a Linux user name: a lower-case letter or _, then up to 31 lower-case letters, digits, _ or -",
         PATH: "an absolute path of letters, digits and _ . + - /",
         HOST: "an IP address or a host name (letters, digits and . : -)",
         PORT: "a port number from 1 to 65535",
         TEXTFILE: "an absolute path of letters, digits and _ . + - / whose file name ends in .prom (node_exporter's "
                   "textfile collector reads *.prom files only), or empty for none",
         LOGIN: "1 to 64 letters, digits or _ . - (no colon: it separates the user from the password)",
         BALANCE: "an algorithm HAProxy knows (roundrobin, static-rr, leastconn, first, source, random, uri, url_param, "
                  "hdr(NAME), rdp-cookie(NAME) or hash), then its arguments, on one line"}
LINE_BREAKS = re.compile(r"[\r\n\x00]")
# Settings that land in haproxy.cfg, keepalived.conf or the helper script as one word; secrets
# are named in a refusal, never shown.
SCALARS = {
    "haproxy_mode": TOKEN, "haproxy_balance": BALANCE, "haproxy_maxconn": TOKEN, "haproxy_check_inter": TOKEN,
    "haproxy_check_fall": TOKEN, "haproxy_check_rise": TOKEN, "haproxy_timeout_connect": TOKEN,
    "haproxy_timeout_client": TOKEN, "haproxy_timeout_server": TOKEN, "haproxy_timeout_http_request": TOKEN,
    "haproxy_stats_address": TOKEN, "haproxy_stats_uri": TOKEN, "haproxy_stats_user": LOGIN,
    "haproxy_stats_password": TOKEN, "haproxy_certificate_dir": PATH, "haproxy_metrics_address": TOKEN,
    "haproxy_ssl_default_bind_ciphers": TOKEN, "haproxy_ssl_default_bind_ciphersuites": TOKEN,
    "haproxy_ssl_default_bind_options": None, "haproxy_ssl_default_server_ciphers": TOKEN,
    "haproxy_ssl_default_server_ciphersuites": TOKEN, "haproxy_ssl_default_server_options": None,
    "keepalived_router_id": KEEPALIVED_WORD, "keepalived_interface": KEEPALIVED_WORD, "keepalived_check_address": HOST,
    "keepalived_check_port": PORT, "keepalived_check_uri": PATH, "haproxy_monitor_uri": PATH,
    "keepalived_script_user": USER, "keepalived_state_dir": PATH, "keepalived_metrics_textfile": TEXTFILE,
}
SECRETS = {"haproxy_stats_password", "keepalived_auth_pass"}
# Settings whose line in haproxy.cfg has no meaning without a value.
NONEMPTY = {"haproxy_monitor_uri", "haproxy_ssl_default_bind_ciphers", "haproxy_ssl_default_bind_ciphersuites", "haproxy_ssl_default_bind_options",
            "haproxy_ssl_default_server_ciphers", "haproxy_ssl_default_server_ciphersuites",
            "haproxy_ssl_default_server_options"}
# What stands for a secret in any text the play prints.
MASK = "********"
# Settings whose default is another role's setting (keepalived/defaults/main.yml): a refusal says
# so, for the user who set only that one.
DEFAULTS_FROM = {"keepalived_check_port": "haproxy_stats_port", "keepalived_check_uri": "haproxy_monitor_uri"}


def _grammar(where, value, rule, secret=False):
    """A problem when value breaks rule (NAME, TOKEN, USER, PATH, or None for one line)."""
    text = str(value)
    shown = "set to a value that breaks the file (not shown)" if secret else f"{text!r}"
    if rule is None:
        return [] if not LINE_BREAKS.search(text) else [
            f"{where} is {shown}: one entry is one line of the file; split it into several entries, without line breaks"]
    if rule.fullmatch(text):
        return []
    return [f"{where} is {shown}: use {RULES[rule]}"]


def secrets(settings):
    """The secrets among settings ({variable: value}): every SECRETS variable that is set, and
    each keepalived_instances entry's auth_pass; longest first, so that one secret holding
    another is masked whole."""
    found = {str(value) for name, value in (settings or {}).items()
             if name in SECRETS and value not in (None, "") and not isinstance(value, bool)}
    for instance in (settings or {}).get("keepalived_instances") or []:
        if isinstance(instance, dict) and instance.get("auth_pass") not in (None, ""):
            found.add(str(instance["auth_pass"]))
    return sorted(found, key=lambda secret: (-len(secret), secret))


def masked(text, settings):
    """text with every secret of settings (see secrets()) replaced by MASK: each stretch that any
    occurrence of any secret covers, overlapping ones together, becomes one MASK."""
    text = "" if text is None else str(text)
    covered = [False] * len(text)
    for secret in secrets(settings):
        start = text.find(secret)
        while start != -1:
            covered[start:start + len(secret)] = [True] * len(secret)
            start = text.find(secret, start + 1)
    out, index = [], 0
    while index < len(text):
        if covered[index]:
            while index < len(text) and covered[index]:
                index += 1
            out.append(MASK)
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def checker_refusal(result, path, host, settings):
    """The message when a daemon's checker (the template's validate) kept a new file from
    replacing the live one: the module's message and the checker's own words, every secret of
    settings masked (a checker may quote the line that holds one)."""
    result = result or {}
    words = " ".join(str(result.get(part) or "").strip() for part in ("stdout", "stderr")
                     if str(result.get(part) or "").strip())
    # Only the checker's words are masked: a short secret would otherwise also hide the letters
    # of the path and the host.
    message = f"The new {path} did not replace the live one on {host}: "
    return message + masked(str(result.get("msg") or "it was refused") + (f": {words}" if words else ""), settings)


def _label(index, instance):
    name = instance.get("name") if isinstance(instance, dict) else None
    return f"keepalived_instances[{index}]" + (f" ({name})" if name else "")


def number_problems(variable, value, low, high, what):
    """A number of low to high (what it means, and an example, in what), the same typed in a
    vars file and given with -e (a string); a bool is no number."""
    number = decimal_number(value)
    if number is None or not low <= number <= high:
        return [f"{variable} is {value!r}: give {what}, a number from {low} to {high}"]
    return []


def _interface_networks(facts, interface):
    """The networks of an interface's addresses, from Ansible's network facts."""
    data = interface_facts(facts, interface)
    networks = []
    entries = []
    if isinstance(data.get("ipv4"), dict):
        entries.append(data["ipv4"])
    entries += data.get("ipv4_secondaries") or []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_interface(f"{entry['address']}/{entry['netmask']}").network)
        except (KeyError, ValueError):
            continue
    for entry in data.get("ipv6") or []:
        try:
            net = ipaddress.ip_interface(f"{entry['address']}/{entry['prefix']}").network
        except (KeyError, ValueError):
            continue
        if not net.is_link_local:
            networks.append(net)
    return networks


NOTIFY_EVENTS = ("master", "backup", "fault", "stop")


def _notify_problems(where, event, command):
    """A notify command keepalived can run: a known event, an absolute path first, and
    nothing that would break the quoted string in keepalived.conf."""
    fix = f"keepalived_notify.{event} or the instance's notify.{event}"
    if event not in NOTIFY_EVENTS:
        return [f"{where}: notify has the key {event!r}: use {', '.join(NOTIFY_EVENTS)}"]
    if command is None or command == "":
        return []
    if not isinstance(command, str) or not command.startswith("/") or any(c in command for c in '"\n\r'):
        return [f"{where}: notify {event} is {command!r}: give an absolute path to an executable, then its "
                f"arguments, without double quotes or line breaks ({fix})"]
    return []


def keepalived_problems(resolved, facts=None, raw=None):
    """One node's rules. raw: the instances as given, for names and positions in messages."""
    problems = []
    facts = facts or {}
    interfaces = facts.get("interfaces")
    raw = raw if raw is not None else resolved
    if not resolved:
        return ["keepalived_instances is empty: define at least one instance with name, virtual_router_id and vips"]
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            problems.append(f"keepalived_instances[{index}] is {item!r}: each instance is a mapping with name, virtual_router_id and vips")
    seen_names = {}
    seen_vrids = {}
    for index, inst in enumerate(resolved):
        where = _label(index, inst)
        name = inst["name"]
        if not name:
            problems.append(f"{where}: name is missing: give every instance a name, for example VI_1")
        elif not NAME.fullmatch(str(name)):
            problems.append(f"{where}: the name {str(name)!r} breaks keepalived.conf: use {RULES[NAME]}, for example VI_1")
        elif name in seen_names:
            problems.append(f"{where}: the name {name} is used twice (also {seen_names[name]}): give every instance its own name")
        else:
            seen_names[name] = where

        vrid = inst["virtual_router_id"]
        if not is_int(vrid) or not 1 <= vrid <= 255:
            problems.append(f"{where}: virtual_router_id is {vrid!r}: use a whole number from 1 to 255, "
                            "the same on every node and unique on the network segment")
        else:
            key = (inst["interface"], vrid)
            if key in seen_vrids:
                problems.append(f"{where}: virtual_router_id {vrid} on {inst['interface']} is also used by "
                                f"{seen_vrids[key]}: give each instance on an interface its own virtual_router_id")
            seen_vrids[key] = where

        priority = inst["priority"]
        if not is_int(priority) or not 1 <= priority <= 254:
            problems.append(f"{where}: this node's priority is {priority!r}: it must be from 1 to 254; set the "
                            "instance's priority, or keepalived_priority_base / keepalived_priority_step so every node "
                            "of the group gets one")

        version = inst["version"]
        if version not in (2, 3):
            problems.append(f"keepalived_vrrp_version is {version!r}: use 2 or 3")
        advert = decimal_number(inst["advert_int"])
        if version == 3:
            if advert is None or not Decimal("0.01") <= advert <= Decimal("40.95") or advert % Decimal("0.01"):
                problems.append(f"{where}: advert_int is {inst['advert_int']!r}: with VRRPv3 use 0.01 to 40.95 seconds "
                                "in steps of 0.01 (keepalived_advert_int or the instance's advert_int)")
        elif advert is None or advert % 1 or not 1 <= advert <= 255:
            problems.append(f"{where}: advert_int is {inst['advert_int']!r}: with VRRPv2 use a whole number of seconds "
                            "from 1 to 255, or set keepalived_vrrp_version: 3 for sub-second adverts")

        delay = inst["preempt_delay"]
        if not is_int(delay) or not 0 <= delay <= 1000:
            problems.append(f"{where}: preempt_delay is {delay!r}: use a whole number of seconds from 0 to 1000")
        if inst["unicast"]:
            if not inst["unicast_src_ip"]:
                problems.append(f"{where}: unicast needs this node's address and none was found: set the "
                                "instance's unicast_src_ip, or gather facts")
            if not inst["unicast_peers"] or not all(inst["unicast_peers"]):
                problems.append(f"{where}: unicast needs the other nodes' addresses and some are missing "
                                f"({inst['unicast_peers']!r}): set the instance's unicast_peers, or gather facts on every node")

        interface = inst["interface"]
        if not interface:
            problems.append(f"{where}: no interface: set the instance's interface or keepalived_interface")
        elif interfaces is not None and interface not in interfaces:
            problems.append(f"{where}: interface {interface} does not exist on this host (it has "
                            f"{', '.join(sorted(interfaces))}): set the instance's interface or keepalived_interface")

        vips = inst["vips"]
        if not vips:
            problems.append(f"{where}: vips is empty: give at least one address with prefix length, for example 192.0.2.100/24")
        families = set()
        networks = _interface_networks(facts, interface) if interface and interfaces is not None and interface in interfaces else None
        for vip in vips:
            text = str(vip).split()[0] if str(vip).split() else ""
            if "/" not in text:
                problems.append(f"{where}: VIP {vip!r} has no prefix length: write it as address/prefix, for example {text or '192.0.2.100'}/24")
                continue
            try:
                address = ipaddress.ip_interface(text)
            except ValueError:
                problems.append(f"{where}: VIP {vip!r} is not a valid address/prefix: fix it, for example 192.0.2.100/24")
                continue
            families.add(address.version)
            if networks is not None:
                same = [n for n in networks if n.version == address.version]
                inside = [n for n in same if address.ip in n]
                if not inside:
                    have = ", ".join(str(n) for n in same) or "no address of that family"
                    problems.append(f"{where}: VIP {text} is not inside the subnet of {interface} ({have}): "
                                    "use an address of that subnet, or the interface that carries it")
                elif address.network.prefixlen > inside[0].prefixlen:
                    # Typed narrower than its subnet (a /32): still its subnet's network or broadcast
                    # address (a VIP's own prefix is judged, for every member, by address_problems).
                    why = _unusable(f"{address.ip}/{inside[0].prefixlen}")
                    if why:
                        problems.append(f"{where}: VIP {text} {why}, the subnet of {interface}: use a host address "
                                        "of the subnet that no host has yet")

        for event, command in inst["notify"].items():
            problems += _notify_problems(where, event, command)

        if len(families) > 1:
            problems.append(f"{where}: the VIPs mix IPv4 and IPv6: keepalived runs an instance in the family of its "
                            "first VIP and drops the others; give each family an instance of its own")

        if inst["auth_type"] == "PASS":
            if inst.get("auth_pass_unsafe"):
                problems.append(f"{where}: auth_pass holds a space, a line break or one of # ! \" ' \\ {{ }}, which keepalived.conf "
                                "reads as the end of the word, a comment or a block: use other printable characters "
                                "(keepalived_auth_pass or the instance's auth_pass; the value is not shown)")
            length = inst["auth_pass_length"]
            if length is not None:
                problems.append(f"{where}: auth_pass has {length} characters: use 1 to 8 (keepalived would silently "
                                "cut a longer one), the same on every node; set keepalived_auth_pass or the instance's auth_pass")
            if 6 in families:
                problems.append(f"{where}: PASS authentication with IPv6 VIPs: keepalived ignores it there (IPv6 runs "
                                "VRRPv3, which has none); set the instance's auth_type: none, or keepalived_auth_type: none")
            elif version == 3:
                problems.append(f"{where}: PASS authentication with VRRPv3: keepalived ignores it there; set "
                                "keepalived_auth_type: none, or keepalived_vrrp_version: 2")
        elif inst["auth_type"] != "none":
            problems.append(f"keepalived_auth_type is {inst['auth_type']!r}: use PASS or none")
    return problems


# keepalived's range for a track_script weight, and for a node's effective priority (255 is
# only for the owner of the addresses, which a VRRP pair never is).
WEIGHT_RANGE = (-253, 253)
PRIORITY_RANGE = (1, 254)


def is_int_range(weight):
    return WEIGHT_RANGE[0] <= int(weight) <= WEIGHT_RANGE[1]


def effective_priority(priority, weight, healthy):
    """keepalived's priority for a node whose HAProxy check passes (healthy) or fails: a positive
    weight is added while the check passes, a negative one while it fails; the sum is held
    within 1 to 254. Returns (priority, how it was reached)."""
    shift = weight if (weight > 0) == healthy and weight != 0 else 0
    raw = priority + shift
    held = min(max(raw, PRIORITY_RANGE[0]), PRIORITY_RANGE[1])
    text = f"{priority} {'+' if shift >= 0 else '-'} {abs(shift)}" if shift else f"{priority}"
    return held, text + (f" = {raw}, held at {held}" if held != raw else (f" = {held}" if shift else ""))


def _weight_effects(name, members, weight):
    """What keepalived_check_weight does to who holds the instance's VIPs, on a healthy group and
    with the top node's HAProxy dead: (problems, weak). A weight of 0 puts a failing node into
    FAULT, which always moves the VIPs."""
    ranked = sorted(((m["priority"], n) for n, m in members.items() if is_int(m["priority"])), reverse=True)
    # Equal priorities are their own problem ("not distinct"), which no weight mends.
    if len(ranked) < 2 or weight == 0 or ranked[0][0] == ranked[1][0]:
        return [], []
    (p1, top), (p2, second) = ranked[0], ranked[1]
    tracked = {n: bool(m["track_haproxy"]) for n, m in members.items()}
    w_top, w_second = (weight if tracked[top] else 0), (weight if tracked[second] else 0)
    problems, weak = [], []
    # Healthy: the top node must stay strictly above the next (a tie goes to the higher address).
    healthy_top, text_top = effective_priority(p1, w_top, True)
    healthy_second, text_second = effective_priority(p2, w_second, True)
    if healthy_top <= healthy_second:
        # Equal (both held at 254), or the second above: its weight counts where the top's does not.
        effect = (f"become the same, {healthy_top}" if healthy_top == healthy_second
                  else f"swap places, {second} above {top}")
        who = (f"the higher address then holds the VIP, maybe {second}'s" if healthy_top == healthy_second
               else f"{second} then holds the VIP")
        problems.append(
            f"keepalived_instances ({name}): keepalived_check_weight is {weight}, and on a healthy group the two highest priorities "
            f"{effect} ({top} at {text_top}, {second} at {text_second}): {who}, and a healthy pair gives the VIP away. "
            "Use a negative weight (the default is -20), or priorities that stay below 255 with the weight added")
        return problems, weak
    # The top node's HAProxy dies: it must fall below the next node, or the VIP stays on a node
    # that serves nothing. (Where its HAProxy is not watched, track_haproxy off, no weight acts.)
    dead_top, text_dead = effective_priority(p1, w_top, False)
    if tracked[top] and dead_top >= healthy_second:
        weak.append(
            f"keepalived_instances ({name}): keepalived_check_weight is {weight}, but the gap between the two highest priorities "
            f"is {p1 - p2} ({p1} and {p2}): a MASTER whose HAProxy dies would keep the VIP ({top} at {text_dead}, "
            f"{second} at {text_second}). Use a weight larger than {p1 - p2} in absolute value, or narrow the "
            "priorities")
    return problems, weak


def group_problems(views, check_weight, weak_weight_ok=False):
    """The rules across the group. views: {node: resolved instances}. Returns (problems, warnings)."""
    problems, warnings = [], []
    # As a vars file types them, also when given with -e (strings).
    check_weight, weak_weight_ok = as_number(check_weight), as_truth(weak_weight_ok)
    if is_int(check_weight) and not is_int_range(check_weight):
        problems.append(f"keepalived_check_weight is {check_weight}: use a whole number from {WEIGHT_RANGE[0]} to "
                        f"{WEIGHT_RANGE[1]} (keepalived's range; negative lowers a node whose HAProxy is down, 0 puts "
                        "it into FAULT)")
    nodes = list(views)
    by_name = {}
    for node in nodes:
        for inst in views[node]:
            by_name.setdefault(inst["name"], {})[node] = inst
    for name, members in by_name.items():
        missing = [n for n in nodes if n not in members]
        if missing:
            problems.append(f"keepalived_instances ({name}) is defined on {', '.join(sorted(members))} but not on "
                            f"{', '.join(missing)}: define keepalived_instances the same on every node")
        for key, what in (("virtual_router_id", "virtual_router_id"), ("advert_int", "advert_int"),
                          ("version", "keepalived_vrrp_version"), ("auth_type", "keepalived_auth_type")):
            values = {n: m[key] for n, m in members.items()}
            if len({repr(v) for v in values.values()}) > 1:
                listed = ", ".join(f"{n}: {v!r}" for n, v in values.items())
                problems.append(f"keepalived_instances ({name}): {what} differs between the nodes ({listed}): it must be the same on "
                                "every node, or they cannot hear each other and each takes the VIP (split brain)")
        # In canonical form (the model's), so that two spellings of one address are one VIP.
        vipsets = {n: sorted(m["vip_cidrs"]) for n, m in members.items()}
        if len({tuple(v) for v in vipsets.values()}) > 1:
            listed = "; ".join(f"{n}: {', '.join(v)}" for n, v in vipsets.items())
            problems.append(f"keepalived_instances ({name}): the VIPs differ between the nodes ({listed}): give every node the same vips")
        secrets = {n: m["auth_fingerprint"] for n, m in members.items()}
        if len(set(secrets.values())) > 1:
            problems.append(f"keepalived_instances ({name}): auth_pass differs between the nodes ({', '.join(members)}): the nodes "
                            "would ignore each other's adverts (split brain); give every node the same keepalived_auth_pass")
        priorities = {n: m["priority"] for n, m in members.items()}
        numbers = [p for p in priorities.values() if is_int(p)]
        if len(numbers) != len(set(numbers)):
            listed = ", ".join(f"{n}: {p}" for n, p in priorities.items())
            problems.append(f"keepalived_instances ({name}): priorities are not distinct ({listed}): give every node its own priority")
        masters = [n for n, m in members.items() if m["state"] == "MASTER"]
        deferring = all(m["nopreempt"] or m["preempt_delay"] for m in members.values())
        if len(masters) != 1 and not (not masters and deferring):
            listed = ", ".join(masters) if masters else "none"
            problems.append(f"keepalived_instances ({name}): MASTER on {listed}: exactly one node must be MASTER (the instance's "
                            "master, by default the group's first node), or all BACKUP with nopreempt or preempt_delay")
        if any(m["unicast"] for m in members.values()):
            sources = {n: m["unicast_src_ip"] for n, m in members.items()}
            for node, member in members.items():
                others = {s for n, s in sources.items() if n != node}
                strangers = [p for p in member["unicast_peers"] if p not in others]
                if strangers:
                    problems.append(f"keepalived_instances ({name}): on {node}, unicast_peers has {', '.join(map(str, strangers))}, which "
                                    f"is no other member's unicast_src_ip ({', '.join(sorted(map(str, others)))}): "
                                    "peers must be the group's own members")
        if any(m["track_haproxy"] for m in members.values()) and is_int(check_weight) and is_int_range(check_weight):
            found, weak = _weight_effects(name, members, int(check_weight))
            problems += found
            (warnings if weak_weight_ok else problems).extend(weak)
    return problems, warnings


def _unusable(cidr):
    """Why a VIP (address/prefix) is no usable host address of its subnet, or None."""
    try:
        interface = ipaddress.ip_interface(cidr)
    except ValueError:
        return None  # keepalived_problems names a malformed VIP
    address, network = interface.ip, interface.network
    for kind in ("unspecified", "loopback", "multicast", "link_local", "reserved"):
        if getattr(address, "is_" + kind):
            return f"is a {kind.replace('_', '-')} address, which no host can serve"
    if address.version == 4 and network.prefixlen <= 30:
        if address == network.network_address:
            return f"is the network address of {network}"
        if address == network.broadcast_address:
            return f"is the broadcast address of {network}"
    if address.version == 6 and network.prefixlen <= 126 and address == network.network_address:
        return f"is the subnet-router anycast address of {network}, which every router on it answers"
    return None


def address_problems(model):
    """The group's VIPs as addresses: each a usable host address of its subnet, none a member's own
    (primary IPv4) address, none carried by two instances of a node."""
    problems = []
    own = {}
    for member, pairs in ((model or {}).get("own_addresses") or {}).items():
        for address, interface in pairs:
            own.setdefault(address, (member, interface))
    for vip in (model or {}).get("vips") or []:
        why = _unusable(vip.get("cidr") or "")
        if why:
            problems.append(f"keepalived_instances ({vip.get('instance')}): VIP {vip.get('cidr')} {why}: use a host address of "
                            "the subnet that no host has yet")
        if vip.get("address") in own:
            member, interface = own[vip["address"]]
            problems.append(f"keepalived_instances ({vip.get('instance')}): VIP {vip['address']} is {member}'s own address on "
                            f"{interface}: the node holding the VIP would take it from {member} (and lose it with "
                            "keepalived); use an address of the subnet that no host has yet")
    for member, node in ((model or {}).get("nodes") or {}).items():
        carriers = {}
        for inst in node.get("instances") or []:
            for cidr in inst.get("vip_cidrs") or []:
                carriers.setdefault(address_only(cidr), []).append(inst.get("name"))
        for address, names in carriers.items():
            if len(names) > 1:
                problems.append(f"keepalived_instances: VIP {address} is in the vips of {' and '.join(map(str, names))} on {member}: each "
                                "VIP belongs to one instance, or two elections fight over it; remove it from all but one")
    return sorted(set(problems), key=problems.index)


def _port_problem(where, port):
    if not is_port(port):
        return f"{where}: port is {as_number(port)!r}: use a whole number from 1 to 65535"
    return None


def _named(problems, seen, where, item, what, scope=""):
    """Record a missing, malformed or repeated name; return the item's label, or None to skip the item."""
    if not isinstance(item, dict) or not item.get("name"):
        problems.append(f"{where}: name is missing: give every {what} a name")
        return None
    name = item["name"]
    if not NAME.fullmatch(str(name)):
        problems.append(f"{where}: the {what} name {str(name)!r} breaks haproxy.cfg: use {RULES[NAME]}")
        return None
    label = f"{where} ({name})"
    if name in seen:
        problems.append(f"{label}: the {what} name {name} is used twice{scope} (also {seen[name]}): "
                        f"give every {what}{' of a backend' if scope else ''} its own name")
    seen.setdefault(name, where)
    return label


def _fields(where, item, rules):
    """The grammar of an item's fields that are set: {field: NAME, TOKEN or None (a line)}; and
    of each line of its options list."""
    problems = []
    for field, rule in rules.items():
        if item.get(field) not in (None, "") and not (field == "options" and isinstance(item[field], list)):
            problems += _grammar(f"{where}.{field}", item[field], rule)
    if isinstance(item.get("options"), list):
        for index, line in enumerate(item["options"]):
            problems += _grammar(f"{where}.options[{index}]", line, None)
    return problems


def textfile_problems(path, state_dir):
    """keepalived_metrics_textfile (empty: none) against keepalived_state_dir: the link may not
    be made in the directory it points into (it would replace, or point at, the helper's file)."""
    if not path or not state_dir:
        return []
    inside = str(path).startswith(str(state_dir).rstrip("/") + "/")
    return [f"keepalived_metrics_textfile is {str(path)!r}, inside keepalived_state_dir ({state_dir}), where the "
            "helper writes the file it links to: name a file in node_exporter's textfile directory, such as "
            "/var/lib/prometheus/node-exporter/hapair_vrrp.prom"] if inside else []


def scalar_problems(values):
    """The settings of SCALARS among values ({variable: value}) that break their file's grammar,
    or that are empty where the file needs a word (NONEMPTY)."""
    problems = []
    for name, value in (values or {}).items():
        if name in NONEMPTY and (value is None or not str(value).strip()):
            problems.append(f"{name} is empty: haproxy.cfg needs a value there; leave it out to have the default")
        if name in SCALARS and value not in (None, "") and not isinstance(value, bool):
            where = f"{name} (by default {DEFAULTS_FROM[name]})" if name in DEFAULTS_FROM else name
            problems += _grammar(where, value, SCALARS[name], secret=name in SECRETS)
    return problems


def _listener_problems(frontends, own):
    """Every (address, port) HAProxy listens on used once; a wildcard bind takes the port on
    every address, so it conflicts with any other bind on that port. own: own_listeners()."""
    problems, seen = [], {}
    for where, bind in bind_sources(frontends, own):
        address, port = any_address(bind.get("address")), as_number(bind.get("port"))
        if not is_int(port):
            continue
        clash = next((w for (a, p), w in seen.items() if p == port and binds_overlap(a, address)), None)
        if clash:
            problems.append(f"{where}: {hostport(bind.get('address') or '*', port)} is also where {clash} listens: HAProxy would take the "
                            "port twice (or split connections between them); give each listener its own address and port")
        else:
            seen[(address, port)] = where
    return problems


def own_listeners(stats_address=None, stats_port=None, metrics_address=None, metrics_port=None,
                  peer_address=None, peers_port=None):
    """HAProxy's listeners of its own beside the frontends, those that are on (an address None:
    off): [{address, port, variable, port_variable, section, what, kinds}]. section: the section
    it makes in haproxy.cfg; kinds: the kinds of section that may not share that name (`listen
    stats` is a frontend and a backend at once; `frontend metrics` leaves the name free for a
    backend). The peers listen on this node's own address (peers.own_address())."""
    listeners = (
        ("stats", stats_address, stats_port, "haproxy_stats_address/haproxy_stats_port", "haproxy_stats_port",
         "the stats page (haproxy_stats_enabled)", ("frontend", "backend")),
        ("metrics", metrics_address, metrics_port, "haproxy_metrics_address/haproxy_metrics_port", "haproxy_metrics_port",
         "the metrics listener (haproxy_metrics_enabled)", ("frontend",)),
        (peers.SECTION, peer_address, peers_port, "haproxy_peers_port (this node's peers listener)", "haproxy_peers_port",
         "the peers of the shared stick tables (a backend's stickiness)", ("frontend", "backend")),
    )
    return [{"address": address, "port": port, "variable": variable, "port_variable": port_variable,
             "section": section, "what": what, "kinds": list(kinds)}
            for section, address, port, variable, port_variable, what, kinds in listeners if address is not None]


def haproxy_problems(frontends, backends, vips=None, local_addresses=None, own=(), certificates=None,
                     default_mode="http"):
    """Frontends, backends and servers. vips: every VIP the keepalived instances carry (None
    when keepalived is not managed here); local_addresses: this host's own addresses; own:
    HAProxy's own listeners that are on (own_listeners()); certificates: haproxy_certificates
    (their names are what a TLS frontend may ask for); default_mode: haproxy_mode."""
    problems = []
    own = list(own or [])
    sections = {item["section"]: (item["what"], item["kinds"]) for item in own}
    known = {str(c["name"]) for c in certificates or [] if isinstance(c, dict) and c.get("name")}
    frontends = frontends or []
    backends = backends or []
    vips = None if vips is None else {address_only(str(v)) for v in vips}
    local = {address_only(str(a)) for a in (local_addresses or [])} | {"127.0.0.1", "::1"}
    for item in own:
        problem = _port_problem(item["port_variable"], item["port"])
        if problem:
            problems.append(problem)
    for kind, items in (("frontend", frontends), ("backend", backends)):
        for index, item in enumerate(items):
            name = str(item.get("name")) if isinstance(item, dict) else None
            if name in sections and kind in sections[name][1]:
                problems.append(f"haproxy_{kind}s[{index}]: the {kind} name {name} is taken by "
                                f"{sections[name][0]}: give the {kind} another name")

    names = {}
    for index, frontend in enumerate(frontends):
        where = _named(problems, names, f"haproxy_frontends[{index}]", frontend, "frontend")
        if where is None:
            continue
        binds = frontend.get("binds") or []
        if not binds:
            problems.append(f"{where}: binds is empty: give at least one address and port, normally a VIP")
        for bind_index, bind in enumerate(binds):
            spot = f"{where}.binds[{bind_index}]"
            if not isinstance(bind, dict):
                problems.append(f"{spot} is {bind!r}: write each bind as address and port")
                continue
            problem = _port_problem(spot, bind.get("port"))
            if problem:
                problems.append(problem)
            address = address_only(str(bind.get("address", "")))
            if vips is not None and not is_wildcard(address) and address not in vips and address not in local:
                problems.append(f"{spot}: address {bind.get('address')} is no VIP of any keepalived instance "
                                f"({', '.join(sorted(vips)) or 'none'}) and not an address of this host: "
                                "add it to an instance's vips, or bind a VIP")
        mode = str(frontend.get("mode") or default_mode)
        # A frontend that only redirects to HTTPS serves nothing itself.
        if not frontend.get("default_backend") and not (mode == "http" and as_truth(frontend.get("redirect_https"))):
            problems.append(f"{where}: default_backend is missing: name the backend that serves it")
        problems += tls.frontend_problems(where, frontend, mode, known)
        problems += _fields(where, frontend, {"mode": TOKEN, "default_backend": TOKEN})
        for bind_index, bind in enumerate(binds):
            if isinstance(bind, dict):
                problems += _fields(f"{where}.binds[{bind_index}]", bind, {"address": TOKEN, "options": None})

    backend_names = {}
    for index, backend in enumerate(backends):
        where = _named(problems, backend_names, f"haproxy_backends[{index}]", backend, "backend")
        if where is None:
            continue
        problems += _fields(where, backend, {"mode": TOKEN, "balance": BALANCE, "cookie": TOKEN})
        problems += tls.backend_problems(where, backend)
        problems += peers.backend_problems(where, backend)
        if isinstance(backend.get("health_check"), dict):
            problems += _fields(f"{where}.health_check", backend["health_check"],
                                {"method": TOKEN, "path": TOKEN, "expect_status": TOKEN})
        servers = backend.get("servers") or []
        if not servers:
            problems.append(f"{where}: servers is empty: a backend without servers answers every request with 503; "
                            "add servers or remove the backend")
        server_names = {}
        for server_index, server in enumerate(servers):
            spot = _named(problems, server_names, f"{where}.servers[{server_index}]", server, "server",
                          f" in backend {backend['name']}")
            if spot is None:
                continue
            problem = _port_problem(spot, server.get("port"))
            if problem:
                problems.append(problem)
            if not server.get("address"):
                problems.append(f"{spot}: address is missing")
            problems += _fields(spot, server, {"address": TOKEN, "options": None})

    problems += _listener_problems(frontends, own)
    # The firewall opens a frontend's port to everyone, and the peers port to the members alone.
    for item in own:
        if item["section"] == peers.SECTION:
            problem = peers.port_problem(item["port"], [bind.get("port") for _where, bind in bind_sources(frontends)],
                                         [other["port"] for other in own if other is not item])
            if problem and is_port(item["port"]):  # else _port_problem said it
                problems.append(f"haproxy_peers_port {problem}")
    for frontend in frontends:
        if isinstance(frontend, dict) and frontend.get("default_backend") and frontend["default_backend"] not in backend_names:
            problems.append(f"frontend {frontend.get('name')}: default_backend is {frontend['default_backend']}, but "
                            f"haproxy_backends defines only {', '.join(backend_names) or 'none'}: add the backend or fix the name")
    return problems


def spec_options(specs):
    """Every option of every entry point of a role's meta/argument_specs.yml (parsed)."""
    entries = (specs or {}).get("argument_specs") or {}
    return sorted({option for entry in entries.values() if isinstance(entry, dict) for option in entry.get("options") or {}})


# The variables of the collection's playbooks (site.yml, verify.yml, status.yml), which share
# the prefix hapair_ (README.md, "Playbook variables").
PLAYBOOK_VARIABLES = ("hapair_lb_group", "hapair_rollout_batch", "hapair_verify_timeout", "hapair_switchover_to",
                      "hapair_switchover_from", "hapair_switchover_reset", "hapair_node", "hapair_maintenance",
                      "hapair_backend", "hapair_server", "hapair_state", "hapair_server_timeout",
                      "hapair_upgrade_restart", "hapair_upgrade_nodes")
# Variables that are gone, with what replaces them.
REMOVED_VARIABLES = {"hapair_rollout_timeout": "haproxy_listen_timeout (HAProxy's wait after each change)"}


def unknown_variables(names, known, role):
    """A warning for each of names (variables set with the role's prefix) that the role does not
    know, naming the closest known variable: a misspelt variable is otherwise ignored. role
    'hapair' stands for the playbooks (PLAYBOOK_VARIABLES)."""
    warnings = []
    # Compared without the prefix they share, which would make any two names look alike.
    cut = len(role) + 1
    tails = {name[cut:]: name for name in known}
    owner = "no playbook of the collection has such a variable" if role == "hapair" else f"the {role} role has no such variable"
    for name in sorted(set(names) - set(known)):
        if name in REMOVED_VARIABLES:
            warnings.append(f"{name} is set, but it is no longer used, so it is ignored: set {REMOVED_VARIABLES[name]}")
            continue
        close = difflib.get_close_matches(name[cut:], list(tails), n=1, cutoff=0.6)
        hint = f"did you mean {tails[close[0]]}?" if close else (
            "see the playbook variables in the collection's README" if role == "hapair"
            else f"see ansible-doc -t role hapair.loadbalancer.{role}")
        warnings.append(f"{name} is set, but {owner}, so it is ignored: {hint}")
    return warnings


# A backend server's state at runtime (the haproxy role's tasks_from=server, backend.yml), and
# what community.general.haproxy calls each: its state, and whether it waits for the sessions.
SERVER_STATES = {"drain": {"state": "drain", "drain": True}, "maint": {"state": "disabled", "drain": False},
                 "ready": {"state": "enabled", "drain": False}}


def server_state_problems(backends, change, variable="haproxy_server_state"):
    """Why a runtime change of a backend server ({backend, server, state}) cannot be made: a
    backend or server that haproxy_backends does not have, or a state that is none of drain,
    maint, ready. Each names the variable, the value and the fix."""
    change = change if isinstance(change, dict) else {}
    known = {b.get("name"): [s.get("name") for s in b.get("servers") or [] if isinstance(s, dict)]
             for b in backends or [] if isinstance(b, dict)}
    backend, server, state = change.get("backend"), change.get("server"), change.get("state")
    problems = []
    if state not in SERVER_STATES:
        problems.append(f"{variable}.state is {state!r}: use one of {', '.join(SERVER_STATES)}")
    if backend not in known:
        problems.append(f"{variable}.backend is {backend!r}, which haproxy_backends does not have: "
                        f"name one of {', '.join(str(n) for n in known) or '(none)'}")
    elif server not in known[backend]:
        problems.append(f"{variable}.server is {server!r}, which backend {backend} does not have: "
                        f"name one of {', '.join(str(n) for n in known[backend]) or '(none)'}")
    return problems


def server_state_call(change):
    """community.general.haproxy's state and drain for a change's state."""
    return SERVER_STATES[change["state"]]
