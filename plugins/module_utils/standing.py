# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's standing in its group's elections, and the moves of the day-2 playbooks.

keepalived reads two files that the collection's roles and playbooks write, as track files
(keepalived.conf's `track_file`), each as soon as it changes (inotify), with no reload:

- the standing (STANDING_FILE, weight 1): a number added to every instance's priority on the
  node. The day-2 playbooks (switchover.yml, maintenance.yml) write it; site.yml never does, so a
  switchover or a maintenance outlives every rollout. keepalived clamps the sum to 1..254, and a
  value of -254 or less puts every instance in FAULT: the node leaves the election (it sends a
  priority-0 advert if it was MASTER, and then none) until the value changes;
- HAProxy's liveness (HAPROXY_FILE, weight 0): systemd's hooks on haproxy.service write 0 once
  HAProxy has started and 1 as soon as its processes have gone (a crash, a kill, a stop), and a
  non-zero value is FAULT. So a MASTER whose HAProxy dies gives its VIPs away at once, with a
  priority-0 advert, instead of waiting for the check script to fail twice.

Both live in directories only root can write: whoever writes them decides who holds the VIPs.

The standings by name, and what each does to a node's priority p in every instance:
  preferred    p + 253, so 254 at most: above every other member (switchover.yml's target)
  normal       p
  avoid        p - 253, so 1 at least: below every other member, still a candidate when no other
               is left (switchover.yml's source)
  maintenance  FAULT: holds no VIP whoever else is left (maintenance.yml)
"""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.hapair.loadbalancer.plugins.module_utils.validation import PRIORITY_RANGE

STANDING_FILE = "/var/lib/hapair-keepalived.standing"
HAPROXY_FILE = "/run/hapair-keepalived.haproxy"
STANDINGS = ("preferred", "normal", "avoid", "maintenance")
# keepalived's bounds: a priority is held within 1..254 (255 is an address owner's), after every
# weight is added; a track file's value times its weight at -254 or below is FAULT.
PRIORITY_MIN, PRIORITY_MAX = PRIORITY_RANGE
FAULT_AT = -254


def _priority(inst, member):
    """An instance's priority on a member; where the model was built without keepalived's
    settings (verify.yml on its own), the configured MASTER above the others."""
    try:
        return int(inst["priority"])
    except (KeyError, TypeError, ValueError):
        return 200 if inst.get("master") == member else 100


def _priorities(model):
    """{instance: {member: priority}} over the group."""
    found = {}
    for member in model.get("members") or []:
        for inst in (model["nodes"].get(member) or {}).get("instances") or []:
            found.setdefault(inst.get("name"), {})[member] = _priority(inst, member)
    return found


def offset(model, member, name):
    """The number a member's standing file holds for a standing: 0 for normal, -254 (FAULT) for
    maintenance; for preferred the least that lifts the member above every other member in each
    of its instances, for avoid the least that drops it below every other one. The least, so
    that the check's weight still moves the VIP off a preferred member whose HAProxy cannot
    serve (and onto an avoided one when the others cannot)."""
    if name == "maintenance":
        return FAULT_AT
    if name not in ("preferred", "avoid"):
        return 0
    gaps = []
    for prios in _priorities(model).values():
        if member not in prios:
            continue
        others = [p for m, p in prios.items() if m != member]
        if others:
            gaps.append(max(others) - prios[member] + 1 if name == "preferred" else prios[member] - min(others) + 1)
    gap = max([1] + gaps)
    return gap if name == "preferred" else -gap


def content(model, member, name):
    """The standing file's text for a member's standing."""
    return f"{offset(model, member, name)}\n"


def name_of(text):
    """The standing a standing file's text stands for, as keepalived applies it: a missing or
    empty file is normal (keepalived creates it with 0), a positive number preferred, a negative
    one avoid, -254 or less maintenance; a text that is no number is what keepalived reads, 0."""
    text = (text or "").strip()
    try:
        number = int(text) if text else 0
    except ValueError:
        number = 0
    if number <= FAULT_AT:
        return "maintenance"
    return "preferred" if number > 0 else "avoid" if number < 0 else "normal"


def haproxy_liveness(text):
    """HAProxy's liveness from the file systemd's hooks write: up (0), down, or unknown without it."""
    if text is None:
        return "unknown"
    return "up" if text.strip() == "0" else "down"


def effective(priority, number):
    """The priority keepalived gives an instance of base priority `priority` on a node whose
    standing file holds `number` (the check script's weight aside), or None for FAULT."""
    if number <= FAULT_AT:
        return None
    return max(PRIORITY_MIN, min(PRIORITY_MAX, int(priority) + number))


def candidates(model, standings, instance):
    """The members that win `instance`'s election with these standings ({member: name}; a
    member without one is normal), where every member runs: the highest effective priority. More
    than one on a tie (keepalived then picks the highest address); none when every member is in
    maintenance."""
    best, winners = None, []
    for member, priority in (_priorities(model).get(instance) or {}).items():
        prio = effective(priority, offset(model, member, standings.get(member) or "normal"))
        if prio is None:
            continue
        if best is None or prio > best:
            best, winners = prio, [member]
        elif prio == best:
            winners.append(member)
    return winners


def instance_names(model):
    """The group's instances by name, in the order of its VIPs, each once."""
    names = []
    for vip in model.get("vips") or []:
        if vip["instance"] not in names:
            names.append(vip["instance"])
    return names


def preempts(model, instance):
    """Whether the instance's holder yields to a higher priority: not with nopreempt (a
    preempt_delay only delays it)."""
    return not any(inst.get("nopreempt") for member in model.get("members") or []
                   for inst in (model["nodes"].get(member) or {}).get("instances") or [] if inst.get("name") == instance)


def expectations(model, standings, node, enforce=True):
    """What vip_status expects of `node` once the group has settled on these standings,
    instance by instance: master (it alone wins), backup (another wins), fault (it is in
    maintenance) or any (a tie it is part of: keepalived picks by address). Without enforce, an
    instance that does not preempt stays where it is: any."""
    expected = {}
    for inst in (model["nodes"].get(node) or {}).get("instances") or []:
        name = inst["name"]
        winners = candidates(model, standings, name)
        if (standings.get(node) or "normal") == "maintenance":
            expected[name] = "fault"
        elif not enforce and not preempts(model, name):
            expected[name] = "any"
        elif winners == [node]:
            expected[name] = "master"
        elif node in winners:
            expected[name] = "any"
        else:
            expected[name] = "backup"
    return expected


def _problem(message):
    return {"problem": message}


def read(model, reports):
    """Each member's standing and whether it can take VIPs, from its vip_status result
    ({member: result}; a member without one counts as normal and able): {member: (standing,
    why it cannot, or "")}."""
    found = {}
    for member in model.get("members") or []:
        result = (reports or {}).get(member)
        if not isinstance(result, dict):
            found[member] = ("normal", "")
            continue
        standing = name_of_standing(result.get("standing"))
        why = ""
        if result.get("vips") is None:
            why = f"it could not be read ({result.get('msg') or 'no result'})"
        elif not result.get("keepalived_running"):
            why = "keepalived is not running there"
        elif result.get("haproxy") == "down":
            why = "HAProxy is down there"
        found[member] = (standing, why)
    return found


def plan(model, reports, to="", away="", reset=False):
    """switchover.yml's move, from each member's vip_status result ({member: result}): `to` NODE:
    NODE wins every instance (preferred, or normal where that already does it), any other
    preferred member goes back to normal; `away` NODE: NODE wins none while another member is
    left (avoid), any other avoided member goes back to normal; reset: every member not in
    maintenance back to normal, so each VIP goes where the configuration puts it. Members in
    maintenance stay so. A move that would hand the VIPs to a member that cannot take them
    (keepalived stopped, HAProxy down) is refused.

    Returns {before, standings, enforce, problems}: before, each member's standing as read;
    problems name the variable, the value and the fix."""
    members = list(model.get("members") or [])
    state = read(model, reports)
    current = {m: state[m][0] for m in members}
    chosen = [(var, val) for var, val in (("hapair_switchover_to", to), ("hapair_switchover_from", away),
                                          ("hapair_switchover_reset", "true" if reset else "")) if val]
    result = {"before": current, "standings": current, "enforce": True, "problems": []}
    if len(chosen) != 1:
        given = ", ".join(f"{var}={val}" for var, val in chosen) or "none"
        result["problems"] = [_problem(
            f"switchover.yml needs exactly one of hapair_switchover_to=NODE, hapair_switchover_from=NODE "
            f"or hapair_switchover_reset=true (given: {given}).")]
        return result
    (variable, node), = chosen
    if not reset and node not in members:
        result["problems"] = [_problem(
            f"{variable}={node} is no member of the group ({', '.join(members)}): name one of them.")]
        return result
    new = dict(current)
    problems = []
    if reset:
        new = {m: ("maintenance" if s == "maintenance" else "normal") for m, s in current.items()}
    elif to:
        if current[node] == "maintenance":
            problems.append(_problem(f"hapair_switchover_to={node}: {node} is in maintenance; release it first "
                                     f"(maintenance.yml -e hapair_node={node} -e hapair_maintenance=off)."))
        elif state[node][1]:
            problems.append(_problem(f"hapair_switchover_to={node}: {node} cannot take the VIPs: {state[node][1]}."))
        for member in members:
            if new[member] == "preferred":
                new[member] = "normal"
        for standing in ("normal", "preferred"):
            new[node] = standing
            if all(candidates(model, new, name) == [node] for name in instance_names(model)):
                break
        else:
            problems.append(_problem(
                f"hapair_switchover_to={node}: {node} cannot win every instance, even preferred (a member "
                f"outranks it at priority {PRIORITY_MAX}): lower that member's pinned priority."))
    else:
        new = _away(current, node)
        problems += _takers_problems(state, new, node, f"hapair_switchover_from={node}", "its VIPs")
    result.update(standings=new, problems=problems)
    return result


def _away(current, node):
    """The standings that move every VIP off node while another member is left: node avoided
    (unless in maintenance), any other avoided member back to normal."""
    new = {m: ("normal" if s == "avoid" else s) for m, s in current.items()}
    if current[node] != "maintenance":
        new[node] = "avoid"
    return new


def _takers_problems(state, standings, node, subject, what):
    """A problem unless a member other than node, not in maintenance, can take node's VIPs;
    subject says which input asked for the move."""
    others = [m for m in standings if m != node and standings[m] != "maintenance"]
    able = [m for m in others if not state[m][1]]
    if able:
        return []
    why = "; ".join(f"{m}: {state[m][1]}" for m in others) or "the others are in maintenance"
    return [_problem(f"{subject}: no other member can take {what} ({why}); release or repair one first.")]


def flag(variable, value, hint, default=False):
    """A yes-or-no input, the same from a vars file (a boolean) and from -e (a string: true, on,
    yes, 1 and their opposites): (its value, or default when not given; a problem or None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default, None
    try:
        return boolean(value, strict=True), None
    except TypeError:
        return default, _problem(f"{variable}={value}: {hint}")


def maintenance_plan(model, reports, node, on):
    """maintenance.yml's steps, each {standings, enforce} to write and wait for: on, the node
    first hands its VIPs over (avoid, a planned switchover), then leaves the election
    (maintenance); off, it is back to normal, and only the instances that preempt move (an
    instance without preemption stays where it is).

    `on` is hapair_maintenance as given: on or off, in any of flag()'s spellings.

    Returns {before, steps, problems}."""
    members = list(model.get("members") or [])
    state = read(model, reports)
    current = {m: state[m][0] for m in members}
    on, problem = flag("hapair_maintenance", "" if on is None else on,
                       "give on or off (-e hapair_node=NODE -e hapair_maintenance=on).", None)
    if problem or on is None:
        return {"before": current, "steps": [], "problems": [problem or _problem(
            "hapair_maintenance is not given: give on or off (-e hapair_node=NODE -e hapair_maintenance=on).")]}
    if node not in members:
        return {"before": current, "steps": [], "problems": [_problem(
            f"hapair_node={node} is no member of the group ({', '.join(members)}): name one of them.")]}
    if on:
        problems = _takers_problems(state, current, node, f"hapair_node={node}", "the VIPs")
        return {"before": current, "steps": [{"standings": {**current, node: "avoid"}, "enforce": True},
                                             {"standings": {**current, node: "maintenance"}, "enforce": True}],
                "problems": problems}
    back = "normal" if current[node] == "maintenance" else current[node]
    return {"before": current, "steps": [{"standings": {**current, node: back}, "enforce": False}], "problems": []}


def upgrade_input(model, nodes, restart):
    """upgrade.yml's input, checked before any host changes: hapair_upgrade_nodes (every member
    when not given; a list, or names separated by commas or spaces as -e gives them) and
    hapair_upgrade_restart (flag()). Returns {nodes: the members named, in member order, restart,
    problems}."""
    members = list(model.get("members") or [])
    problems = []
    if nodes is None or nodes == "" or nodes == []:
        chosen = members
    elif isinstance(nodes, (str, list, tuple)):
        names = nodes.replace(",", " ").split() if isinstance(nodes, str) else [str(n) for n in nodes]
        unknown = [n for n in names if n not in members]
        if unknown:
            problems.append(_problem(
                f"hapair_upgrade_nodes={','.join(names)}: {', '.join(unknown)} is no member of the group "
                f"({', '.join(members)}): name members, or leave it out to upgrade every one."))
        chosen = [m for m in members if m in names and not unknown]
    else:
        chosen = []
        problems.append(_problem(f"hapair_upgrade_nodes={nodes!r}: give a list of members, or names separated "
                                 f"by commas (-e hapair_upgrade_nodes=lb1,lb2)."))
    restart, problem = flag("hapair_upgrade_restart", restart, "give true (restart both daemons on every node "
                            "named, even without a newer package) or false.")
    return {"nodes": chosen, "restart": restart, "problems": problems + ([problem] if problem else [])}


def upgrade_plan(model, reports, pending):
    """upgrade.yml's rounds, one node at a time, for the members that have something to do
    (`pending`: a newer package, or a restart asked for), those holding fewest VIPs first (the
    BACKUPs), in member order on a tie. Each round is {node, hand_over, back}: hand_over the step
    that moves the node's VIPs to the others before its daemons restart (none for a node in
    maintenance, which holds none), back the step that puts every standing back as it was read;
    then the instances that preempt return (one without preemption stays where it is, as after a
    failover).

    Returns {before, rounds, problems}: a node that cannot be upgraded safely is a problem: one
    whose keepalived is stopped or whose HAProxy is down (a restart would start it, and it would
    take part in the elections again), and one whose VIPs no other member can take."""
    members = list(model.get("members") or [])
    state = read(model, reports)
    current = {m: state[m][0] for m in members}

    def held(member):
        result = (reports or {}).get(member)
        vips = result.get("vips") if isinstance(result, dict) else None
        return sum(1 for vip in vips or [] if vip.get("held"))

    order = sorted((m for m in members if m in (pending or [])), key=lambda m: (held(m), members.index(m)))
    rounds, problems = [], []
    for node in order:
        if state[node][1]:
            problems.append(_problem(f"upgrade.yml cannot upgrade {node} safely: {state[node][1]}. Repair it "
                                     f"(site.yml), or leave it out with hapair_upgrade_nodes."))
        hand_over = None
        if current[node] != "maintenance":
            # Only this node's standing changes, unless another avoided member then ties with it.
            standings = {**current, node: "avoid"}
            if any(node in candidates(model, standings, name) for name in instance_names(model)):
                standings = _away(current, node)
            hand_over = {"standings": standings, "enforce": True}
            problems += _takers_problems(state, standings, node, f"upgrade.yml, upgrading {node}",
                                         "its VIPs while it is upgraded")
        rounds.append({"node": node, "hand_over": hand_over, "back": {"standings": current, "enforce": False}})
    return {"before": current, "rounds": rounds, "problems": problems}


def name_of_standing(name):
    """A standing's name as given (a name, or None for a node without a standing file)."""
    return name if name in STANDINGS else "normal"


NOTES = {
    "maintenance": "{m} is in maintenance: it holds no VIP until released "
                   "(maintenance.yml -e hapair_node={m} -e hapair_maintenance=off).",
    "preferred": "{m} is preferred by a switchover: it holds every VIP it can "
                 "(switchover.yml -e hapair_switchover_reset=true undoes it).",
    "avoid": "{m} is avoided by a switchover: it holds a VIP only when no other member can "
             "(switchover.yml -e hapair_switchover_reset=true undoes it).",
}


def notes(standings):
    """What site.yml and status.yml say of the members whose standing is not normal: a rollout
    keeps every standing."""
    return [NOTES[s].format(m=m) for m, s in (standings or {}).items() if s in NOTES]


def settle_seconds(model):
    """How long a move may take to settle: a BACKUP that preempts waits for three adverts it
    discards, plus its skew and any preempt_delay; twice that, and 5 s for the dumps and the
    gratuitous ARPs."""
    longest = 0.0
    for member in model.get("members") or []:
        for inst in (model["nodes"].get(member) or {}).get("instances") or []:
            try:
                advert = float(inst.get("advert_int") or 1)
                delay = float(inst.get("preempt_delay") or 0)
            except (TypeError, ValueError):
                advert, delay = 1.0, 0.0
            longest = max(longest, 4 * advert + delay)
    return round(2 * longest + 5, 1)


def kicks(model, standings, node, report, enforce=True):
    """The instances whose VIPs `node` holds (its vip_status result) though it should not with
    these standings, and whose instance does not preempt: a higher priority elsewhere does not
    take them, so the node must leave the election for a moment (maintenance) and come back.
    None without enforce."""
    if not enforce:
        return []
    expected = expectations(model, standings, node)
    held = {vip.get("instance") for vip in report.get("vips") or [] if vip.get("held")}
    return sorted(name for name in held if name in expected and expected[name] in ("backup", "fault")
                  and not preempts(model, name))


def standings_problems(model, standings, variable="keepalived_standings"):
    """Why standings given to the keepalived role's tasks_from=standing cannot be written: a
    member the group does not have, or a standing that is none of the four (a misspelt one would
    otherwise be written as normal). Each names the variable, the value and the fix."""
    members = list(model.get("members") or [])
    if not isinstance(standings, dict):
        return [f"{variable} is {standings!r}: give a mapping of member to standing, such as {{lb1: maintenance}}"]
    problems = []
    for member, name in standings.items():
        if member not in members:
            problems.append(f"{variable} names {member!r}, which is no member of the group ({', '.join(members)}): "
                            "name one of them")
        if name not in STANDINGS:
            problems.append(f"{variable}[{member!r}] is {name!r}: use one of {', '.join(STANDINGS)}")
    return problems
