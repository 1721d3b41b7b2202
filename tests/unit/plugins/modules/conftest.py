"""Running a module's main() in the test process: its arguments given, Ansible's exit caught."""

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


class Exit(Exception):
    pass


@pytest.fixture
def run_module(monkeypatch):
    """run_module(main, **args) -> the module's result; a failure has failed=True and its msg."""

    def run(main, **args):
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
        monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)

        def leave(self, **kwargs):
            raise Exit(kwargs)

        monkeypatch.setattr(basic.AnsibleModule, "exit_json", leave)
        monkeypatch.setattr(basic.AnsibleModule, "fail_json", lambda self, **kwargs: leave(self, failed=True, **kwargs))
        with pytest.raises(Exit) as caught:
            main()
        return caught.value.args[0]

    return run
