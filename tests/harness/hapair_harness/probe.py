"""Requests through a VIP, over HTTP or HTTPS: one at a time, or a probe that sends one every 10 ms."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

PROBE_INTERVAL = 0.010
PROBE_TIMEOUT = 0.5
PROBE_MAX_SECONDS = 90  # hard bound of any one probe run


def request(target, path="/", timeout=2.0):
    """One request on a new TCP connection to target (address, port): (status, body, headers).
    Raises OSError (a timeout, a refused or reset connection) or HTTPException. An IPv6 address
    is given bare."""
    address, port = target
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close", "Host": "hapair-test"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), response.headers
    finally:
        conn.close()


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with the name the certificate must carry sent as SNI and verified."""

    def __init__(self, address, port, server_name, context, timeout):
        super().__init__(address, port, timeout=timeout, context=context)
        self.server_name = server_name
        self.tls = None

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.server_name)
        self.tls = {"version": self.sock.version(), "alpn": self.sock.selected_alpn_protocol(),
                    "certificate": self.sock.getpeercert(binary_form=True)}


def tls_context(cafile, alpn=("http/1.1",)):
    """A client that verifies the chain (to cafile) and the name, offering alpn."""
    context = ssl.create_default_context(cafile=str(cafile))
    context.set_alpn_protocols(list(alpn))
    return context


def https_request(target, server_name, context, path="/", timeout=2.0, headers=None):
    """One HTTPS request on a new connection: (status, body, headers, tls), tls holding the
    version, the ALPN protocol and the server's certificate (DER). Raises like request(); an
    ssl.SSLError (a refused handshake or certificate) is an OSError."""
    address, port = target
    conn = _TLSConnection(address, port, server_name, context, timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close", "Host": server_name, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), response.headers, conn.tls
    finally:
        conn.close()


def http_get(target, path="/", timeout=2.0):
    """One request on a new TCP connection to target: (status, body, headers), or None when it fails."""
    try:
        return request(target, path, timeout)
    except (OSError, http.client.HTTPException):
        return None


def http_ok(target, timeout=PROBE_TIMEOUT):
    """One request on a new TCP connection; True on an HTTP 200."""
    answer = http_get(target, timeout=timeout)
    return answer is not None and answer[0] == 200


class Probe:
    """A request every 10 ms to target, each on its own connection, until stopped (or the hard
    bound). timeout: how long one request may take before it counts as failed (bench's outage
    measure wants it short; a test that asks whether any request fails on a loaded machine gives
    more). Each failure is counted by its kind (TimeoutError, ConnectionRefusedError, HTTP 503...)."""

    def __init__(self, target, timeout=PROBE_TIMEOUT, send=None, max_seconds=PROBE_MAX_SECONDS):
        self.target = target
        self.timeout = timeout
        # The hard bound: a probe stops by itself after this long (summary's cut_short says so).
        self.max_seconds = max_seconds
        self.cut_short = False
        # How one request is sent: request() by default; an HTTPS probe passes a partial of
        # https_request() with its name and context.
        self.send = send or request
        # (when it started, whether it succeeded, when it ended), on the monotonic clock.
        self.results: list[tuple[float, bool, float]] = []
        self.errors: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=80)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _one(self, started):
        try:
            status = self.send(self.target, timeout=self.timeout)[0]
            error = None if status == 200 else f"HTTP {status}"
        except (OSError, http.client.HTTPException) as failure:
            error = type(failure).__name__
        ended = time.monotonic()
        with self._lock:
            self.results.append((started, error is None, ended))
            if error:
                self.errors[error] += 1

    def _run(self):
        start = time.monotonic()
        tick = start
        while not self._stop.is_set():
            if time.monotonic() - start >= self.max_seconds:
                self.cut_short = True
                break
            self._pool.submit(self._one, time.monotonic())
            tick += PROBE_INTERVAL
            time.sleep(max(0.0, tick - time.monotonic()))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)

    def recovered_after_failure(self, settled=PROBE_TIMEOUT + 0.1):
        """Some probe failed, and probes have succeeded for `settled` seconds since the last
        failure (longer than a probe may take, so none still in flight can fail)."""
        results = self.snapshot()
        failed = [t for t, ok, _unused in results if not ok]
        return bool(failed) and any(ok and t >= failed[-1] + settled for t, ok, _unused in results)

    def outages(self):
        """Each run of failed probes, in the order they were sent: (when its first failure was
        sent, the earliest answer of a success sent after its last failure and before the next
        failure, or None when none has succeeded since). An answer, not a start: a request sent
        while the VIP moves can wait, its packets queued in the kernel or its SYN retransmitted,
        and succeed later than requests sent after it; the service was back at the first answer."""
        runs, first, back = [], None, None
        for t, ok, ended in self.snapshot():
            if not ok:
                if back is not None:
                    runs.append((first, back))
                    first, back = None, None
                if first is None:
                    first = t
            elif first is not None:
                back = ended if back is None else min(back, ended)
        if first is not None:
            runs.append((first, back))
        return runs

    def snapshot(self):
        with self._lock:
            return sorted(self.results)

    def summary(self):
        """The outage: from the start of the first failed probe to the answer of the first success
        after the last failed one (None if none has succeeded since); the failed probes; the probes sent; and how many
        runs of failures (windows) the outage broke into; the failures by kind. A killed container
        does not go silent at once: probes can fail, succeed and fail again before the BACKUP takes
        over, and the outage spans all of it. The longest: the longest of the windows alone (None
        likewise), for a procedure that moves the VIP more than once (each move its own window)."""
        results = self.snapshot()
        runs = self.outages()
        if not runs:
            outage = longest = 0.0
        elif runs[-1][1] is None:
            outage = longest = None
        else:
            outage = runs[-1][1] - runs[0][0]
            longest = max(back - first for first, back in runs)
        return {"outage": outage, "longest": longest, "failed": sum(1 for _unused, ok, _unused in results if not ok),
                "sent": len(results), "windows": len(runs), "errors": dict(self.errors), "cut_short": self.cut_short}


def brief(summary, bound=0.5, moves=1):
    """Whether a probe's summary says it ran to the end and the service was back within bound
    seconds of each VIP move: for one move the whole outage (failures broken by successes
    included); for a procedure that moves the VIPs several times, each window of failures, and
    no more windows than moves (a request in flight at a move's very moment may be reset)."""
    if summary["cut_short"]:
        return False
    if moves == 1:
        return summary["outage"] is not None and summary["outage"] < bound
    return summary["longest"] is not None and summary["longest"] < bound and summary["windows"] <= moves
