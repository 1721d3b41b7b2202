"""node_restore's put_back on this very machine: real files and directories."""

import os

import pytest
from ansible_collections.hapair.loadbalancer.plugins.module_utils.node_read import file_state
from ansible_collections.hapair.loadbalancer.plugins.modules.node_restore import put_back


def test_a_directory_the_run_made_is_removed_once_empty(tmp_path):
    """A first TLS rollout that fails: its certificate goes, then the directory it made."""
    made = tmp_path / "certs"
    made.mkdir(mode=0o700)
    (made / "site.pem").write_text("chain and key")
    put_back(str(made / "site.pem"), {"exists": False})
    put_back(str(made), {"exists": False})
    assert not made.exists()


def test_a_directory_with_other_files_stays(tmp_path):
    made = tmp_path / "certs"
    made.mkdir()
    (made / "theirs.pem").write_text("x")
    with pytest.raises(OSError):
        put_back(str(made), {"exists": False})
    assert (made / "theirs.pem").exists()


def test_a_directory_that_was_there_gets_its_mode_back_and_keeps_its_files(tmp_path):
    there = tmp_path / "certs"
    there.mkdir(mode=0o755)
    before = file_state(str(there))
    os.chmod(there, 0o700)
    (there / "site.pem").write_text("x")
    put_back(str(there), before)
    assert file_state(str(there)) == before and (there / "site.pem").exists()


def test_a_file_gets_its_text_and_mode_back_or_goes(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text("old\n")
    os.chmod(config, 0o640)
    before = {**file_state(str(config)), "content": "old\n"}
    config.write_text("new\n")
    os.chmod(config, 0o600)
    put_back(str(config), before)
    assert config.read_text() == "old\n" and file_state(str(config))["mode"] == "0640"
    put_back(str(config), {"exists": False})
    assert not config.exists()
