"""Routing as a pure function: rules are plain Rule values, no database."""

from decimal import Decimal

import pytest

from cases import routing
from cases.routing import Rule
from grid.models import Area

Level = Area.Level
CATEGORY = 7
GRID_PATH = "/1/2/3/4/"  # district 1, street 2, community 3, grid 4


def rule(urgency="", area_path="", start_level=None, notify_all_levels=False, factor="1"):
    return Rule(
        category_id=CATEGORY,
        urgency=urgency,
        area_path=area_path,
        start_level=start_level,
        notify_all_levels=notify_all_levels,
        time_factor=Decimal(factor),
    )


def route(*rules, urgency="normal", grid_path=GRID_PATH, start=Level.GRID):
    return routing.route(
        category_id=CATEGORY,
        category_start_level=start,
        urgency=urgency,
        grid_path=grid_path,
        rules=rules,
    )


def test_without_a_rule_the_category_defaults_decide():
    assert route(start=Level.COMMUNITY) == routing.RoutingDecision(
        start_level=Level.COMMUNITY,
        notify_all_levels=False,
        time_factor=Decimal(1),
        natural_clock=False,
    )


def test_a_rule_for_any_urgency_anywhere_applies():
    decision = route(rule(start_level=Level.STREET, factor="0.5"))

    assert (decision.start_level, decision.time_factor) == (Level.STREET, Decimal("0.5"))


def test_rules_of_other_categories_are_ignored():
    other = Rule(
        category_id=CATEGORY + 1,
        urgency="",
        area_path="",
        start_level=Level.DISTRICT,
        notify_all_levels=True,
        time_factor=Decimal("0.1"),
    )

    assert route(other) == route()


def test_a_rule_for_another_urgency_is_ignored():
    assert route(rule(urgency="urgent", start_level=Level.STREET)).start_level == Level.GRID


def test_a_rule_for_the_cases_urgency_beats_one_for_any_urgency():
    decision = route(
        rule(start_level=Level.COMMUNITY, factor="0.8"),
        rule(urgency="urgent", start_level=Level.STREET, factor="0.5"),
        urgency="urgent",
    )

    assert (decision.start_level, decision.time_factor) == (Level.STREET, Decimal("0.5"))


def test_a_rule_for_the_cases_area_beats_one_for_everywhere():
    decision = route(
        rule(start_level=Level.COMMUNITY),
        rule(area_path="/1/2/", start_level=Level.STREET),
    )

    assert decision.start_level == Level.STREET


def test_a_rule_for_a_deeper_area_beats_one_for_a_wider_area():
    decision = route(
        rule(area_path="/1/", start_level=Level.DISTRICT),
        rule(area_path="/1/2/3/", start_level=Level.COMMUNITY),
        rule(area_path="/1/2/", start_level=Level.STREET),
    )

    assert decision.start_level == Level.COMMUNITY


def test_an_area_and_urgency_rule_beats_an_area_rule():
    decision = route(
        rule(area_path="/1/2/", start_level=Level.STREET),
        rule(area_path="/1/2/", urgency="urgent", start_level=Level.DISTRICT),
        urgency="urgent",
    )

    assert decision.start_level == Level.DISTRICT


def test_a_rule_for_another_area_is_ignored_even_when_its_id_is_a_prefix():
    # Area 2 is not area 22: paths end in a slash so a prefix never matches a longer id.
    decision = route(rule(area_path="/1/2/", start_level=Level.STREET), grid_path="/1/22/3/4/")

    assert decision.start_level == Level.GRID


def test_a_rule_without_a_start_level_keeps_the_categorys_but_sets_the_time():
    decision = route(rule(factor="0.25"), start=Level.COMMUNITY)

    assert (decision.start_level, decision.time_factor) == (Level.COMMUNITY, Decimal("0.25"))


def test_an_emergency_alerts_every_level_and_runs_on_the_natural_clock():
    decision = route(urgency="emergency")

    assert (decision.notify_all_levels, decision.natural_clock) == (True, True)
    assert decision.start_level == Level.GRID


def test_an_emergency_rule_sets_where_it_starts_and_how_fast():
    decision = route(
        rule(urgency="emergency", start_level=Level.DISTRICT, factor="0.25"), urgency="emergency"
    )

    assert decision == routing.RoutingDecision(
        start_level=Level.DISTRICT,
        notify_all_levels=True,
        time_factor=Decimal("0.25"),
        natural_clock=True,
    )


def test_a_rule_may_alert_every_level_without_an_emergency():
    decision = route(rule(urgency="urgent", notify_all_levels=True), urgency="urgent")

    assert (decision.notify_all_levels, decision.natural_clock) == (True, False)


@pytest.mark.parametrize(
    ("level", "accept", "handle"),
    [(Level.GRID, 2, 14), (Level.COMMUNITY, 4, 21), (Level.STREET, 7, 35), (Level.DISTRICT, 7, 70)],
)
def test_without_category_limits_each_level_has_the_default_hours(level, accept, handle):
    assert routing.stage_hours({}, level, "accept", Decimal(1)) == accept
    assert routing.stage_hours({}, level, "handle", Decimal(1)) == handle


def test_category_limits_replace_the_defaults_of_their_level_and_stage_only():
    limits = {"4": {"accept": 1, "handle": 7}, "3": {"accept": 2}}

    assert routing.stage_hours(limits, Level.GRID, "accept", Decimal(1)) == 1
    assert routing.stage_hours(limits, Level.GRID, "handle", Decimal(1)) == 7
    assert routing.stage_hours(limits, Level.COMMUNITY, "accept", Decimal(1)) == 2
    assert routing.stage_hours(limits, Level.COMMUNITY, "handle", Decimal(1)) == 21
    assert routing.stage_hours(limits, Level.STREET, "accept", Decimal(1)) == 7


def test_the_rules_factor_scales_the_hours():
    limits = {"4": {"accept": 1, "handle": 7}}

    assert routing.stage_hours(limits, Level.GRID, "handle", Decimal("0.5")) == 3.5
    assert routing.stage_hours({}, Level.DISTRICT, "accept", Decimal("0.25")) == 1.75


def test_the_chain_goes_one_level_up_and_ends_at_the_district():
    assert [routing.next_level_up(level) for level in (4, 3, 2, 1)] == [3, 2, 1, None]


def test_the_holder_at_each_level_is_read_off_the_grids_path():
    assert [routing.holder_at(level, GRID_PATH) for level in (1, 2, 3, 4)] == [1, 2, 3, 4]
