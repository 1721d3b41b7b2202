"""VRIDs taken on the segment: a foreign keepalived on a backend, with VRID 53 and another password,
is heard by vrrp_scan; a run that would move VI_B to VRID 53 listens before any host changes, and
site.yml refuses the VRID in its first play with no host changed; an unchanged run brings no VRID
new to a node, so it does not listen, and passes beside the stranger."""

import json
import os
import re

import pytest
import testinfra
from conftest import BACKENDS, EXTRA_VARS, INVENTORY, LB_NODES, ansible_json, fingerprint, recap, run_site, wait_until

pytestmark = pytest.mark.scenarios("active_active",)

VIP_A = (os.environ.get("HAPAIR_VIPS", "") + ",").split(",")[0]
NET = VIP_A.rsplit(".", 1)[0]
FOREIGN = BACKENDS[0]
FOREIGN_VIP = f"{NET}.150"
FOREIGN_CONF = f"""global_defs {{
  router_id foreigner
}}
vrrp_instance FOREIGN {{
  state MASTER
  interface eth0
  virtual_router_id 53
  priority 100
  advert_int 1
  authentication {{
    auth_type PASS
    auth_pass other123
  }}
  virtual_ipaddress {{
    {FOREIGN_VIP}/24
  }}
}}
"""


def foreign_address(host):
    return host.check_output("ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -n1")


@pytest.fixture(scope="module")
def foreigner():
    """keepalived on a backend, advertising VRID 53 (it sends adverts only as MASTER: wait for
    its VIP); stopped and removed afterwards, also when a test fails."""
    host = testinfra.get_host(f"podman://{FOREIGN}")
    install = host.run("command -v keepalived || (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq"
                       " && apt-get install -y -qq --no-install-recommends keepalived)")
    assert install.rc == 0, install.stderr[-2000:]
    host.run("mkdir -p /etc/keepalived")
    host.run(f"cat > /etc/keepalived/keepalived.conf <<'EOF'\n{FOREIGN_CONF}EOF")
    host.run("systemctl restart keepalived")
    try:
        advertising, _unused = wait_until(lambda: FOREIGN_VIP in host.check_output("ip -4 -o addr show dev eth0"), timeout=20)
        assert advertising, f"the foreign keepalived on {FOREIGN} did not become MASTER of VRID 53"
        yield {"host": host, "address": foreign_address(host)}
    finally:
        stop(host)


def stop(host):
    host.run("systemctl stop keepalived; rm -f /etc/keepalived/keepalived.conf")


def test_the_scan_lists_the_group_s_adverts_and_the_stranger_s(foreigner):
    rc, out = ansible_json(["ansible", "-i", INVENTORY, LB_NODES[0], "-m", "hapair.loadbalancer.vrrp_scan",
                            "-a", json.dumps({"interfaces": ["eth0"], "seconds": 3})])
    result = out["plays"][0]["tasks"][0]["hosts"][LB_NODES[0]]
    assert rc == 0 and not result.get("failed"), result
    heard = {(e["family"], e["vrid"]): e for e in result["heard"]}
    # VI_B's MASTER (the second node), and the stranger, each at its own priority.
    assert {s["address"]: s["priority"] for s in heard[(4, 52)]["sources"]} == {f"{NET}.12": 250}, heard
    assert {s["address"]: s["priority"] for s in heard[(4, 53)]["sources"]} == {foreigner["address"]: 100}, heard
    assert heard[(4, 53)]["versions"] == [2] and heard[(4, 53)]["auth_types"] == ["PASS"]
    assert "other123" not in json.dumps(result)


def vi_b_on(vrid):
    """The scenario's instances with VI_B on another VRID, as -e gives them."""
    instances = json.loads(EXTRA_VARS)["keepalived_instances"]
    return json.dumps({"keepalived_instances": [dict(i, virtual_router_id=vrid) if i["name"] == "VI_B" else i
                                                for i in instances]})


def test_site_refuses_a_taken_vrid_in_its_first_play_with_no_host_changed(lbs, foreigner):
    before = fingerprint(lbs)
    rc, out = run_site("-e", vi_b_on(53))
    assert rc != 0, out[-3000:]
    assert "virtual_router_id 53 (IPv4), which instance VI_B uses, is already used on the segment" in out, out[-4000:]
    assert re.search(rf"heard its adverts from {re.escape(foreigner['address'])}, outside group 'lb'", out), out[-4000:]
    assert "Give VI_B a virtual_router_id no one uses" in out
    # Every node listened (VRID 53 is new to both), and lists what it heard, the group's own marked.
    assert f"VRID 51 IPv4 VRRPv2 from {NET}.11 (ours, priority 250)" in out, out[-6000:]
    # The first play stopped it: no later play ran, no task changed anything, no file moved.
    assert "PLAY [Prepare every node]" not in out
    assert all("changed=0" in line for line in recap(out)), recap(out)
    assert fingerprint(lbs) == before


def test_an_unchanged_run_brings_no_new_vrid_does_not_listen_and_passes(lbs, foreigner):
    rc, out = run_site()
    assert rc == 0, out[-4000:]
    for node in LB_NODES:
        assert f"{node}: did not listen: keepalived runs every VRID this run gives the node" in out, out[-6000:]
    assert "is already used on the segment" not in out
    assert all("changed=0" in line for line in recap(out)), recap(out)
