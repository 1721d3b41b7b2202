"""The harness's holder watch, without containers: `ip -ts -o monitor address` lines as iproute2
6.1 prints them, and the timeline of a VIP's holders built from recorded holders and events (a
move, an overlap, a delete and an add at the same microsecond, a window that cuts it)."""

from datetime import datetime, timedelta, timezone

import pytest

from hapair_harness import HolderWatch
from hapair_harness.watch import parse_monitor_line

VIP = "192.168.215.100"
ADD = ("[2026-12-07T01:40:12.123456] 2: eth0    inet 192.168.215.100/24 scope global secondary eth0\\"
       "       valid_lft forever preferred_lft forever")
DELETE = ("[2026-12-07T01:40:15.654321] Deleted 2: eth0    inet 192.168.215.100/24 scope global secondary eth0\\"
          "       valid_lft forever preferred_lft forever")
ADD6 = ("[2026-12-07T01:40:12.123456] 2: eth0    inet6 FD00:0::100/64 scope global nodad \\"
        "       valid_lft forever preferred_lft forever")


def local(*fields):
    """Epoch seconds of a naive local time, the way ip prints it."""
    return datetime(*fields).timestamp()


def test_an_added_ipv4_address_with_its_timestamp():
    assert parse_monitor_line(ADD) == (local(2026, 12, 7, 1, 40, 12, 123456), True, VIP)


def test_a_deleted_ipv4_address():
    assert parse_monitor_line(DELETE) == (local(2026, 12, 7, 1, 40, 15, 654321), False, VIP)


def test_an_ipv6_address_in_its_canonical_spelling():
    assert parse_monitor_line(ADD6) == (local(2026, 12, 7, 1, 40, 12, 123456), True, "fd00::100")


def test_a_line_without_timestamp_and_a_node_in_another_zone():
    # `ip -o addr show` prints the same lines without a timestamp.
    assert parse_monitor_line(ADD.split("] ", 1)[1]) == (None, True, VIP)
    utc = datetime(2026, 12, 7, 0, 40, 12, 123456, tzinfo=timezone.utc).timestamp()
    assert parse_monitor_line(ADD, utcoffset=timedelta(hours=1)) == (utc, True, VIP)


@pytest.mark.parametrize("line", [
    "[2026-12-07T01:40:12.123456] 3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP",
    "Timestamp: Mon Dec  7 01:40:12 2026 123456 usec",
    "2: eth0    inet 192.168.215.999/24 scope global eth0",
    "hapair-watch 42 +0000",
    "garbage",
    "",
])
def test_a_line_that_is_no_address_event_is_none(line):
    assert parse_monitor_line(line) is None


def test_a_node_stream_records_only_the_watched_vips():
    watch = HolderWatch(["lb1", "lb2"], [VIP, "FD00::100"])
    stream = "\n".join([
        ADD,
        "[2026-12-07T01:40:12.200000] 2: eth0    inet 192.168.215.11/24 brd 192.168.215.255 scope global eth0",
        "[2026-12-07T01:40:12.300000] 2: eth0    inet6 fe80::1/64 scope link",
        ADD6,
        DELETE.split("] ", 1)[1],
    ])
    watch.feed("lb1", stream, now=5.0)
    assert watch.events == [
        (local(2026, 12, 7, 1, 40, 12, 123456), "lb1", VIP, True),
        (local(2026, 12, 7, 1, 40, 12, 123456), "lb1", "fd00::100", True),
        (5.0, "lb1", VIP, False),
    ]


def watched(initial, events, started=0.0, stopped=20.0):
    return HolderWatch.recorded({VIP: initial}, [(t, node, VIP, added) for t, node, added in events], started, stopped)


