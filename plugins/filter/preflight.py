# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the roles' preflight checks; the rules live in module_utils/validation.py.

Each filter's documentation is the YAML file of its name beside this one (plugins/filter/NAME.yml),
where ansible-doc looks for it: one file holds several filters, so one DOCUMENTATION could not
describe them all."""

from __future__ import annotations


import os

import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.hapair.loadbalancer.plugins.module_utils import validation


def keepalived_problems(resolved, facts=None, raw=None):
    return validation.keepalived_problems(resolved, facts, raw)


def keepalived_group_problems(model, check_weight, weak_weight_ok=False):
    """The rules across the group, over every member of the model."""
    nodes = (model or {}).get("nodes") or {}
    views = {member: (nodes.get(member) or {}).get("instances") or [] for member in (model or {}).get("members") or []}
    problems, warnings = validation.group_problems(views, check_weight, weak_weight_ok)
    return {"problems": problems + validation.address_problems(model), "warnings": warnings}


def textfile_problems(path, state_dir):
    """keepalived_metrics_textfile against keepalived_state_dir."""
    return validation.textfile_problems(path, state_dir)


def number_problems(value, variable, low, high, what):
    """A setting that must be a number of low to high (module_utils/validation.py)."""
    return validation.number_problems(variable, value, low, high, what)


def setting_problems(values):
    """The settings (a mapping of variable to value) that break their file's grammar."""
    return validation.scalar_problems(values)


def haproxy_problems(frontends, backends, vips=None, local_addresses=None, own=(), certificates=None,
                     default_mode="http"):
    return validation.haproxy_problems(frontends, backends, vips, local_addresses, own, certificates, default_mode)


def haproxy_own_listeners(stats_address, stats_port, metrics_address, metrics_port, peer_address=None, peers_port=None):
    """HAProxy's own listeners that are on (an address None: off): the stats page, the metrics
    listener, this node's peers listener."""
    return validation.own_listeners(stats_address, stats_port, metrics_address, metrics_port, peer_address, peers_port)


def unknown_variables(names, specs, role, returns=()):
    """Warnings for names (variables set with the role's prefix) that neither the role's argument
    specs (specs: its parsed meta/argument_specs.yml) nor its return facts know."""
    return validation.unknown_variables(names, validation.spec_options(specs) + list(returns or []), role)


def unknown_playbook_variables(names):
    """Warnings for names (variables set with the prefix hapair_) that no playbook of the
    collection knows."""
    return validation.unknown_variables(names, validation.PLAYBOOK_VARIABLES, "hapair")


def checker_refusal(result, path, host, settings):
    """Why a checker kept a new file from replacing the live one, every secret masked."""
    return validation.checker_refusal(result, path, host, settings)


def server_state_problems(change, backends):
    """Why a runtime change of a backend server cannot be made (module_utils/validation.py)."""
    return validation.server_state_problems(backends, change)


def server_state_call(change):
    """community.general.haproxy's state and drain for a change."""
    return validation.server_state_call(change)


def os_vars(role_path, facts):
    """The role's values for the node's OS family (vars/<os_family>.yml of role_path), or an
    error that names the family and the ones the role supports."""
    family = (facts or {}).get("os_family")
    folder = os.path.join(str(role_path), "vars")
    path = os.path.join(folder, f"{family}.yml")
    if not family or not os.path.isfile(path):
        supported = sorted(name[:-4] for name in os.listdir(folder) if name.endswith(".yml") and name != "main.yml")
        raise AnsibleFilterError(
            f"the node's OS family is {family!r} (the fact os_family), which the role {os.path.basename(str(role_path))} "
            f"does not support: it supports {' and '.join(supported)} (the README's Requirements). Gather the "
            "distribution facts if they are missing")
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class FilterModule:
    """hapair.loadbalancer preflight filters."""

    def filters(self):
        return {
            "keepalived_problems": keepalived_problems,
            "os_vars": os_vars,
            "keepalived_group_problems": keepalived_group_problems,
            "haproxy_problems": haproxy_problems,
            "haproxy_own_listeners": haproxy_own_listeners,
            "setting_problems": setting_problems,
            "number_problems": number_problems,
            "textfile_problems": textfile_problems,
            "unknown_variables": unknown_variables,
            "unknown_playbook_variables": unknown_playbook_variables,
            "server_state_problems": server_state_problems,
            "server_state_call": server_state_call,
            "checker_refusal": checker_refusal,
        }
