"""The harness's kinds of change to what the adverts carry: cumulative, and back at the end."""

from hapair_harness.changes import RESTARTS, advert_kinds

BASE = {"name": "VI_1", "virtual_router_id": 51, "vips": ["192.0.2.100/24"]}


def test_each_kind_builds_on_the_last_and_the_last_puts_everything_back():
    kinds = advert_kinds(BASE, "lab-vrrp", "192.0.2.105/24")
    names = [kind for kind, _unused in kinds]
    assert names == ["VIP added", "VIP removed", "advert_int changed", "password changed", "VRID changed",
                     "multicast to unicast", "unicast to multicast", "all back"]
    by_name = dict(kinds)
    assert by_name["VIP added"]["keepalived_instances"][0]["vips"] == ["192.0.2.100/24", "192.0.2.105/24"]
    unicast = by_name["multicast to unicast"]
    assert unicast["keepalived_instances"][0] == {**BASE, "advert_int": 2, "virtual_router_id": 61, "unicast": True}
    assert unicast["keepalived_auth_pass"] != "lab-vrrp" and len(unicast["keepalived_auth_pass"]) <= 8
    assert by_name["all back"] == {"keepalived_instances": [BASE], "keepalived_auth_pass": "lab-vrrp"}
    assert set(RESTARTS) <= set(names)
