"""Every measure against values computed by hand on the fixed history of tests/cases/histories.py,
from the rollups and straight from the cases; periods, comparisons, scores and weights."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from cases import metrics, services
from cases.metrics import Counters, Period
from cases.models import Category, Dispatch, ScoreWeight
from grid.models import Department
from tests.cases import histories

pytestmark = pytest.mark.django_db

# The fixed history's fixtures live beside its builder.
clock = histories.clock
history = histories.history

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))

# 黄埔花园社区, March 2026, by hand (case letters as in tests/cases/histories.py):
# received A B C D E F G H K; not registered F; suspended E; so 7 due to close. Closed A B G at
# the grid, C at the community, H at the district. Missed deadlines: C (grid), D (street and
# district), E (community), H (a dispatch). Reworked: B (failed check), G (reopened), H (failed
# check). Callbacks: A 5, B 3, G 1, H 4. Handling: A 0.5 h, C 7 h, B 24 h, H 48 h, G 72 h 20 min.
HOME_COMMUNITY_MARCH = {
    "received": 9,
    "accepted": 6,  # A B G on the spot or accepted at the grid, C, E, H higher up
    "rejected": 1,
    "closed": 5,
    "suspended": 1,
    "open": 2,  # D at the district, K back at the grid
    "overdue": 4,
    "overdue_open": 1,  # D
    "urged": 1,  # D
    "escalated_out": 2,  # D by hand, E by the sweeper
    "auto_escalated_out": 1,  # E
    "escalated_in": 2,  # C by the sweeper, K by hand
    "returned_down": 1,  # K
    "deadline_misses": 1,  # E
    "callbacks": 4,
    "closure_rate": 71.43,  # 5 / 7
    "on_time_rate": 42.86,  # A B G / 7
    "grid_rate": 60.0,  # 3 / 5
    "community_rate": 80.0,  # 4 / 5
    "street_rate": 80.0,
    "rework_rate": 60.0,  # 3 / 5
    "satisfaction_rate": 50.0,  # A and H of 4
    "average_hours": 30.37,  # (0.5 + 7 + 24 + 48 + 72 1/3) / 5
    "median_hours": 24.0,  # 0, 7, 24, 48, 72
}


def test_each_area_measure_matches_the_hand_computed_value(history, home_community):
    counters = metrics.area_counters(home_community, MARCH)

    assert metrics.values(metrics.AREA_MEASURES, counters) == HOME_COMMUNITY_MARCH


def test_the_rollups_give_the_counters_the_cases_give_for_every_unit_and_filter(
    history, demo, home_street, home_community, home_grids
):
    units = [demo, home_street, home_community, *home_grids]
    categories = [None, Category.objects.get(code="01"), Category.objects.get(code="0802")]

    for unit in units:
        for period in (MARCH, FEBRUARY):
            for category in categories:
                assert metrics.area_counters(
                    unit, period, category=category
                ) == metrics.area_counters_from_cases(unit, period, category=category), (
                    unit.name,
                    period,
                    category,
                )


def test_a_grid_counts_its_own_cases_and_its_own_escalations(history, home_grids):
    measured = metrics.values(metrics.AREA_MEASURES, metrics.area_counters(home_grids[0], MARCH))

    # grid1's grid: A B E F G K; K escalated from here; nothing comes up into a grid.
    assert (measured["received"], measured["closed"], measured["escalated_out"]) == (6, 3, 1)
    assert (measured["escalated_in"], measured["closure_rate"]) == (0, 75.0)  # 3 / (6 − 1 − 1)


def test_the_district_sees_the_escalations_it_received_and_the_deadlines_it_missed(history, demo):
    measured = metrics.values(metrics.AREA_MEASURES, metrics.area_counters(demo, MARCH))

    # I (elsewhere in the street) is counted; J (February) is not.
    assert measured["received"] == 10
    assert (measured["escalated_in"], measured["escalated_out"]) == (1, 0)  # D from the street
    assert measured["deadline_misses"] == 2  # D marked overdue, H's dispatch


def test_a_case_counts_in_the_period_it_was_reported(history, home_community):
    measured = metrics.values(
        metrics.AREA_MEASURES, metrics.area_counters(home_community, FEBRUARY)
    )

    # J: reported on 27 February, resolved on the spot on 2 March after 71 h.
    assert (measured["received"], measured["closed"], measured["closure_rate"]) == (1, 1, 100.0)
    assert (measured["average_hours"], measured["median_hours"]) == (71.0, 71.0)


def test_a_category_filter_takes_a_main_class_or_one_subclass(history, home_community):
    main_class = metrics.area_counters(
        home_community, MARCH, category=Category.objects.get(code="01")
    )
    subclass = metrics.area_counters(
        home_community, MARCH, category=Category.objects.get(code="0802")
    )

    assert (main_class["received"], main_class["closed"]) == (6, 4)  # A B C F G K
    assert (subclass["received"], subclass["closed"], subclass["closed_district"]) == (1, 1, 1)


def test_each_department_measure_matches_the_hand_computed_value(history):
    transport = Department.objects.get(name="区交通运输局")
    construction = Department.objects.get(name="区住房和城乡建设局")

    measured = {
        d.name: metrics.values(metrics.DEPARTMENT_MEASURES, metrics.department_counters(d, MARCH))
        for d in (transport, construction)
    }

    assert measured == {
        "区交通运输局": {
            "dispatched": 1,
            "refused": 1,
            "done": 0,
            "overdue": 0,
            "refusal_rate": 100.0,
            "done_on_time_rate": None,  # nothing left to do once refused
            "department_rework_rate": None,
        },
        "区住房和城乡建设局": {
            # H: cooperating (cancelled by the refusal), lead (failed the check), lead (overdue)
            "dispatched": 3,
            "refused": 0,
            "done": 2,
            "overdue": 1,
            "refusal_rate": 0.0,
            "done_on_time_rate": 33.33,
            "department_rework_rate": 50.0,
        },
    }
    for department in (transport, construction):
        assert metrics.department_counters(
            department, MARCH
        ) == metrics.department_counters_from_cases(department, MARCH)


def test_a_dispatch_closed_with_its_case_is_scored_late_only_if_its_deadline_had_passed(
    clock, file_case, user
):
    transport = Department.objects.get(name="区交通运输局")
    construction = Department.objects.get(name="区住房和城乡建设局")

    def dispatched_at(day: int, due_hours: int):
        clock.set(histories.march(day, 9))
        case = file_case("0802")  # starts at the district
        services.accept_case(case, actor=user("district"))
        services.dispatch_case(
            case,
            actor=user("district"),
            lead=transport,
            cooperating=[construction],
            due_at=histories.march(day, 9 + due_hours),
        )
        lead = case.dispatches.get(role="lead")
        services.sign_dispatch(lead, actor=user("transport"))
        return case, case.dispatches.get(pk=lead.pk)

    # Early: the lead resolves the case an hour in, construction's deadline still ahead.
    early, lead = dispatched_at(2, 4)
    clock.set(histories.march(2, 10))
    services.report_dispatch_done(
        lead, actor=user("transport"), result="已处置", go_ahead_reason="无需配合"
    )
    # Late: construction's deadline passed at 11:00, unseen by the sweeper, before the lead
    # (given more time) resolved the case at 12:00.
    late, lead = dispatched_at(3, 2)
    services.request_extension(
        lead, actor=user("transport"), until=histories.march(3, 18), reason="需采购"
    )
    services.approve_extension(Dispatch.objects.get(pk=lead.pk), actor=user("district"))
    clock.set(histories.march(3, 12))
    services.report_dispatch_done(
        Dispatch.objects.get(pk=lead.pk),
        actor=user("transport"),
        result="已处置",
        go_ahead_reason="配合部门逾期未反馈",
    )

    assert [e.action for e in late.events.order_by("version")][-4:] == [
        "dispatch_report_done",
        "dispatch_overdue",
        "dispatch_close_with_case",
        "resolve",
    ]
    early_helper = early.dispatches.get(department=construction)
    late_helper = late.dispatches.get(department=construction)
    assert (early_helper.status, early_helper.is_overdue) == ("closed_with_case", False)
    assert (late_helper.status, late_helper.is_overdue) == ("closed_with_case", True)
    counters = metrics.department_counters(construction, MARCH)
    assert counters == metrics.department_counters_from_cases(construction, MARCH)
    measured = metrics.values(metrics.DEPARTMENT_MEASURES, counters)
    # Two received; the early one is not scored; the late one counts, late.
    assert (measured["dispatched"], measured["overdue"], measured["done"]) == (2, 1, 0)
    assert counters["closed_with_case"] == 1
    assert measured["done_on_time_rate"] == 0.0
    only_early = Period(date(2026, 3, 2), date(2026, 3, 2))
    assert (
        metrics.values(
            metrics.DEPARTMENT_MEASURES, metrics.department_counters(construction, only_early)
        )["done_on_time_rate"]
        is None
    )


def test_each_grid_worker_measure_matches_the_hand_computed_value(history, home_community):
    users = get_user_model().objects
    table = metrics.worker_table(home_community, MARCH)
    measured = {
        user.username: metrics.values(metrics.WORKER_MEASURES, table[user.pk])
        for user in users.filter(username__in=["grid1", "grid2"])
    }

    assert measured == {
        # A B E F G K, F not registered; A and G on the spot; checks of B (twice) and G.
        "grid1": {
            "reported": 6,
            "rejected": 1,
            "self_resolved": 2,
            "verified": 3,
            "valid_report_rate": 83.33,
        },
        # C D H; checks of C and H (twice).
        "grid2": {
            "reported": 3,
            "rejected": 0,
            "self_resolved": 0,
            "verified": 3,
            "valid_report_rate": 100.0,
        },
    }
    for user in users.filter(username__in=["grid1", "grid2"]):
        assert table[user.pk] == metrics.worker_counters_from_cases(user, home_community, MARCH)


def test_the_live_counts_show_open_and_overdue_cases_by_the_level_holding_them(
    history, demo, home_community, home_grids
):
    live = metrics.live_counts(demo)

    # D waits at the district (overdue); I and K wait at their grids.
    assert {level: (c["open"], c["overdue_open"]) for level, c in live.items()} == {
        1: (1, 1),
        4: (2, 0),
    }
    grids = metrics.live_map(home_community.children.all())
    assert {pk: c["open"] for pk, c in grids.items()} == {home_grids[0].pk: 1, home_grids[1].pk: 1}


def test_a_period_knows_the_period_before_and_the_same_days_a_year_earlier():
    period = Period(date(2024, 2, 1), date(2024, 2, 29))

    assert period.previous() == Period(date(2024, 1, 3), date(2024, 1, 31))
    assert period.last_year() == Period(date(2023, 2, 1), date(2023, 2, 28))
    assert MARCH.previous() == Period(date(2026, 1, 29), date(2026, 2, 28))


def test_a_change_is_in_points_for_rates_and_in_percent_for_counts():
    assert metrics.change(71.43, 60.0, metrics.PERCENT) == 11.43
    assert metrics.change(9, 6, metrics.COUNT) == 50.0
    assert metrics.change(9, 0, metrics.COUNT) is None
    assert metrics.change(None, 6, metrics.COUNT) is None


def test_the_median_of_an_even_number_of_cases_is_the_mean_of_the_middle_two():
    counters = Counters(closed=4, handling_hours={1: 1, 3: 1, 10: 1, 200: 1})

    assert metrics.AREA_MEASURES["median_hours"](counters) == 6.5
    assert metrics.AREA_MEASURES["median_hours"](Counters()) is None


def test_the_composite_score_weighs_each_rate_and_turns_lower_is_better_around(
    history, home_community
):
    measured = metrics.values(metrics.AREA_MEASURES, metrics.area_counters(home_community, MARCH))
    weights = metrics.weights(ScoreWeight.UnitKind.AREA)

    points = metrics.score(measured, ScoreWeight.UnitKind.AREA, weights)

    # (71.43×25 + 42.86×30 + 60×15 + (100 − 60)×10 + 50×20) / 100
    assert points == 53.72
    assert metrics.grade(points) == "red"
    assert [metrics.grade(p) for p in (85, 84.99, 70, None)] == ["green", "yellow", "yellow", ""]


def test_a_score_leaves_out_rates_without_a_value():
    measured = {"closure_rate": 90.0, "on_time_rate": None, "rework_rate": None}
    weighting = {"closure_rate": Decimal(1), "on_time_rate": Decimal(3), "rework_rate": Decimal(1)}

    assert metrics.score(measured, ScoreWeight.UnitKind.AREA, weighting) == 90.0
    assert metrics.score({}, ScoreWeight.UnitKind.AREA, weighting) is None


def test_ranks_are_shared_by_equal_scores_and_units_without_a_score_come_last():
    rows = [{"name": n, "score": s} for n, s in [("a", 80), ("b", None), ("c", 90), ("d", 80)]]

    ranked = metrics.rank(rows)

    assert [(r["name"], r["rank"]) for r in ranked] == [("c", 1), ("a", 2), ("d", 2), ("b", None)]


def test_an_administrator_replaces_the_weights_and_they_are_used(demo):
    admin = get_user_model().objects.get(username="admin")

    metrics.save_weights("area", {"closure_rate": 60, "satisfaction_rate": "40"}, actor=admin)

    assert metrics.weights("area") == {
        "closure_rate": Decimal("60.00"),
        "satisfaction_rate": Decimal("40.00"),
    }


def test_only_an_administrator_may_change_the_weights(demo):
    supervisor = get_user_model().objects.get(username="supervisor")

    with pytest.raises(PermissionDenied):
        metrics.save_weights("area", {"closure_rate": 60}, actor=supervisor)
    assert not ScoreWeight.objects.exists()


def test_bad_weights_are_refused_per_measure_and_nothing_is_stored(demo):
    admin = get_user_model().objects.get(username="admin")

    with pytest.raises(ValidationError) as refused:
        metrics.save_weights(
            "area", {"closure_rate": -1, "received": 10, "on_time_rate": "x"}, actor=admin
        )

    assert set(refused.value.message_dict) == {"closure_rate", "received", "on_time_rate"}
    with pytest.raises(ValidationError) as refused:
        metrics.save_weights("area", {"closure_rate": 0}, actor=admin)
    assert set(refused.value.message_dict) == {"weights"}
    assert not ScoreWeight.objects.exists()


def test_every_measure_has_a_formula_and_is_in_the_docs():
    docs = (settings.BASE_DIR / "docs" / "metrics.md").read_text()

    for registry in (metrics.AREA_MEASURES, metrics.DEPARTMENT_MEASURES, metrics.WORKER_MEASURES):
        for key, measure in registry.items():
            assert measure.formula, key
            assert f"`{key}`" in docs, key
