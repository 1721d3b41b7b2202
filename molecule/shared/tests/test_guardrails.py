"""The catalogue of bad inventories (tests/guardrails/*.yml): each one makes site.yml fail with
its expected message before any host changes, on a live pair."""

from pathlib import Path

import pytest
import yaml
from conftest import ROOT, fingerprint, recap, run_site

pytestmark = pytest.mark.scenarios("default",)

CASES = sorted((ROOT / "tests" / "guardrails").glob("*.yml"))


@pytest.fixture(scope="module")
def before(lbs):
    """The pair's state before the catalogue; compared again after every case."""
    return fingerprint(lbs)


def test_the_catalogue_is_complete():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_input_fails_before_any_host_changes(lbs, before, case: Path):
    expect = yaml.safe_load(case.read_text())["hapair_case_expect"]
    rc, out = run_site("-e", f"@{case}")
    assert rc != 0, f"{case.name}: site.yml passed\n{out[-2000:]}"
    assert expect in out, f"{case.name}: expected {expect!r} in the output\n{out[-3000:]}"
    # It stopped in the checks: no later play started, no task changed anything.
    assert "PLAY [Prepare every node]" not in out, out[-2000:]
    assert recap(out) and all("changed=0" in line for line in recap(out)), recap(out)
    assert fingerprint(lbs) == before, f"{case.name}: a node changed"
