# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy's runtime API as the collection reads it: where haproxy.cfg puts the stats socket,
and each backend server's state from `show stat` on it (vip_status's servers, status.yml's
server table). Read-only: changes of state go through community.general.haproxy (the haproxy
role's tasks_from=server)."""

from __future__ import annotations

import csv
import re
import socket
import time

# Only a server's own lines: `show stat <proxy id> <type> <server id>`, type 4 is servers.
SHOW_SERVERS = "show stat -1 4 -1"
STATS_SOCKET = re.compile(r"^\s*stats\s+socket\s+(?:unix@)?(/\S+)", re.MULTILINE)


def stats_socket(config_text):
    """The first UNIX stats socket haproxy.cfg declares (the global section's), or None."""
    found = STATS_SOCKET.search(config_text or "")
    return found.group(1) if found else None


def ask(path, command, timeout=2.0, limit=4 << 20):
    """One command on the runtime API at the UNIX socket path: its answer as text, within
    `timeout` seconds in all. HAProxy closes the connection after a command sent without
    `prompt`. An answer longer than `limit` bytes is refused (ValueError), never cut short."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(path)
        conn.sendall(command.encode() + b"\n")
        chunks, size = [], 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no whole answer within {timeout:g} s")
            conn.settimeout(left)
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
            size += len(data)
            if size > limit:
                raise ValueError(f"an answer longer than {limit} bytes")
    return b"".join(chunks).decode("utf-8", "replace")


def _printable(text):
    """A field as the table may show it: printable characters only (a name or status from the
    socket never moves the terminal's cursor or forges a line)."""
    return "".join(c if c.isprintable() else "?" for c in str(text or ""))


def servers(stat_text):
    """Each backend server of `show stat` CSV (its header starts with '# pxname'), in its order:
    [{backend, server, status, sessions}]. status is HAProxy's own: UP, DOWN, DRAIN, MAINT,
    NOLB, 'UP 1/3' (going down), 'no check'..."""
    lines = (stat_text or "").splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"not a 'show stat' answer: {(stat_text or '').strip()[:120]!r}")
    rows = csv.DictReader([lines[0][2:]] + lines[1:])
    found = []
    for row in rows:
        if not row.get("svname") or row["svname"] in ("FRONTEND", "BACKEND"):
            continue
        found.append({"backend": _printable(row.get("pxname")), "server": _printable(row["svname"]),
                      "status": _printable(row.get("status")) or "?",
                      "sessions": int(row["scur"]) if (row.get("scur") or "").isdigit() else None})
    return found


def read_servers(config_path):
    """The servers as this node's HAProxy sees them, through the stats socket haproxy.cfg at
    config_path declares: (servers, None), or (None, why it cannot)."""
    try:
        with open(config_path) as handle:
            path = stats_socket(handle.read())
    except OSError as exc:
        return None, f"{config_path} cannot be read: {exc.strerror}"
    if not path:
        return None, f"{config_path} declares no stats socket"
    try:
        return servers(ask(path, SHOW_SERVERS)), None
    except (OSError, ValueError) as exc:
        return None, f"HAProxy's stats socket {path} does not answer: {exc}"
