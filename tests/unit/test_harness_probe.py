"""The harness's probe arithmetic on made-up results: the outage, the recovery test."""

from hapair_harness import PROBE_INTERVAL, Probe


def probe_with(pattern):
    """A probe whose results are one per PROBE_INTERVAL: '.' succeeded, 'x' failed."""
    probe = Probe(target=("127.0.0.1", 9))
    probe.results = [(i * PROBE_INTERVAL, mark == ".") for i, mark in enumerate(pattern)]
    return probe


def test_one_outage_is_its_first_failure_to_the_first_success_after_it():
    summary = probe_with("....xxxxx....").summary()
    assert abs(summary["outage"] - 5 * PROBE_INTERVAL) < 1e-9
    assert (summary["failed"], summary["sent"], summary["windows"]) == (5, 13, 1)


def test_an_outage_broken_by_successes_spans_all_its_failures():
    # A killed container goes quiet in stages: failures, a few successes, failures again.
    summary = probe_with("...x..xxxxxxxxxx.x.x...").summary()
    assert abs(summary["outage"] - 17 * PROBE_INTERVAL) < 1e-9
    assert (summary["failed"], summary["windows"]) == (13, 4)


def test_no_failure_is_no_outage_and_an_unended_one_is_none():
    assert probe_with("......").summary()["outage"] == 0.0
    assert probe_with("...xxx").summary()["outage"] is None


def test_recovery_needs_successes_for_longer_than_a_probe_may_take():
    settle = int(0.6 / PROBE_INTERVAL) + 1
    assert not probe_with("...xxx" + "." * 5).recovered_after_failure()
    assert probe_with("...xxx" + "." * settle).recovered_after_failure()
    assert not probe_with("...xxx" + "." * settle + "x").recovered_after_failure()
    assert not probe_with("." * 100).recovered_after_failure()
