"""VRRP adverts on the wire: the parser on packets built to RFC 3768 and RFC 5798, the group's
judgement of what its nodes heard, and (as root) a real listen on loopback."""

import os
import random
import socket
import struct
import threading
import time

import pytest
from ansible_collections.hapair.loadbalancer.plugins.module_utils import vrrp_wire as w

PASSWORD = b"s3cret!!"


def v2(vrid=51, priority=250, vips=("192.0.2.100",), advert_int=1, auth=1, password=PASSWORD):
    body = struct.pack("!BBBBBBH", 0x21, vrid, priority, len(vips), auth, advert_int, 0)
    return body + b"".join(socket.inet_aton(v) for v in vips) + password


def v3(vrid=61, priority=250, vips=("fd00::100",), centis=100, family=6):
    kind = socket.AF_INET6 if family == 6 else socket.AF_INET
    body = struct.pack("!BBBBHH", 0x31, vrid, priority, len(vips), centis & 0x0FFF, 0)
    return body + b"".join(socket.inet_pton(kind, v) for v in vips)


def ipv4(payload, source="192.0.2.11", destination="224.0.0.18", protocol=112, fragment=0):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(payload), 0, fragment, 255, protocol, 0,
                         socket.inet_aton(source), socket.inet_aton(destination))
    return header + payload


def ipv6(payload, source="fe80::1", destination="ff02::12", next_header=112):
    header = struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, 255,
                         socket.inet_pton(socket.AF_INET6, source), socket.inet_pton(socket.AF_INET6, destination))
    return header + payload


def test_a_vrrpv2_advert_over_ipv4_without_its_password():
    advert = w.parse_packet(ipv4(v2(vips=("192.0.2.100", "192.0.2.101"))), 4)
    assert advert == {"family": 4, "source": "192.0.2.11", "destination": "224.0.0.18", "ttl": 255, "vrid": 51,
                      "version": 2, "priority": 250, "vip_count": 2, "vips": ["192.0.2.100", "192.0.2.101"],
                      "advert_int": 1.0, "auth_type": "PASS"}
    assert "s3cret" not in repr(advert)


def test_a_vrrpv3_advert_over_ipv6_and_over_ipv4():
    advert = w.parse_packet(ipv6(v3(centis=10)), 6)
    assert (advert["family"], advert["source"], advert["vrid"], advert["version"], advert["advert_int"],
            advert["vips"], advert["auth_type"]) == (6, "fe80::1", 61, 3, 0.1, ["fd00::100"], None)
    advert = w.parse_packet(ipv4(v3(vrid=7, vips=("192.0.2.7",), family=4)), 4)
    assert (advert["vrid"], advert["version"], advert["advert_int"], advert["vips"]) == (7, 3, 1.0, ["192.0.2.7"])


@pytest.mark.parametrize("packet, family", [
    (ipv4(v2(), protocol=17), 4),            # not VRRP
    (ipv4(v2(), fragment=1), 4),             # a fragment
    (ipv4(v2()[:10]), 4),                    # cut before its addresses end
    (ipv4(b"\x22" + v2()[1:]), 4),           # type 2: not an advertisement
    (ipv4(b"\x11" + v2()[1:]), 4),           # version 1
    (ipv6(v2(vips=())), 6),                  # VRRPv2 has no IPv6
    (ipv6(v3(), next_header=17), 6),
    (ipv4(v2()), 6),                         # an IPv4 packet read as IPv6
    (b"", 4),
    (ipv4(v2()), None),                      # neither family
])
def test_what_is_no_advert_is_none(packet, family):
    assert w.parse_packet(packet, family) is None


def test_the_parser_survives_any_bytes():
    rng = random.Random(112)
    seeds = [ipv4(v2()), ipv6(v3()), ipv4(v3(family=4, vips=("192.0.2.1",)))]
    for _unused in range(20000):
        packet = bytearray(rng.choice(seeds))
        for _unused in range(rng.randint(1, 6)):
            packet[rng.randrange(len(packet))] = rng.randrange(256)
        packet = bytes(packet[:rng.randint(0, len(packet))])
        w.parse_packet(packet, rng.choice([4, 6]))


def frame(interface, source, vrid=51, priority=100, family=4, vips=1):
    return (interface, {"family": family, "source": source, "destination": "224.0.0.18", "ttl": 255, "vrid": vrid,
                        "version": 2 if family == 4 else 3, "priority": priority, "vip_count": vips, "vips": [],
                        "advert_int": 1.0, "auth_type": "PASS" if family == 4 else None})


