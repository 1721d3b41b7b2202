"""The CI example (docs/testing-in-ci.md, docs/examples/github-actions/molecule.yml) fits the
repository: its matrix names scenarios that exist, every command it runs as root passes the mirror
override on (sudo drops the environment), debian-mirror.sh prints that override, and the page's
sample scenario takes a network no scenario of the collection uses."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "examples" / "github-actions" / "molecule.yml"
PAGE = ROOT / "docs" / "testing-in-ci.md"
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.mark.parametrize("entry", workflow()["jobs"]["molecule"]["strategy"]["matrix"]["scenario"])
def test_the_matrix_names_scenarios_that_exist(entry):
    # scripts/molecule-all.sh takes NAME or NAME@12 / NAME@13.
    name, _at, release = entry.partition("@")
    assert name in SCENARIOS, f"the workflow's matrix names {name!r}, molecule/ has {SCENARIOS}"
    assert release in ("", "12", "13"), f"{entry!r}: a scenario runs on Debian 12 or 13"


def test_the_workflow_names_a_mirror_and_runs_the_repositorys_scripts():
    flow = workflow()
    assert flow["env"]["HAPAIR_DEBIAN_MIRROR"].startswith("http")
    runs = [step.get("run", "") for step in flow["jobs"]["molecule"]["steps"]]
    assert "make collection" in " ".join(runs) and "scripts/molecule-all.sh" in " ".join(runs)
    # sudo drops the environment: each command run as root passes the mirror on itself.
    for run in runs:
        if "sudo" in run:
            assert 'HAPAIR_DEBIAN_MIRROR="$HAPAIR_DEBIAN_MIRROR"' in run, run


def mirror(**env):
    return subprocess.run([str(ROOT / "scripts" / "debian-mirror.sh")], capture_output=True, text=True,
                          env={k: v for k, v in {**os.environ, **env}.items() if v is not None})


def test_debian_mirror_prints_the_override_as_it_is():
    # A host no apt source names, so the answer can only come from the variable.
    done = mirror(HAPAIR_DEBIAN_MIRROR="http://mirror.invalid/debian")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "http://mirror.invalid/debian\n"


def test_debian_mirror_without_the_override_reads_apt():
    done = mirror(HAPAIR_DEBIAN_MIRROR=None)
    apt = " ".join(p.read_text(errors="replace") for p in Path("/etc/apt").rglob("*") if p.is_file() and p.suffix in (".list", ".sources"))
    if "debian" not in apt:
        pytest.skip("this machine's apt has no Debian source")
    assert done.returncode == 0, done.stderr
    # The override unset is no empty override: the mirror comes from apt, a URL.
    assert re.fullmatch(r"https?://\S+\n", done.stdout), done.stdout


def test_the_pages_sample_scenario_has_a_network_of_its_own():
    sample = next(yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", PAGE.read_text(), re.S)
                  if "platforms" in (yaml.safe_load(block) or {}))
    nets = {(p["network"], p["ip"].rsplit(".", 1)[0]) for p in sample["platforms"]}
    assert len(nets) == 1, nets
    (name, subnet), = nets
    for scenario in SCENARIOS:
        platforms = yaml.safe_load((ROOT / "molecule" / scenario / "molecule.yml").read_text())["platforms"]
        assert name != platforms[0]["network"], f"the sample's network {name} is the {scenario} scenario's"
        assert subnet != platforms[0]["ip"].rsplit(".", 1)[0], f"the sample's {subnet}.0/24 is the {scenario} scenario's"
    assert f"{subnet}." not in (ROOT / "lab" / "hosts.yml").read_text(), f"the sample's {subnet}.0/24 is the lab's"
