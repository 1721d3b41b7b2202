#!/usr/bin/env python
"""make bench: measure the lab pair and write docs/benchmarks.md.

What it measures, each against the brief's targets:
  * site.yml on the lab: a fresh converge (new containers) and an unchanged re-run;
  * failover through the VIP for four failure kinds (crash of the MASTER container, clean
    stop of keepalived, HAProxy death that sticks, the MASTER cut off from its backends), each
    repeated --runs times: the outage (from the first failed probe to the first successful one
    after the last failed one) and the failed requests; a timeline picture of each kind's median
    run (docs/benchmarks/timeline-*.png: requests over time, each node's VRRP state);
  * planned moves under load: switchover.yml, maintenance.yml, backend.yml (drain) and
    upgrade.yml (a rolling restart of both daemons), failed requests per move;
  * HAProxy reloads under load: failed requests during five `systemctl reload haproxy`.
  * changes to what the adverts carry (VIPs, advert_int, password, VRID, transport), each applied
    by site.yml under load: seconds with two VIP holders, with none, failed requests
    (--part advert-changes measures only these, on the running lab).
  * the fast profile (keepalived_profile: fast, VRRPv3 with 0.1 s adverts): the crash of the
    MASTER and HAProxy's death again, then a soak of --soak seconds with every CPU of both nodes kept busy, which
    counts the VRRP transitions (there should be none) from the collection's transitions.log
    and from keepalived's journal.

The probe is a client on this machine that opens a new TCP connection to the VIP and sends
an HTTP request every 10 ms. Traffic goes only to the lab's own containers. Every loop is
bounded in time and count, and the pair is restored after each trial, also on error.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from hapair_harness import (
    Probe, holders, http_ok, https_request, kill, kill_haproxy, node_run, revive_haproxy, start, tls_context, wait_until,
)
from hapair_harness.changes import advert_kinds, configured_vips, measure
from hapair_harness.journal import journal_command, vrrp_events
from hapair_harness.pki import SITE_NAME, write_scenario_set
from hapair_harness.timeline import draw

ROOT = Path(__file__).resolve().parents[1]
NET = "192.168.213"
VIP = f"{NET}.100"
MASTER, BACKUP = "lab-lb1", "lab-lb2"
INVENTORY = ROOT / "lab" / "hosts.yml"

TRIAL_RECOVERY_BOUND = 30  # a trial gives up waiting for recovery after this long


def sh(*cmd, check=True, timeout=300):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done


def node(name, command, check=True):
    return node_run(name, command, check=check)


def vip_ok():
    return http_ok((VIP, 80))


def wait_for(predicate, timeout, interval=0.1):
    return wait_until(predicate, timeout, interval)[0]


def healthy(timeout=90):
    """The MASTER holds the VIP alone and traffic flows."""
    return wait_for(lambda: holders([MASTER, BACKUP], VIP) == [MASTER] and vip_ok(), timeout, 0.5)


# Each failure kind: (inject, restore). restore brings the MASTER back.
def crash_inject():
    kill(MASTER)


def crash_restore():
    start(MASTER)


def stop_inject():
    node(MASTER, "systemctl stop keepalived")


def stop_restore():
    node(MASTER, "systemctl start keepalived")


def haproxy_inject():
    kill_haproxy(MASTER)


def haproxy_restore():
    revive_haproxy(MASTER)


BACKEND_ADDRESSES = (f"{NET}.21", f"{NET}.22")
CUT_OFF = "hapair-bench-cut-off"


def cutoff_inject():
    node(MASTER, "; ".join(f"iptables -I OUTPUT -d {a} -m comment --comment {CUT_OFF} -j DROP" for a in BACKEND_ADDRESSES))


def cutoff_restore():
    node(MASTER, "; ".join(f"iptables -D OUTPUT -d {a} -m comment --comment {CUT_OFF} -j DROP" for a in BACKEND_ADDRESSES),
         check=False)


# Each failure kind: (inject, restore, the name of its timeline picture).
KINDS = {
    "crash of the MASTER (SIGKILL of its container)": (crash_inject, crash_restore, "crash"),
    "clean stop of keepalived on the MASTER": (stop_inject, stop_restore, "stop"),
    "HAProxy death on the MASTER (SIGKILL, no restart)": (haproxy_inject, haproxy_restore, "haproxy-death"),
    "MASTER cut off from its backends (its traffic to them dropped)": (cutoff_inject, cutoff_restore, "cut-off"),
}
TIMELINES = ROOT / "docs" / "benchmarks"


def vrrp_states(name, since, until):
    """A node's VRRP states between since and until (epoch seconds), from keepalived's journal:
    [(time, MASTER|BACKUP|FAULT|STOPPED)]; None when the node cannot be read (a killed container)."""
    done = node(name, journal_command(since), check=False)
    if done.returncode != 0:
        return None
    return [(event.when, event.state) for event in vrrp_events(done.stdout, since, until)]


def finished(summary):
    """A probe's summary, unless the probe stopped at its hard bound before the run ended (its
    counts would then miss the end of the run)."""
    if summary.get("cut_short"):
        raise RuntimeError(f"the probe stopped at its bound before the run ended: {summary}")
    return summary


def trial(inject, restore):
    """One failure under the probe: its summary, with the timeline's data (every request, each
    node's VRRP states, the time of the failure), read before the pair is restored."""
    if not healthy():
        raise RuntimeError("the lab pair is not healthy before the trial (MASTER holding the VIP, traffic flowing)")
    try:
        # The probe times requests on the monotonic clock; the nodes' journals on the epoch's.
        offset = time.time() - time.monotonic()
        begun = time.time()
        with Probe((VIP, 80)) as probe:
            time.sleep(1.0)
            injected = time.time()
            inject()
            wait_for(probe.recovered_after_failure, TRIAL_RECOVERY_BOUND, 0.05)
            time.sleep(1.0)
        ended = time.time()
        states = {}
        for name, first in ((MASTER, "MASTER"), (BACKUP, "BACKUP")):
            found = vrrp_states(name, begun, ended)
            states[name] = [(begun, first)] + (found if found is not None else [(injected, "STOPPED")])
        # A success when it was answered, a failure when it was sent: what the outage counts.
        requests = [((ended if ok else started) + offset, ok) for started, ok, ended in probe.snapshot()]
        return {**finished(probe.summary()), "timeline": {"requests": requests, "states": states, "start": begun,
                                                          "end": ended, "injected": injected}}
    finally:
        restore()
        healthy()