def test_summarize_one_entry_per_interface_family_and_vrid_with_bounded_sources():
    frames = [frame("eth0", "192.0.2.11", priority=250), frame("eth0", "192.0.2.11", priority=250),
              frame("eth0", "192.0.2.12", vips=3), frame("eth1", "192.0.2.11"), frame("eth0", "fe80::1", family=6)]
    frames += [frame("eth0", f"198.51.100.{n}", vrid=9) for n in range(1, 21)]
    heard = w.summarize(frames)
    assert [(e["interface"], e["family"], e["vrid"]) for e in heard] == [("eth0", 4, 9), ("eth0", 4, 51), ("eth0", 6, 51),
                                                                         ("eth1", 4, 51)]
    eth0 = heard[1]
    assert (eth0["adverts"], eth0["vip_count"], eth0["versions"], eth0["auth_types"]) == (3, 3, [2], ["PASS"])
    assert eth0["sources"] == [{"address": "192.0.2.11", "priority": 250}, {"address": "192.0.2.12", "priority": 100}]
    assert (len(heard[0]["sources"]), heard[0]["more_sources"]) == (w.MAX_SOURCES, 20 - w.MAX_SOURCES)


@pytest.mark.parametrize("value", [0, 3, "3", "0.5", 60, " 2 "])
def test_listening_times_that_hold(value):
    assert w.seconds_problems(value) == []


@pytest.mark.parametrize("value", [-1, "-0.1", 61, "abc", True, None, "nan", "inf", [3], ""])
def test_listening_times_refused_with_the_variable_and_the_value(value):
    problem, = w.seconds_problems(value)
    assert problem.startswith(f"keepalived_vrrp_scan_seconds is {value!r}:") and "from 0" in problem


def model():
    """Two members on eth0 (192.0.2.11/.12, lb1 also with 10.0.0.11 elsewhere): VI_A VRID 51, VI_6 VRID 61."""
    inst = [{"name": "VI_A", "virtual_router_id": 51, "family": 4, "interface": "eth0"},
            {"name": "VI_6", "virtual_router_id": 61, "family": 6, "interface": "eth0"}]
    return {"name": "lb", "members": ["lb1", "lb2"], "nodes": {"lb1": {"instances": inst}, "lb2": {"instances": inst}},
            "member_addresses": ["192.0.2.11", "192.0.2.12", "fe80::11", "fe80::12"],
            "host_addresses": ["10.0.0.11", "192.0.2.11", "192.0.2.12"]}


def scan_of(*frames_heard, error=None):
    return {"seconds": 3.0, "interfaces": ["eth0"], "heard": w.summarize(frames_heard), "frames": len(frames_heard),
            "error": error}


VRIDS = [{"interface": "eth0", "family": 4, "vrid": 51}, {"interface": "eth0", "family": 6, "vrid": 61}]


def test_scan_request_names_the_node_s_vrrp_interfaces_and_vrids():
    assert w.scan_request(model(), "lb1", "3") == {"interfaces": ["eth0"], "seconds": 3.0, "vrids": VRIDS}
    assert w.scan_request(model(), "lb1", 600)["seconds"] == w.MAX_SECONDS
    assert w.scan_request(model(), "lb1", 0) == {}
    assert w.scan_request(model(), "nobody", 3) == {}
    running = {"config": "/etc/keepalived/keepalived.conf", "service": "keepalived"}
    assert w.scan_request(model(), "lb1", 3, running)["unless_running"] == running
    assert "unless_running" not in w.scan_request(model(), "lb1", 3, None)


def conf(*instances):
    """A keepalived.conf as the role writes it, one vrrp_instance per (name, interface, vrid, vip)."""
    return "global_defs {\n  enable_script_security\n}\n" + "".join(
        f"vrrp_instance {name} {{\n  interface {interface}\n  virtual_router_id {vrid}\n  priority 250\n"
        f"  authentication {{\n    auth_type PASS\n    auth_pass s3cret\n  }}\n"
        f"  virtual_ipaddress {{\n    {vip} dev {interface}\n  }}\n}}\n"
        for name, interface, vrid, vip in instances)


RUNNING = conf(("VI_A", "eth0", 51, "192.0.2.100/24"), ("VI_6", "eth0", 61, "fd00::100/64"))


def test_a_node_already_running_every_vrid_on_its_interface_need_not_listen():
    reason = w.skip_reason(RUNNING, True, VRIDS, "/etc/keepalived/keepalived.conf")
    assert reason == ("keepalived runs every VRID this run gives the node, on the same interface "
                      "(/etc/keepalived/keepalived.conf): no VRID is new to the segment")
    # One VRID of two, and an instance more in the file: still none new.
    assert w.skip_reason(RUNNING, True, VRIDS[:1])


@pytest.mark.parametrize("text, active, vrids", [
    (RUNNING, False, VRIDS),                                                    # keepalived stopped: not on the wire
    (None, True, VRIDS),                                                        # no keepalived.conf yet
    ("", True, VRIDS),
    (RUNNING, True, VRIDS + [{"interface": "eth0", "family": 4, "vrid": 52}]),  # a new VRID
    (RUNNING, True, [{"interface": "eth1", "family": 4, "vrid": 51}]),          # a VRID moved to another interface
    (RUNNING, True, [{"interface": "eth0", "family": 6, "vrid": 51}]),          # the other family's 51 is new
    (conf(("VI_A", "eth0", 52, "192.0.2.100/24")), True, VRIDS[:1]),
    # An instance runs in the family of its first VIP: its VRID is not running in the other family.
    (conf(("VI_X", "eth0", 61, "192.0.2.100/24"), ("VI_Y", "eth0", 62, "fd00::1/64")), True, VRIDS[1:]),
    (RUNNING, True, []),                                                        # nothing asked: listen as asked
    (RUNNING, True, [{"interface": "eth0", "vrid": "x"}]),                      # no such request: listen
])
def test_a_node_listens_where_the_run_brings_a_vrid_new_to_it(text, active, vrids):
    assert w.skip_reason(text, active, vrids) is None


