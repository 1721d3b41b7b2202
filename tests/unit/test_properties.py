"""Property tests: generated inventories over the whole variable space, valid and not.

For every one, either the roles' checks (the four preflights, run by Ansible as site.yml runs
them) refuse it with a message that names a variable, or both daemons' checkers accept every
file the roles render and the group keeps its invariants: one MASTER per instance, no VIP on a
member's address, each (address, port) HAProxy binds used once, every priority within 1..254,
and the check weight moving the VIP as meant (on a healthy group the MASTER alone has the
highest priority; its HAProxy down, another node's is higher). Each example is one
ansible-playbook run (tests/unit/properties.yml, about 3 s), so CI runs a bounded, seeded number (HAPAIR_PROPERTY_EXAMPLES, 20 by default, split
over two seeds); `make properties` runs many more. Hypothesis does not shrink (each step would be
another run): a failing example is printed whole, and is reproduced by its seed and count.
"""

import ipaddress
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml
from conftest import COLLECTIONS, ROOT, UNIT, WORK, default_interface
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from template_checks import haproxy_check, keepalived_check

EXAMPLES = int(os.environ.get("HAPAIR_PROPERTY_EXAMPLES", "20"))
SEEDS = (20261206, 4242)
MEMBERS = {"lb1": "192.0.2.11", "lb2": "192.0.2.12"}
# A variable of the collection, as a refusal must name one.
NO_MESSAGE = "no message"
# A variable of the collection, as a refusal must name one: every option of the roles' argument
# specs (a filter's name, such as haproxy_problems in a crash, is none).
KNOWN = set()
for _spec in (ROOT / "roles").glob("*/meta/argument_specs.yml"):
    for _entry in yaml.safe_load(_spec.read_text())["argument_specs"].values():
        KNOWN |= set((_entry or {}).get("options") or {})
VARIABLE = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, KNOWN), key=len, reverse=True)) + r")\b")
# What a crash says instead of a refusal.
CRASH = re.compile(r"plugin .* failed|Traceback|object of type|has no attribute|is undefined")

# Each value is drawn from good values, and a few per inventory are then made bad, from values
# of every bad class: a bad character for its file, a collision with the group, a sign or size
# that moves the VIP, and the same value as `-e` would give it (a string).
GOOD_VIPS = ["192.0.2.100/24", "192.0.2.101/24", "192.0.2.102/24", "192.0.2.103/24"]
BAD_VIPS = ["192.0.2.11/24", "192.0.2.0/24", "192.0.2.255/24", "198.51.100.5/24", "bogus", "192.0.2.100/33", "::1/128"]
VRIDS = [51, 52]
BAD_VRIDS = [0, 256, -1, "x", 51.5, True]
NAMES = ["VI_1", "VI_2", "web", "api.v2"]
BAD_NAMES = ["", "VI 1", "VI#1", 'VI"1', "VI{1", "x" * 70, "VI\n1"]
PASSWORDS = ["s3cret", "a", "12345678", "p-w_d.!"]
BAD_PASSWORDS = ["", "much-too-long", "two words", "hash#in", "quote'd", "brace{", "line\nbreak", "é"]
# An instance's own priority is every node's: never good for a pair (they must differ).
PRIORITIES = [None]
BAD_PRIORITIES = [0, 255, -5, "high", 1000]
WEIGHTS = [None, -60, -100, 60, "-60", 0]
BAD_WEIGHTS = [-1, 1, 300, -300, "heavy", 254]
ADVERTS = [None, 1, 2, "1"]
BAD_ADVERTS = [0, -1, 0.5, 300, "fast"]
BAD_BIND_ADDRESSES = ["*", "0.0.0.0", "192.0.2.11", "127.0.0.1", "bad addr", "192.0.2.100 ssl"]
PORTS = [80, 443, 8080, "8443"]
BAD_PORTS = [0, 70000, -80, "http", 8404]
OPTIONS = ["option http-server-close", "timeout client 5s", "http-request set-header X-Test 1"]
# A free-form line stays free-form: what it means is haproxy -c's to judge during the rollout
# (tests/unit/test_templates.py, and the molecule scenario's rejected change). Only its grammar
# is the checks': one entry, one line.
BAD_OPTIONS = ["bad\nline", "bad\rline", "two\n\nlines"]
SERVERS = ["192.0.2.21", "192.0.2.22", "2001:db8::21"]
BAD_SERVERS = ["bad host", "192.0.2.21 backup", "", "192.0.2.21#x"]
MODES = [None, "http", "tcp"]
BAD_MODES = ["htt p", "udp", "http\nx"]
BALANCES = [None, "roundrobin", "leastconn", "source"]
BAD_BALANCES = ["round robin\nx", "{", "nonsense"]


