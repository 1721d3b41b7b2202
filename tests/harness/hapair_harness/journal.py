"""keepalived's VRRP states as its journal tells them: the one parser of the molecule verifiers
and `make bench`."""

from __future__ import annotations

import re
from typing import NamedTuple

# keepalived's own line for each state it enters: "(VI_1) Entering MASTER STATE".
ENTERING = re.compile(r"\((\S+)\) Entering (\w+) STATE")
# systemd's line as it begins to stop the unit: keepalived leaves the election then (it sends
# priority 0 as MASTER), and enters no state after it.
STOPPING = "Stopping keepalived"


class Event(NamedTuple):
    when: float  # epoch seconds, from the line's journal stamp
    state: str  # MASTER, BACKUP, FAULT, ... or STOPPED
    instance: str | None  # the VRRP instance (None for STOPPED: the whole daemon)
    line: str


def journal_command(since):
    """The command that prints keepalived's journal on a node from `since` (epoch seconds) on,
    each line stamped with its epoch time. --since has whole seconds: vrrp_events filters."""
    return f"journalctl -q -o short-unix -u keepalived --since @{int(since)}"


def vrrp_events(journal, since=None, until=None, instance=None):
    """The VRRP states keepalived entered, and its stops, in the text journal_command printed,
    in order: [Event]; only those between since and until (epoch seconds) when given, and only
    one instance's (and the stops) when given."""
    found = []
    for line in journal.splitlines():
        try:
            when = float(line.split(" ", 1)[0])
        except ValueError:
            continue
        if (since is not None and when < since) or (until is not None and when > until):
            continue
        entered = ENTERING.search(line)
        if entered and instance in (None, entered.group(1)):
            found.append(Event(when, entered.group(2), entered.group(1), line))
        elif STOPPING in line:
            found.append(Event(when, "STOPPED", None, line))
    return found


def first_entered(events, state):
    """When the first of events entered state, or None."""
    return next((event.when for event in events if event.state == state), None)


def state_when_stopped(events):
    """The state last entered before the first stop among events, or None (no stop, or no state
    before it)."""
    state = None
    for event in events:
        if event.state == "STOPPED":
            return state
        state = event.state
    return None