def test_a_node_that_did_not_listen_says_why_and_collides_with_nothing():
    skipped = {"seconds": 0.0, "interfaces": ["eth0"], "heard": [], "frames": 0, "error": None, "skipped": "no VRID is new"}
    assert w.heard_lines(model(), {"lb1": skipped}) == ["lb1: did not listen: no VRID is new"]
    assert w.collisions(model(), {"lb1": skipped}) == []


def test_the_group_s_own_adverts_pass_also_from_any_member_address_and_an_old_vrid():
    ours = scan_of(frame("eth0", "192.0.2.11", priority=250), frame("eth0", "10.0.0.11"), frame("eth0", "192.0.2.12", vrid=50),
                   frame("eth0", "fe80::12", vrid=61, family=6))
    assert w.collisions(model(), {"lb1": ours, "lb2": ours}) == []


def test_a_stranger_on_our_vrid_is_named_with_the_nodes_that_heard_it_and_free_vrids():
    heard = scan_of(frame("eth0", "192.0.2.12", priority=240), frame("eth0", "192.0.2.99"), frame("eth0", "192.0.2.98", vrid=1))
    problem, = w.collisions(model(), {"lb1": heard, "lb2": heard})
    assert problem.startswith("virtual_router_id 51 (IPv4), which instance VI_A uses, is already used on the segment: "
                              "lb1, lb2 heard its adverts from 192.0.2.99, outside group 'lb'.")
    # 1 was heard, 51 is ours: neither is offered.
    assert "(none was heard of 2, 3, 4, 5, 6)" in problem and "Give VI_A a virtual_router_id" in problem


def test_a_stranger_on_another_interface_or_family_or_vrid_is_no_collision():
    heard = scan_of(frame("eth1", "192.0.2.99"), frame("eth0", "fe80::99", vrid=51, family=6), frame("eth0", "192.0.2.99", vrid=52))
    assert w.collisions(model(), {"lb1": heard}) == []
    problem, = w.collisions(model(), {"lb1": scan_of(frame("eth0", "fe80::99", vrid=61, family=6))})
    assert problem.startswith("virtual_router_id 61 (IPv6), which instance VI_6 uses")


def test_a_node_that_could_not_listen_is_named_with_the_fix():
    problems = w.collisions(model(), {"lb1": scan_of(error="cannot open a packet socket"),
                                      "lb2": {"failed": True, "msg": "'eth9' is no network interface of this host"}})
    assert problems[0].startswith("lb1 could not listen for VRRP adverts: cannot open a packet socket.")
    assert "keepalived_vrrp_scan_seconds to 0" in problems[0]
    assert problems[1].startswith("lb2 could not listen for VRRP adverts: 'eth9' is no network interface")


def test_heard_lines_mark_the_group_s_own_sources():
    lines = w.heard_lines(model(), {"lb1": scan_of(frame("eth0", "192.0.2.12", priority=240), frame("eth0", "192.0.2.99")),
                                    "lb2": scan_of()})
    assert lines == ["lb1 (eth0): VRID 51 IPv4 VRRPv2 from 192.0.2.12 (ours, priority 240), 192.0.2.99 (priority 100); "
                     "1 VIP(s), an advert every 1 s",
                     "lb2 (eth0): no VRRP advert heard in 3 s"]


def test_free_vrids():
    assert w.free_vrids({1, 2, 4}) == [3, 5, 6, 7, 8]
    assert w.free_vrids(set(range(1, 255))) == [255]


@pytest.mark.skipif(os.geteuid() != 0, reason="a packet socket needs root")
def test_a_real_listen_on_loopback_hears_an_advert_and_nothing_else(loopback_vrrp):
    got = {}
    listener = threading.Thread(target=lambda: got.update(w.scan(1.5, ["lo"])))
    listener.start()
    time.sleep(0.3)
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, 112) as raw, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        raw.sendto(v2(vrid=77, priority=123), ("127.0.0.1", 0))
        udp.sendto(v2(vrid=78), ("127.0.0.1", 9))
    listener.join(timeout=10)
    assert got["error"] is None
    entry, = got["heard"]
    assert (entry["interface"], entry["vrid"], entry["sources"], entry["adverts"]) == (
        "lo", 77, [{"address": "127.0.0.1", "priority": 123}], 1)


def test_listen_is_bounded_in_time():
    start = time.monotonic()
    result = w.listen(0.3, ["lo"]) if os.geteuid() == 0 else {"error": None}
    assert time.monotonic() - start < 2 and result["error"] is None
