"""Every role's meta/argument_specs.yml matches its defaults/main.yml, both ways."""

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").exists())


def load(role):
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    spec = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    return defaults, spec["argument_specs"]["main"]["options"]


def test_every_role_has_a_spec():
    assert set(ROLE_NAMES) == {p.name for p in ROLES.iterdir() if p.is_dir()}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_spec_and_defaults_name_the_same_variables(role):
    defaults, options = load(role)
    assert set(defaults) == set(options), {
        "in defaults only": sorted(set(defaults) - set(options)),
        "in the spec only": sorted(set(options) - set(defaults)),
    }


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_spec_defaults_equal_the_role_defaults(role):
    defaults, options = load(role)
    for name, value in defaults.items():
        spec_default = options[name].get("default")
        if isinstance(value, str) and "{{" in value:
            # A computed default: the spec shows the expression, whitespace aside.
            assert isinstance(spec_default, str) and "{{" in spec_default, name
            continue
        assert spec_default == value, f"{role}: {name} is {value!r} in defaults, {spec_default!r} in the spec"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_variable_is_prefixed_typed_and_described(role):
    _, options = load(role)
    for name, option in options.items():
        assert name.startswith(f"{role}_"), name
        assert "type" in option and option.get("description"), name


def test_every_guardrail_case_is_documented():
    root = ROLES.parent
    doc = (root / "docs" / "guardrails.md").read_text()
    for case in sorted((root / "tests" / "guardrails").glob("*.yml")):
        expect = yaml.safe_load(case.read_text())["hapair_case_expect"]
        assert f"`{case.stem}`" in doc and expect in doc, case.name
