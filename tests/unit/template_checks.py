"""The daemons' own checkers, as the roles run them."""

import subprocess


def keepalived_check(helper, conf):
    """Run keepalived -t through the helper the role installs; (ok, messages)."""
    result = subprocess.run([str(helper), "validate", str(conf)], capture_output=True, text=True, check=False)
    return result.returncode == 0, result.stderr


def haproxy_check(conf):
    result = subprocess.run(["haproxy", "-c", "-f", str(conf)], capture_output=True, text=True, check=False)
    return result.returncode == 0, result.stdout + result.stderr