def draw_timelines(kinds):
    """Each failure kind's timeline ({kind: (picture name, trial results)}), of its run with the
    median outage, as docs/benchmarks/timeline-NAME.png: {kind: path}."""
    TIMELINES.mkdir(parents=True, exist_ok=True)
    drawn = {}
    for kind, (name, results) in kinds.items():
        # An outage that never ended ranks last.
        ranked = sorted(range(len(results)), key=lambda i: (results[i]["outage"] is None, results[i]["outage"] or 0))
        run = ranked[len(ranked) // 2]
        data = results[run]["timeline"]
        path = TIMELINES / f"timeline-{name}.png"
        draw(path, f"{kind}, run {run + 1}: outage {fmt(results[run]['outage'])}", data["requests"], data["states"],
             data["start"], data["end"], marks=[(data["injected"], "failure")])
        drawn[kind] = path
    return drawn


def trials(kind, inject, restore, runs):
    """runs trials of one failure kind, each printed as it ends: their summaries."""
    results = []
    for run in range(1, runs + 1):
        result = trial(inject, restore)
        results.append(result)
        print(f"==> {kind}, run {run}: outage {fmt(result['outage'])} ({result['windows']} window(s)), "
              f"{result['failed']} failed of {result['sent']}", flush=True)
    return results


def reload_under_load(reloads=5):
    if not healthy():
        raise RuntimeError("the lab pair is not healthy before the reload run")
    with Probe((VIP, 80)) as probe:
        time.sleep(1.0)
        for _unused in range(reloads):
            node(MASTER, "systemctl reload haproxy")
            time.sleep(0.5)
        time.sleep(1.0)
    return probe.summary()


def planned_moves(runs):
    """Day-2 moves under a new connection every 10 ms, each run: a switchover to the BACKUP and
    back (switchover.yml), maintenance on the MASTER and its release (maintenance.yml), and a
    drain of a backend server and its return (backend.yml), then a rolling upgrade that restarts
    both daemons on both nodes (upgrade.yml with hapair_upgrade_restart: the lab's packages are
    the newest). Failed requests per move, and the playbook's seconds."""
    moves = {"switchover": [], "maintenance": [], "backend": [], "upgrade": []}
    for run in range(1, runs + 1):
        if not healthy():
            raise RuntimeError("the lab pair is not healthy before the planned moves")
        for kind, there, back in (
            ("switchover", ("-e", f"hapair_switchover_to={BACKUP}"), ("-e", f"hapair_switchover_to={MASTER}")),
            ("maintenance", ("-e", f"hapair_node={MASTER}", "-e", "hapair_maintenance=on"),
             ("-e", f"hapair_node={MASTER}", "-e", "hapair_maintenance=off")),
            ("backend", ("-e", "hapair_backend=web", "-e", "hapair_server=web2", "-e", "hapair_state=drain"),
             ("-e", "hapair_backend=web", "-e", "hapair_server=web2", "-e", "hapair_state=ready")),
        ):
            playbook = f"{kind}.yml"
            for args in (there, back):
                with Probe((VIP, 80)) as probe:
                    time.sleep(0.5)
                    seconds, _unused = run_site(*args, playbook=playbook)
                    time.sleep(0.5)
                moves[kind].append({**finished(probe.summary()), "seconds": seconds})
                print(f"==> {kind} {' '.join(args[1::2])}, run {run}: {moves[kind][-1]['failed']} failed of "
                      f"{moves[kind][-1]['sent']} ({seconds:.1f} s)", flush=True)
            healthy()
        with Probe((VIP, 80), max_seconds=600) as probe:
            time.sleep(0.5)
            seconds, _unused = run_site("-e", "hapair_upgrade_restart=true", playbook="upgrade.yml")
            time.sleep(0.5)
        moves["upgrade"].append({**finished(probe.summary()), "seconds": seconds})
        print(f"==> upgrade, run {run}: {moves['upgrade'][-1]['failed']} failed of {moves['upgrade'][-1]['sent']} "
              f"({seconds:.1f} s)", flush=True)
        healthy()
    return moves


def tls_vars(pki, site):
    """The lab with HTTPS on the VIP (port 443, the site's certificate of the test's private CA,
    served by the lab's web backend) beside its port 80: extra variables, in a file only the
    user can read (they hold the key)."""
    frontends = [
        {"name": "http_in", "binds": [{"address": VIP, "port": 80}], "mode": "http", "default_backend": "web"},
        {"name": "https_in", "binds": [{"address": VIP, "port": 443}], "mode": "http", "ssl": True,
         "certificates": ["site"], "default_backend": "web"},
    ]
    values = {
        "haproxy_certificates": [{"name": "site", "certificate": (pki / f"{site}.crt").read_text(),
                                  "key": (pki / f"{site}.key").read_text()}],
        "haproxy_certificate_trust": (pki / "root.pem").read_text(),
        "haproxy_frontends": frontends,
    }
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # created 0600
    with handle:
        json.dump(values, handle)
    return handle.name


def rotation_under_load():
    """Deploy HTTPS with one certificate, then roll out its successor with site.yml while a client
    opens a new HTTPS connection to the VIP every 10 ms: the failed requests, and whether the
    new certificate is served after."""
    pki = write_scenario_set(ROOT / ".cache" / "tls-test")
    first, second = tls_vars(pki, "site"), tls_vars(pki, "site2")
    context = tls_context(pki / "root.pem")
    try:
        run_site("-e", f"@{first}")
        send = functools.partial(https_request, server_name=SITE_NAME, context=context)
        with Probe((VIP, 443), send=send) as probe:
            time.sleep(1.0)
            seconds, _unused = run_site("-e", f"@{second}")
            time.sleep(1.0)
        served = https_request((VIP, 443), SITE_NAME, context)[3]["certificate"]
        new = (pki / "site2.crt").read_text()
        rotated = (x509.load_der_x509_certificate(served).serial_number
                   == x509.load_pem_x509_certificate(new.encode()).serial_number)
    finally:
        for path in (first, second):
            os.unlink(path)
        run_site()
    return {**probe.summary(), "rollout": seconds, "rotated": rotated}


def playbook_run(*args, playbook="site.yml"):
    """Run site.yml (or another of the collection's playbooks) on the lab: (returncode, output)."""
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(INVENTORY), str(ROOT / "playbooks" / playbook), *args],
        capture_output=True, text=True, timeout=900, check=False,
    )
    return done.returncode, done.stdout + done.stderr


