"""Nothing lost: a change HAProxy rejects never replaces the live file nor costs one request,
and no password shows: not the VRRP password with -v --diff, nor one a checker quotes."""

import json
import re
import subprocess

import hapair_harness
import pytest
from hapair_harness import Probe
from conftest import LB_NODES, ROOT, VIP, fingerprint, recap, run_site, squatting

pytestmark = pytest.mark.scenarios("default",)

MASTER, BACKUP = LB_NODES[0], LB_NODES[1]


def test_a_rejected_haproxy_config_changes_nothing_and_drops_no_request(lbs):
    before = fingerprint(lbs)
    with Probe(target=(VIP, 80)) as probe:
        rc, out = run_site("-e", f"@{ROOT / 'molecule/shared/tests/data/bad-haproxy-option.yml'}")
    assert rc != 0, out[-2000:]
    # HAProxy's own words reach the operator, but not the secret on the line it quotes.
    assert "'server' expects <name> and <addr>" in out, out[-3000:]
    assert "unmatched quote" in out and "********" in out, out[-3000:]
    assert "St4tsS3cret" not in out, out[-3000:]
    result = probe.summary()
    assert result["sent"] > 100 and result["failed"] == 0, f"{result}"
    assert fingerprint(lbs) == before
    # The rollout stopped at the first node (a BACKUP); the MASTER's steps never ran (the
    # rollback only looked at it, from the BACKUP's rescue).
    rollout = out[out.index("PLAY [Roll out"):]
    assert f"[{BACKUP}]" in rollout and f"[{MASTER}]" not in rollout, rollout[-2000:]
    assert "Every node was rolled back" in rollout, rollout[-2000:]


def test_a_step_failing_after_a_node_changed_puts_every_node_back(lbs):
    """A new frontend on a port another process holds on the BACKUP, on every address: haproxy -c
    accepts the file, and the reload keeps the old configuration while it reports success. The
    role sees HAProxy not listening; the rollout puts every node back byte for byte (haproxy.cfg
    on the BACKUP, the firewall rule the run added for the port on both), and no request fails."""
    with squatting(lbs[BACKUP], 8081):
        before = fingerprint(lbs)
        squatted = {"haproxy_listen_timeout": 3, "haproxy_frontends": [
            {"name": "http_in", "mode": "http", "default_backend": "web", "binds": [{"address": VIP, "port": 80}]},
            {"name": "squatted", "mode": "http", "default_backend": "web", "binds": [{"address": VIP, "port": 8081}]}]}
        with Probe(target=(VIP, 80)) as probe:
            rc, out = run_site("-e", json.dumps(squatted))
        assert rc != 0, out[-2000:]
        assert f"HAProxy on {BACKUP} does not listen on {VIP}:8081" in out, out[-3000:]
        assert "Every node was rolled back" in out and f"{BACKUP}: restored /etc/haproxy/haproxy.cfg" in out, out[-3000:]
        assert fingerprint(lbs) == before, out[-3000:]
        result = probe.summary()
        assert result["sent"] > 100 and result["failed"] == 0, f"{result}"


def test_a_new_frontend_port_rolls_out_on_a_serving_pair(lbs):
    """A good change that adds a port: the BACKUP goes first, while the MASTER, which holds the
    VIP, does not listen on the new port yet; the rollout must not wait for the VIP to answer
    there. Then the port is served through the VIP, and a run without it takes it away again."""
    more = {"haproxy_frontends": [
        {"name": "http_in", "mode": "http", "default_backend": "web", "binds": [{"address": VIP, "port": 80}]},
        {"name": "http_alt", "mode": "http", "default_backend": "web", "binds": [{"address": VIP, "port": 8081}]}]}
    with Probe(target=(VIP, 80)) as probe:
        rc, out = run_site("-e", json.dumps(more))
    assert rc == 0, out[-3000:]
    assert probe.summary()["failed"] == 0, probe.summary()
    answer = hapair_harness.http_get((VIP, 8081), "/", 2.0)
    assert answer is not None and answer[0] == 200, answer
    rc, out = run_site()
    assert rc == 0, out[-3000:]
    assert hapair_harness.http_get((VIP, 8081), "/", 1.0) is None
    assert not any("8081" in h.check_output("iptables -S INPUT") for h in lbs.values())