class Slots:
    """Each value set in a generated inventory, with the bad values its place can take: the
    inventory is drawn good, then a few of its values (most often none) are made bad."""

    def __init__(self, draw):
        self.draw, self.places = draw, []

    def set(self, container, key, good, bad, optional=False):
        value = self.draw(st.sampled_from(good))
        if value is not None or not optional:
            container[key] = value
        self.places.append((container, key, bad))
        return value

    def spoil(self):
        """Make none, one or two of the values bad: one alone is the sharpest test of the check
        that must catch it, which another bad value cannot hide."""
        for _unused in range(self.draw(st.sampled_from([0, 1, 1, 2]))):
            container, key, bad = self.places[self.draw(st.integers(0, len(self.places) - 1))]
            container[key] = self.draw(st.sampled_from(bad))


def instance(slots, index):
    item = {}
    slots.set(item, "name", NAMES[index:index + 1], BAD_NAMES)
    slots.set(item, "virtual_router_id", VRIDS[index:index + 1] + [str(VRIDS[index])], BAD_VRIDS)
    item["vips"] = []
    for n in range(slots.draw(st.integers(1, 2))):
        item["vips"].append(None)
        slots.set(item["vips"], n, GOOD_VIPS[index * 2 + n:index * 2 + n + 1], BAD_VIPS)
    for key, good, bad in (("priority", PRIORITIES, BAD_PRIORITIES), ("auth_pass", [None, "inst-pw"], BAD_PASSWORDS),
                           ("unicast", [None, True, "true", False], ["maybe"]), ("master", [None, "lb2"], ["lb9"]),
                           ("track_haproxy", [None, False, True], ["sometimes"])):
        slots.set(item, key, good, bad, optional=True)
    return item


@st.composite
def inventory(draw):
    """The variables of one pair, as its group_vars would give them."""
    slots = Slots(draw)
    values = {"keepalived_instances": [instance(slots, i) for i in range(draw(st.integers(1, 2)))]}
    slots.set(values, "keepalived_auth_pass", PASSWORDS, BAD_PASSWORDS)
    backend = {}
    slots.set(backend, "name", ["web", "app"], BAD_NAMES)
    backend["servers"] = []
    for n in range(draw(st.integers(1, 2))):
        server = {"name": f"web{n}"}
        slots.set(server, "address", SERVERS, BAD_SERVERS)
        slots.set(server, "port", [8080, 80], BAD_PORTS)
        backend["servers"].append(server)
    frontend = {"binds": []}
    slots.set(frontend, "name", ["http_in", "front"], BAD_NAMES)
    # The backend's name, whatever it has become (resolved below), unless made bad itself.
    slots.set(frontend, "default_backend", ["@backend"], ["missing"])
    for n in range(draw(st.integers(1, 2))):
        bind = {}
        # A good bind is on an instance's first VIP, whatever it has become (resolved below): so
        # a bad VIP reaches the keepalived checks instead of HAProxy's "no VIP" refusal.
        slots.set(bind, "address", [f"@{n}"], BAD_BIND_ADDRESSES)
        slots.set(bind, "port", PORTS, BAD_PORTS)
        frontend["binds"].append(bind)
    slots.set(frontend, "mode", MODES, BAD_MODES, optional=True)
    slots.set(backend, "balance", BALANCES, BAD_BALANCES, optional=True)
    for item in (frontend, backend):
        lines = draw(st.lists(st.sampled_from(OPTIONS), max_size=2))
        if lines:
            item["options"] = lines
            slots.set(item["options"], 0, lines[:1], BAD_OPTIONS)
    values["haproxy_frontends"], values["haproxy_backends"] = [frontend], [backend]
    for key, good, bad in (("keepalived_check_weight", WEIGHTS, BAD_WEIGHTS),
                           ("keepalived_advert_int", ADVERTS, BAD_ADVERTS),
                           ("keepalived_priority_base", [None, 100, 150, "100"], [0, 300, -1, "lots"]),
                           ("keepalived_priority_step", [None, 10, 50], [0, -10, 200]),
                           ("haproxy_stats_port", [None, 8404, 9000], [0, 80, 65536, "stats"]),
                           ("haproxy_stats_password", [None, "St4ts"], BAD_PASSWORDS)):
        slots.set(values, key, good, bad, optional=True)
    if "haproxy_stats_password" in values:
        values["haproxy_stats_user"] = "admin"
    slots.spoil()
    if frontend.get("default_backend") == "@backend":
        frontend["default_backend"] = backend["name"]
    instances = values["keepalived_instances"]
    for bind in frontend["binds"]:
        if str(bind.get("address")).startswith("@"):
            owner = instances[min(int(bind["address"][1:]), len(instances) - 1)]
            vips = owner.get("vips") if isinstance(owner, dict) else None
            bind["address"] = str(vips[0]).split("/", maxsplit=1)[0] if vips else "192.0.2.100"
    return values


