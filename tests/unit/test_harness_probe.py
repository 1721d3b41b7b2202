"""The harness's probe: its arithmetic on made-up results (the outage, the recovery test), and
its failures counted by kind."""

import socket
import time

from hapair_harness import PROBE_INTERVAL, Probe
from hapair_harness.probe import brief


def probe_with(pattern, took=0.0):
    """A probe whose results are one per PROBE_INTERVAL: '.' succeeded, 'x' failed; each took
    `took` seconds."""
    probe = Probe(target=("127.0.0.1", 9))
    probe.results = [(i * PROBE_INTERVAL, mark == ".", i * PROBE_INTERVAL + took) for i, mark in enumerate(pattern)]
    return probe


def test_one_outage_is_its_first_failure_to_the_first_success_after_it():
    summary = probe_with("....xxxxx....").summary()
    assert abs(summary["outage"] - 5 * PROBE_INTERVAL) < 1e-9
    assert (summary["failed"], summary["sent"], summary["windows"]) == (5, 13, 1)


def test_an_outage_ends_when_the_first_success_was_answered():
    # Each sent during the move waited 0.3 s (its packets queued until the new holder announced
    # the VIP): the service was back only then.
    probe = probe_with("....xxxxx....", took=0.3)
    assert abs(probe.summary()["outage"] - (5 * PROBE_INTERVAL + 0.3)) < 1e-9
    # A later one answered at once: the service was back at that answer.
    started, _unused, _unused = probe.results[10]
    probe.results[10] = (started, True, started + 0.01)
    assert abs(probe.summary()["outage"] - (6 * PROBE_INTERVAL + 0.01)) < 1e-9


def test_a_probe_stops_by_itself_at_its_bound_and_says_so():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with Probe(target=("127.0.0.1", port), max_seconds=0.05) as probe:
        time.sleep(0.3)
    assert probe.summary()["cut_short"] and probe.summary()["sent"] <= 7


def test_an_outage_broken_by_successes_spans_all_its_failures():
    # A killed container goes quiet in stages: failures, a few successes, failures again.
    summary = probe_with("...x..xxxxxxxxxx.x.x...").summary()
    assert abs(summary["outage"] - 17 * PROBE_INTERVAL) < 1e-9
    assert (summary["failed"], summary["windows"]) == (13, 4)
    # Its longest window alone: the ten failures in a row, to the success after them.
    assert abs(summary["longest"] - 10 * PROBE_INTERVAL) < 1e-9


def test_two_moves_are_two_windows_and_the_longest_is_one_of_them():
    # A rolling upgrade: one request reset at each of two hand-overs, far apart.
    summary = probe_with("." * 5 + "x" + "." * 100 + "xx" + "." * 5).summary()
    assert abs(summary["outage"] - 103 * PROBE_INTERVAL) < 1e-9
    assert abs(summary["longest"] - 2 * PROBE_INTERVAL) < 1e-9 and summary["windows"] == 2


def test_brief_judges_one_move_whole_and_several_moves_each():
    bound = 10.5 * PROBE_INTERVAL
    # One move: a flapping VIP, brief windows spread over 17 intervals, is one long outage.
    flapping = probe_with("...x..xxxxxxxxxx.x.x...").summary()
    assert not brief(flapping, bound) and brief(flapping, 18 * PROBE_INTERVAL)
    # Two moves far apart, one reset at each: brief, though first to last spans 103 intervals.
    two = probe_with("." * 5 + "x" + "." * 100 + "xx" + "." * 5).summary()
    assert brief(two, bound, moves=2) and not brief(two, bound)
    assert not brief({**two, "cut_short": True}, bound, moves=2)
    # More windows than moves is not brief, nor a window longer than the bound, nor no end.
    assert not brief(flapping, 18 * PROBE_INTERVAL, moves=2)
    assert not brief(probe_with("..." + "x" * 12 + "..." + "x" + "...").summary(), bound, moves=2)
    assert not brief(probe_with("...x" + "." * 20 + "xxx").summary(), bound, moves=2)
    assert brief(probe_with("......").summary(), bound) and brief(probe_with("......").summary(), bound, moves=2)


def test_no_failure_is_no_outage_and_an_unended_one_is_none():
    assert probe_with("......").summary()["outage"] == probe_with("......").summary()["longest"] == 0.0
    assert probe_with("...xxx").summary()["outage"] is None and probe_with("...xxx").summary()["longest"] is None


def test_recovery_needs_successes_for_longer_than_a_probe_may_take():
    settle = int(0.6 / PROBE_INTERVAL) + 1
    assert not probe_with("...xxx" + "." * 5).recovered_after_failure()
    assert probe_with("...xxx" + "." * settle).recovered_after_failure()
    assert not probe_with("...xxx" + "." * settle + "x").recovered_after_failure()
    assert not probe_with("." * 100).recovered_after_failure()


def test_failures_are_counted_by_their_kind():
    """A port nobody listens on (on loopback) refuses every probe: counted as such, so a failed
    test says whether requests were refused, answered with an error or timed out."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with Probe(target=("127.0.0.1", port)) as probe:
        time.sleep(0.1)
    summary = probe.summary()
    assert summary["sent"] >= 1 and summary["failed"] == summary["sent"]
    assert summary["errors"] == {"ConnectionRefusedError": summary["sent"]}
