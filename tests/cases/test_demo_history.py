"""The demo's case history (`seed_demo --cases N`, which `make run` uses): recent, spread over
the levels and the ways a case can go, consistent with the rollups, and loaded only once."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Max, Min
from django.test import Client
from django.utils import timezone

from cases import rollups
from cases.demo import build_history, build_open_dispatches
from cases.models import Callback, Case, CaseEvent, Dispatch
from grid.models import Area
from tests.cases.test_rollups import snapshot

pytestmark = pytest.mark.django_db


def test_the_history_is_recent_and_goes_every_way_a_case_can(demo):
    before = timezone.now()

    assert build_history(cases=120, days=30) == 120

    assert Case.objects.count() == 120
    span = Case.objects.aggregate(first=Min("reported_at"), last=Max("reported_at"))
    assert before - timedelta(days=30, hours=2) <= span["first"] < span["last"] <= before
    assert not CaseEvent.objects.filter(at__gt=timezone.now()).exists()
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"closed", "rejected", "reported", "in_progress"} <= statuses
    closed_at = set(Case.objects.filter(status="closed").values_list("closed_level", flat=True))
    assert {Area.Level.GRID, Area.Level.COMMUNITY, Area.Level.STREET} <= closed_at
    assert Dispatch.objects.filter(status=Dispatch.Status.DONE).exists()
    assert Callback.objects.exists()
    assert CaseEvent.objects.filter(action="verify_fail").exists()


def test_each_case_history_runs_forward_in_time(demo):
    build_history(cases=40, days=10)

    for case in Case.objects.prefetch_related("events"):
        moments = [event.at for event in case.events.order_by("version")]
        assert moments == sorted(moments), case.number
        assert moments[0] == case.reported_at


def test_the_rollups_kept_while_filing_equal_a_rebuild(demo):
    build_history(cases=60, days=20)
    kept = snapshot()

    rollups.rebuild()

    assert snapshot() == kept


def test_a_district_with_cases_gets_no_second_history(demo):
    build_history(cases=10, days=5)

    assert build_history(cases=10, days=5) == 0
    assert Case.objects.count() == 10


def test_the_demo_leaves_the_transport_bureau_work_in_its_inbox(demo):
    assert build_open_dispatches() == 2

    leads = Dispatch.objects.filter(department__code__endswith="-JT")
    assert sorted(leads.values_list("status", flat=True)) == ["pending", "signed"]
    assert set(leads.values_list("case__status", flat=True)) == {"dispatched"}
    cooperating = Dispatch.objects.filter(department__code__endswith="-JS")
    assert cooperating.count() == 2
    client = Client()
    client.force_login(get_user_model().objects.get(username="transport"))
    inbox = client.get("/console/dispatches/").content.decode()
    assert all(f'data-dispatch="{d.pk}"' in inbox for d in leads)


def test_the_history_is_notified_as_a_set_and_queues_no_message_per_step(
    demo, django_capture_on_commit_callbacks
):
    """A first `make run` found hundreds of notify messages queued ahead of the worker's
    heartbeat and of the cases filed meanwhile: the history now writes its notifications
    itself, at the end."""
    with django_capture_on_commit_callbacks() as callbacks:
        build_history(cases=30, days=10)

    # Nothing is sent: the one callback left marks the rollups' ledger pending for the fold.
    assert [callback.__name__ for callback in callbacks] == ["_mark_pending"]
    # The filings' own first events wait for the worker's routing round, as any filing's do.
    assert not CaseEvent.objects.filter(version__gt=1, notified_at__isnull=True).exists()
    assert CaseEvent.objects.filter(version__gt=1).exists()
