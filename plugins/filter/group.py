# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The group model for templates and tasks; every rule lives in module_utils/group.py.

Each filter's documentation is the YAML file of its name beside this one (plugins/filter/NAME.yml),
where ansible-doc looks for it: one file holds several filters, so one DOCUMENTATION could not
describe them all."""

from __future__ import annotations


import base64
import json

from ansible.errors import AnsibleFilterError
from ansible_collections.hapair.loadbalancer.plugins.module_utils import group
from ansible_collections.hapair.loadbalancer.plugins.module_utils.keepalived_state import config_advert_ints, config_passwords


def _vars_of(hostvars, member):
    try:
        return hostvars[member]
    except (KeyError, TypeError):
        return {}


def _facts(hostvars, member):
    try:
        return dict(_vars_of(hostvars, member).get("ansible_facts") or {})
    except (KeyError, TypeError):
        return {}


def group_model(members, hostvars, settings, me):
    members = list(members or [])
    key = group.new_key()
    inputs, facts, unknown = {}, {}, []
    here = _vars_of(hostvars, me)
    for member in members:
        mine = dict(settings or {})
        if member != me:
            found = _vars_of(hostvars, member)
            for setting, var in group.MEMBER_VARS.items():
                if var in found:
                    mine[setting] = found[var]
                elif var in here:
                    # Set for this host alone (its host variables): the member's own value is
                    # its role default, which cannot be seen from here. An empty interface is
                    # that default (the member's default route); anything else is refused.
                    if setting == "interface":
                        mine[setting] = ""
                    else:
                        unknown.append({"member": member, "variable": var, "from": me})
        inputs[member] = group.member_inputs(mine, key)
        facts[member] = _facts(hostvars, member)
    return dict(group.build(members, inputs, facts), unknown=unknown)


def _members(names, groups):
    out = []
    for name in names or []:
        for member in (groups or {}).get(name) or []:
            if member not in out:
                out.append(member)
    return out


def group_models(names, groups, hostvars, settings, me, with_keepalived=True):
    """{group name: model} for each of the named groups. with_keepalived: whether the keepalived
    role's settings were in scope (a model built without them serves the firewall and sysctls)."""
    return {name: dict(group_model((groups or {}).get(name) or [], hostvars, settings, me), name=name,
                       with_keepalived=bool(with_keepalived))
            for name in names or []}


def group_missing_facts(names, groups, hostvars):
    """The members of the named groups whose network facts are missing."""
    return [m for m in _members(names, groups) if "interfaces" not in _facts(hostvars, m)]


def _node(model, me):
    return ((model or {}).get("nodes") or {}).get(me) or {}


def group_firewall_rules(model, me, chain, ports=(), peers=None, peers6=None, haproxy_peers_port=0,
                         haproxy_user="haproxy"):
    """haproxy_peers_port: HAProxy's peers port (0: none), open to the model's peers alone, on
    me's own peers address; haproxy_user: the only user that may connect to it."""
    members = (model or {}).get("peers") or []
    return group.firewall_rules(_node(model, me), chain, ports, peers, peers6,
                                haproxy_peers=[p.get("address") for p in members], haproxy_peers_port=haproxy_peers_port,
                                haproxy_peer_address=group.peer_address(model, me),
                                haproxy_user=haproxy_user)


def group_missing_rules(rules, current):
    return group.missing_rules(rules, current)


def group_stale_rules(rules, current, keep_sources=None):
    return group.stale_rules(rules, current, keep_sources)


def group_restore_input(rules):
    return group.restore_input(rules)


def group_chain_problem(name):
    return group.chain_problem(name)


def group_holders(address, reports):
    return group.holders(address, reports)


def group_monitored_backends(backends):
    return group.monitored_backends(backends)


def group_status_lines(model, reports, nodes):
    return group.status_lines(model, reports, nodes)


def group_delete_argv(stale):
    return group.delete_argv(stale[0], stale[1])


def group_bad_addresses(addresses, family):
    return group.bad_addresses(addresses, int(family))


def group_sysctls(model, me, ipv4=True, ipv6=False):
    return group.sysctls(_node(model, me), ipv4, ipv6)


def group_adverts(model, me):
    return group.adverts(_node(model, me))


def _slurped(results):
    """(member, text) of each result of a loop of ansible.builtin.slurp over members: the text is
    None where the file could not be read. A registered loop result names its item by the loop's
    variable (ansible_loop_var)."""
    for result in results or []:
        if not isinstance(result, dict):
            continue
        member = result.get(result.get("ansible_loop_var", "item"))
        if member is None:
            continue
        try:
            yield member, base64.b64decode(result.get("content") or "").decode() or None
        except ValueError:
            yield member, None


def group_advert_conflicts(model, slurped):
    """Conflicts (module_utils/group.py: advert_conflicts) against what ansible.builtin.slurp
    read of each outside member's adverts file; a member without the file runs none of ours."""
    outside = {}
    for member, text in _slurped(slurped):
        try:
            outside[member] = json.loads(text or "null")
        except ValueError:
            outside[member] = None
    return [{"instance": i, "member": m, "what": w} for i, m, w in group.advert_conflicts(model, outside)]


def group_bind_sysctls(model, frontends, transparent=False):
    return group.bind_sysctls(model, frontends, transparent)


