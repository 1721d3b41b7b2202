"""Who holds each VIP while a change runs, from the nodes' own address events: one
`ip -ts -o monitor address` a node, so a test can say how long a VIP had two holders, or none,
where polling `ip addr` would miss anything shorter than its interval."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timezone

from hapair_harness.nodes import node_run, running

WATCH_MAX_SECONDS = 600  # hard bound of any one watch
_READY = "hapair-watch"  # the first line of a node's stream: the monitor's pid and the node's UTC offset
_READY_TIMEOUT = 30  # a loaded machine can take seconds to start a `podman exec`
_STOP_TIMEOUT = 10

# "[2026-12-07T01:40:12.123456] Deleted 2: eth0    inet 192.168.215.100/24 scope global ...": the
# timestamp (-ts) and the "[ADDR]" banner (`ip monitor all`) are optional, so `ip -o addr show`
# lines parse too.
_EVENT = re.compile(
    r"(?:\[(?P<ts>[^\]]*)\]\s*)?(?:\[ADDR\]\s*)?(?P<deleted>Deleted\s+)?"
    r"\d+:\s+\S+\s+inet6?\s+(?P<address>[0-9A-Fa-f.:]+)(?:/\d+)?(?:\s|$)")


def _canonical(address):
    """One spelling per address (fd00:0::100 is fd00::100), with any /prefix dropped."""
    return str(ipaddress.ip_address(str(address).split("/", maxsplit=1)[0]))


def parse_monitor_line(line, utcoffset=None):
    """One line of `ip -ts -o monitor address` (or of `ip -o addr show`): (t, added, address), or
    None for a line that is no address event. t is epoch seconds, or None when the line has no
    "[...]" timestamp; address is bare and canonical. ip prints the node's local time: read as this
    machine's local time (podman containers share its clock), unless utcoffset (a timedelta, the
    node's `date +%z`) says the node's zone differs."""
    match = _EVENT.match(line.strip())
    if not match:
        return None
    try:
        address = _canonical(match["address"])
    except ValueError:
        return None
    t = None
    if match["ts"]:
        try:
            stamp = datetime.strptime(match["ts"], "%Y-%m-%dT%H:%M:%S.%f")
        except ValueError:
            stamp = None
        if stamp is not None:
            if utcoffset is not None:
                stamp = stamp.replace(tzinfo=timezone(utcoffset))
            t = stamp.timestamp()
    return t, not match["deleted"], address


def _states(initial, events):
    """The holders after each distinct timestamp: [(t, frozenset)], in time order, from the
    initial holders and events (t, node, added). Events that share a timestamp are applied
    together, so no state between them is ever reported: one node's delete and another's add at
    the same microsecond read as a move, never as two holders or none. A node's own events at one
    timestamp keep the order it printed them (the list order): its last one wins."""
    at = {}
    for t, node, added in events:
        at.setdefault(t, {})[node] = added
    state, out = set(initial), []
    for t in sorted(at):
        state -= {node for node, added in at[t].items() if not added}
        state |= {node for node, added in at[t].items() if added}
        out.append((t, frozenset(state)))
    return out


def _end(proc):
    """A podman exec client gone: it ends by itself once its command in the node has."""
    try:
        proc.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class HolderWatch:
    """Which nodes (podman containers) hold which VIPs, from start() to stop() or max_seconds.

    Each node's kernel reports its address changes to an `ip -ts -o monitor address` in it, which
    stamps each with the time it read it; the holders at the start come from `ip -o addr show`.
    Times are epoch seconds on this machine's clock. The recorded state is plain attributes:
    initial ({vip: set of nodes} at `started`), events ([(t, node, vip, added)], each node's in the
    order it printed them), started and stopped; recorded() builds a watch from them alone.

    A node whose container stops ends its stream; the watch then counts it as holding nothing from
    that moment (its VIPs went with its network namespace, and no event says so: an upper bound by
    the time `podman exec` takes to notice). A container started again later is not followed.
    """

    def __init__(self, nodes, vips, max_seconds=WATCH_MAX_SECONDS):
        self.nodes = list(nodes)
        self.vips = [_canonical(vip) for vip in vips]
        # The hard bound: a watch stops by itself after this long (cut_short says so).
        self.max_seconds = max_seconds
        self.cut_short = False
        self.initial = {vip: set() for vip in self.vips}
        self.events = []
        self.started = None
        self.stopped = None
        # How each node's stream ended: its time, return code, stderr and whether the node ran.
        self.ended = {}
        self._lock = threading.Lock()
        self._stop_lock = threading.Lock()
        self._stopping = threading.Event()
        self._procs, self._threads, self._ready = {}, {}, {}
        self._pids, self._offsets, self._errs = {}, {}, {}
        self._timer = None

    @classmethod
    def recorded(cls, initial, events, started, stopped=None):
        """A watch from recorded data, never started: initial {vip: nodes}, events
        [(t, node, vip, added)]."""
        nodes = sorted({node for held in initial.values() for node in held} | {event[1] for event in events})
        watch = cls(nodes, dict.fromkeys(_canonical(vip) for vip in [*initial, *(event[2] for event in events)]))
        watch.initial = {_canonical(vip): set(held) for vip, held in initial.items()}
        watch.events = [(t, node, _canonical(vip), added) for t, node, vip, added in events]
        watch.started, watch.stopped = started, stopped
        return watch

    def start(self):
        """The monitors first, then the holders now: a change in between is then in both, and
        replaying it on what `ip addr` showed changes nothing, where the other order would lose it."""
        if self._procs or self.started is not None:
            raise RuntimeError("a HolderWatch starts once")
        try:
            for node in self.nodes:
                self._launch(node)
            deadline = time.monotonic() + _READY_TIMEOUT
            for node in self.nodes:
                self._ready[node].wait(max(0.0, deadline - time.monotonic()))
            for node in self.nodes:
                done = node_run(node, "ip -o addr show", check=False, timeout=60)
                held = self._addresses(done.stdout) if done.returncode == 0 else set()
                for vip in self.vips:
                    if vip in held:
                        self.initial[vip].add(node)
            for node, proc in self._procs.items():
                # A stream that ended on a running node is a broken watch, not a stopped node.
                if proc.poll() is not None and running(node):
                    raise RuntimeError(f"{node}: `ip monitor` ended at once ({proc.returncode}): {self._stderr(node)}")
            self.started = time.time()
        except BaseException:
            self.stop()
            raise
        self._timer = threading.Timer(self.max_seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def _launch(self, node):
        # A killed `podman exec` leaves its command running in the node: the first line gives the
        # pid stop() kills, and `timeout` bounds it if nothing does.
        bound = int(self.max_seconds) + 30
        script = f'echo "{_READY} $$ $(date +%z)"; exec timeout {bound} ip -ts -o monitor address'
        err = self._errs[node] = tempfile.TemporaryFile()
        proc = subprocess.Popen(["podman", "exec", node, "sh", "-c", script], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)
        self._procs[node] = proc
        self._ready[node] = threading.Event()
        self._threads[node] = threading.Thread(target=self._read, args=(node, proc), daemon=True)
        self._threads[node].start()

    def _read(self, node, proc):
        """One node's stream, until its command ends (stop(), the bound, or the node stopping)."""
        for line in proc.stdout:
            if line.startswith(_READY):
                self._ready_line(node, line)
                self._ready[node].set()
            else:
                self.feed(node, line)
        self._ready[node].set()
        try:
            proc.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        t = time.time()
        alive = None
        if not self._stopping.is_set():
            alive = running(node)
            if not alive:
                self.gone(node, t)
        self.ended[node] = {"t": t, "returncode": proc.returncode, "stderr": self._stderr(node), "running": alive}

    def _ready_line(self, node, line):
        fields = line.split()
        if len(fields) > 1 and fields[1].isdigit():
            self._pids[node] = int(fields[1])
        if len(fields) > 2:
            try:
                self._offsets[node] = datetime.strptime(fields[2], "%z").utcoffset()
            except ValueError:
                pass

    def _stderr(self, node):
        # pread: the node's podman exec shares the file's offset, which a seek here would move.
        fd = self._errs[node].fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0)[-500:].decode(errors="replace").strip()

    @staticmethod
    def _addresses(text):
        return {parsed[2] for parsed in map(parse_monitor_line, text.splitlines()) if parsed}

    def feed(self, node, text, now=None):
        """Record the events of watched VIPs in text, lines node's `ip -ts -o monitor address`
        printed; a line without a timestamp takes now (default: the time it is read)."""
        for line in text.splitlines():
            parsed = parse_monitor_line(line, self._offsets.get(node))
            if parsed is None or parsed[2] not in self.vips:
                continue
            t, added, address = parsed
            if t is None:
                t = time.time() if now is None else now
            with self._lock:
                self.events.append((t, node, address, added))

    def gone(self, node, t):
        """Node holds no VIP from t on: its container stopped, taking its addresses with it."""
        with self._lock:
            self.events.extend((t, node, vip, False) for vip in self.vips)

    def _expire(self):
        self.cut_short = True
        self.stop()

    def stop(self):
        """End every node's monitor (in the node, then its podman exec) and its reader; once."""
        with self._stop_lock:
            if self.stopped is not None:
                return self
            self.stopped = time.time()
            self._stopping.set()
            if self._timer is not None:
                self._timer.cancel()
            for node, proc in self._procs.items():
                if proc.poll() is None and node in self._pids:
                    try:
                        node_run(node, f"kill {self._pids[node]}", check=False, timeout=_STOP_TIMEOUT)
                    except subprocess.TimeoutExpired:
                        pass
            for proc in self._procs.values():
                _end(proc)
            for thread in self._threads.values():
                thread.join(_STOP_TIMEOUT)
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _window(self, start, end):
        """[start, end] within what the watch saw: from started to stopped (or now)."""
        if self.started is None:
            raise ValueError("the watch has not started")
        seen = self.stopped if self.stopped is not None else time.time()
        lo = self.started if start is None else max(start, self.started)
        hi = seen if end is None else min(end, seen)
        return lo, hi

    def _vip_states(self, vip):
        vip = _canonical(vip)
        with self._lock:
            events = [(t, node, added) for t, node, address, added in self.events if address == vip]
        initial = frozenset(self.initial.get(vip, ()))
        return initial, _states(initial, events)

    def spans(self, vip, start=None, end=None):
        """vip's timeline over [start, end] (default: the whole watch): [(t_from, t_to, holders)],
        consecutive, each with another frozenset of nodes than the one before it."""
        lo, hi = self._window(start, end)
        if hi <= lo:
            return []
        held, states = self._vip_states(vip)
        out, since = [], lo
        for t, after in states:
            if t <= lo:
                # Before the window, or before started: a change the monitor saw just before
                # `ip addr` did is already in initial, and replaying it changes nothing.
                held = after
                continue
            if t >= hi:
                break
            if after != held:
                out.append((since, t, held))
                since, held = t, after
        out.append((since, hi, held))
        return out

    def seconds_with(self, vip, count, start=None, end=None):
        """How long exactly count nodes held vip (0: none) within [start, end]."""
        return sum(t_to - t_from for t_from, t_to, held in self.spans(vip, start, end) if len(held) == count)

    def seconds_with_two_or_more(self, vip, start=None, end=None):
        """How long two or more nodes held vip at once within [start, end]."""
        return sum(t_to - t_from for t_from, t_to, held in self.spans(vip, start, end) if len(held) >= 2)

    def holders_now(self, vip):
        """The nodes that hold vip after every event so far."""
        initial, states = self._vip_states(vip)
        return states[-1][1] if states else initial
