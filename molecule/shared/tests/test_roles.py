"""The roles on their own, in a user's plays: each entry point works by itself, and a role that
needs another says what is missing before it changes anything."""

import pytest
from conftest import LB_NODES, ROOT, fingerprint, recap, run_playbook

pytestmark = pytest.mark.scenarios("roles",)

MASTER, BACKUP = LB_NODES[0], LB_NODES[1]
DATA = ROOT / "molecule" / "shared" / "tests" / "data"


def test_one_step_of_each_role_through_include_role(lbs):
    """tasks_from configure.yml alone: the OS values and the group model come with it."""
    rc, out = run_playbook(DATA / "include-configure.yml")
    assert rc == 0, out[-3000:]
    assert recap(out) and all("changed=0" in line for line in recap(out)), recap(out)


def test_haproxy_alone_says_it_needs_the_non_local_bind(lbs):
    backup = lbs[BACKUP]
    before = backup.check_output("sha256sum /etc/haproxy/haproxy.cfg")
    backup.check_output("sysctl -w net.ipv4.ip_nonlocal_bind=0")
    try:
        rc, out = run_playbook(DATA / "haproxy-alone.yml", "--limit", BACKUP, "-e", "haproxy_timeout_client=32s")
        assert rc != 0, out[-2000:]
        assert "net.ipv4.ip_nonlocal_bind is 0: HAProxy could not bind them. Run the role hapair.loadbalancer.nonlocal_bind" in out, out[-3000:]
        assert backup.check_output("sha256sum /etc/haproxy/haproxy.cfg") == before
    finally:
        backup.check_output("sysctl -w net.ipv4.ip_nonlocal_bind=1")


def test_a_misspelt_variable_is_named_with_the_one_meant(lbs):
    """The roles in the user's play (serial 1), with two misspelt variables: each role names the
    one it would have read, and nothing changes (Ansible itself ignores them without a word)."""
    before = fingerprint(lbs)
    rc, out = run_playbook(ROOT / "molecule" / "roles" / "converge.yml",
                           "-e", "keepalived_instance=[] haproxy_timout_client=5s")
    assert rc == 0, out[-3000:]
    assert ("keepalived_instance is set, but the keepalived role has no such variable, so it is ignored: "
            "did you mean keepalived_instances?") in out, out[-3000:]
    assert ("haproxy_timout_client is set, but the haproxy role has no such variable, so it is ignored: "
            "did you mean haproxy_timeout_client?") in out, out[-3000:]
    assert recap(out) and all("changed=0" in line for line in recap(out)), recap(out)
    assert fingerprint(lbs) == before


def test_a_commit_split_over_batches_is_refused(lbs):
    """Staged on every member, then committed in a play with serial 1: the first batch refuses,
    naming the member it lacks, and no member's live keepalived.conf changes."""
    before = fingerprint(lbs)
    try:
        rc, out = run_playbook(DATA / "commit-serially.yml")
        assert rc != 0, out[-3000:]
        assert f"{BACKUP} of group 'lb' also has a staged keepalived.conf" in out, out[-3000:]
        for host in lbs.values():
            assert host.file("/etc/keepalived/keepalived.conf.hapair-staged").exists
        assert fingerprint(lbs) == before
    finally:
        for host in lbs.values():
            host.check_output("rm -f /etc/keepalived/keepalived.conf.hapair-staged")