def _wanted_passwords(model, instances, auth_pass, me=None):
    """{instance: the password this run writes} for the group's PASS instances, or for member
    me's alone (the model holds none: they come from the calling host's keepalived_instances and
    keepalived_auth_pass, so me is the calling host)."""
    wanted = {}
    for me in [me] if me else (model or {}).get("members") or []:
        for inst in (((model or {}).get("nodes") or {}).get(me) or {}).get("instances") or []:
            if inst["auth_type"] == "PASS" and inst["name"] not in wanted:
                own = inst["auth_pass_from"] == "instance"
                wanted[inst["name"]] = str((instances or [])[inst["index"]].get("auth_pass") if own else auth_pass)
    return wanted


def group_password_changes(model, slurped, instances, auth_pass):
    """[{instance, member}]: the PASS instances whose password this run writes differently from
    what a member outside the run (its keepalived.conf, as ansible.builtin.slurp read it) uses.
    Answers only whether they differ: no password, nor anything derived from one, comes out."""
    wanted = _wanted_passwords(model, instances, auth_pass)
    out = []
    for member, text in _slurped(slurped):
        running = config_passwords(text or "")
        for name in sorted(set(running) & set(wanted)):
            if running[name] != wanted[name]:
                out.append({"instance": name, "member": member})
    return out


def group_advert_changes(model, me, node_state, config_file, adverts_file, instances, auth_pass):
    """What this run changes in node me's adverts (module_utils/group.py: advert_changes), from
    the group's read of the node (node_state's result: the text of its keepalived.conf and of
    its adverts record). No password, nor anything derived from one, comes out."""
    contents = ((node_state or {}).get("state") or {}).get("contents") or {}
    try:
        recorded = json.loads(contents.get(adverts_file) or "null")
    except ValueError:
        recorded = None
    running = config_passwords(contents.get(config_file) or "")
    return group.advert_changes(model, me, recorded if isinstance(recorded, dict) else None, running,
                                _wanted_passwords(model, instances, auth_pass, me))


def group_commit_delay(model, me, holds, node_state=None, config_file=""):
    """When node me puts its staged keepalived.conf in place, in seconds after the group's moment
    (module_utils/group.py: commit_delay); the intervals it runs now from the read's keepalived.conf."""
    contents = ((node_state or {}).get("state") or {}).get("contents") or {}
    return group.commit_delay(model, me, holds, config_advert_ints(contents.get(config_file) or ""))


def group_commit_batch_missing(model, batch, hostvars):
    """The members with a staged keepalived.conf (their keepalived_staged) missing from the
    commit's play batch (module_utils/group.py: commit_batch_missing)."""
    staged = [m for m in (model or {}).get("members") or []
              if group.as_truth(_vars_of(hostvars, m).get("keepalived_staged", False))]
    return group.commit_batch_missing(model, batch, staged)


def group_haproxy_binds(frontends, own=()):
    return group.haproxy_binds(frontends, own)


def group_unserved_binds(binds, ss_lines, process="haproxy"):
    return group.unserved_binds(binds, ss_lines, process)


def group_play_hosts(value, groups):
    """The inventory group a playbook's plays run on (module_utils/group.py: play_group), for
    their hosts keyword: an error there stops the playbook before its first play. It is also
    the first plugin of this collection that a playbook's main process loads, so every task
    process forked after it finds the collection's plugins and module_utils already compiled."""
    name, problem = group.play_group(value, groups)
    if problem:
        raise AnsibleFilterError(problem)
    return name


def group_firewalld_rules(rules):
    return group.firewalld_rules(rules)


def group_firewalld_missing(rules, current):
    return group.firewalld_missing(rules, current)


def group_firewalld_stale(rules, current, keep_sources=None):
    return group.firewalld_stale(rules, current, keep_sources)


def group_firewall_manager(choice, read, node="this node"):
    return group.firewall_manager(choice, read, node)


def group_hostport(address, port=None):
    return group.hostport(address, port)


def group_frontend_ports(frontends):
    return group.frontend_ports(frontends)


class FilterModule:
    """hapair.loadbalancer group model filters."""

    def filters(self):
        return {
            "group_model": group_model,
            "group_models": group_models,
            "group_missing_facts": group_missing_facts,
            "group_firewall_rules": group_firewall_rules,
            "group_missing_rules": group_missing_rules,
            "group_stale_rules": group_stale_rules,
            "group_firewalld_rules": group_firewalld_rules,
            "group_firewalld_missing": group_firewalld_missing,
            "group_firewalld_stale": group_firewalld_stale,
            "group_firewall_manager": group_firewall_manager,
            "group_delete_argv": group_delete_argv,
            "group_holders": group_holders,
            "group_status_lines": group_status_lines,
            "group_monitored_backends": group_monitored_backends,
            "group_restore_input": group_restore_input,
            "group_chain_problem": group_chain_problem,
            "group_sysctls": group_sysctls,
            "group_bad_addresses": group_bad_addresses,
            "group_bind_sysctls": group_bind_sysctls,
            "group_adverts": group_adverts,
            "group_advert_conflicts": group_advert_conflicts,
            "group_password_changes": group_password_changes,
            "group_advert_changes": group_advert_changes,
            "group_commit_batch_missing": group_commit_batch_missing,
            "group_commit_delay": group_commit_delay,
            "group_frontend_ports": group_frontend_ports,
            "group_haproxy_binds": group_haproxy_binds,
            "group_unserved_binds": group_unserved_binds,
            "group_hostport": group_hostport,
            "group_play_hosts": group_play_hosts,
        }