def run_example(values, out):
    """The checks, then the rendered files: {host: refusal text or None}."""
    if out.exists():
        shutil.rmtree(out)
    for host in MEMBERS:
        (out / host).mkdir(parents=True)
    sample = out / "inventory.json"
    sample.write_text(json.dumps(values))
    extra = {"out": str(out), "keepalived_interface": default_interface(), "keepalived_script_user": "nobody",
             "__keepalived_helper": str(out / "lb1" / "hapair-keepalived")}
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS)}
    result = subprocess.run(["ansible-playbook", "-i", str(UNIT / "inventory.yml"), str(UNIT / "properties.yml"),
                             "-e", f"@{sample}", "-e", json.dumps(extra)],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)
    refusals = {host: (out / host / "refused.txt").read_text() if (out / host / "refused.txt").exists() else None
                for host in MEMBERS}
    rendered = all((out / host / "haproxy.cfg").exists() for host in MEMBERS)
    assert result.returncode == 0 or any(refusals.values()), result.stdout[-3000:] + result.stderr[-2000:]
    assert any(refusals.values()) or rendered, result.stdout[-3000:]
    return refusals


def instances_of(conf):
    """{instance: (state, priority, [vips], tracks the check)} from a rendered keepalived.conf."""
    found = {}
    for name, body in re.findall(r"vrrp_instance (\S+) \{(.*?)\n\}", conf, re.S):
        state = re.search(r"\n\s*state (\S+)", body).group(1)
        priority = int(re.search(r"\n\s*priority (\S+)", body).group(1))
        block = body.split("virtual_ipaddress {", 1)[1].split("}", 1)[0] if "virtual_ipaddress {" in body else ""
        found[name] = (state, priority, re.findall(r"^\s+(\S+/\d+)", block, re.M), "track_script" in body)
    return found


def check_weight(conf):
    """The weight of the HAProxy check a rendered keepalived.conf defines, or 0."""
    found = re.search(r"vrrp_script \S+ \{[^}]*?\n\s*weight (-?\d+)", conf, re.S)
    return int(found.group(1)) if found else 0


def binds_of(cfg):
    """(address, port) of each bind line of a rendered haproxy.cfg."""
    out = []
    for line in re.findall(r"^\s+bind (\S+)", cfg, re.M):
        host, _unused, port = line.rpartition(":")
        out.append((host.strip("[]"), int(port)))
    return out


