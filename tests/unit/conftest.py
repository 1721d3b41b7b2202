"""Render the role templates with Ansible itself and hand the results to the tests.

Rendering goes through ansible-playbook (tests/unit/render.yml), so the templates meet the
same Jinja, filters and variable precedence as on a real run. The daemons' own checkers
(keepalived -t, haproxy -c) must be installed on this machine: scripts/bootstrap.sh does it.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "tests" / "unit"
# Rendered files live under the repository (root-owned, not world-writable), because
# keepalived's script security refuses scripts below a world-writable directory like /tmp.
WORK = ROOT / ".cache" / "unit" / os.environ.get("PYTEST_XDIST_WORKER", "main")
# The checkout, importable and loadable as ansible_collections.hapair.loadbalancer, so the unit
# tests exercise the working tree rather than an installed copy.
COLLECTIONS = ROOT / ".cache" / "unit-collections"
_link = COLLECTIONS / "ansible_collections" / "hapair" / "loadbalancer"
if not _link.is_symlink():
    _link.parent.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(ROOT)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


def default_interface():
    """The interface of this machine's default route: keepalived -t wants a real one."""
    out = subprocess.run(["ip", "-j", "route", "show", "default"], capture_output=True, text=True, check=True)
    routes = json.loads(out.stdout or "[]")
    if routes:
        return routes[0]["dev"]
    links = json.loads(subprocess.run(["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout)
    return next(link["ifname"] for link in links if link["ifname"] != "lo")


def render(sample, out, **extra):
    """Render every template for lb1 and lb2 from a variables file; return the output dir."""
    if out.exists():
        shutil.rmtree(out)
    for host in ("lb1", "lb2"):
        (out / host).mkdir(parents=True)
    extra_vars = {
        "out": str(out),
        "keepalived_interface": default_interface(),
        # The checkers run on this machine: point at what exists here.
        "keepalived_script_user": "nobody",
        "__keepalived_helper": str(out / "lb1" / "hapair-keepalived"),
        **extra,
    }
    cmd = [
        "ansible-playbook", "-i", str(UNIT / "inventory.yml"), str(UNIT / "render.yml"),
        "-e", f"@{sample}", "-e", json.dumps(extra_vars),
    ]
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS)}
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


SAMPLES = UNIT / "samples"
EXAMPLES = ROOT / "docs" / "examples"
# The documented inventories read the password from a vault variable.
VAULT = {"vault_keepalived_auth_pass": "s3cret"}


@pytest.fixture(scope="session")
def classic():
    return render(SAMPLES / "classic.yml", WORK / "classic")


@pytest.fixture(scope="session")
def tcp():
    return render(SAMPLES / "tcp-active-active.yml", WORK / "tcp")


@pytest.fixture(scope="session")
def render_sample():
    """Render a sample with extra variables into a directory of its own."""
    return lambda name, sample, **extra: render(SAMPLES / sample, WORK / name, **extra)


def https_vault(directory):
    """The https example's vault: a certificate of the test's private CA, written where the
    rendered haproxy.cfg names it (haproxy -c loads it), and the CA's root as the trust."""
    from hapair_harness.pki import PrivateCA, pem

    from ansible_collections.hapair.loadbalancer.plugins.module_utils import tls

    ca = PrivateCA()
    cert, cert_key = ca.server("www.example.test")
    certificate = {"name": "www", "certificate": pem(cert, ca.mid), "key": pem(cert_key)}
    directory.mkdir(parents=True, exist_ok=True)
    path = tls.certificate_files([certificate], directory)[0]["path"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(tls.certificate_content(certificate))
    return {"vault_www_certificate": certificate["certificate"], "vault_www_key": certificate["key"],
            "haproxy_certificate_dir": str(directory), "haproxy_certificate_trust": pem(ca.root)}


@pytest.fixture(scope="session", params=["classic-pair", "tcp", "active-active", "three-nodes", "nopreempt", "unicast",
                                         "notify", "fast", "dual-stack", "https"])
def documented(request):
    """Each example inventory under docs/examples, rendered."""
    example = EXAMPLES / request.param / "group_vars" / "lb.yml"
    extra = https_vault(WORK / "docs-https-certs") if request.param == "https" else {}
    return render(example, WORK / f"docs-{request.param}", **VAULT, **extra)


class _Exit(Exception):
    pass


@pytest.fixture
def run_module(monkeypatch):
    """run_module(main, **args): a module's main() run in the test process with these arguments,
    Ansible's exit caught -> its result; a failure has failed=True and its msg."""
    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    def run(main, **args):
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
        monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)

        def leave(self, **kwargs):
            raise _Exit(kwargs)

        monkeypatch.setattr(basic.AnsibleModule, "exit_json", leave)
        monkeypatch.setattr(basic.AnsibleModule, "fail_json", lambda self, **kwargs: leave(self, failed=True, **kwargs))
        with pytest.raises(_Exit) as caught:
            main()
        return caught.value.args[0]

    return run


@pytest.fixture
def loopback_vrrp():
    """Loopback to one test at a time while it listens for VRRP and sends its own advert: each
    test hears every advert on lo, the other pytest workers' as well (a lock across them)."""
    lock = ROOT / ".cache" / "unit" / "loopback-vrrp.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield
