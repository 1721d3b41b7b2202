# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The group model: what every member of a load-balancer group runs, computed once.

Plain functions over plain data, so the unit tests feed them recorded facts. Every role, template,
check, playbook and test reads the group through this module; no other file works out a node's
instances, VIPs, transports, peers, firewall sources or sysctls.

- member_inputs: one member's settings (the public variables below) without secrets;
- build: the model of the whole group from every member's inputs and network facts;
- firewall_rules / stale_rules: the iptables rules a node needs, and those it no longer needs;
- sysctls: the kernel parameters a node needs for HAProxy to bind VIPs it does not hold;
- listeners: the HAProxy binds on the group's VIPs (what a rollout waits for);
- holders / status_lines: who holds a VIP, and the group's table, from nodes' vip_status reports.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import re
from decimal import Decimal, InvalidOperation

from ansible_collections.hapair.loadbalancer.plugins.module_utils.keepalived_state import address_only as canonical_address

# The settings the model reads from each member, and the public variable each comes from. A
# member outside the play (--limit) is read from its inventory variables and facts; what it
# does not define there is taken from the member that computes the model (role defaults and
# play variables are the same on every member).
MEMBER_VARS = {
    "instances": "keepalived_instances",
    "interface": "keepalived_interface",
    "vrrp_version": "keepalived_vrrp_version",
    "advert_int": "keepalived_advert_int",
    "auth_type": "keepalived_auth_type",
    "auth_pass": "keepalived_auth_pass",
    "priority_base": "keepalived_priority_base",
    "priority_step": "keepalived_priority_step",
    "track_haproxy": "keepalived_track_haproxy",
    "unicast": "keepalived_unicast",
    "notify": "keepalived_notify",
}

MULTICAST = {4: "224.0.0.18", 6: "ff02::12"}
FAMILIES = {4: "ipv4", 6: "ipv6"}
# The marker in the comment of every firewall rule the collection owns.
RULE_MARKER = "hapair.loadbalancer"

# The inventory group the playbooks run on when hapair_lb_group is not given.
DEFAULT_GROUP = "lb"


def play_group(value, groups):
    """The inventory group the collection's playbooks run on (hapair_lb_group; None or "" for
    DEFAULT_GROUP), and the problem with it, or None: (name, problem). A play whose hosts match
    nothing is skipped and the run passes having done nothing, so a misspelt name, a host pattern
    ("lb,web", "lb:!lb2", "lb*") or a group without hosts is refused before any play starts.
    An inventory without hosts is let through: Ansible warns of it itself, and a syntax check
    (ansible-playbook --syntax-check, ansible-lint) has no inventory.
    groups: the inventory's groups ({name: [hosts]}), as the magic variable groups gives them."""
    name = DEFAULT_GROUP if value is None or value == "" else value
    known = groups if isinstance(groups, dict) else {}
    if not isinstance(name, str):
        return None, (f"hapair_lb_group is {value!r}: give the name of one inventory group (a string), for example "
                      f"-e hapair_lb_group={DEFAULT_GROUP}")
    if not list(known.get("all") or []):
        return name, None
    if name not in known:
        # A play's hosts see extra and play variables, not the inventory's (group_vars, host_vars).
        given = (f"hapair_lb_group is {name!r}" if name == value else
                 f"hapair_lb_group is not given (with -e: a play's hosts cannot see inventory variables), so the "
                 f"group is {name!r}")
        listed = ", ".join(sorted(g for g in known if g not in ("all", "ungrouped"))) or "none"
        return None, (f"{given}, and the inventory has no such group: the play would match no host and do nothing. "
                      f"Give the name of the inventory group of the load balancers (one group, not a pattern); the "
                      f"inventory's groups: {listed}")
    if not list(known[name] or []):
        return None, (f"hapair_lb_group is {name!r}, a group without hosts: the play would match no host and do "
                      f"nothing. Put the load balancers in it, or name their group")
    return name, None


def parse_vip(text):
    """A VIP as given -> {address, prefix, cidr, family}, or None when it is no address/prefix."""
    words = str(text if text is not None else "").split()
    if not words or "/" not in words[0]:
        return None
    try:
        interface = ipaddress.ip_interface(words[0])
    except ValueError:
        return None
    address = str(interface.ip)
    return {"address": address, "prefix": interface.network.prefixlen,
            "cidr": f"{address}/{interface.network.prefixlen}", "family": interface.version}


def new_key():
    """A key for fingerprint(): one per computation of the model, never stored, so the
    fingerprints in the model (a fact that -v shows) compare members and reveal nothing."""
    return os.urandom(16)


def fingerprint(secret, key):
    """A keyed hash to compare a secret across members without showing it."""
    return hmac.new(key, str(secret).encode(), hashlib.sha256).hexdigest()[:16] if secret else ""


# What keepalived.conf's tokenizer reads as one word: printable ASCII without whitespace, and
# without what starts a comment (# !), quotes, escapes or a block ({ }). The password's rule here
# (the model keeps no password), every other keepalived word's in validation.SCALARS.
KEEPALIVED_WORD = re.compile(r"(?:(?![#!\"'\\{}])[!-~])+")


def pass_is_one_word(auth_pass):
    return bool(KEEPALIVED_WORD.fullmatch(str(auth_pass)))


def _secretless(auth_pass, key):
    """A password as the model keeps it: its fingerprint, its length only when keepalived would
    refuse or cut it (1 to 8 characters are fine), and whether it would break keepalived.conf's
    grammar (no character of it is kept)."""
    length = len(str(auth_pass)) if auth_pass else 0
    return {"auth_pass_length": None if 1 <= length <= 8 else length, "auth_fingerprint": fingerprint(auth_pass, key),
            "auth_pass_unsafe": bool(auth_pass) and not pass_is_one_word(auth_pass)}


# Settings that are whole numbers, and lists: what `-e name=value` gives as a string means the
# same as the number or the one-item list typed in a vars file.
NUMBERS = ("vrrp_version", "priority_base", "priority_step")
INSTANCE_NUMBERS = ("virtual_router_id", "priority", "preempt_delay")
INSTANCE_LISTS = ("vips", "unicast_peers")


def as_number(value):
    """'51' -> 51 (as `-e` gives it); anything else as it was, for validation to judge."""
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        return int(value)
    return value


def _listed(value):
    """A list as typed, a single string as a one-item list; anything else as an empty list
    (validation then says what is missing)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    return list(value) if isinstance(value, (list, tuple)) else []


def _instance_inputs(item, key):
    item = dict(item)
    for name in INSTANCE_NUMBERS:
        if name in item:
            item[name] = as_number(item[name])
    for name in INSTANCE_LISTS:
        if name in item:
            item[name] = _listed(item[name])
    if "auth_pass" in item:
        item.update(_secretless(item.pop("auth_pass"), key))
    return item


def member_inputs(settings, key):
    """A member's settings as the model reads them, with every password replaced by what
    _secretless keeps of it: safe to keep as a fact and to show with -v."""
    settings = dict(settings or {})
    out = {name: settings.get(name) for name in MEMBER_VARS if name not in ("auth_pass", "instances")}
    for name in NUMBERS:
        out[name] = as_number(out.get(name))
    out.update(_secretless(settings.get("auth_pass"), key))
    raw = settings.get("instances")
    out["instances"] = [_instance_inputs(i, key) if isinstance(i, dict) else i
                        for i in (raw if isinstance(raw, (list, tuple)) else [])]
    return out


def interface_facts(facts, interface):
    """An interface's entry in Ansible's network facts (eth0, or br_lan for br-lan)."""
    if not interface:
        return {}
    return facts.get(str(interface).replace("-", "_")) or facts.get(interface) or {}


def _default_interface(facts):
    for key in ("default_ipv4", "default_ipv6"):
        name = (facts.get(key) or {}).get("interface")
        if name:
            return name
    return None


def _own_ipv4(facts, interface):
    """The address keepalived sends IPv4 adverts from on interface: its primary address."""
    primary = (interface_facts(facts, interface).get("ipv4") or {}).get("address")
    if primary:
        return primary
    default = facts.get("default_ipv4") or {}
    return default.get("address") if default.get("interface") in (interface, None) else None


def _own_ipv6(facts, interface, vips):
    """A member's own global IPv6 address on interface, never one of the group's VIPs (Ansible's
    default_ipv6.address is the kernel's source choice, which can be a VIP held right now)."""
    for entry in interface_facts(facts, interface).get("ipv6") or []:
        address = canonical_address(entry.get("address"))
        if entry.get("scope") == "global" and address and address not in vips:
            return address
    return None


def _link_locals(facts, interface):
    """The link-local addresses VRRPv3 over IPv6 sends multicast adverts from."""
    return [canonical_address(e.get("address")) for e in interface_facts(facts, interface).get("ipv6") or []
            if e.get("scope") == "link" and e.get("address")]


def vip_family(vips):
    """4 or 6: keepalived runs an instance in the family of its first VIP (given with its prefix,
    or as keepalived.conf's parser returns it, without); None if unclear."""
    for vip in vips or []:
        words = str(vip if vip is not None else "").split()
        try:
            return ipaddress.ip_interface(words[0]).version if words else None
        except ValueError:
            return None
    return None


def _family(vips):
    """vip_family, where the first VIP is a valid VIP with its prefix; None if unclear."""
    for vip in vips or []:
        return vip_family([vip]) if parse_vip(vip) else None
    return None


def _mapping(value):
    return value if isinstance(value, dict) else {}


def is_int(value):
    """A whole number, and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


# A switch typed with -e is a string: these spell one.
def is_port(value, zero=False):
    """A TCP port number, 1 to 65535 (0 too where zero stands for none); '8080', as -e gives
    it, is the port 8080."""
    number = as_number(value)
    return is_int(number) and (0 if zero else 1) <= number <= 65535


SWITCH_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def as_truth(value):
    """A switch as typed in a vars file (true) or with -e (the string 'true')."""
    if isinstance(value, str):
        return SWITCH_WORDS.get(value.strip().lower(), False)
    return bool(value)


def is_switch(value):
    """Whether value reads as a switch: a bool, or a string of SWITCH_WORDS."""
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in SWITCH_WORDS)


def _resolve(index, instance, settings, members, me, facts_of, interface_of, group_vips):
    """One instance as member `me` runs it, every default applied. Values the user gave are
    passed through unchecked: validation judges them."""
    master = instance.get("master") or (members[0] if members else me)
    rank = 0
    if me in members and master in members:
        rank = (members.index(me) - members.index(master)) % len(members)
    family = _family(instance.get("vips"))
    ipv6 = family == 6
    name = instance.get("name")
    nopreempt = as_truth(instance.get("nopreempt", False))
    preempt_delay = instance.get("preempt_delay", 0)
    unicast = as_truth(instance.get("unicast", settings.get("unicast")))
    base = settings.get("priority_base")
    step = settings.get("priority_step")
    computed = base - step * rank if is_int(base) and is_int(step) else base
    auth_type = instance.get("auth_type", settings.get("auth_type"))
    # The instance's own password over keepalived_auth_pass.
    own_secret = "auth_fingerprint" in instance
    secret = instance if own_secret else settings

    def own(node):
        """The address a member sends this instance's unicast adverts from."""
        interface = interface_of(node, name)
        node_facts = facts_of.get(node) or {}
        return _own_ipv6(node_facts, interface, group_vips) if ipv6 else _own_ipv4(node_facts, interface)

    resolved = {
        # Position in keepalived_instances: the template reads the password from there, so the
        # model (kept as a fact, shown with -v) holds no secret.
        "index": index,
        "name": name,
        "virtual_router_id": instance.get("virtual_router_id"),
        # As given (validation judges them) and in canonical form (what keepalived.conf carries).
        "vips": list(instance.get("vips") or []),
        "vip_cidrs": [v["cidr"] for v in map(parse_vip, instance.get("vips") or []) if v],
        "family": family,
        "interface": interface_of(me, name),
        "advert_int": instance.get("advert_int", settings.get("advert_int")),
        # keepalived cannot run IPv6 on VRRPv2.
        "version": 3 if ipv6 else settings.get("vrrp_version"),
        "auth_type": auth_type,
        "auth_pass_length": secret.get("auth_pass_length") if auth_type == "PASS" else None,
        "auth_pass_unsafe": bool(secret.get("auth_pass_unsafe")) if auth_type == "PASS" else False,
        "auth_fingerprint": secret.get("auth_fingerprint", "") if auth_type == "PASS" else "",
        # Where keepalived.conf takes the password from: the instance's auth_pass, or keepalived_auth_pass.
        "auth_pass_from": "instance" if own_secret else "keepalived_auth_pass",
        "master": master,
        "priority": instance.get("priority", computed),
        # With nopreempt or preempt_delay every node starts as BACKUP and the highest priority wins.
        "state": "BACKUP" if nopreempt or preempt_delay or rank != 0 else "MASTER",
        "nopreempt": nopreempt,
        "preempt_delay": preempt_delay,
        "unicast": unicast,
        # Unicast: from this member's address to every other member's, unless given.
        "unicast_src_ip": None,
        "unicast_peers": [],
        "track_haproxy": as_truth(instance.get("track_haproxy", settings.get("track_haproxy"))),
        # The user's notify commands by the state entered: the instance's over the defaults.
        "notify": {**_mapping(settings.get("notify")), **_mapping(instance.get("notify"))},
    }
    resolved["advert"] = advert_signature(resolved)
    if unicast:
        given = instance.get("unicast_src_ip")
        resolved["unicast_src_ip"] = canonical_address(given) if given else own(me)
        peers = instance.get("unicast_peers")
        resolved["unicast_peers"] = ([canonical_address(p) for p in peers] if peers
                                     else [own(n) for n in members if n != me])
    return resolved


def advert_signature(instance):
    """What every member's adverts for an instance must share, or the members discard each
    other's and each takes the VIP: the VRID, the VIPs, advert_int, the VRRP version, the
    authentication type and the transport. (The password is left out: the signature is no
    secret, and the password is compared by fingerprint across the members of one run.)"""
    carried = {
        "virtual_router_id": instance["virtual_router_id"],
        "vips": sorted(instance["vip_cidrs"]),
        # 1, 1.0 and "1" (as -e gives it) are one interval.
        "advert_int": _interval(instance["advert_int"]),
        "version": instance["version"],
        "auth_type": instance["auth_type"],
        "unicast": instance["unicast"],
    }
    return hashlib.sha256(json.dumps(carried, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _interval(value):
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value)


def adverts(node):
    """{instance name: advert signature} of one node: what keepalived records on the node."""
    return {i["name"]: i["advert"] for i in (node or {}).get("instances") or []}


def advert_conflicts(model, outside_adverts):
    """The instances whose adverts would differ between the members in the play and those
    outside it. outside_adverts: {member: {instance: signature} it runs now, or None when it runs
    none of ours yet}. Returns [(instance, member outside, what changes)]."""
    out = []
    for member, running in sorted((outside_adverts or {}).items()):
        if not running:
            continue
        wanted = adverts(((model or {}).get("nodes") or {}).get(member))
        for name in sorted(set(running) | set(wanted)):
            if running.get(name) != wanted.get(name):
                what = "is new" if name not in running else "goes away" if name not in wanted else "changes its adverts"
                out.append((name, member, what))
    return out


def advert_changes(model, me, recorded, running_passwords=None, wanted_passwords=None):
    """What this run changes in node me's adverts, instance by instance: [{instance, what}],
    what one of: "is new", "goes away", "changes its adverts" (VIPs, VRID, advert_int, version,
    authentication type or transport), "changes its password". recorded: {instance: signature}
    the node recorded when its keepalived.conf was last written, or None when it runs none of
    ours yet (nothing to compare: a first deployment). The passwords ({instance: password}, the
    running ones from its keepalived.conf) are compared, never returned."""
    if not recorded:
        return []
    wanted = adverts(((model or {}).get("nodes") or {}).get(me))
    out = []
    for name in sorted(set(recorded) | set(wanted)):
        if recorded.get(name) != wanted.get(name):
            what = "is new" if name not in recorded else "goes away" if name not in wanted else "changes its adverts"
            out.append({"instance": name, "what": what})
        elif name in (running_passwords or {}) and name in (wanted_passwords or {}) \
                and running_passwords[name] != wanted_passwords[name]:
            out.append({"instance": name, "what": "changes its password"})
    return out


def commit_delay(model, me, holds, running_ints=None):
    """When node me puts a staged keepalived.conf in place: {delay, late}, in seconds after the
    group's moment. A node that holds a VIP at once, every other one an advert interval later;
    late is how late a node may start, half that interval, and still keep the order.

    The holder goes first, so that a node that changes VRID or transport never finds the holder's
    new instance missing from the group it is about to join. The others follow within the
    interval they run now (the shortest of this node's running instances; without a read, of its
    new ones): from the holder's commit their old instance drops its adverts (they differ), and
    it would claim the VIP after three old intervals and the skew, counted from the last advert
    it took, at most one interval before the moment. One interval, and half of one late, stays
    clear of that: a short gap with no holder at most, never a window with two."""
    running = [float(v) for v in (running_ints or {}).values() if _is_number(v)]
    new = [float(i["advert_int"]) for i in (((model or {}).get("nodes") or {}).get(me) or {}).get("instances") or []
           if _is_number(i.get("advert_int"))]
    stagger = min([*(running or new or [1.0]), MAX_COMMIT_DELAY])
    return {"delay": 0.0 if holds else stagger, "late": stagger / 2}


MAX_COMMIT_DELAY = 30.0


def commit_batch_missing(model, batch, staged):
    """The members with a staged keepalived.conf that a commit's play batch lacks, in group
    order: empty when the batch holds every one of them, or none has anything staged. staged:
    the members whose keepalived.conf is staged (keepalived_staged). A commit split over batches
    (a play's serial) puts the change live on some members a batch before the others: for a
    change of VRID or transport, two holders until the last batch."""
    staged = {str(m) for m in staged or []}
    batch = {str(m) for m in batch or []}
    return [m for m in (model or {}).get("members") or [] if m in staged and m not in batch]


def decimal_number(value):
    """A finite number as a Decimal, the same typed in a vars file and given with -e (a string;
    spaces around it ignored); None for anything else: a bool, NaN, an infinity, text. Every
    number the roles' input holds is read by this rule (validation.py, vrrp_wire.py)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _is_number(value):
    return decimal_number(value) is not None


def build(members, inputs, facts):
    """The model of a group.

    members: the group's inventory names, in inventory order (the first is the default MASTER).
    inputs: {member: member_inputs(...)}; facts: {member: its ansible_facts, or None when none
    were gathered}. Returns {members, missing_facts, nodes, vips}: missing_facts lists the members
    whose network facts are missing; nodes holds, per member, its instances (state, priority,
    transport, source and peers), its VIPs and, per address family, where its VRRP adverts may
    come from; vips lists every VIP of the group once, with its instance and preferred MASTER.
    """
    members = [str(m) for m in members or []]
    inputs = {m: (inputs or {}).get(m) or {} for m in members}
    facts_of = {m: (facts or {}).get(m) or {} for m in members}
    missing = [m for m in members if "interfaces" not in facts_of[m]]
    own_instances = {m: {i.get("name"): i for i in inputs[m].get("instances") or [] if isinstance(i, dict)}
                     for m in members}

    def interface_of(member, name):
        """The interface a member runs an instance on: the instance's own, else the member's
        keepalived_interface, else the interface of its default route."""
        instance = (own_instances.get(member) or {}).get(name) or {}
        return (instance.get("interface") or (inputs.get(member) or {}).get("interface")
                or _default_interface(facts_of.get(member) or {}))

    group_vips = {canonical_address(v) for m in members for i in own_instances[m].values() for v in i.get("vips") or []}
    nodes = {}
    for me in members:
        instances = [_resolve(index, item, inputs[me], members, me, facts_of, interface_of, group_vips)
                     for index, item in enumerate(inputs[me].get("instances") or []) if isinstance(item, dict)]
        nodes[me] = {"instances": instances, "vips": _node_vips(instances)}
    for me in members:
        nodes[me]["vrrp_sources"] = _vrrp_sources(me, members, nodes, facts_of)
    # Every address a member may send adverts from, whichever transport: a rule that accepts
    # VRRP from one of them is no stranger's, even when no instance uses that transport now.
    member_addresses = set()
    for member in members:
        for inst in nodes[member]["instances"]:
            member_facts = facts_of[member]
            member_addresses.update(a for a in [_own_ipv4(member_facts, inst["interface"]),
                                                _own_ipv6(member_facts, inst["interface"], group_vips)] if a)
            member_addresses.update(_link_locals(member_facts, inst["interface"]))
            member_addresses.update(a for a in [inst["unicast_src_ip"]] if a)
    vips, seen = [], set()
    for me in members:
        for vip in nodes[me]["vips"]:
            if vip["address"] not in seen:
                seen.add(vip["address"])
                vips.append({k: vip[k] for k in ("address", "cidr", "family", "instance", "master")})
    # HAProxy's peers (shared stick tables, module_utils/peers.py): each member by its inventory
    # name, at the address it sends VRRP from (its first instance's interface).
    peers = []
    for member in members:
        first = (nodes[member]["instances"] or [{}])[0]
        interface = first.get("interface") or _default_interface(facts_of[member])
        address = _own_ipv4(facts_of[member], interface) or _own_ipv6(facts_of[member], interface, group_vips)
        peers.append({"name": member, "address": canonical_address(address) if address else None})
    return {"members": members, "missing_facts": missing, "nodes": nodes, "vips": vips,
            "member_addresses": sorted(member_addresses), "host_addresses": _host_addresses(facts_of, members),
            "own_addresses": {m: _primary_addresses(facts_of[m]) for m in members}, "peers": peers}


def _host_addresses(facts_of, members):
    """Every address the members' facts list, on any interface: a source of VRRP adverts that is
    one of them is the group's own (an address this run changes still sends until it does)."""
    out = set()
    for member in members:
        facts = facts_of.get(member) or {}
        for address in list(facts.get("all_ipv4_addresses") or []) + list(facts.get("all_ipv6_addresses") or []):
            out.add(canonical_address(address))
    return sorted(a for a in out if a)


def _primary_addresses(facts):
    """[address, interface] of each interface's primary IPv4 address: the host's own, never one
    keepalived added (a VIP joins an interface that has an address in its subnet as a secondary)."""
    out = []
    for name in facts.get("interfaces") or []:
        address = (interface_facts(facts, name).get("ipv4") or {}).get("address")
        if address and not address.startswith("127."):
            out.append([canonical_address(address), name])
    return out


def _node_vips(instances):
    out = []
    for inst in instances:
        for vip in inst["vips"]:
            parsed = parse_vip(vip)
            if parsed:
                out.append({**parsed, "instance": inst["name"], "interface": inst["interface"], "master": inst["master"]})
    return out


def _vrrp_sources(me, members, nodes, facts_of):
    """Where this member accepts VRRP adverts from, per family: (source, destination) pairs.
    Multicast instances: every member's sending address on the instance's interface, towards the
    VRRP group address. Unicast instances: each configured peer, towards any address."""
    sources = {"ipv4": [], "ipv6": []}
    for inst in nodes[me]["instances"]:
        if inst["family"] not in FAMILIES:
            continue
        family = FAMILIES[inst["family"]]
        if inst["unicast"]:
            pairs = [(peer, None) for peer in inst["unicast_peers"] if peer]
        else:
            pairs = []
            for member in members:
                same = next((i for i in nodes[member]["instances"] if i["name"] == inst["name"]), None)
                interface = same["interface"] if same else inst["interface"]
                member_facts = facts_of.get(member) or {}
                if inst["family"] == 6:
                    found = _link_locals(member_facts, interface)
                else:
                    found = [a for a in [_own_ipv4(member_facts, interface)] if a]
                pairs += [(address, MULTICAST[inst["family"]]) for address in found]
        for pair in pairs:
            if pair not in sources[family]:
                sources[family].append(pair)
    return sources


def peer_address(model, me):
    """The address member me's HAProxy peers listener binds (the model's peers), or None."""
    return next((p.get("address") for p in (model or {}).get("peers") or [] if p.get("name") == me), None)


def firewall_rules(node, chain, frontend_ports=(), peers=None, peers6=None, marker=RULE_MARKER,
                   haproxy_peers=(), haproxy_peers_port=0, haproxy_peer_address=None, haproxy_user="haproxy"):
    """Every rule one node needs, family by family, in the order they must be applied: the chain
    first; peer rules inserted at the top of it and the final DROPs appended, so a peer added later
    still lands above them; INPUT rules inserted at the top, ahead of any drop rule there.
    peers / peers6: addresses that replace the model's sources of that family (for VRRP speakers
    this collection does not configure), accepted towards any destination. haproxy_peers: the
    members' addresses (the model's peers) that alone may reach HAProxy's peers port,
    haproxy_peers_port (0: none, no rule), on this node's own haproxy_peer_address; and only
    HAProxy itself (haproxy_user) may open a connection to a member's peers port from here:
    the peers protocol has no authentication, so any other local user could write the tables."""
    sources = dict((node or {}).get("vrrp_sources") or {"ipv4": [], "ipv6": []})
    if peers:
        sources["ipv4"] = [(canonical_address(p), None) for p in peers]
    if peers6:
        sources["ipv6"] = [(canonical_address(p), None) for p in peers6]
    peers_port = as_number(haproxy_peers_port)
    members = {"ipv4": [], "ipv6": []}
    if is_int(peers_port) and peers_port > 0:
        for address in filter(None, map(canonical_address, haproxy_peers or [])):
            family = FAMILIES[6 if ":" in address else 4]
            if address not in members[family]:
                members[family].append(address)
    families = ["ipv4"] + (["ipv6"] if sources.get("ipv6") or members["ipv6"] else [])
    # Whole numbers only: a port that is none is the HAProxy checks' to report, not a rule's.
    ports = sorted({n for n in map(as_number, frontend_ports or []) if is_int(n)})
    prefix = marker + ": "
    rules = []
    for family in families:
        rules.append({"ip_version": family, "chain": chain, "chain_management": True, "comment": "chain " + chain})
        for source, destination in sources.get(family) or []:
            rule = {"ip_version": family, "chain": chain, "action": "insert", "protocol": "vrrp", "jump": "ACCEPT",
                    "source": source, "comment": prefix + "VRRP from " + source + (" to " + destination if destination else "")}
            if destination:
                rule["destination"] = destination
            rules.append(rule)
        rules.append({"ip_version": family, "chain": chain, "action": "append", "protocol": "vrrp", "jump": "DROP",
                      "comment": prefix + "VRRP from outside the group"})
        rules.append({"ip_version": family, "chain": "INPUT", "action": "insert", "protocol": "vrrp", "jump": chain,
                      "comment": prefix + "VRRP"})
        own = canonical_address(haproxy_peer_address) if haproxy_peer_address else None
        if members[family] and own in members[family]:
            # HAProxy's peers protocol has no authentication: the members alone reach this node's
            # peers listener (its own address and port only: another service on that port, on
            # another address, is left alone), and from each member only HAProxy connects.
            tcp = {"ip_version": family, "protocol": "tcp", "destination_ports": [str(peers_port)]}
            rules += [{**tcp, "chain": chain, "action": "insert", "jump": "ACCEPT", "source": address, "destination": own,
                       "comment": f"{prefix}HAProxy peers from {address} tcp/{peers_port}"} for address in members[family]]
            rules.append({**tcp, "chain": chain, "action": "append", "jump": "DROP", "destination": own,
                          "comment": f"{prefix}HAProxy peers tcp/{peers_port} from outside the group"})
            rules.append({**tcp, "chain": "INPUT", "action": "insert", "jump": chain, "destination": own,
                          "comment": f"{prefix}HAProxy peers tcp/{peers_port}"})
            rules += [{**tcp, "chain": "OUTPUT", "action": "insert", "jump": "REJECT", "destination": address,
                       "owner": f"! --uid-owner {haproxy_user}",
                       "comment": f"{prefix}HAProxy peers tcp/{peers_port} to {address} from users but {haproxy_user}"}
                      for address in members[family]]
        if ports:
            rules.append({"ip_version": family, "chain": "INPUT", "action": "insert", "protocol": "tcp", "jump": "ACCEPT",
                          "destination_ports": [str(p) for p in ports],
                          "comment": prefix + "HAProxy frontends tcp/" + ",".join(str(p) for p in ports)})
    return rules


def _comment(line):
    marker = '--comment "'
    if marker not in line:
        return None
    return line.split(marker, 1)[1].split('"', 1)[0]


def bad_addresses(addresses, family):
    """The entries of addresses that are no address of family (4 or 6)."""
    out = []
    for address in addresses or []:
        try:
            good = ipaddress.ip_address(str(address)).version == family
        except ValueError:
            good = False
        if not good:
            out.append(str(address))
    return out


def missing_rules(rules, current):
    """The rules of firewall_rules that the live tables (current: {family: iptables-save lines})
    lack: a chain shows as ':CHAIN', a rule by its comment, which spells out what makes it
    distinct (peer, destination, ports)."""
    out = []
    for rule in rules:
        lines = (current or {}).get(rule["ip_version"]) or []
        if rule.get("chain_management"):
            present = any(line.startswith(":" + rule["chain"] + " ") for line in lines)
        else:
            present = any(line.startswith("-A " + rule["chain"] + " ") and _comment(line) == rule["comment"] for line in lines)
        if not present:
            out.append(rule)
    return out


def _source(line):
    words = line.split()
    return canonical_address(words[words.index("-s") + 1]) if "-s" in words[:-1] else None


def stale_rules(rules, current, keep_sources=None, marker=RULE_MARKER):
    """Rules in the live tables that carry the marker but that no wanted rule has (a peer that
    left, a transport or port no longer used, IPv6 no longer used): [family, the line
    iptables-save printed]. Rules without the marker are never touched. keep_sources: addresses
    whose VRRP rules stay even so (the members', while some may still send the old way)."""
    wanted = {(r["ip_version"], r["chain"], r["comment"]) for r in rules if "jump" in r}
    keep = {canonical_address(a) for a in keep_sources or []}
    out = []
    for family in ("ipv4", "ipv6"):
        for line in (current or {}).get(family) or []:
            comment = _comment(line)
            if line.startswith("-A ") and comment and comment.startswith(marker + ": ") \
                    and (family, line.split(" ")[1], comment) not in wanted and _source(line) not in keep:
                out.append([family, line])
    return out


# A chain name iptables takes (at most 28 characters) that cannot be mistaken for an option, a
# built-in chain or a target: the rules jump to it, and iptables-restore reads it as a word.
_CHAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,27}")
_RESERVED_CHAINS = {"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING",
                    "ACCEPT", "DROP", "REJECT", "RETURN", "QUEUE", "NFQUEUE", "LOG", "MARK", "CT"}


def chain_problem(name):
    """Why name cannot be the chain of the VRRP rules, or None."""
    text = str(name)
    if not _CHAIN_NAME.fullmatch(text):
        return "is no iptables chain name (1 to 28 letters, digits or _ . + -, not starting with . + or -)"
    if text.upper() in _RESERVED_CHAINS:
        return "is a built-in chain or target of iptables"
    return None


def _rule_line(rule):
    """One rule of firewall_rules as an iptables-restore line."""
    words = ["-I" if rule.get("action") == "insert" else "-A", rule["chain"]]
    if rule.get("source"):
        words += ["-s", rule["source"]]
    if rule.get("destination"):
        words += ["-d", rule["destination"]]
    words += ["-p", rule["protocol"]]
    if rule.get("destination_ports"):
        words += ["-m", "multiport", "--dports", ",".join(rule["destination_ports"])]
    if rule.get("owner"):
        words += ["-m", "owner"] + rule["owner"].split()
    words += ["-m", "comment", "--comment", '"' + rule["comment"] + '"', "-j", rule["jump"]]
    return " ".join(words)


def restore_input(rules):
    """{family, command, input} for each family that has rules to add (command --noflush reads
    input): one
    atomic transaction per family instead of one iptables call per rule. A chain is declared
    only when it is among the rules (missing): --noflush empties an existing chain it declares."""
    out = []
    for family in ("ipv4", "ipv6"):
        mine = [r for r in rules or [] if r["ip_version"] == family]
        if not mine:
            continue
        lines = ["*filter"]
        lines += [":" + r["chain"] + " - [0:0]" for r in mine if r.get("chain_management")]
        lines += [_rule_line(r) for r in mine if not r.get("chain_management")]
        out.append({"family": family, "command": "iptables-restore" if family == "ipv4" else "ip6tables-restore",
                    "input": "\n".join(lines + ["COMMIT", ""])})
    return out


def delete_argv(family, line):
    """The command that deletes the rule iptables-save printed as line."""
    words, current, quoted = [], "", False
    for char in line[3:] if line.startswith("-A ") else line:
        if char == '"':
            quoted = not quoted
        elif char == " " and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    if current:
        words.append(current)
    return ["iptables" if family == "ipv4" else "ip6tables", "-t", "filter", "-D"] + words


# firewalld keeps no comment on a rule: this collection's rich rules carry these priorities
# (VRRP's protocol number in them), so that a later run finds its own; no other rule of the
# zone should use them. Its accepts come before its drops, and both before the zone's own rules.
FIREWALLD_PRIORITY = {"ACCEPT": -32112, "DROP": -32111}


def _rich_rule(rule, port=None):
    """One rule of firewall_rules as a firewalld rich rule, in the form firewalld lists it."""
    words = [f'rule priority="{FIREWALLD_PRIORITY[rule["jump"]]}" family="{rule["ip_version"]}"']
    if rule.get("source"):
        words.append(f'source address="{rule["source"]}"')
    if rule.get("destination"):
        words.append(f'destination address="{rule["destination"]}"')
    if rule["protocol"] == "vrrp":
        words.append('protocol value="vrrp"')
    else:
        words.append(f'port port="{port}" protocol="{rule["protocol"]}"')
    words.append(rule["jump"].lower())
    return " ".join(words)


def firewalld_rules(rules):
    """The rules of firewall_rules as firewalld rich rules, [{family, rule, comment}], for a
    node whose firewall firewalld manages: the same sources, destinations and ports, in the
    node's zone. The chain and INPUT's jumps to it have no counterpart (the rules sit in the
    zone, ahead of its own by their priority), and neither has the OUTPUT rule that keeps local
    users other than HAProxy's off the members' peers port: rich rules filter what comes in."""
    out = []
    for rule in rules or []:
        if rule.get("chain_management") or rule.get("jump") not in FIREWALLD_PRIORITY or rule["chain"] == "OUTPUT":
            continue
        for port in rule.get("destination_ports") or [None]:
            out.append({"family": rule["ip_version"], "rule": _rich_rule(rule, port),
                        "comment": rule["comment"] + (f" (tcp/{port})" if port and len(rule["destination_ports"]) > 1 else "")})
    return out


def firewalld_missing(rules, current):
    """The rich rules of firewalld_rules that the zone lacks, at runtime or permanently
    (current: {runtime, permanent}, as firewall-cmd --list-rich-rules printed them)."""
    runtime, permanent = set((current or {}).get("runtime") or []), set((current or {}).get("permanent") or [])
    return [r for r in rules or [] if r["rule"] not in runtime or r["rule"] not in permanent]


def _rich_source(rule):
    found = re.search(r' source address="([^"]+)"', rule)
    return canonical_address(found.group(1)) if found else None


def firewalld_ours(lines):
    """Of a zone's rich rules (firewall-cmd --list-rich-rules lines), those of this collection:
    the ones with its priorities."""
    marks = tuple(f'rule priority="{p}" ' for p in FIREWALLD_PRIORITY.values())
    return [line for line in lines or [] if line.startswith(marks)]


def firewalld_stale(rules, current, keep_sources=None):
    """The zone's rich rules with this collection's priorities that no wanted rule has, at
    runtime or permanently (in that order, each once). keep_sources: addresses whose rules stay
    even so (the members', while some may still send the old way)."""
    wanted = {r["rule"] for r in rules or []}
    keep = {canonical_address(a) for a in keep_sources or []}
    out = []
    for line in firewalld_ours(list((current or {}).get("runtime") or []) + list((current or {}).get("permanent") or [])):
        if line not in wanted and line not in out and _rich_source(line) not in keep:
            out.append(line)
    return out


def firewall_manager(choice, read, node="this node"):
    """{manager, zone, problem}: what manages node's firewall, from the firewall read of
    hapair.loadbalancer.node_state ({managers: {name: {active, enabled}}, firewalld}) and choice
    (vrrp_firewall_backend: auto, iptables or firewalld): _chosen_manager, then, for firewalld,
    _firewalld_zone_problem. No manager where there is a problem."""
    read = read or {}
    firewalld = read.get("firewalld") or {}
    manager, problem = _chosen_manager(choice, read.get("managers") or {}, node)
    if manager == "firewalld":
        problem = _firewalld_zone_problem(firewalld, node)
    return {"manager": None if problem else manager, "zone": firewalld.get("zone"), "problem": problem}


def _chosen_manager(choice, managers, node):
    """(manager, problem) from vrrp_firewall_backend and the managers' states. auto takes firewalld
    where it runs, and iptables where no other manager runs or starts at boot: firewalld enabled
    but stopped would take the firewall at the next boot and reject VRRP; ufw, or nftables.service
    (it loads /etc/nftables.conf, whose `flush ruleset` empties every table, at its start), would
    fight the rules."""
    choice = str(choice).strip().lower() if choice is not None else "auto"

    def state(name):
        return managers.get(name) or {}

    running = state("firewalld").get("active")
    at_boot = state("firewalld").get("enabled") and not running
    others = [m for m in ("ufw", "nftables") if state(m).get("active") or (m == "nftables" and state(m).get("enabled"))]
    if choice not in ("auto", "iptables", "firewalld"):
        return None, (f"vrrp_firewall_backend is {choice!r}: give auto (firewalld where it runs, else iptables), "
                      "iptables or firewalld")
    if choice == "firewalld" and not running:
        return None, (f"vrrp_firewall_backend is firewalld, but firewalld does not run on {node}: start it "
                      "(systemctl enable --now firewalld), or set vrrp_firewall_backend to auto or iptables")
    if choice == "iptables" and running:
        return None, (f"vrrp_firewall_backend is iptables, but firewalld runs on {node} and puts its own rules "
                      "back over ours at every reload: set vrrp_firewall_backend to auto or firewalld, or stop "
                      "and disable firewalld")
    if at_boot:
        return None, (f"firewalld is enabled on {node} but not running: at the next boot it would take the firewall, "
                      "and its zone would reject VRRP. Start it (systemctl start firewalld), or disable it "
                      "(systemctl disable firewalld)")
    if choice == "auto" and not running and others:
        what = " and ".join("ufw (enabled)" if m == "ufw" else "nftables.service (enabled: its /etc/nftables.conf "
                            "flushes every table when it starts)" for m in others)
        return None, (f"{what} manages the firewall of {node}, and would fight this role's iptables rules: "
                      "disable it, or set vrrp_firewall_backend to iptables if its rules leave ours alone, or "
                      "run firewalld (vrrp_firewall_backend auto or firewalld)")
    return ("firewalld" if running and choice != "iptables" else "iptables"), None


def _firewalld_zone_problem(firewalld, node):
    """Why firewalld's rules cannot go to the zone of node's VRRP interfaces (firewalld: the
    firewalld read of node_state), or None: the interfaces must be in one zone whose rules could
    be listed."""
    zones = sorted(set((firewalld.get("zones") or {}).values()))
    if len(zones) > 1:
        return (f"the VRRP interfaces of {node} are in different firewalld zones "
                f"({', '.join(f'{i}: {z}' for i, z in sorted(firewalld['zones'].items()))}), and this "
                "role manages one zone: bind them to one zone (firewall-cmd --permanent "
                "--zone=ZONE --change-interface=IF, then firewall-cmd --reload)")
    if not firewalld.get("zone") or firewalld.get("failed"):
        return (f"firewalld runs on {node}, but the rules of its zone "
                f"{firewalld.get('zone') or '(none: no default zone)'} could not be listed "
                f"({', '.join(firewalld.get('failed') or ['runtime', 'permanent'])}): check "
                "firewall-cmd --list-all and firewall-cmd --permanent --list-all on the node")
    return None


def sysctls(node, ipv4=True, ipv6=False):
    """The kernel parameters one node needs so HAProxy can bind VIPs it does not hold: the IPv4
    one when asked for, and the IPv6 one when asked for or whenever the node carries an IPv6 VIP."""
    has6 = any(v["family"] == 6 for v in (node or {}).get("vips") or [])
    return (["net.ipv4.ip_nonlocal_bind"] if as_truth(ipv4) else []) + \
        (["net.ipv6.ip_nonlocal_bind"] if as_truth(ipv6) or has6 else [])


def bind_sysctls(model, frontends, transparent=False):
    """The kernel parameters HAProxy needs at 1 to bind the group's VIPs on a node that does not
    hold them: one per family of the VIPs its frontends bind; none with the transparent option."""
    if as_truth(transparent):
        return []
    family_of = {v["address"]: v["family"] for v in (model or {}).get("vips") or []}
    families = {family_of[item["address"]] for item in listeners(model, frontends)}
    return [f"net.ipv{family}.ip_nonlocal_bind" for family in sorted(families)]


def bind_sources(frontends, own=()):
    """Every bind haproxy.cfg gets, in order, with the variable it comes from: (where, bind), bind
    a mapping of address and port. The frontends' binds, then HAProxy's own listeners that are
    on (own: validation.own_listeners(): the stats page, the metrics listener, the peers)."""
    for index, frontend in enumerate(frontends or []):
        if not isinstance(frontend, dict):
            continue
        for bind_index, bind in enumerate(frontend.get("binds") or []):
            if isinstance(bind, dict):
                yield f"haproxy_frontends[{index}] ({frontend.get('name')}).binds[{bind_index}]", bind
    for listener in own or []:
        yield listener["variable"], listener


def _binds(frontends):
    """Every bind (a mapping) of the HAProxy frontends, in order."""
    return (bind for _where, bind in bind_sources(frontends))


def listeners(model, frontends):
    """The HAProxy binds on the group's VIPs, once each: {address, port} (address canonical)."""
    vips = {v["address"] for v in (model or {}).get("vips") or []}
    out = []
    for bind in _binds(frontends):
        item = {"address": canonical_address(bind.get("address")), "port": as_number(bind.get("port"))}
        if item["address"] in vips and item not in out:
            out.append(item)
    return out


def any_address(address):
    """A bind or socket address, canonical; every IPv4 address ('', '*', 0.0.0.0) as '0.0.0.0',
    every IPv6 one as '::'."""
    text = str(address if address is not None else "")
    return "0.0.0.0" if text in ("", "*") else canonical_address(text)


def is_wildcard(address):
    """Whether a bind address takes every address of its family."""
    return any_address(address) in ("0.0.0.0", "::")


def binds_overlap(one, other):
    """Two bind addresses on one port take the same connections: the same address, or a wildcard
    and any address (a wildcard too) of a family it takes; :: takes both, as Linux binds it
    dual-stack."""
    one, other = any_address(one), any_address(other)
    if one == other:
        return True
    families = [{4, 6} if a == "::" else {6} if ":" in a else {4} for a in (one, other)]
    return (is_wildcard(one) or is_wildcard(other)) and bool(families[0] & families[1])


def haproxy_binds(frontends, own=()):
    """Every (address, port) haproxy.cfg binds, once each (bind_sources()), addresses canonical."""
    out = []
    for _where, bind in bind_sources(frontends, own):
        item = {"address": any_address(bind.get("address")), "port": as_number(bind.get("port"))}
        if item not in out:
            out.append(item)
    return out


def hostport(address, port=None):
    """'address:port', an IPv6 address in brackets (haproxy.cfg's spelling, and ss's); address
    may be a bind mapping instead. An empty address (every IPv4 address) reads ':port'."""
    if isinstance(address, dict):
        address, port = address.get("address"), address.get("port")
    port = as_number(port)  # ' 8080' or '+8080' (as -e may give it) is written 8080
    text = str(address if address is not None else "")
    return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"


def _listening(ss_lines, process):
    """(address, port) of each TCP socket of process in `ss -Htlnp` output (ss writes a dual-stack
    socket on every address as '*', and an interface after '%')."""
    found = set()
    for line in ss_lines or []:
        words = str(line).split()
        if len(words) < 4 or f'(("{process}",' not in line:
            continue
        host, _colon, port = words[3].rpartition(":")
        host = host.split("%")[0].strip("[]")
        if port.isdigit():
            found.add(("::" if host == "*" else any_address(host), int(port)))
    return found


def unserved_binds(binds, ss_lines, process="haproxy"):
    """The binds (haproxy_binds()) on which no socket of process listens, by `ss -Htlnp`: after a
    reload HAProxy keeps its old configuration, and says nothing, when it cannot bind one (a port
    that another process holds)."""
    listening = _listening(ss_lines, process)
    return [bind for bind in binds or [] if (bind.get("address"), bind.get("port")) not in listening]


def monitored_backends(backends):
    """The backends whose servers decide whether this node can serve (keepalived's check asks
    HAProxy's monitor URI, which fails while one of them has no server UP): every backend with
    servers, by name."""
    return [b.get("name") for b in backends or [] if isinstance(b, dict) and b.get("name") and b.get("servers")]


def frontend_ports(frontends):
    """Every TCP port the HAProxy frontends bind, once each."""
    ports = []
    for bind in _binds(frontends):
        port = as_number(bind.get("port"))
        if port is not None and port not in ports:
            ports.append(port)
    return ports


def holders(address, reports):
    """The members that hold address now, in the order of reports ({member: [vip_status result,
    ...]}): a member holds it when any of its results lists it under holds. The one rule behind
    the group verdict (verify.yml) and the table (status.yml)."""
    return [member for member, results in (reports or {}).items()
            if any(address in ((r or {}).get("holds") or []) for r in results or [])]


def status_lines(model, reports, nodes, width=22):
    """status.yml's table, a column per node: a row per VIP of the model (then any other VIP a
    node reports, such as one left in an old keepalived.conf), with its instance, its holder(s)
    or NOBODY, and per node its state, base/effective priority, 'holds', and FAULT when the kernel
    and keepalived disagree; then each node's standing, HAProxy's liveness and keepalived's
    (_node_rows), and each backend server as each node's HAProxy sees it (_server_rows). A node
    without a report shows why (its error, cut to the column, or unreachable)."""
    def report_of(node, address):
        for result in (reports or {}).get(node) or []:
            for vip in (result or {}).get("vips") or []:
                if vip.get("address") == address:
                    return vip
        return None

    rows = [(v["address"], v.get("instance")) for v in (model or {}).get("vips") or []]
    known = {address for address, _instance in rows}
    for node in nodes:
        for result in (reports or {}).get(node) or []:
            for vip in (result or {}).get("vips") or []:
                if vip.get("address") not in known:
                    known.add(vip.get("address"))
                    rows.append((vip.get("address"), vip.get("instance")))

    def row(cells):
        return " ".join(str(c).ljust(width) for c in cells).rstrip()

    lines = [row(["VIP", "INSTANCE", "HOLDER"] + list(nodes))]
    for address, instance in rows:
        cells = []
        for node in nodes:
            vip = report_of(node, address)
            if vip is None:
                results = [r for r in (reports or {}).get(node) or [] if r]
                errors = [r.get("msg") for r in results if r and r.get("vips") is None and r.get("msg")]
                cells.append(str(errors[0])[:width] if errors else ("not configured" if results else "unreachable"))
                continue
            instance = instance or vip.get("instance")
            priority = "/".join("-" if vip.get(k) is None else str(vip.get(k)) for k in ("base_priority", "effective_priority"))
            cells.append(" ".join([str(vip.get("state")), priority] + (["holds"] if vip.get("held") else [])
                                  + ([] if vip.get("agree", True) else ["FAULT"])))
        holding = holders(address, {n: (reports or {}).get(n) for n in nodes})
        lines.append(row([address, instance or "-", ",".join(holding) or "NOBODY"] + cells))
    lines += [row(cells) for cells in _node_rows(reports, nodes) + _server_rows(reports, nodes, width)]
    # The whole reason where a cell had to cut it.
    for node in nodes:
        for result in (reports or {}).get(node) or []:
            error = result.get("servers_error") if isinstance(result, dict) else None
            if error and len(str(error)) > width:
                lines.append(f"{node}: {error}")
    return lines


def _node_rows(reports, nodes):
    """The status table's rows of each node's own state: its standing in the elections
    (module_utils/standing.py: normal, preferred, avoid, maintenance), HAProxy's liveness as
    systemd's hooks last wrote it, and whether keepalived runs; a node without a read says why."""
    cells = {"standing": [], "haproxy": [], "keepalived": []}
    for node in nodes:
        results = [r for r in (reports or {}).get(node) or [] if r and "standing" in r]
        if not results:
            why = "unreachable" if not (reports or {}).get(node) else "no read"
            for row in cells.values():
                row.append(why)
            continue
        result = results[-1]
        cells["standing"].append(result.get("standing"))
        cells["haproxy"].append(result.get("haproxy"))
        cells["keepalived"].append("running" if result.get("keepalived_running") else "stopped")
    return [[name, "", ""] + row for name, row in cells.items()]


def _server_rows(reports, nodes, width):
    """The status table's rows of each backend server that any node reports (vip_status with
    servers), in the order they come, as BACKEND/SERVER with each node's view of it: HAProxy's
    status (UP, DOWN, DRAIN, MAINT...) and its sessions; '-' where a node does not have that
    server, and why where a node's servers could not be read. None when no node read any."""
    views, order = {}, []
    for node in nodes:
        for result in (reports or {}).get(node) or []:
            if not isinstance(result, dict) or "servers" not in result:
                continue
            if result.get("servers") is None:
                views[node] = str(result.get("servers_error") or "not read")[:width]
                continue
            views[node] = {}
            for server in result["servers"]:
                key = f"{server.get('backend')}/{server.get('server')}"
                if key not in order:
                    order.append(key)
                sessions = server.get("sessions")
                views[node][key] = f"{server.get('status')}" + ("" if sessions is None else f" ({sessions})")
    if not order and not any(isinstance(v, str) for v in views.values()):
        return []
    rows = []
    for key in order or ["servers"]:
        cells = []
        for node in nodes:
            view = views.get(node)
            cells.append(view if isinstance(view, str) else "unreachable" if view is None else view.get(key, "-"))
        rows.append([key, "server", ""] + cells)
    return rows
