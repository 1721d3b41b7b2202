"""A run limited to some members (--limit): the group model still covers every member, a change
for one node alone is applied there, and a change that needs every node is refused."""

import json

import pytest
from conftest import LB_NODES, VIP, fingerprint, holders, recap, run_site

pytestmark = pytest.mark.scenarios("default",)

MASTER, BACKUP = LB_NODES[0], LB_NODES[1]
NET = VIP.rsplit(".", 1)[0]


def test_a_haproxy_change_for_one_node_uses_the_other_members_facts(lbs):
    try:
        rc, out = run_site("--limit", BACKUP, "-e", "haproxy_timeout_client=31s")
        assert rc == 0, out[-3000:]
        # The model covers the member outside the run, and says how it knows it.
        assert f"{MASTER} is outside this play: its facts and inventory variables were used" in out, out[-3000:]
        assert "timeout client 31s" in lbs[BACKUP].file("/etc/haproxy/haproxy.cfg").content_string
        assert "timeout client 31s" not in lbs[MASTER].file("/etc/haproxy/haproxy.cfg").content_string
        assert [line.split()[0] for line in recap(out)] == [BACKUP]
        # The verdict of the limited run reads the member outside it: the MASTER still holds the VIP.
        assert f"VIP {VIP} (VI_1) is held by {MASTER}" in out, out[-2000:]
        assert holders(lbs) == [MASTER]
    finally:
        rc, out = run_site()
        assert rc == 0, out[-3000:]
    assert "timeout client 31s" not in lbs[BACKUP].file("/etc/haproxy/haproxy.cfg").content_string


def test_a_change_to_the_adverts_is_refused_for_one_node(lbs):
    before = fingerprint(lbs)
    more_vips = {"keepalived_instances": [{"name": "VI_1", "virtual_router_id": 51,
                                           "vips": [f"{VIP}/24", f"{NET}.101/24"]}]}
    rc, out = run_site("--limit", BACKUP, "-e", json.dumps(more_vips))
    assert rc != 0, out[-2000:]
    assert "but the change needs every member of group 'lb' at once: instance VI_1 changes its adverts" in out, out[-3000:]
    assert f"and {MASTER}, outside the run, still advertises the old way" in out
    assert "PLAY [Prepare every node]" not in out
    assert all("changed=0" in line for line in recap(out)), recap(out)
    assert fingerprint(lbs) == before


def test_a_password_change_is_refused_for_one_node_and_never_shown(lbs):
    before = fingerprint(lbs)
    rc, out = run_site("--limit", BACKUP, "-e", "keepalived_auth_pass=n3wP4ss", "-v")
    assert rc != 0, out[-2000:]
    assert f"instance VI_1 changes its password, and {MASTER}, outside the run, still uses the old one" in out, out[-3000:]
    assert "n3wP4ss" not in out and "lab-vrrp" not in out
    assert fingerprint(lbs) == before


def test_a_group_of_one_node_is_refused_unless_intended(lbs, tmp_path):
    """A group of one (here the MASTER alone, from an inventory of the user's) has nothing to take
    its VIPs over: refused, naming the way out, before any host changes."""
    solo = tmp_path / "solo.yml"
    solo.write_text(json.dumps({"solo": {"hosts": {MASTER: None}}}))
    before = fingerprint(lbs)
    rc, out = run_site("-i", str(solo), "-e", "hapair_lb_group=solo")
    assert rc != 0, out[-2000:]
    assert f"Group 'solo' has one member, {MASTER}: nothing takes its VIPs over when it fails" in out, out[-3000:]
    assert "set lb_group_single_node: true if a single node is intended" in out
    assert "PLAY [Prepare every node]" not in out
    assert all("changed=0" in line for line in recap(out)), recap(out)
    assert fingerprint(lbs) == before
