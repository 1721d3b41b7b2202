"""A node's standing in the elections and the day-2 moves (module_utils/standing.py), on the
group model of recorded facts (tests/unit/fixtures/facts)."""

import pytest
from test_group import DS, LAB, LAB_VI, V4, model

from ansible_collections.hapair.loadbalancer.plugins.module_utils import standing as s

# Two instances with a MASTER each (active-active), on the three dual-stack nodes.
V4B = {"name": "VI_5", "virtual_router_id": 52, "vips": ["192.168.230.101/24"], "master": "ds-lb2"}


def test_keepalived_clamps_the_priority_and_faults_at_minus_254():
    assert s.effective(250, 0) == 250 and s.effective(240, 20) == 254 and s.effective(250, -253) == 1
    assert s.effective(250, -254) is None


def test_preferred_and_avoid_are_the_least_that_wins_so_the_check_still_moves_the_vip():
    built = model(LAB, [LAB_VI])
    assert [s.content(built, "lab-lb2", n) for n in s.STANDINGS] == ["11\n", "0\n", "-1\n", "-254\n"]
    assert s.content(built, "lab-lb1", "avoid") == "-11\n" and s.content(built, "lab-lb1", "preferred") == "1\n"
    # lab-lb2 preferred: 251 over 250; its HAProxy check failing (-20) drops it to 231, below lab-lb1.
    assert s.effective(240, s.offset(built, "lab-lb2", "preferred")) == 251
    assert s.effective(250, s.offset(built, "lab-lb1", "avoid")) == 239
    three = model(DS, [V4])
    assert s.offset(three, "ds-lb3", "preferred") == 21 and s.offset(three, "ds-lb1", "avoid") == -21


@pytest.mark.parametrize("text, name", [(None, "normal"), ("", "normal"), ("0\n", "normal"), ("-254\n", "maintenance"),
                                        ("-300", "maintenance"), ("253", "preferred"), ("7", "preferred"),
                                        ("-5", "avoid"), ("junk", "normal")])
def test_a_files_text_is_named_by_what_keepalived_makes_of_it(text, name):
    assert s.name_of(text) == name


def report(standing="normal", haproxy="up", running=True):
    """A node's vip_status result, as far as the plans read it."""
    return {"standing": standing, "haproxy": haproxy, "keepalived_running": running, "vips": []}


def reports(**standings):
    return {node.replace("_", "-"): report(standing) for node, standing in standings.items()}


