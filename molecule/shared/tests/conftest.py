"""Fixtures for the molecule verifiers: the nodes, the VIP and bounded probes.

The scenario's molecule.yml names the VIP, the load-balancer nodes (in group order, so the
first is the configured MASTER) and the backends. Hosts are reached with testinfra's podman
backend: one `podman exec` per command.
"""

import contextlib
import difflib
import hashlib
import json
import os
import subprocess
import textwrap
import threading
import time
from pathlib import Path

import hapair_harness
import pytest
import testinfra
# The harness (tests/harness) is shared with make bench: probes, holders, failure injections.
# The tests import these from here.
from hapair_harness import crash_bound, kill, running, start, wait_until  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]

VIP = os.environ["HAPAIR_VIP"]
LB_NODES = os.environ["HAPAIR_LB_NODES"].split(",")
BACKENDS = os.environ["HAPAIR_BACKENDS"].split(",")
# The scenario's inventory and the extra variables its playbooks run with.
INVENTORY = os.environ.get("HAPAIR_INVENTORY") or os.environ.get("MOLECULE_INVENTORY_FILE", "")
EXTRA_VARS = os.environ.get("HAPAIR_EXTRA_VARS", "")


# The scenario running the verifier (molecule sets it); each test module declares the scenarios
# it belongs to with `pytestmark = pytest.mark.scenarios(...)`, so no scenario picks its tests by
# a substring of their names.
SCENARIO = os.environ.get("HAPAIR_SCENARIO") or os.environ.get("MOLECULE_SCENARIO_NAME", "")
# Set by scripts/molecule-all.sh when it runs a scenario a second time, on the other Debian release.
SECOND_RELEASE = os.environ.get("HAPAIR_SECOND_RELEASE") == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "scenarios(*names): the molecule scenarios whose verifier runs the test")
    config.addinivalue_line("markers", "one_release: the test judges only what the controller decides, the same on "
                                       "every node release: not run again in a scenario's run on the second release")


def pytest_collection_modifyitems(config, items):
    """Keep the tests that declare this scenario; a test that declares none is an error."""
    undeclared = [item.nodeid for item in items if item.get_closest_marker("scenarios") is None]
    if undeclared:
        raise pytest.UsageError(f"tests without pytest.mark.scenarios(...): {', '.join(undeclared)}")
    selected = [item for item in items if SCENARIO in item.get_closest_marker("scenarios").args
                and not (SECOND_RELEASE and item.get_closest_marker("one_release"))]
    if not selected:
        raise pytest.UsageError(f"no test declares the scenario {SCENARIO!r}")
    config.hook.pytest_deselected(items=[item for item in items if item not in selected])
    items[:] = selected


@pytest.fixture(scope="session")
def lbs():
    """Load-balancer nodes by name, in group order."""
    return {name: testinfra.get_host(f"podman://{name}") for name in LB_NODES}


def filter_rules(host, chain, family=4, table="filter"):
    """`iptables -S CHAIN` on host (ip6tables for family 6), with VRRP's protocol by name:
    iptables 1.8.9 (Debian 12) prints `-p vrrp`, 1.8.11 (Debian 13) prints `-p 112`."""
    command = "iptables" if family == 4 else "ip6tables"
    out = host.check_output(f"{command} -t {table} -S {chain}")
    return out.replace(" -p 112 ", " -p vrrp ")


# A VRRPv2 advert for VRID 51 with the highest priority and the right password, sent from a
# backend: an outsider that would take the VIP if the nodes listened. Bounded: 30 adverts.
ADVERT = textwrap.dedent("""
    import socket, struct, time
    def csum(data):
        total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        total = (total >> 16) + (total & 0xFFFF)
        return ~(total + (total >> 16)) & 0xFFFF
    body = struct.pack("!BBBBBBH4s8s", 0x21, 51, 254, 1, 1, 1, 0, socket.inet_aton("{vip}"), b"lab-vrrp")
    packet = body[:6] + struct.pack("!H", csum(body)) + body[8:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    for _ in range(30):
        s.sendto(packet, ("224.0.0.18", 0))
        time.sleep(0.1)
""")


def outsider():
    """A backend, on the load balancers' segment but no member of the group: (host, its address)."""
    host = testinfra.get_host(f"podman://{BACKENDS[0]}")
    return host, host.check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0]


def assert_outsider_kept_out(lbs, master, let_in, let_out):
    """The outsider's adverts (ADVERT: highest priority, right VRID and password) move nothing;
    then, with let_in run on every node (a rule of the test's own that accepts them), the same
    adverts take the MASTERship away, so the firewall, not a broken packet, stopped them. let_out
    undoes let_in, also on failure, and the master takes the VIP back."""
    host, _unused = outsider()
    host.check_output(f"python3 -c '{ADVERT.format(vip=VIP)}'")
    assert holders(lbs) == [master] and vrrp_state(lbs[master]) == "MASTER"
    try:
        for node in lbs.values():
            node.check_output(let_in)
        host.check_output(f"python3 -c '{ADVERT.format(vip=VIP)}'")
        assert vrrp_state(lbs[master]) == "BACKUP", "the outsider's adverts were accepted yet changed nothing"
    finally:
        for node in lbs.values():
            node.run(let_out)
    assert_vip_served_by(lbs, master, timeout=10)


