"""The nodes as podman containers: who holds a VIP, failure injections, bounded waits."""

from __future__ import annotations

import subprocess
import time


def node_run(name, command, check=True, timeout=300):
    """Run a shell command in a node's container: the CompletedProcess."""
    done = subprocess.run(["podman", "exec", name, "bash", "-c", command], capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{name}: {command!r} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done


def running(name):
    """Whether the node's container runs (a crash test kills it)."""
    out = subprocess.run(["podman", "inspect", "-f", "{{.State.Running}}", name], capture_output=True, text=True, check=False)
    return out.stdout.strip() == "true"


def holds(name, vip):
    """Whether the node's kernel holds vip now (False for a stopped container)."""
    done = subprocess.run(["podman", "exec", name, "ip", "-o", "addr", "show"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return False
    return vip in {line.split()[3].split("/")[0] for line in done.stdout.splitlines() if len(line.split()) > 3}


def holders(names, vip):
    """The running nodes, of names, whose kernel holds vip now: one `podman exec` a node (a
    stopped container fails it), so a poll stays quick on a loaded machine."""
    return [name for name in names if holds(name, vip)]


def wait_until(predicate, timeout, interval=0.1):
    """Poll predicate until it is true or timeout seconds pass: (ok, elapsed)."""
    start_at = time.monotonic()
    while True:
        if predicate():
            return True, time.monotonic() - start_at
        if time.monotonic() - start_at > timeout:
            return False, time.monotonic() - start_at
        time.sleep(interval)


def kill(name):
    """The crash of a node: SIGKILL to its whole container."""
    subprocess.run(["podman", "kill", "--signal", "KILL", name], check=True, capture_output=True)


def start(name):
    subprocess.run(["podman", "start", name], check=True, capture_output=True)


# A runtime drop-in that keeps systemd from restarting HAProxy (Debian's unit says
# Restart=always), so that its death sticks. Not `systemctl mask --runtime`: systemd 257
# (Debian 13) reloads a masked unit without its ExecStopPost, the very hook that tells keepalived.
_NO_RESTART = "/run/systemd/system/haproxy.service.d/zz-hapair-test-no-restart.conf"


def kill_haproxy(name):
    """HAProxy's death on a node: SIGKILL to all its processes, and systemd does not restart it."""
    node_run(name, f"mkdir -p {_NO_RESTART.rsplit('/', 1)[0]} && printf '[Service]\\nRestart=no\\n' > {_NO_RESTART}"
                   " && systemctl daemon-reload && systemctl kill --signal=SIGKILL haproxy")


def revive_haproxy(name):
    """HAProxy back on a node after kill_haproxy: restarts allowed again, and started."""
    node_run(name, f"rm -f {_NO_RESTART}; systemctl daemon-reload; systemctl start haproxy", check=False)


def crash_bound(priority, advert_int=1.0):
    """How long a BACKUP of this priority may take to serve after the MASTER dies: 3 adverts,
    the skew (256 - priority) / 256 advert intervals, and a slack of a second and one advert
    interval: CI runs two scenarios side by side on two cores, where a poll (a request, a
    `podman exec` a node) can lag by a second, and the last advert the BACKUP took can be up to
    an interval old (one such lag failed a crash test at a slack of 1 s). A takeover whose
    gratuitous ARP is lost takes longer still: the host's neighbour entry points at the dead
    MASTER until it goes stale and is probed again (its delay alone is 5 s). `make bench`
    measures the real figure."""
    return 3 * advert_int + (256 - priority) / 256 * advert_int + 1 + advert_int