def test_a_switchover_to_the_backup_prefers_it_and_back_restores_the_configuration():
    built = model(LAB, [LAB_VI])
    moved = s.plan(built, {}, to="lab-lb2")
    assert moved == {"before": {"lab-lb1": "normal", "lab-lb2": "normal"},
                     "standings": {"lab-lb1": "normal", "lab-lb2": "preferred"}, "enforce": True, "problems": []}
    assert s.expectations(built, moved["standings"], "lab-lb2") == {"VI_1": "master"}
    assert s.expectations(built, moved["standings"], "lab-lb1") == {"VI_1": "backup"}
    # Back to the configured MASTER: normal is enough, so nothing is left preferred.
    back = s.plan(built, {n: report(v) for n, v in moved["standings"].items()}, to="lab-lb1")
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
    assert s.plan(built, {n: report(v) for n, v in moved["standings"].items()}, to="ds-lb1")["standings"] == {
        "ds-lb1": "preferred", "ds-lb2": "normal", "ds-lb3": "normal"}
    assert s.plan(built, reports(ds_lb1="avoid", ds_lb3="maintenance"), reset=True)["standings"] == {
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
    assert on == {"before": {"lab-lb1": "normal", "lab-lb2": "normal"},
                  "steps": [{"standings": {"lab-lb1": "avoid", "lab-lb2": "normal"}, "enforce": True},
                            {"standings": {"lab-lb1": "maintenance", "lab-lb2": "normal"}, "enforce": True}],
                  "problems": []}
    off = s.maintenance_plan(built, reports(lab_lb1="maintenance"), "lab-lb1", False)
    # Released, only instances that preempt move: one without preemption stays where it is.
    assert off["steps"] == [{"standings": {"lab-lb1": "normal", "lab-lb2": "normal"}, "enforce": False}]
    # A node whose standing is preferred keeps it when it leaves a maintenance it was not in.
    assert s.maintenance_plan(built, reports(lab_lb2="preferred"), "lab-lb2", False)["steps"][0]["standings"]["lab-lb2"] == "preferred"


@pytest.mark.parametrize("args, words", [
    ({}, "needs exactly one of"),
    ({"to": "lab-lb2", "away": "lab-lb1"}, "given: hapair_switchover_to=lab-lb2, hapair_switchover_from=lab-lb1"),
    ({"to": "lab-lb9"}, "hapair_switchover_to=lab-lb9 is no member of the group (lab-lb1, lab-lb2)"),
])
def test_a_switchover_asked_wrongly_names_the_variable_and_the_fix(args, words):
    assert words in s.plan(model(LAB, [LAB_VI]), {}, **args)["problems"][0]["problem"]


def test_no_move_leaves_the_group_without_a_holder():
    built = model(LAB, [LAB_VI])
    down = reports(lab_lb2="maintenance")
    assert "is in maintenance; release it first" in s.plan(built, down, to="lab-lb2")["problems"][0]["problem"]
    assert "no other member can take its VIPs (the others are in maintenance)" in s.plan(built, down, away="lab-lb1")["problems"][0]["problem"]
    assert "no other member can take the VIPs" in s.maintenance_plan(built, down, "lab-lb1", True)["problems"][0]["problem"]
    assert "hapair_node=lb9 is no member" in s.maintenance_plan(built, {}, "lb9", True)["problems"][0]["problem"]


def test_no_move_hands_the_vips_to_a_member_that_cannot_take_them():
    built = model(LAB, [LAB_VI])
    sick = {"lab-lb1": report(), "lab-lb2": report(haproxy="down")}
    assert "lab-lb2 cannot take the VIPs: HAProxy is down there" in s.plan(built, sick, to="lab-lb2")["problems"][0]["problem"]
    assert "lab-lb2: HAProxy is down there" in s.plan(built, sick, away="lab-lb1")["problems"][0]["problem"]
    stopped = {"lab-lb1": report(), "lab-lb2": report(running=False)}
    assert "keepalived is not running there" in s.maintenance_plan(built, stopped, "lab-lb1", True)["problems"][0]["problem"]


def test_away_from_one_member_brings_an_earlier_avoided_one_back():
    built = model(LAB, [LAB_VI])
    assert s.plan(built, reports(lab_lb1="avoid"), away="lab-lb2")["standings"] == {"lab-lb1": "normal", "lab-lb2": "avoid"}


def test_a_member_pinned_at_254_cannot_be_outranked():
    pinned = [{**LAB_VI, "priority": 254}]
    built = model(LAB, pinned)
    assert "cannot win every instance, even preferred" in s.plan(built, {}, to="lab-lb2")["problems"][0]["problem"]


def test_nopreempt_instances_move_only_when_enforced():
    built = model(LAB, [{**LAB_VI, "nopreempt": True}])
    assert not s.preempts(built, "VI_1") and s.preempts(model(LAB, [LAB_VI]), "VI_1")
    holding = {"vips": [{"instance": "VI_1", "held": True}]}
    assert s.kicks(built, {"lab-lb1": "avoid"}, "lab-lb1", holding) == ["VI_1"]
    assert s.kicks(built, {"lab-lb1": "avoid"}, "lab-lb1", holding, enforce=False) == []
    assert s.expectations(built, {}, "lab-lb2", enforce=False) == {"VI_1": "any"}
    assert s.expectations(built, {"lab-lb2": "maintenance"}, "lab-lb2", enforce=False) == {"VI_1": "fault"}


def test_a_model_without_keepalived_settings_still_has_its_configured_master_win():
    # verify.yml on its own builds the model without keepalived's defaults: no priorities.
    built = model(LAB, [LAB_VI], priority_base=None, priority_step=None)
    assert s.candidates(built, {}, "VI_1") == ["lab-lb1"]
    assert s.candidates(built, {"lab-lb2": "preferred"}, "VI_1") == ["lab-lb2"]
    assert s.candidates(built, {"lab-lb1": "avoid"}, "VI_1") == ["lab-lb2"]


def test_standings_given_to_the_role_are_checked_before_they_are_written():
    built = model(LAB, [LAB_VI])
    assert s.standings_problems(built, {"lab-lb1": "maintenance", "lab-lb2": "normal"}) == []
    found = s.standings_problems(built, {"lab-lb1": "maintainance", "lb9": "avoid"})
    assert "keepalived_standings['lab-lb1'] is 'maintainance': use one of preferred, normal, avoid, maintenance" in found
    assert any("keepalived_standings names 'lb9', which is no member of the group (lab-lb1, lab-lb2)" in p for p in found)
    assert "give a mapping of member to standing" in s.standings_problems(built, "lab-lb1=avoid")[0]


def holding(standing="normal", held=0, **kwargs):
    """A vip_status result of a node that holds `held` VIPs."""
    return {**report(standing, **kwargs), "vips": [{"instance": "VI_4", "held": True}] * held}


def test_an_upgrade_goes_backups_first_each_handing_its_vips_over_and_taking_its_standing_back():
    built = model(DS, [V4])
    read = {"ds-lb1": holding(held=1), "ds-lb2": holding("avoid"), "ds-lb3": holding()}
    upgrade = s.upgrade_plan(built, read, ["ds-lb1", "ds-lb2", "ds-lb3"])
    assert upgrade["problems"] == [] and [r["node"] for r in upgrade["rounds"]] == ["ds-lb2", "ds-lb3", "ds-lb1"]
    before = {"ds-lb1": "normal", "ds-lb2": "avoid", "ds-lb3": "normal"}
    first, second, last = upgrade["rounds"]
    # Only the upgraded node's standing changes: the member the operator avoided stays avoided,
    # and the holder's VIPs go to the normal member, not to it.
    assert second["hand_over"] == {"standings": {**before, "ds-lb3": "avoid"}, "enforce": True}
    assert last["hand_over"] == {"standings": {**before, "ds-lb1": "avoid"}, "enforce": True}
    assert s.candidates(built, last["hand_over"]["standings"], "VI_4") == ["ds-lb3"]
    assert first["hand_over"]["standings"] == before
    # Each round ends with every standing as read; an instance without preemption stays put.
    assert all(r["back"] == {"standings": before, "enforce": False} for r in upgrade["rounds"])


def test_an_upgrade_hand_over_brings_an_avoided_member_back_when_the_node_would_tie_with_it():
    # Two members, the BACKUP avoided by a switchover: the holder avoided too would tie with it
    # (keepalived then picks by address), so the BACKUP is back to normal for the hand-over.
    built = model(LAB, [LAB_VI])
    read = {"lab-lb1": holding(held=1), "lab-lb2": holding("avoid")}
    hand_over = s.upgrade_plan(built, read, ["lab-lb1"])["rounds"][0]["hand_over"]["standings"]
    assert hand_over == {"lab-lb1": "avoid", "lab-lb2": "normal"} and s.candidates(built, hand_over, "VI_1") == ["lab-lb2"]


def test_an_upgrade_touches_only_the_nodes_named_that_have_something_to_do():
    built = model(DS, [V4])
    read = {"ds-lb1": holding(held=1), "ds-lb2": holding("maintenance"), "ds-lb3": holding()}
    # Nothing newer anywhere: no round, no move.
    assert s.upgrade_plan(built, read, [])["rounds"] == []
    named = s.upgrade_input(built, "ds-lb3, ds-lb2", None)
    assert named == {"nodes": ["ds-lb2", "ds-lb3"], "restart": False, "problems": []}
    upgrade = s.upgrade_plan(built, read, named["nodes"])
    assert [r["node"] for r in upgrade["rounds"]] == ["ds-lb2", "ds-lb3"]
    # A node in maintenance holds no VIP: it upgrades without a hand-over, and stays in maintenance.
    assert upgrade["rounds"][0]["hand_over"] is None
    assert upgrade["rounds"][0]["back"]["standings"]["ds-lb2"] == "maintenance"


@pytest.mark.parametrize("nodes, restart, expected", [
    (None, None, {"nodes": ["ds-lb1", "ds-lb2", "ds-lb3"], "restart": False}),
    # The same as a list (a vars file) and as a string (-e); a flag as a boolean or a word.
    (["ds-lb3", "ds-lb1"], True, {"nodes": ["ds-lb1", "ds-lb3"], "restart": True}),
    ("ds-lb3,ds-lb1", "yes", {"nodes": ["ds-lb1", "ds-lb3"], "restart": True}),
    ("", "off", {"nodes": ["ds-lb1", "ds-lb2", "ds-lb3"], "restart": False}),
])
def test_the_upgrade_input_means_the_same_from_a_vars_file_and_from_e(nodes, restart, expected):
    assert s.upgrade_input(model(DS, [V4]), nodes, restart) == {**expected, "problems": []}


@pytest.mark.parametrize("nodes, restart, words", [
    ("ds-lb3,lb9", None, "hapair_upgrade_nodes=ds-lb3,lb9: lb9 is no member of the group (ds-lb1, ds-lb2, ds-lb3)"),
    (7, None, "hapair_upgrade_nodes=7: give a list of members, or names separated by commas"),
    ({"ds-lb1": 1}, None, "hapair_upgrade_nodes={'ds-lb1': 1}: give a list of members"),
    (None, "maybe", "hapair_upgrade_restart=maybe: give true"),
])
def test_wrong_upgrade_input_names_the_variable_and_the_fix(nodes, restart, words):
    checked = s.upgrade_input(model(DS, [V4]), nodes, restart)
    assert checked["nodes"] == [] or restart is not None
    assert words in checked["problems"][0]["problem"]


def test_an_upgrade_never_hands_the_vips_to_a_member_that_cannot_take_them_nor_restarts_a_stopped_one():
    built = model(LAB, [LAB_VI])
    sick = {"lab-lb1": holding(held=1), "lab-lb2": holding(haproxy="down")}
    problems = [p["problem"] for p in s.upgrade_plan(built, sick, ["lab-lb1", "lab-lb2"])["problems"]]
    assert problems == [
        # A restart would start what was stopped: lab-lb2 would take part in the elections again.
        "upgrade.yml cannot upgrade lab-lb2 safely: HAProxy is down there. Repair it (site.yml), or leave it "
        "out with hapair_upgrade_nodes.",
        "upgrade.yml, upgrading lab-lb1: no other member can take its VIPs while it is upgraded "
        "(lab-lb2: HAProxy is down there); release or repair one first."]


def test_maintenance_takes_on_or_off_in_any_spelling_and_refuses_others():
    built = model(LAB, [LAB_VI])
    assert s.maintenance_plan(built, {}, "lab-lb1", "on") == s.maintenance_plan(built, {}, "lab-lb1", True)
    assert s.maintenance_plan(built, {}, "lab-lb1", "0")["steps"][0]["enforce"] is False
    assert s.maintenance_plan(built, {}, "lab-lb1", "maybe")["problems"][0]["problem"] == (
        "hapair_maintenance=maybe: give on or off (-e hapair_node=NODE -e hapair_maintenance=on).")
    assert "hapair_maintenance is not given" in s.maintenance_plan(built, {}, "lab-lb1", None)["problems"][0]["problem"]
