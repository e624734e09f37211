"""Community-service figures for an area and a period: requests received, done, on time,
average days, satisfaction, overdue; visits done against due (coverage); top services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community import metrics, services
from community.models import ServiceRequest, VisitSchedule

pytestmark = pytest.mark.django_db


def test_request_figures_per_community_and_grid(record, user, home_community, home_grids):
    done = record()
    services.accept_request(done, actor=user("community"))
    services.complete_request(done, actor=user("community"), result="ok", satisfaction=4)
    late = record(service="legal_advice")
    ServiceRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    today = timezone.localdate()

    total, per_grid = metrics.figures(home_community, today - timedelta(days=29), today)

    assert (total.received, total.done, total.done_on_time) == (2, 1, 1)
    assert (total.open, total.overdue_open, total.satisfaction) == (1, 1, 4.0)
    assert total.on_time_rate == 100.0
    assert total.average_days is not None
    assert metrics.top_services(total)[0][1] == 1
    first = next(f for f in per_grid if f.area == home_grids[0])
    assert first.received == 2
    assert sum(f.received for f in per_grid) == 2


def test_visit_coverage_counts_visits_done_against_due(elderly, user, home_community):
    today = timezone.localdate()
    # Weekly visits over 14 days: two are due; one is done.
    services.record_visit(actor=user("grid1"), person=elderly, findings="好")

    total, _per_grid = metrics.figures(home_community, today - timedelta(days=13), today)

    assert (total.people_to_visit, total.visits_due, total.visits_done) == (1, 2, 1)
    assert total.coverage == 50.0
    assert total.overdue_visits == 0


def test_a_missed_visit_counts_as_overdue(elderly, home_community):
    VisitSchedule.objects.filter(person=elderly).update(
        next_visit_on=timezone.localdate() - timedelta(days=2)
    )
    today = timezone.localdate()

    total, _per_grid = metrics.figures(home_community, today - timedelta(days=6), today)

    assert (total.overdue_visits, total.coverage) == (1, 0.0)