def run_site(*args, playbook="site.yml"):
    """Run site.yml (or another of the collection's playbooks) on the lab: (seconds, changed count)."""
    start = time.monotonic()
    rc, output = playbook_run(*args, playbook=playbook)
    seconds = time.monotonic() - start
    if rc != 0:
        raise RuntimeError(f"{playbook} failed:\n{output[-3000:]}")
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", output))
    return seconds, changed


ADVERT_SECTION = "## Changes to what the adverts carry"


def advert_changes():
    """Each kind of change to what the adverts carry, applied by site.yml to the lab under load
    (hapair_harness.changes); the lab ends as it started, also on error."""
    base = {"name": "VI_1", "virtual_router_id": 51, "vips": [f"{VIP}/24"]}
    extra = f"{NET}.105"
    results = {}
    try:
        for kind, variables in advert_kinds(base, "lab-vrrp", f"{extra}/24"):
            result = measure(lambda: playbook_run("-e", json.dumps(variables)), [MASTER, BACKUP], [VIP, extra], (VIP, 80),
                             configured_vips(variables))
            if result["rc"] != 0:
                raise RuntimeError(f"site.yml failed for {kind}:\n{result['output'][-3000:]}")
            results[kind] = result
            print(f"    {kind}: two holders {result['two']:.3f} s, none {result['none']:.3f} s, "
                  f"failed {result['failed']} of {result['sent']}", flush=True)
    finally:
        run_site()
    return results