def test_the_password_never_shows_with_verbose_diff(lbs, tmp_path):
    current = "lab-vrrp"
    new = "n3wP4ss"
    vault_pass = tmp_path / "vault-pass"
    vault_pass.write_text("hapair-test-vault\n")
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(f"vault_keepalived_auth_pass: {new}\n")
    subprocess.run(["ansible-vault", "encrypt", "--vault-password-file", str(vault_pass), str(secrets)],
                   check=True, capture_output=True)
    assert new not in secrets.read_text()
    before = fingerprint(lbs)
    # A password change, from a vault, in check mode: keepalived.conf would change, and the
    # run must show that without showing either password.
    rc, out = run_site("-v", "--diff", "--check", "-e", f"@{secrets}", "--vault-password-file", str(vault_pass),
                       "-e", "keepalived_auth_pass={{ vault_keepalived_auth_pass }}")
    assert rc == 0, out[-3000:]
    assert new not in out and current not in out
    assert re.search(r"Write keepalived.conf\] \*+\nchanged: \[", out), out[-3000:]
    assert fingerprint(lbs) == before
    # And a plain run with -v --diff: nor anything derived from the password, such as the
    # checksum of the keepalived.conf that holds it (the rest of the file can be rebuilt from
    # the inventory, and 8 characters guessed offline).
    rc, out = run_site("-v", "--diff")
    assert rc == 0 and current not in out, out[-2000:]
    for name, host in lbs.items():
        checksum = host.check_output("sha1sum /etc/keepalived/keepalived.conf").split()[0]
        assert checksum not in out, f"{name}: the checksum of keepalived.conf shows with -v"


def test_drift_is_repaired_by_the_next_run(lbs):
    """site.yml skips what already holds; what drifted by hand must not be skipped."""
    backup = lbs[BACKUP]
    good = backup.check_output("sha256sum /etc/haproxy/haproxy.cfg")
    backup.check_output("echo '# edited by hand' >> /etc/haproxy/haproxy.cfg")
    backup.check_output("sysctl -w net.ipv4.ip_nonlocal_bind=0")
    frontend_rule = next(line for line in backup.check_output("iptables -S INPUT").splitlines() if "HAProxy frontends" in line)
    backup.check_output("iptables -D " + frontend_rule[3:])
    backup.check_output("systemctl disable keepalived")
    rc, out = run_site()
    assert rc == 0, out[-3000:]
    # Something was pending on a node: the rollout went one node at a time (a play banner per batch).
    assert out.count("PLAY [Roll out the configuration") == 2, out[-3000:]
    assert backup.check_output("sha256sum /etc/haproxy/haproxy.cfg") == good
    assert backup.sysctl("net.ipv4.ip_nonlocal_bind") == 1
    assert frontend_rule in backup.check_output("iptables -S INPUT")
    assert backup.service("keepalived").is_enabled
    # And the run after it has nothing left to do: nothing pending anywhere, so one batch.
    rc, out = run_site()
    assert rc == 0 and all("changed=0" in line for line in recap(out)), recap(out)
    assert out.count("PLAY [Roll out the configuration") == 1, out[-3000:]


def test_check_mode_with_diff_on_the_converged_pair_changes_nothing(lbs):
    """site.yml --check --diff on the converged pair: no failure, changed=0, nothing touched.
    A misspelt playbook variable is named, with the one meant."""
    before = fingerprint(lbs)
    rc, out = run_site("--check", "--diff", "-e", "hapair_rollout_bach=2")
    assert rc == 0, out[-3000:]
    assert "hapair_rollout_bach is set, but no playbook of the collection has such a variable" in out, out[-3000:]
    assert "did you mean hapair_rollout_batch?" in out, out[-3000:]
    assert recap(out) and all("changed=0" in line for line in recap(out)), recap(out)
    assert fingerprint(lbs) == before
