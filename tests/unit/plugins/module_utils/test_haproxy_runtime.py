"""HAProxy's runtime API as vip_status reads it (module_utils/haproxy_runtime.py): the stats socket
haproxy.cfg declares, and each server's state from `show stat`, recorded from a real HAProxy with
web2 drained (tests/unit/fixtures/haproxy-show-stat-drain.csv), over a real UNIX socket."""

import socket
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.hapair.loadbalancer.plugins.module_utils import group as g
from ansible_collections.hapair.loadbalancer.plugins.module_utils import haproxy_runtime as r

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SHOW_STAT = (FIXTURES / "haproxy-show-stat-drain.csv").read_text()


def test_the_stats_socket_is_the_one_haproxy_cfg_declares():
    config = "global\n    master-worker\n    stats socket /run/haproxy/admin.sock mode 660 level admin\n"
    assert r.stats_socket(config) == "/run/haproxy/admin.sock"
    assert r.stats_socket("    stats socket unix@/run/h.sock level user\n") == "/run/h.sock"
    # A TCP socket, or none: nothing to read.
    assert r.stats_socket("    stats socket ipv4@127.0.0.1:9999\n") is None and r.stats_socket("") is None


def test_each_server_with_haproxys_own_status():
    assert r.servers(SHOW_STAT) == [{"backend": "web", "server": "web1", "status": "UP", "sessions": 0},
                                    {"backend": "web", "server": "web2", "status": "DRAIN", "sessions": 0}]
    with pytest.raises(ValueError, match="not a 'show stat' answer"):
        r.servers("Unknown command.\n")


@pytest.fixture
def haproxy_socket(tmp_path):
    """A UNIX socket that answers one command the way HAProxy's does, then closes."""
    path = tmp_path / "admin.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)
    asked = []

    def answer():
        conn, _unused = server.accept()
        with conn:
            asked.append(conn.recv(1024).decode())
            conn.sendall(SHOW_STAT.encode())

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield path, asked
    thread.join(timeout=5)
    server.close()


def test_the_servers_are_read_through_the_socket_the_config_names(tmp_path, haproxy_socket):
    path, asked = haproxy_socket
    config = tmp_path / "haproxy.cfg"
    config.write_text(f"global\n    stats socket {path} mode 660 level admin\n")
    found, error = r.read_servers(str(config))
    assert error is None and [s["status"] for s in found] == ["UP", "DRAIN"] and asked == ["show stat -1 4 -1\n"]


def test_names_from_the_socket_are_shown_printable_only():
    forged = SHOW_STAT.replace("web,web2,", "web,web2\x1b[2J\x07,", 1)
    assert r.servers(forged)[1]["server"] == "web2?[2J?"


def test_a_socket_that_answers_too_slowly_or_too_much_is_refused_whole(tmp_path):
    path = tmp_path / "slow.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(2)

    def trickle():
        conn, _unused = server.accept()
        with conn:
            conn.recv(1024)
            try:
                for _unused in range(20):  # a byte every 0.05 s: each read is quick, the whole is not
                    conn.sendall(b"#")
                    time.sleep(0.05)
            except OSError:  # the client gave up
                pass
        conn, _unused = server.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"# " + b"x" * 2048)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    with pytest.raises(TimeoutError):
        r.ask(str(path), "show stat", timeout=0.3)
    with pytest.raises(ValueError, match="longer than 1024 bytes"):
        r.ask(str(path), "show stat", limit=1024)
    thread.join(timeout=5)
    server.close()


def test_a_node_whose_servers_cannot_be_read_says_why(tmp_path):
    config = tmp_path / "haproxy.cfg"
    assert r.read_servers(str(config))[1].endswith("cannot be read: No such file or directory")
    config.write_text("global\n")
    assert r.read_servers(str(config)) == (None, f"{config} declares no stats socket")
    config.write_text(f"global\n    stats socket {tmp_path}/gone.sock\n")
    assert "does not answer" in r.read_servers(str(config))[1]


def test_the_status_table_shows_each_server_as_each_node_sees_it():
    servers = r.servers(SHOW_STAT)
    nodes = ["lab-lb1", "lab-lb2", "lab-lb3", "lab-lb4"]
    reports = {"lab-lb1": [{"servers": servers, "servers_error": None}],
               "lab-lb2": [{"servers": servers[:1], "servers_error": None}],
               "lab-lb3": [{"servers": None, "servers_error": "HAProxy's stats socket down"}]}
    lines = g.status_lines({"vips": []}, reports, nodes)
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert lines[0].split() == ["VIP", "INSTANCE", "HOLDER"] + nodes
    # The error is cut to the column; a node without the server says '-'.
    assert rows["web/web1"] == ["web/web1", "server", "UP", "(0)", "UP", "(0)", "HAProxy's", "stats", "socket", "unreachable"]
    assert rows["web/web2"][:5] == ["web/web2", "server", "DRAIN", "(0)", "-"]
    # The whole reason under the table.
    assert lines[-1] == "lab-lb3: HAProxy's stats socket down"
    # vip_status without servers: no server row.
    assert [line.split()[0] for line in g.status_lines({"vips": []}, {"lab-lb1": [{"vips": []}]}, ["lab-lb1"])[1:]] == [
        "standing", "haproxy", "keepalived"]
