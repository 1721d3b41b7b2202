"""What the collection declares about where it runs matches what CI runs: the lower bound of
ansible-core in meta/runtime.yml is the ansible-core CI runs, every role says the same, and every
role lists the Debian releases CI runs the scenarios on (the node images' releases); and every
role's README.md shows its meta/argument_specs.yml as it is."""

import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())


def lower_bound():
    spec = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"]
    found = re.fullmatch(r">=(\d+)\.(\d+)\.0", spec)
    assert found, f"requires_ansible {spec!r} is no plain lower bound"
    return int(found[1]), int(found[2])


def test_the_lower_bound_is_the_ansible_core_ci_runs():
    # The environment CI builds from requirements-dev.txt: the oldest ansible-core the collection claims.
    running = tuple(int(n) for n in version("ansible-core").split(".")[:2])
    assert running == lower_bound(), f"CI runs ansible-core {running}, meta/runtime.yml claims {lower_bound()}"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_claims_the_same_ansible_core(role):
    meta = yaml.safe_load((ROOT / "roles" / role / "meta" / "main.yml").read_text())["galaxy_info"]
    assert meta["min_ansible_version"] == "{}.{}".format(*lower_bound())


def release_suites():
    """The Debian releases the node images are built for (scripts/build-image.sh), which CI runs."""
    recipe = (ROOT / "scripts" / "build-image.sh").read_text()
    return sorted(re.findall(r"^\s+\d+\) suite=(\w+) ;;$", recipe, flags=re.M))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_the_releases_ci_runs(role):
    meta = yaml.safe_load((ROOT / "roles" / role / "meta" / "main.yml").read_text())["galaxy_info"]
    assert meta["platforms"] == [{"name": "Debian", "versions": release_suites()}]


@pytest.mark.parametrize("role", [r for r in ROLES if (ROOT / "roles" / r / "vars" / "Debian.yml").exists()])
def test_every_role_has_the_rhel_familys_values_for_each_of_debians(role):
    """vars/<os_family>.yml is looked up by the gathered os_family: a key missing from the RedHat
    file would fail there at its first use, not at the preflight."""
    debian, redhat = (yaml.safe_load((ROOT / "roles" / role / "vars" / f"{family}.yml").read_text())
                      for family in ("Debian", "RedHat"))
    assert set(redhat) == set(debian)
    # The keepalived helper where SELinux's policy lets keepalived run scripts.
    if role == "keepalived":
        assert redhat["__keepalived_helper"].startswith("/usr/libexec/keepalived/")


def test_the_os_familys_values_are_picked_by_the_gathered_fact():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.hapair.loadbalancer.plugins.filter.preflight import os_vars

    keepalived = ROOT / "roles" / "keepalived"
    assert os_vars(keepalived, {"os_family": "RedHat"})["__keepalived_helper"] == "/usr/libexec/keepalived/hapair-keepalived"
    assert os_vars(keepalived, {"os_family": "Debian"})["__keepalived_helper"] == "/usr/local/sbin/hapair-keepalived"
    for facts in ({"os_family": "Suse"}, {}):
        with pytest.raises(AnsibleFilterError, match=r"which the role keepalived does not support: it supports Debian and RedHat"):
            os_vars(keepalived, facts)


def requirement_names(path):
    """The distribution names a pip requirements file lists (comments and versions left out)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower() for line in lines if line}


def test_an_execution_environment_gets_the_collections_requirements_and_no_test_tools():
    # ansible-builder reads meta/execution-environment.yml: the collection's own requirements,
    # none of the tools that develop and test it (requirements-dev.txt).
    declared = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())["dependencies"]
    python, system = ROOT / declared["python"], ROOT / declared["system"]
    assert python.name == "requirements.txt" and system.name == "bindep.txt"
    # Both go into the tarball, which ansible-builder reads.
    ignored = yaml.safe_load((ROOT / "galaxy.yml").read_text())["build_ignore"]
    assert not {declared["python"], declared["system"], "meta"} & set(ignored), ignored
    tools = requirement_names(ROOT / "requirements-dev.txt")
    assert "molecule" in tools and "pytest" in tools
    assert not requirement_names(python) & tools, requirement_names(python) & tools
    # The certificate checks' oldest cryptography, as the code states it.
    from ansible_collections.hapair.loadbalancer.plugins.module_utils.tls import CRYPTOGRAPHY_MIN
    assert f"cryptography>={CRYPTOGRAPHY_MIN[0]}.{CRYPTOGRAPHY_MIN[1]}" in python.read_text().split()


def readme_check(root):
    """scripts/role-readmes.py --check on a checkout: its exit status and what it said."""
    script = ROOT / "scripts" / "role-readmes.py"
    result = subprocess.run([sys.executable, str(script), "--check", "--root", str(root)],
                            capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def test_every_role_readme_shows_its_argument_spec():
    """The variables and entry points in each role's README.md are generated from its
    meta/argument_specs.yml: a spec changed without running the script fails here."""
    status, said = readme_check(ROOT)
    assert status == 0, said


def test_the_readme_check_names_a_readme_its_spec_no_longer_matches(tmp_path):
    role = tmp_path / "roles" / "nonlocal_bind"
    (role / "meta").mkdir(parents=True)
    shutil.copy(ROOT / "roles" / "nonlocal_bind" / "README.md", role / "README.md")
    (role / "defaults").mkdir()
    shutil.copy(ROOT / "roles" / "nonlocal_bind" / "defaults" / "main.yml", role / "defaults" / "main.yml")
    shutil.copy(ROOT / "roles" / "nonlocal_bind" / "meta" / "argument_specs.yml", role / "meta" / "argument_specs.yml")
    # The copy is up to date: only the edit below can make the check fail.
    assert readme_check(tmp_path)[0] == 0, readme_check(tmp_path)[1]
    spec = (ROOT / "roles" / "nonlocal_bind" / "meta" / "argument_specs.yml").read_text()
    assert "persists the settings across reboots" in spec
    (role / "meta" / "argument_specs.yml").write_text(spec.replace("persists the settings", "keeps the settings"))
    status, said = readme_check(tmp_path)
    assert status == 1
    assert "roles/nonlocal_bind/README.md is out of date" in said and "without --check" in said
    # The script without --check brings it up to date, and leaves the prose as it was.
    subprocess.run([sys.executable, str(ROOT / "scripts" / "role-readmes.py"), "--root", str(tmp_path)], check=True,
                   capture_output=True)
    assert readme_check(tmp_path)[0] == 0
    readme = (role / "README.md").read_text()
    prose = (ROOT / "roles" / "nonlocal_bind" / "README.md").read_text().split("<!-- BEGIN")[0]
    assert readme.startswith(prose) and "keeps the settings across reboots" in readme