def advert_lines(results):
    lines = [
        ADVERT_SECTION,
        "",
        "site.yml applies each change in turn to the lab pair (each builds on the one before; the last",
        "puts the first configuration back) while every node's address events (`ip -ts monitor address`)",
        "say who holds each VIP and a request goes through the VIP every 10 ms. Such a change is staged on",
        "every node and committed on all of them at one moment, the holder first and the other node one",
        "advert interval later (docs/architecture.md, Safe changes). Seconds with two holders and with",
        "none are the longest of the VIP and of a second VIP (.105, while it exists).",
        "",
        "| change | two holders | no holder | failed requests | measured (site.yml, then settling) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, result in results.items():
        lines.append(f"| {kind} | {result['two']:.3f} s | {result['none']:.3f} s | {result['failed']} of {result['sent']} "
                     f"| {result['seconds']:.0f} s |")
    lines += [
        "",
        "A new VRID is a new VRRP group, and a new transport a new way for the adverts to travel: the",
        "holder's new instance starts anew and takes the VIP after its down timer (three adverts, at the",
        "interval of the moment, and the skew), a gap with no holder that the order keeps from ever",
        "becoming two holders. The target is 0 s with two holders for every kind.",
        "",
    ]
    return lines


def replace_section(text, heading, lines):
    """text with the section under heading (up to the next "## ") replaced by lines, or them
    appended."""
    if heading not in text:
        return text.rstrip("\n") + "\n\n" + "\n".join(lines)
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    rest = text[end + 1:] if end >= 0 else ""
    return text[:start] + "\n".join(lines) + ("\n" + rest if rest else "")


def converge_timings():
    """A fresh lab (new containers), site.yml, then three unchanged re-runs."""
    sh(str(ROOT / "scripts" / "lab.sh"), "down")
    sh(str(ROOT / "scripts" / "lab.sh"), "containers", timeout=600)
    fresh, fresh_changed = run_site()
    # Three unchanged re-runs: one run's time on this machine varies by half a second or more.
    reruns = [run_site() for _unused in range(3)]
    return {"fresh": fresh, "fresh_changed": fresh_changed,
            "rerun": statistics.median(seconds for seconds, _unused in reruns),
            "reruns": [seconds for seconds, _unused in reruns],
            "rerun_changed": sum(changed for _unused, changed in reruns)}


def node_time(name):
    return float(node(name, "date +%s.%N").stdout)


def transitions_since(name, start):
    """VRRP transitions on a node since start (epoch seconds): (from transitions.log, from the journal)."""
    iso = datetime.fromtimestamp(start, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    log = node(name, "cat /var/lib/hapair-keepalived/transitions.log", check=False).stdout.splitlines()
    recorded = [line for line in log if line.split(" ", 1)[0] >= iso]
    journal = node(name, journal_command(start)).stdout
    entered = [event.line for event in vrrp_events(journal, since=start) if event.state != "STOPPED"]
    return recorded, entered


def vrrp_scheduling(name):
    """The scheduling class and nice value of keepalived's VRRP process (its newest process)."""
    done = node(name, "ps -o cls=,ni= -p $(pgrep -f -n '^/usr/sbin/keepalived')", check=False)
    return " nice ".join(done.stdout.split()) or "unknown"


BURNER = "hapair-soak-burner"


def soak(seconds):
    """Keep every CPU of both nodes busy for `seconds` while a request goes through the VIP every
    0.1 s; count failed requests and the VRRP transitions seen on either node (all spurious)."""
    if not healthy():
        raise RuntimeError("the lab pair is not healthy before the soak")
    time.sleep(5)  # let the last trial's return settle: the soak starts from a quiet pair
    burners = os.cpu_count() or 2
    starts = {name: node_time(name) for name in (MASTER, BACKUP)}
    sent = failed = 0
    try:
        for name in (MASTER, BACKUP):
            # Each burner is bounded by its own timeout; the finally below ends them early.
            node(name, f"for i in $(seq {burners}); do timeout {seconds} sh -c ': {BURNER}; while :; do :; done' "
                       "> /dev/null 2>&1 & done")
        deadline = time.monotonic() + seconds
        tick = time.monotonic()
        while time.monotonic() < deadline:
            sent += 1
            failed += 0 if vip_ok() else 1
            tick += 0.1
            time.sleep(max(0.0, tick - time.monotonic()))
        load = {name: node(name, "cut -d' ' -f1 /proc/loadavg").stdout.strip() for name in (MASTER, BACKUP)}
    finally:
        for name in (MASTER, BACKUP):
            node(name, f"pkill -f '{BURNER}'", check=False)
    counts = {name: transitions_since(name, starts[name]) for name in (MASTER, BACKUP)}
    return {"seconds": seconds, "burners": burners, "sent": sent, "failed": failed, "load": load,
            "recorded": {n: c[0] for n, c in counts.items()}, "journal": {n: c[1] for n, c in counts.items()},
            "scheduling": {name: vrrp_scheduling(name) for name in (MASTER, BACKUP)}}


def versions():
    keepalived = node(MASTER, "keepalived --version 2>&1 | head -1").stdout.strip()
    haproxy = node(MASTER, "haproxy -v | head -1").stdout.strip()
    return keepalived, haproxy


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(seconds):
    return "no recovery" if seconds is None else f"{seconds:.2f} s"


def machine():
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{mem}, kernel {platform.release()}"


def write_report(path, runs, timings, failover, reload, rotation, kv, hv, fast, soaked, moves, timelines):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {now}. Machine: {machine()}; the lab pair in podman",
        f"containers. {kv}; {hv}.",
        "",
        "VRRP timers, default profile: VRRPv2, advert_int 1 s (BACKUP priority 240: down timer",
        "3 x 1 s + skew 0.06 s). Fast profile (`keepalived_profile: fast`): VRRPv3, advert_int 0.1 s",
        "(down timer 0.3 s + skew 0.006 s), the VRRP process at nice -20.",
        "HAProxy: systemd's hooks on haproxy.service (FAULT at once on its death), and a check every",
        "2 s, weight -20, fall 2, rise 2 (MASTER 250 -> 230 < BACKUP 240) for one that stops answering.",
        "",
        "Probe: a client on the host opens a new TCP connection to the VIP and sends `GET /` every",
        "10 ms (timeout 0.5 s). Outage: from the start of the first failed probe to the answer of the",
        "first successful one after the last failed one (a request sent while the VIP moves can wait in",
        "the kernel for the new holder's announcement: the service is back when it is answered). A",
        "killed container does not go silent at once: for up to 0.3 s some probes still succeed",
        "between failed ones, so the outage can span several runs of failures (windows), and failed x",
        "10 ms can be shorter than it. Failed: all the failed probes in the trial.",
        "",
        "## site.yml on the lab pair",
        "",
        "| run | time | changed | target |",
        "| --- | --- | --- | --- |",
        f"| fresh converge (new containers; apt inside them) | {timings['fresh']:.1f} s | {timings['fresh_changed']} | <= 40 s |",
        f"| unchanged re-run (median of 3: {', '.join(f'{s:.1f} s' for s in timings['reruns'])}) "
        f"| {timings['rerun']:.1f} s | {timings['rerun_changed']} | <= 8 s, changed=0 |",
        "",
        f"## Failover through the VIP (median of {runs} runs)",
        "",
        "| failure | outage | failed requests | runs (outage / failed / windows) |",
        "| --- | --- | --- | --- |",
    ]
    for kind, results in [*failover.items(), *fast.items()]:
        each = ", ".join(f"{fmt(r['outage'])} / {r['failed']} / {r['windows']}" for r in results)
        failed = median([r["failed"] for r in results])
        lines.append(f"| {kind} | {fmt(median([r['outage'] for r in results]))} | {failed:g} | {each} |")
    lines += [
        "",
        "MASTER cut off from its backends: HAProxy marks the servers DOWN (3 checks, 2 s apart), its",
        "monitor URI answers 503, keepalived's check fails twice (2 s apart) and the MASTER loses 20;",
        "the BACKUP takes over after its down timer. Requests meanwhile fail on the MASTER.",
        "",
        "HAProxy death: systemd's hook on haproxy.service (`ExecStopPost`) tells keepalived at once",
        "through a track file, and the MASTER leaves the election with a priority-0 advert; the",
        "target is <= 1.5 s (default profile) and <= 0.4 s (fast profile).",
        "",
        "Targets for a crash: service back in <= 3.5 s with the default profile (the best public",
        "roles: ~3.4 s), and in <= 0.4 s with the fast profile.",
        "",
        "## Failover timelines",
        "",
        "Each failure kind's run with the median outage: the requests through the VIP over time (green",
        "succeeded, drawn when answered; red failed, drawn when sent; grey, none), each node's VRRP",
        "state underneath (from keepalived's journal; a killed container's is STOPPED from the failure",
        "on), 0 s the failure.",
        "",
    ]
    for kind, picture in timelines.items():
        lines += [f"![{kind}]({picture.relative_to(path.parent).as_posix()})", ""]
    lines += [
        "## HAProxy reloads under load",
        "",
        "| run | requests sent | failed | target |",
        "| --- | --- | --- | --- |",
        f"| 5 x `systemctl reload haproxy` on the MASTER | {reload['sent']} | {reload['failed']} | 0 |",
        f"| certificate rotation: site.yml rolls a new certificate out ({rotation['rollout']:.1f} s), a new HTTPS "
        f"connection every 10 ms; new certificate served after: {'yes' if rotation['rotated'] else 'NO'} "
        f"| {rotation['sent']} | {rotation['failed']} | 0 |",
        "",
    ]
    lines += [
        f"## Planned moves under load (a new connection every 10 ms; {runs} runs, each move both ways)",
        "",
        "| move | failed requests per move (median / worst) | each move | playbook time (median) | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, label in (("switchover", "switchover.yml to the BACKUP, and back"),
                        ("maintenance", "maintenance.yml on the MASTER on, then off"),
                        ("backend", "backend.yml: drain of web2 (waits for its sessions), then ready"),
                        ("upgrade", "upgrade.yml, both daemons restarted on both nodes, BACKUP first (one move per run)")):
        results = moves[kind]
        failed = [r["failed"] for r in results]
        lines.append(f"| {label} | {median(failed):g} / {max(failed)} | {', '.join(str(f) for f in failed)} "
                     f"| {median([r['seconds'] for r in results]):.1f} s | 0 |")
    lines += [
        "",
        "A switchover lowers or raises a priority that keepalived reads at once: the new MASTER takes",
        "over after its down timer, before the old one drops the VIP, so there is no gap with no holder.",
        "A request in flight at that very moment (its connection opened on the old MASTER, its next",
        "packet reaching the new one) can still be reset.",
        "",
    ]
    if soaked:
        minutes = soaked["seconds"] / 60
        lines += [
            f"## Fast profile under CPU stress ({minutes:g} min soak)",
            "",
            f"Both nodes run the fast profile while {soaked['burners']} busy loops on each node (one per CPU of",
            "this machine, so the two nodes fight for every core) keep the CPUs saturated. A request goes",
            "through the VIP every 0.1 s. Every VRRP transition in that time would be spurious: none was",
            "provoked. They are counted in the collection's transitions.log and in keepalived's journal",
            "(`Entering ... STATE`).",
            "",
            "| node | VRRP process scheduling | load average (1 min) at the end | transitions.log | journal |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name in (MASTER, BACKUP):
            lines.append(f"| {name} | {soaked['scheduling'][name]} | {soaked['load'][name]} | "
                         f"{len(soaked['recorded'][name])} | {len(soaked['journal'][name])} |")
        lines += [
            "",
            f"Requests through the VIP: {soaked['failed']} failed of {soaked['sent']}. Spurious transitions: "
            f"{sum(len(v) for v in soaked['recorded'].values())} (transitions.log), "
            f"{sum(len(v) for v in soaked['journal'].values())} (journal); the target is 0.",
            "",
        ]
        for name in (MASTER, BACKUP):
            for line in soaked["recorded"][name] + soaked["journal"][name]:
                lines.append(f"    {name}: {line}")
    path.write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=3, help="trials per failure kind (at least 3)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--soak", type=int, default=600, help="seconds of the fast profile's CPU-stress soak (0: skip)")
    parser.add_argument("--part", choices=["advert-changes"],
                        help="measure only this part, on the running lab (scripts/lab.sh up), and replace its section of --output")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3")
    if args.part == "advert-changes":
        print("==> changes to what the adverts carry, under load", flush=True)
        run_site()
        args.output.write_text(replace_section(args.output.read_text(), ADVERT_SECTION, advert_lines(advert_changes())))
        print(f"==> replaced its section of {args.output.relative_to(ROOT)}")
        return 0

    print("==> site.yml on a fresh lab, then an unchanged re-run", flush=True)
    timings = converge_timings()
    print(f"    fresh {timings['fresh']:.1f} s (changed={timings['fresh_changed']}), "
          f"re-run {timings['rerun']:.1f} s (changed={timings['rerun_changed']})", flush=True)
    kv, hv = versions()

    failover = {kind: trials(kind, inject, restore, args.runs) for kind, (inject, restore, _unused) in KINDS.items()}
    pictures = {kind: (name, failover[kind]) for kind, (_unused, _unused, name) in KINDS.items()}

    print("==> planned moves under load: switchover.yml and maintenance.yml", flush=True)
    moves = planned_moves(args.runs)

    print("==> changes to what the adverts carry, under load", flush=True)
    adverts = advert_changes()

    reload = reload_under_load()
    print(f"==> 5 reloads under load: {reload['failed']} failed of {reload['sent']}", flush=True)

    print("==> certificate rotation under HTTPS load", flush=True)
    rotation = rotation_under_load()
    print(f"    {rotation['failed']} failed of {rotation['sent']}; new certificate served: {rotation['rotated']}", flush=True)

    print("==> the fast profile (keepalived_profile: fast)", flush=True)
    run_site("-e", "keepalived_profile=fast")
    kind = "crash of the MASTER, fast profile (VRRPv3, 0.1 s adverts)"
    try:
        fast = {kind: trials(kind, crash_inject, crash_restore, args.runs)}
        pictures[kind] = ("fast-crash", fast[kind])
        kind = "HAProxy death on the MASTER, fast profile"
        fast[kind] = trials(kind, haproxy_inject, haproxy_restore, args.runs)
        pictures[kind] = ("fast-haproxy-death", fast[kind])
        soaked = None
        if args.soak > 0:
            print(f"==> {args.soak} s soak of the fast profile under CPU stress", flush=True)
            soaked = soak(args.soak)
            print(f"    transitions: {soaked['recorded']} {soaked['journal']}; {soaked['failed']} failed of {soaked['sent']}", flush=True)
    finally:
        print("==> back to the default profile", flush=True)
        run_site()

    timelines = draw_timelines(pictures)
    write_report(args.output, args.runs, timings, failover, reload, rotation, kv, hv, fast, soaked, moves, timelines)
    args.output.write_text(replace_section(args.output.read_text(), ADVERT_SECTION, advert_lines(adverts)))
    print(f"==> wrote {args.output.relative_to(ROOT)}")
    print(args.output.read_text())


if __name__ == "__main__":
    sys.exit(main())
