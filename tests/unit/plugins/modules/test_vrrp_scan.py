"""vrrp_scan on this very machine: a real packet socket on loopback, nothing patched but
Ansible's exit."""

import os
import socket
import threading
import time

import pytest
from ansible_collections.hapair.loadbalancer.plugins.modules import vrrp_scan

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a packet socket needs root")


@pytest.fixture
def run(run_module):
    return lambda **args: run_module(vrrp_scan.main, **args)


def test_it_lists_an_advert_sent_on_loopback(run, monkeypatch, loopback_vrrp):
    advert = bytes([0x21, 9, 200, 1, 0, 1, 0, 0]) + socket.inet_aton("127.0.0.9") + bytes(8)

    def send():
        time.sleep(0.3)
        with socket.socket(socket.AF_INET, socket.SOCK_RAW, 112) as raw:
            raw.sendto(advert, ("127.0.0.1", 0))

    sender = threading.Thread(target=send)
    sender.start()
    result = run(interfaces=["lo"], seconds=1.0)
    sender.join()
    assert not result.get("failed") and result["changed"] is False and result["frames"] == 1
    entry, = result["heard"]
    assert (entry["vrid"], entry["family"], entry["vip_count"], entry["auth_types"]) == (9, 4, 1, ["none"])


@pytest.mark.parametrize("args, message", [
    ({"seconds": 0}, "seconds is 0: listen for more than 0 and at most 60 seconds"),
    ({"seconds": 61}, "seconds is 61:"),
    ({"interfaces": ["eth-none"], "seconds": 1}, "'eth-none' is no network interface of this host"),
])
def test_bad_input_fails_with_the_value_and_the_fix(run, monkeypatch, args, message):
    result = run(**args)
    assert result["failed"] and message in result["msg"], result
