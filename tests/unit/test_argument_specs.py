"""Every role's meta/argument_specs.yml matches its defaults/main.yml, both ways, for every
entry point: Ansible validates each public entry point (main and each tasks_from file) itself."""

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").exists())


def specs(role):
    return yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


def defaults(role):
    return yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}


def folded(value):
    """A default as written: computed ones compare as their expression, white space aside."""
    return " ".join(value.split()) if isinstance(value, str) else value


def test_every_role_has_a_spec():
    assert set(ROLE_NAMES) == {p.name for p in ROLES.iterdir() if p.is_dir()}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_task_file_called_from_outside_is_an_entry_point_with_a_spec(role):
    """main, and every tasks file main does not merely import, is declared (and so validated)."""
    declared = set(specs(role))
    imported_only = {"lb_group": {"model"}, "vrrp_firewall": {"rules"}, "keepalived": {"record"}}.get(role, set())
    tasks = {p.stem for p in (ROLES / role / "tasks").glob("*.yml")} - imported_only
    # Ansible looks the spec up under tasks_from exactly as written: with and without ".yml".
    spellings = {name for stem in tasks for name in (stem, f"{stem}.yml")} - {"main.yml"}
    assert declared == spellings, {"undeclared": sorted(spellings - declared),
                                   "declared without a file": sorted(declared - spellings)}
    for stem in tasks - {"main"}:
        assert specs(role)[stem] == specs(role)[f"{stem}.yml"], (role, stem)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_spec_and_defaults_name_the_same_variables(role):
    every = set().union(*(set(entry.get("options") or {}) for entry in specs(role).values()))
    assert set(defaults(role)) == every, {
        "in defaults only": sorted(set(defaults(role)) - every),
        "in a spec only": sorted(every - set(defaults(role))),
    }


def computed_and_typed(option, value):
    """A default computed by an expression for an option of a type other than a string: the
    documentation tools (antsibull-docs) read a spec's default as a value of the option's type,
    so the spec leaves it out and its description says it."""
    return isinstance(value, str) and "{{" in value and option.get("type", "str") not in ("str", "raw", "path")


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_spec_defaults_equal_the_role_defaults_computed_ones_too(role):
    values = defaults(role)
    for entry_name, entry in specs(role).items():
        for name, option in (entry.get("options") or {}).items():
            if computed_and_typed(option, values[name]):
                assert "default" not in option and option.get("description"), (
                    f"{role} ({entry_name}): {name}'s default is computed ({values[name]!r}): the spec gives "
                    "no default, and its description says what it is")
                continue
            assert folded(option.get("default")) == folded(values[name]), (
                f"{role} ({entry_name}): {name} is {values[name]!r} in defaults, {option.get('default')!r} in the spec")


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_entry_point_shares_the_main_options(role):
    entries = specs(role)
    main = entries["main"]["options"]
    for name, entry in entries.items():
        assert set(main) <= set(entry["options"]), (role, name)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_variable_is_prefixed_typed_and_described(role):
    for entry in specs(role).values():
        for name, option in (entry.get("options") or {}).items():
            assert name.startswith(f"{role}_"), name
            assert "type" in option and option.get("description"), name


def test_every_guardrail_case_is_documented():
    root = ROLES.parent
    doc = (root / "docs" / "guardrails.md").read_text()
    for case in sorted((root / "tests" / "guardrails").glob("*.yml")):
        expect = yaml.safe_load(case.read_text())["guardrail_expect"]
        assert f"`{case.stem}`" in doc and expect in doc, case.name


# The roles whose preflight warns about a variable with their prefix that they do not know.
WARNING_ROLES = ["haproxy", "keepalived", "nonlocal_bind", "vrrp_firewall"]
EXAMPLES = sorted((ROLES.parent / "docs" / "examples").glob("*/group_vars/*.yml")) + sorted(
    (ROLES.parent / "lab" / "group_vars").glob("*.yml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_the_documented_examples_set_no_variable_a_role_would_warn_about(example):
    """What the docs and the lab tell users to write is what the roles read: the preflight's
    typo warning (validation.unknown_variables over the spec's options) finds nothing."""
    from ansible_collections.hapair.loadbalancer.plugins.module_utils import validation

    names = list(yaml.safe_load(example.read_text()) or {})
    for role in WARNING_ROLES:
        known = validation.spec_options({"argument_specs": specs(role)})
        mine = [n for n in names if n.startswith(role + "_")]
        assert validation.unknown_variables(mine, known, role) == [], example
