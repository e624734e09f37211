"""Fixtures of the fault-injection tests: many overdue cases made at once, and history checks;
the case fixtures of tests/cases (user, category, file_case) are shared, not copied."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count

from cases.calendar import SHANGHAI
from cases.models import Case, CaseEvent, Category
from grid.models import Area
from tests.cases.conftest import category, file_case, user  # noqa: F401  (shared fixtures)

LONG_AGO = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # filed then, its deadline long past


@pytest.fixture
def overdue_cases(home_grids):
    """overdue_cases(n) → ids of n committed grid-level cases filed by grid1 long ago, their
    accept deadline long past: the rows report_case would write (case and report event), made
    with two bulk inserts. They count as routed and notified, so only the sweeper acts on them.
    """
    grid = home_grids[0]

    def make(n: int) -> list[int]:
        reporter = get_user_model().objects.get(username="grid1")
        subcategory = Category.objects.get(code="0101")
        cases = Case.objects.bulk_create(
            [
                Case(
                    number=f"R{uuid.uuid4().hex[:24]}",
                    category=subcategory,
                    title=f"超时未受理 {i}",
                    lng=grid.centroid_lng,
                    lat=grid.centroid_lat,
                    grid=grid,
                    level=Area.Level.GRID,
                    holder=grid,
                    reporter=reporter,
                    reported_at=LONG_AGO,
                    due_at=LONG_AGO + timedelta(hours=2),
                    routed_at=LONG_AGO,
                )
                for i in range(n)
            ],
            batch_size=500,
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=case,
                    action="report",
                    actor=reporter,
                    at=LONG_AGO,
                    to_status=Case.Status.REPORTED,
                    to_level=Area.Level.GRID,
                    to_holder=grid,
                    version=1,
                    notified_at=LONG_AGO,
                )
                for case in cases
            ],
            batch_size=500,
        )
        return [case.pk for case in cases]

    return make


def history_gaps_and_duplicates(case_ids) -> tuple[list, list]:
    """(cases whose event versions are not exactly 1..version, (case, version) pairs recorded
    more than once) among `case_ids`."""
    duplicates = list(
        CaseEvent.objects.filter(case__in=case_ids)
        .values("case", "version")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("case", "version")
    )
    versions: dict[int, list[int]] = {}
    for case_id, version in (
        CaseEvent.objects.filter(case__in=case_ids)
        .order_by("case", "version")
        .values_list("case", "version")
    ):
        versions.setdefault(case_id, []).append(version)
    current = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "version"))
    gaps = [
        case_id
        for case_id in case_ids
        if sorted(set(versions.get(case_id, []))) != list(range(1, current[case_id] + 1))
    ]
    return gaps, duplicates
