"""The catalogue of bad inventories (tests/guardrails/*.yml): each one makes site.yml fail with
its expected message before any host changes, on a live pair.

The cases only read the nodes, so they run two at a time (CATALOGUE_JOBS); each test then judges
its own case's run. The nodes are fingerprinted before the catalogue and after every case's run:
a change shows at the next fingerprint, its own case's or that of the case run beside it."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, fingerprint, recap, run_site

# The preflight runs on the controller, before any host changes: one release proves it (65 runs, 3 min).
pytestmark = [pytest.mark.scenarios("default",), pytest.mark.one_release]

CASES = sorted((ROOT / "tests" / "guardrails").glob("*.yml"))
CATALOGUE_JOBS = 2


@pytest.fixture(scope="module")
def catalogue(lbs):
    """Every case's site.yml run, and the fingerprints: {case: (rc, out, fingerprint after it)}."""
    before = fingerprint(lbs)
    lock = threading.Lock()

    def one(case):
        # A case with a key runs verbose, with diffs: the test below looks for the key in all of it.
        verbose = ["-vvv", "--diff"] if "haproxy_certificates" in case.read_text() else []
        rc, out = run_site(*verbose, "-e", f"@{case}")
        with lock:
            return case, (rc, out, fingerprint(lbs))

    with ThreadPoolExecutor(max_workers=CATALOGUE_JOBS) as pool:
        runs = dict(pool.map(one, CASES))
    return before, runs


def test_the_catalogue_is_complete():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_input_fails_before_any_host_changes(catalogue, case: Path):
    before, runs = catalogue
    rc, out, after = runs[case]
    expect = yaml.safe_load(case.read_text())["guardrail_expect"]
    assert rc != 0, f"{case.name}: site.yml passed\n{out[-2000:]}"
    assert expect in out, f"{case.name}: expected {expect!r} in the output\n{out[-3000:]}"
    # It stopped in the checks, or before the first play: no later play started, no task changed anything.
    assert "PLAY [Prepare every node]" not in out, out[-2000:]
    lines = recap(out)
    assert (lines and all("changed=0" in line for line in lines)) or (not lines and "PLAY [" not in out), lines or out[-2000:]
    assert after == before, f"{case.name} (or the case run beside it): a node changed"
    # A refused certificate's key is never shown (one line of its body stands for all of it).
    for certificate in yaml.safe_load(case.read_text()).get("haproxy_certificates") or []:
        assert certificate["key"].splitlines()[1] not in out, f"{case.name}: a line of the key is in the output"