@contextlib.contextmanager
def squatting(host, port, unit="hapair-test-squatter"):
    """Another process holds port on every address of host while the block runs (at most 300 s)."""
    host.check_output(
        f"systemd-run --unit {unit} --collect timeout 300 python3 -c "
        f"'import socket, time; s = socket.socket(); s.bind((\"0.0.0.0\", {port})); s.listen(); time.sleep(300)'")
    try:
        assert wait_until(lambda: f"0.0.0.0:{port} " in host.check_output("ss -Htlnp | grep python3 || true"),
                          timeout=10)[0], host.check_output("ss -Htlnp")
        yield
    finally:
        host.run(f"systemctl stop {unit}")


def holders(lbs, vip=None):
    """Names of the running nodes whose kernel holds the VIP (by default the scenario's) now."""
    return hapair_harness.holders(list(lbs), vip or VIP)


def http_get(path="/", timeout=2.0, vip=None):
    """One request through the VIP on a new TCP connection: (status, body, headers) or None."""
    return hapair_harness.http_get((vip or VIP, 80), path, timeout)


def assert_vip_served_by(lbs, node, timeout):
    """The VIP moves to node alone within timeout seconds, and HTTP through it is answered."""
    settled, _unused = wait_until(lambda: holders(lbs) == [node], timeout=timeout)
    assert settled, f"{node} did not hold {VIP} alone within {timeout} s: holders {holders(lbs)}"
    answer = http_get()
    assert answer is not None and answer[0] == 200, f"no HTTP answer through {VIP} held by {node}"


def vrrp_state(host, instance="VI_1"):
    """keepalived's own view, from the state file its notify script writes."""
    state = host.file(f"/var/lib/hapair-keepalived/{instance}.state")
    return state.content_string.strip() if state.exists else None


def ansible_json(cmd, timeout=120):
    """Run an ansible command with the JSON callback: (returncode, parsed output)."""
    env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    return done.returncode, json.loads(done.stdout)


def vip_status(node, **args):
    """Run hapair.loadbalancer.vip_status on one node; its result (failed or not)."""
    # No -a without arguments: Ansible would read "{}" as the raw parameters the module has none of.
    cmd = ["ansible", "-i", INVENTORY, node, "-m", "hapair.loadbalancer.vip_status"] + (["-a", json.dumps(args)] if args else [])
    _unused, out = ansible_json(cmd)
    return out["plays"][0]["tasks"][0]["hosts"][node]


def group_verdict(timeout=2):
    """Run the group verdict playbook: (passed, every message it printed)."""
    cmd = ["ansible-playbook", "-i", INVENTORY, "hapair.loadbalancer.verify", "-e", f"hapair_verify_timeout={timeout}"]
    if EXTRA_VARS:
        cmd += ["-e", EXTRA_VARS]
    rc, out = ansible_json(cmd)
    messages = [
        result.get("msg", "")
        for play in out["plays"] for task in play["tasks"] for result in task["hosts"].values()
    ] + [
        item.get("msg", "")
        for play in out["plays"] for task in play["tasks"] for result in task["hosts"].values()
        for item in result.get("results", [])
    ]
    return rc == 0, messages


def run_site(*args, timeout=600):
    """Run the collection's site playbook on the scenario: (returncode, output)."""
    return run_playbook("hapair.loadbalancer.site", *args, timeout=timeout)


def run_playbook(playbook, *args, timeout=600):
    """Run a playbook on the scenario with its variables: (returncode, output)."""
    # The scenario's variables first, so that the caller's own -e wins over them.
    cmd = ["ansible-playbook", "-i", INVENTORY, str(playbook)]
    if EXTRA_VARS:
        cmd += ["-e", EXTRA_VARS]
    cmd += list(args)
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    return done.returncode, done.stdout + done.stderr


def recap(out):
    """The PLAY RECAP lines of a playbook's output, one per host; none where no play started."""
    at = out.rfind("PLAY RECAP")
    return [] if at < 0 else [line for line in out[at:].splitlines() if "ok=" in line]


def run_site_watching(probe, *args, interval=0.2, timeout=600):
    """Run the site playbook like run_site while calling probe() over and over until it ends:
    (returncode, output, every non-empty value probe returned, with the seconds since start)."""
    result = {}
    worker = threading.Thread(target=lambda: result.update(out=run_site(*args, timeout=timeout)))
    start = time.monotonic()
    worker.start()
    seen = []
    while worker.is_alive() and time.monotonic() - start < timeout:
        found = probe()
        if found:
            seen.append((round(time.monotonic() - start, 1), found))
        time.sleep(interval)
    worker.join(timeout=5)
    rc, out = result.get("out", (None, "the site playbook did not finish"))
    return rc, out, seen


def fingerprint(lbs):
    """What a rejected change must leave alone on every node: configs, rules, sysctl, services."""
    prints = {}
    for name, host in lbs.items():
        state = host.check_output(
            "cat /etc/keepalived/keepalived.conf /etc/haproxy/haproxy.cfg /etc/sysctl.d/60-hapair-nonlocal-bind.conf;"
            " iptables -S;"
            # The services' settled states: a reload just asked for may still show as reloading.
            " for i in $(seq 50); do s=$(systemctl is-active haproxy keepalived);"
            " case $s in *activating*|*reloading*) sleep 0.2;; *) break;; esac; done; echo \"$s\";"
            # firewalld's rules, at runtime and permanently, where it runs (the firewalld scenario).
            # Sorted: firewalld lists a zone's rich rules in an order of its own, which a rule added
            # and removed again can change (their priorities, not that order, order them).
            # A listing that fails fails the fingerprint (sort alone would hide it).
            " if systemctl -q is-active firewalld; then z=$(firewall-cmd --get-zone-of-interface=eth0) ||"
            " z=$(firewall-cmd --get-default-zone); r=$(firewall-cmd --zone=$z --list-all) || exit 1;"
            " p=$(firewall-cmd --permanent --zone=$z --list-all) || exit 1; echo \"$r\" | sort; echo \"$p\" | sort; fi"
        )
        # The text itself, not a digest, so that a test that finds a change shows what changed;
        # but a line that may hold a password (auth_pass, stats auth, a userlist's) only as its digest.
        prints[name] = "\n".join("sha256:" + hashlib.sha256(line.encode()).hexdigest()
                                 if any(w in line for w in ("auth", "password", "secret")) else line
                                 for line in state.splitlines())
    return prints


def state_changes(before, after):
    """What differs between two fingerprints, node by node, as unified diffs (empty: nothing)."""
    return {name: "\n".join(difflib.unified_diff(before[name].splitlines(), after.get(name, "").splitlines(),
                                                 "before", "after", lineterm="", n=1))
            for name in before if before[name] != after.get(name)}


def served(lbs, vip, node):
    """node alone holds vip, and HTTP through it is answered."""
    answer = http_get(timeout=0.5, vip=vip)
    return answer is not None and answer[0] == 200 and holders(lbs, vip) == [node]


def crash_and_return(lbs, master, backup, vips=None, priority=240):
    """SIGKILL the master's container: each VIP (by default the scenario's) is served by the
    backup within the crash bound of its priority; then the master returns and, preempting,
    serves each VIP again within a minute. The master is started again also on failure."""
    vips = vips or [VIP]
    kill(master)
    try:
        for vip in vips:
            moved, _unused = wait_until(lambda: served(lbs, vip, backup), timeout=crash_bound(priority), interval=0.05)
            assert moved, f"{backup} did not serve {vip} within {crash_bound(priority):.2f} s: holders {holders(lbs, vip)}"
    finally:
        start(master)
    for vip in vips:
        assert wait_until(lambda: served(lbs, vip, master), timeout=60)[0], (vip, holders(lbs, vip))


def stop_and_hand_over(lbs, node, successor, timeout=3):
    """Stop keepalived on node: its priority-0 advert hands the scenario's VIP to successor,
    which alone serves it within timeout seconds. keepalived starts again, also on failure."""
    lbs[node].check_output("systemctl stop keepalived")
    try:
        assert wait_until(lambda: served(lbs, VIP, successor), timeout=timeout)[0], holders(lbs)
    finally:
        lbs[node].check_output("systemctl start keepalived")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test carries what the nodes saw: each running node's recent keepalived journal,
    its addresses, and the host's neighbour entry for the VIP, so a red CI explains itself."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name in LB_NODES:
        if not running(name):
            report.sections.append((name, "container not running"))
            continue
        done = subprocess.run(
            ["podman", "exec", name, "sh", "-c",
             "journalctl -u keepalived -n 25 --no-pager -o short-precise; ip -o addr show; date +%T.%N"],
            capture_output=True, text=True, timeout=30, check=False,
        )
        report.sections.append((f"{name}: keepalived journal, addresses, clock", done.stdout + done.stderr))
    family = "-6" if ":" in VIP else "-4"
    neigh = subprocess.run(["ip", family, "neigh", "show", VIP], capture_output=True, text=True, check=False).stdout
    report.sections.append(("this host's neighbour entry for the VIP", neigh or "(none)"))
