"""The harness's one reading of keepalived's journal (journalctl -o short-unix -u keepalived),
on lines as keepalived 2.2.7 and systemd write them."""

from hapair_harness.journal import first_entered, journal_command, state_when_stopped, vrrp_events

JOURNAL = """\
1796630000.100000 lb1 Keepalived_vrrp[10]: (VI_1) Entering BACKUP STATE (init)
1796630001.250000 lb1 Keepalived_vrrp[10]: (VI_2) Entering BACKUP STATE
1796630003.500000 lb1 Keepalived_vrrp[10]: (VI_1) received lower priority (240) advert from 192.168.221.12 - discarding
1796630003.600000 lb1 Keepalived_vrrp[10]: (VI_1) Entering MASTER STATE
-- Boot 5d41402abc4b2a76b9719d911017c592 --
1796630009.000000 lb1 systemd[1]: Stopping keepalived.service - Keepalive Daemon (LVS and VRRP)...
1796630009.100000 lb1 Keepalived_vrrp[10]: (VI_1) sent 0 priority
1796630012.000000 lb1 Keepalived_vrrp[22]: (VI_1) Entering BACKUP STATE (init)
"""


def test_the_states_entered_and_the_stops_in_order_with_their_times():
    events = vrrp_events(JOURNAL)
    assert [(e.when, e.state, e.instance) for e in events] == [
        (1796630000.1, "BACKUP", "VI_1"), (1796630001.25, "BACKUP", "VI_2"), (1796630003.6, "MASTER", "VI_1"),
        (1796630009.0, "STOPPED", None), (1796630012.0, "BACKUP", "VI_1")]
    assert events[2].line.endswith("(VI_1) Entering MASTER STATE")


def test_a_window_and_an_instance_narrow_them():
    # --since has whole seconds: the caller's own moment is the bound.
    assert [e.state for e in vrrp_events(JOURNAL, since=1796630001.3, until=1796630010)] == ["MASTER", "STOPPED"]
    assert [e.instance for e in vrrp_events(JOURNAL, instance="VI_2")] == ["VI_2", None]


def test_the_first_state_entered_and_the_state_a_stop_found():
    events = vrrp_events(JOURNAL)
    assert first_entered(events, "MASTER") == 1796630003.6
    assert first_entered(events, "FAULT") is None
    assert state_when_stopped(events) == "MASTER"
    assert state_when_stopped(events[:3]) is None and state_when_stopped(events[3:]) is None


def test_the_command_reads_from_the_whole_second():
    assert journal_command(1796630003.9) == "journalctl -q -o short-unix -u keepalived --since @1796630003"