def test_a_clean_move_has_a_gap_and_no_overlap():
    watch = watched({"A"}, [(10.0, "A", False), (10.5, "B", True)])
    assert watch.spans(VIP) == [(0.0, 10.0, {"A"}), (10.0, 10.5, set()), (10.5, 20.0, {"B"})]
    assert watch.seconds_with(VIP, 0) == pytest.approx(0.5)
    assert watch.seconds_with(VIP, 1) == pytest.approx(19.5)
    assert watch.seconds_with(VIP, 2) == 0 and watch.seconds_with_two_or_more(VIP) == 0
    assert watch.holders_now(VIP) == {"B"}


def test_an_overlap_has_two_holders_and_no_gap():
    watch = watched({"A"}, [(10.0, "B", True), (10.2, "A", False)])
    assert watch.seconds_with(VIP, 2) == pytest.approx(0.2)
    assert watch.seconds_with_two_or_more(VIP) == pytest.approx(0.2)
    assert watch.seconds_with(VIP, 0) == 0


@pytest.mark.parametrize("events", [
    [(10.0, "A", False), (10.0, "B", True)],
    [(10.0, "B", True), (10.0, "A", False)],  # B's reader appended first: arrival order is no order
])
def test_a_delete_and_an_add_at_the_same_microsecond_are_a_move(events):
    watch = watched({"A"}, events)
    assert watch.seconds_with_two_or_more(VIP) == 0 and watch.seconds_with(VIP, 0) == 0
    # Not even a moment of it: a test may ask whether any span had two holders, or none.
    assert watch.spans(VIP) == [(0.0, 10.0, {"A"}), (10.0, 20.0, {"B"})]


def test_one_nodes_own_events_at_one_timestamp_keep_its_order():
    # Deleted and added again: held throughout. Added and deleted again: held by nobody after.
    assert watched({"A"}, [(10.0, "A", False), (10.0, "A", True)]).spans(VIP) == [(0.0, 20.0, {"A"})]
    assert watched(set(), [(10.0, "A", True), (10.0, "A", False)]).spans(VIP) == [(0.0, 20.0, set())]


def test_a_window_cuts_the_spans():
    watch = watched({"A"}, [(10.0, "B", True), (10.2, "A", False), (15.0, "B", False), (16.0, "A", True)])
    assert watch.spans(VIP, 10.1, 15.5) == [(10.1, 10.2, {"A", "B"}), (10.2, 15.0, {"B"}), (15.0, 15.5, set())]
    assert watch.seconds_with_two_or_more(VIP, 10.1, 15.5) == pytest.approx(0.1)
    assert watch.seconds_with(VIP, 0, 10.1, 15.5) == pytest.approx(0.5)
    assert watch.seconds_with(VIP, 0, 12.0) == pytest.approx(1.0)
    assert watch.spans(VIP, 17.0, 16.0) == []
    # Nothing is known outside the watch.
    assert watch.spans(VIP, -5.0, 30.0) == watch.spans(VIP)


def test_events_before_the_start_are_in_the_initial_holders():
    # The monitor saw A's add just before `ip addr` did: replaying it changes nothing.
    watch = watched({"A"}, [(-0.1, "A", True), (3.0, "B", True)])
    assert watch.spans(VIP) == [(0.0, 3.0, {"A"}), (3.0, 20.0, {"A", "B"})]


def test_a_stopped_node_holds_nothing_from_its_end():
    watch = watched({"A"}, [(10.0, "B", True)])
    watch.gone("A", 12.0)
    assert watch.seconds_with_two_or_more(VIP) == pytest.approx(2.0)
    assert watch.holders_now(VIP) == {"B"}


def test_a_vip_is_looked_up_by_any_spelling():
    watch = HolderWatch.recorded({"FD00:0::100": {"A"}}, [(1.0, "A", "fd00::100", False)], 0.0, 2.0)
    assert watch.seconds_with("fd00:0:0::100", 0) == pytest.approx(1.0)
    assert watch.holders_now("FD00::100") == set()


def test_an_unstarted_watch_has_no_timeline_and_stops_at_once():
    watch = HolderWatch(["lb1"], [VIP])
    with pytest.raises(ValueError):
        watch.spans(VIP)
    assert watch.stop().stopped is not None
