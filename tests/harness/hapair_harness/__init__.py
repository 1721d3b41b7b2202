"""hapair.loadbalancer's test harness, shared by the molecule verifiers and `make bench`.

Not part of the collection: it drives the podman containers the tests create. Every loop here
is bounded in time and count, and traffic goes only to the addresses the caller names (the
containers' VIPs).
"""

from hapair_harness.nodes import (
    crash_bound, holders, kill, kill_haproxy, node_run, revive_haproxy, running, start, wait_until,
)
from hapair_harness.probe import (
    PROBE_INTERVAL, PROBE_MAX_SECONDS, PROBE_TIMEOUT, Probe, http_get, http_ok, https_request, tls_context,
)
from hapair_harness.watch import HolderWatch

__all__ = [
    "HolderWatch", "PROBE_INTERVAL", "PROBE_MAX_SECONDS", "PROBE_TIMEOUT", "Probe", "crash_bound", "holders",
    "http_get", "http_ok", "https_request", "kill", "kill_haproxy", "node_run", "revive_haproxy", "running", "start",
    "tls_context", "wait_until",
]