def judge(values, out, refusals):
    if any(refusals.values()):
        # A check across the group runs once (run_once) and its message is printed once; the
        # other node then carries the failure without the message.
        texts = {host: text for host, text in refusals.items() if text not in (None, NO_MESSAGE)}
        assert texts, f"a refusal without a message: {refusals}\n{values}"
        for host, text in texts.items():
            assert VARIABLE.search(text), f"{host}: the refusal names no variable: {text}\n{values}"
            assert not CRASH.search(text), f"{host}: a crash, not a refusal: {text}\n{values}"
        return "refused"
    confs = {}
    for host in MEMBERS:
        ok, messages = keepalived_check(out / "lb1" / "hapair-keepalived", out / host / "keepalived.conf")
        assert ok, f"{host}: keepalived -t refused what the checks passed: {messages}\n{values}"
        ok, messages = haproxy_check(out / host / "haproxy.cfg")
        assert ok, f"{host}: haproxy -c refused what the checks passed: {messages}\n{values}"
        confs[host] = (out / host / "keepalived.conf").read_text()
        binds = binds_of((out / host / "haproxy.cfg").read_text())
        assert len(binds) == len(set(binds)), f"{host}: an (address, port) is bound twice: {binds}\n{values}"
        for address, port in binds:
            if address in ("", "*", "0.0.0.0", "::"):
                assert [b for b in binds if b[1] == port] == [(address, port)], f"{host}: a wildcard shares port {port}"
    per_node = {host: instances_of(conf) for host, conf in confs.items()}
    names = set().union(*(set(found) for found in per_node.values()))
    # Every instance of the inventory is in both files (the parse found them all).
    assert names == {i["name"] for i in values["keepalived_instances"]}, f"{names}\n{values}"
    assert all(set(found) == names for found in per_node.values()), per_node
    members = {ipaddress.ip_address(a) for a in MEMBERS.values()}
    for name in names:
        nodes = {host: per_node[host][name] for host in MEMBERS if name in per_node[host]}
        states = [state for state, _unused, _unused, _unused in nodes.values()]
        # (The generator sets no nopreempt, where every node would start as BACKUP.)
        assert states.count("MASTER") == 1, f"{name}: states {states}\n{values}"
        for host, (_unused, priority, vips, _unused) in nodes.items():
            assert 1 <= priority <= 254, f"{host} {name}: priority {priority}\n{values}"
            for vip in vips:
                assert ipaddress.ip_interface(vip).ip not in members, f"{name}: VIP {vip} is a member's address\n{values}"
        # Who holds the VIP, with the check's weight as keepalived applies it (the sum, kept
        # within 1..254): on a healthy group the MASTER alone has the highest priority; when the
        # MASTER's HAProxy is down, another node's is higher (weight 0 puts it in FAULT instead).

        def effective(host, healthy):
            _unused, priority, _unused, tracks = nodes[host]
            weight = check_weight(confs[host]) if tracks else 0
            return max(1, min(254, priority + (max(weight, 0) if healthy else min(weight, 0))))
        if "MASTER" in states:
            master = next(host for host, node in nodes.items() if node[0] == "MASTER")
            healthy = {host: effective(host, True) for host in nodes}
            top = max(healthy.values())
            assert [h for h, p in healthy.items() if p == top] == [master], f"{name}: healthy priorities {healthy}\n{values}"
            weight = check_weight(confs[master]) if nodes[master][3] else 0
            if weight:
                others = [effective(host, True) for host in nodes if host != master]
                assert max(others) > effective(master, False), \
                    f"{name}: {master}'s HAProxy down leaves it at {effective(master, False)}, others {others}\n{values}"
    return "accepted"


@pytest.mark.parametrize("which", range(len(SEEDS)))
def test_every_inventory_is_refused_by_name_or_passes_both_checkers(which):
    out = WORK / f"properties-{which}"
    seen = []

    @seed(SEEDS[which])
    @settings(max_examples=max(1, EXAMPLES // len(SEEDS)), deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(inventory())
    def one(values):
        seen.append(judge(values, out, run_example(values, out)))

    one()
    summary = f"seed {SEEDS[which]}: {len(seen)} examples, {seen.count('accepted')} accepted, {seen.count('refused')} refused"
    (WORK.parent / f"properties-summary-{which}.txt").write_text(summary + "\n")
    # Both outcomes occur: a generator that only ever makes bad (or only good) inventories proves little.
    assert len(seen) < 6 or 0 < seen.count("accepted") < len(seen), summary
