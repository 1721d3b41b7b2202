"""VRIDs taken on the segment: a foreign keepalived on a backend, with VI_B's VRID (52) and another
password, is heard by vrrp_scan, and site.yml refuses the VRID in its first play with no host
changed; the same run passes once it is gone."""

import json
import os
import re

import pytest
import testinfra
from conftest import BACKENDS, INVENTORY, LB_NODES, ansible_json, fingerprint, recap, run_site, wait_until

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
  virtual_router_id 52
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
    """keepalived on a backend, advertising VRID 52 (it sends adverts only as MASTER: wait for
    its VIP); stopped and removed afterwards, also when a test fails."""
    host = testinfra.get_host(f"podman://{FOREIGN}")
    install = host.run("command -v keepalived || (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq"
                       " && apt-get install -y -qq --no-install-recommends keepalived)")
    assert install.rc == 0, install.stderr[-2000:]
    host.run("mkdir -p /etc/keepalived")
    host.run(f"cat > /etc/keepalived/keepalived.conf <<'EOF'\n{FOREIGN_CONF}EOF")
    host.run("systemctl restart keepalived")
    try:
        advertising, _ = wait_until(lambda: FOREIGN_VIP in host.check_output("ip -4 -o addr show dev eth0"), timeout=20)
        assert advertising, f"the foreign keepalived on {FOREIGN} did not become MASTER of VRID 52"
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
    sources = {s["address"]: s["priority"] for s in heard[(4, 52)]["sources"]}
    # VI_B's MASTER (the second node) and the stranger, each at its own priority.
    assert sources.get(foreigner["address"]) == 100, heard
    assert sources.get(f"{NET}.12") == 250, heard
    assert heard[(4, 52)]["versions"] == [2] and heard[(4, 52)]["auth_types"] == ["PASS"]
    assert "other123" not in json.dumps(result)


def test_site_refuses_the_taken_vrid_in_its_first_play_with_no_host_changed(lbs, foreigner):
    before = fingerprint(lbs)
    rc, out = run_site()
    assert rc != 0, out[-3000:]
    assert "virtual_router_id 52 (IPv4), which instance VI_B uses, is already used on the segment" in out, out[-4000:]
    assert re.search(rf"heard its adverts from {re.escape(foreigner['address'])}, outside group 'lb'", out), out[-4000:]
    assert "Give VI_B a virtual_router_id no one uses" in out
    # The first play stopped it: no later play ran, no task changed anything, no file moved.
    assert "PLAY [Prepare every node]" not in out
    assert all("changed=0" in line for line in recap(out)), recap(out)
    assert fingerprint(lbs) == before


def test_without_the_stranger_the_same_run_passes_and_lists_the_group(lbs, foreigner):
    stop(foreigner["host"])
    # Its last advert is gone from every node's scan once the listen starts after it.
    rc, out = run_site()
    assert rc == 0, out[-4000:]
    assert f"VRID 51 IPv4 VRRPv2 from {NET}.11 (ours, priority 250)" in out, out[-6000:]
    assert all("changed=0" in line for line in recap(out)), recap(out)
