"""A node's standing in the elections and the day-2 moves (module_utils/standing.py), on the
group model of recorded facts (tests/unit/fixtures/facts)."""

import pytest
from test_group import DS, LAB, LAB_VI, V4, model

from ansible_collections.hapair.loadbalancer.plugins.module_utils import standing as s

# Two instances with a MASTER each (active-active), on the three dual-stack nodes.
V4B = {"name": "VI_5", "virtual_router_id": 52, "vips": ["192.168.230.101/24"], "master": "ds-lb2"}


def test_keepalived_clamps_the_priority_and_faults_at_minus_254():
    assert s.effective(250, "normal") == 250
    assert s.effective(240, "preferred") == 254 and s.effective(250, "avoid") == 1
    assert s.effective(250, "maintenance") is None
    assert [s.content(n) for n in s.STANDINGS] == ["253\n", "0\n", "-253\n", "-254\n"]


@pytest.mark.parametrize("text, name", [(None, "normal"), ("", "normal"), ("0\n", "normal"), ("-254\n", "maintenance"),
                                        ("-300", "maintenance"), ("253", "preferred"), ("7", "preferred"),
                                        ("-5", "avoid"), ("junk", "normal")])
def test_a_files_text_is_named_by_what_keepalived_makes_of_it(text, name):
    assert s.name_of(text) == name


def test_a_switchover_to_the_backup_prefers_it_and_back_restores_the_configuration():
    built = model(LAB, [LAB_VI])
    moved = s.plan(built, {}, to="lab-lb2")
    assert moved == {"standings": {"lab-lb1": "normal", "lab-lb2": "preferred"}, "problems": []}
    assert s.expectations(built, moved["standings"], "lab-lb2") == {"VI_1": "master"}
    assert s.expectations(built, moved["standings"], "lab-lb1") == {"VI_1": "backup"}
    # Back to the configured MASTER: normal is enough, so nothing is left preferred.
    back = s.plan(built, moved["standings"], to="lab-lb1")
    assert back["standings"] == {"lab-lb1": "normal", "lab-lb2": "normal"}
    away = s.plan(built, {}, away="lab-lb1")
    assert away["standings"] == {"lab-lb1": "avoid", "lab-lb2": "normal"}
    assert s.candidates(built, away["standings"], "VI_1") == ["lab-lb2"]


def test_active_active_a_switchover_moves_every_instance_and_reset_returns_each():
    built = model(DS, [V4, V4B])
    assert s.candidates(built, {}, "VI_5") == ["ds-lb2"]
    moved = s.plan(built, {}, to="ds-lb3")
    assert moved["standings"]["ds-lb3"] == "preferred"
    assert s.expectations(built, moved["standings"], "ds-lb3") == {"VI_4": "master", "VI_5": "master"}
    # To ds-lb1: normal wins VI_4 but not VI_5 (ds-lb2's): preferred.
    assert s.plan(built, moved["standings"], to="ds-lb1")["standings"] == {"ds-lb1": "preferred", "ds-lb2": "normal", "ds-lb3": "normal"}
    assert s.plan(built, {"ds-lb1": "avoid", "ds-lb3": "maintenance"}, reset=True)["standings"] == {
        "ds-lb1": "normal", "ds-lb2": "normal", "ds-lb3": "maintenance"}


def test_avoided_members_tie_and_either_may_win():
    built = model(DS, [V4])
    standings = {"ds-lb1": "avoid", "ds-lb2": "avoid", "ds-lb3": "maintenance"}
    assert s.candidates(built, standings, "VI_4") == ["ds-lb1", "ds-lb2"]
    assert s.expectations(built, standings, "ds-lb1") == {"VI_4": "any"}
    assert s.expectations(built, standings, "ds-lb3") == {"VI_4": "fault"}


def test_maintenance_hands_over_first_then_leaves_the_election():
    built = model(LAB, [LAB_VI])
    on = s.maintenance_plan(built, {}, "lab-lb1", True)
    assert on == {"steps": [{"lab-lb1": "avoid", "lab-lb2": "normal"}, {"lab-lb1": "maintenance", "lab-lb2": "normal"}],
                  "problems": []}
    off = s.maintenance_plan(built, on["steps"][-1], "lab-lb1", False)
    assert off["steps"] == [{"lab-lb1": "normal", "lab-lb2": "normal"}]
    # A node whose standing is preferred keeps it when it leaves a maintenance it was not in.
    assert s.maintenance_plan(built, {"lab-lb2": "preferred"}, "lab-lb2", False)["steps"][0]["lab-lb2"] == "preferred"


@pytest.mark.parametrize("args, words", [
    ({}, "needs exactly one of"),
    ({"to": "lab-lb2", "away": "lab-lb1"}, "given: hapair_switchover_to=lab-lb2, hapair_switchover_from=lab-lb1"),
    ({"to": "lab-lb9"}, "hapair_switchover_to=lab-lb9 is no member of the group (lab-lb1, lab-lb2)"),
])
def test_a_switchover_asked_wrongly_names_the_variable_and_the_fix(args, words):
    assert words in s.plan(model(LAB, [LAB_VI]), {}, **args)["problems"][0]["problem"]


def test_no_move_leaves_the_group_without_a_holder():
    built = model(LAB, [LAB_VI])
    assert "is in maintenance; release it first" in s.plan(built, {"lab-lb2": "maintenance"}, to="lab-lb2")["problems"][0]["problem"]
    assert "no other member can take its VIPs" in s.plan(built, {"lab-lb2": "maintenance"}, away="lab-lb1")["problems"][0]["problem"]
    assert "every other member is in maintenance" in s.maintenance_plan(built, {"lab-lb2": "maintenance"}, "lab-lb1", True)["problems"][0]["problem"]
    assert "hapair_node=lb9 is no member" in s.maintenance_plan(built, {}, "lb9", True)["problems"][0]["problem"]


def test_a_member_pinned_at_254_cannot_be_outranked():
    pinned = [{**LAB_VI, "priority": 254}]
    built = model(LAB, pinned)
    assert "cannot win every instance, even preferred" in s.plan(built, {}, to="lab-lb2")["problems"][0]["problem"]


def test_nopreempt_instances_are_known():
    built = model(LAB, [{**LAB_VI, "nopreempt": True}])
    assert not s.preempts(built, "VI_1") and s.preempts(model(LAB, [LAB_VI]), "VI_1")


def test_a_model_without_keepalived_settings_still_has_its_configured_master_win():
    # verify.yml on its own builds the model without keepalived's defaults: no priorities.
    built = model(LAB, [LAB_VI], priority_base=None, priority_step=None)
    assert s.candidates(built, {}, "VI_1") == ["lab-lb1"]
    assert s.candidates(built, {"lab-lb1": "avoid"}, "VI_1") == ["lab-lb2"]
