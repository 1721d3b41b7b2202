"""A backend server's state at runtime (module_utils/validation.py: server_state_problems)."""

import pytest

from ansible_collections.hapair.loadbalancer.plugins.module_utils import validation as v

BACKENDS = [{"name": "web", "servers": [{"name": "web1", "address": "192.0.2.21", "port": 80},
                                        {"name": "web2", "address": "192.0.2.22", "port": 80}]}]


@pytest.mark.parametrize("state, call", [("drain", {"state": "drain", "drain": True}),
                                         ("maint", {"state": "disabled", "drain": False}),
                                         ("ready", {"state": "enabled", "drain": False})])
def test_each_state_is_community_generals_own(state, call):
    change = {"backend": "web", "server": "web2", "state": state}
    assert v.server_state_problems(BACKENDS, change) == [] and v.server_state_call(change) == call


@pytest.mark.parametrize("change, words", [
    ({"backend": "api", "server": "web2", "state": "drain"}, "haproxy_server_state.backend is 'api', which haproxy_backends does not have: name one of web"),
    ({"backend": "web", "server": "web9", "state": "drain"}, "haproxy_server_state.server is 'web9', which backend web does not have: name one of web1, web2"),
    ({"backend": "web", "server": "web2", "state": "off"}, "haproxy_server_state.state is 'off': use one of drain, maint, ready"),
    ("junk", "haproxy_server_state.state is None"),
])
def test_a_change_that_cannot_be_made_names_the_variable_and_the_fix(change, words):
    assert any(words in p for p in v.server_state_problems(BACKENDS, change)), v.server_state_problems(BACKENDS, change)
