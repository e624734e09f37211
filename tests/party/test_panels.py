"""Party building on other apps' pages through grid/extensions.py: the supervisor's dashboard
and the monthly report show coverage and party work of the unit; the monthly report counts the
links in force at the month's end."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from party import selectors, services
from party.models import Activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(members, family):
    return services.link_household(
        actor=None, member=members["head"], household=family["household"], on=date(2026, 2, 10)
    )


def test_the_supervisor_dashboard_shows_party_coverage_and_work(client, user, linked, tree):
    services.record_visit(actor=None, link=linked, notes="走访")
    services.record_activity(
        actor=None, organisation=tree["branch1"], kind=Activity.Kind.VOLUNTEER, title="清洁",
        held_on=timezone.localdate(), hours=Decimal("2"), attendees=[linked.member],
    )  # fmt: skip
    client.force_login(user("supervisor"))

    response = client.get("/dashboard/")

    (panel,) = [p for p in response.context["panels"] if p["key"] == "party"]
    assert (panel["context"]["coverage"].linked, panel["context"]["coverage"].households) == (1, 2)
    assert (panel["context"]["work"].visits, panel["context"]["work"].volunteer_hours) == (
        1,
        Decimal("2"),
    )
    assert "data-party-dashboard" in response.content.decode()


def test_the_monthly_report_counts_the_links_in_force_at_the_months_end(
    client, user, linked, home_street
):
    client.force_login(user("supervisor"))
    unit = home_street.pk

    january = client.get(f"/dashboard/report/?unit={unit}&month=2026-01")
    february = client.get(f"/dashboard/report/?unit={unit}&month=2026-02")

    def coverage(response):
        (panel,) = [p for p in response.context["panels"] if p["key"] == "party"]
        return panel["context"]["coverage"].linked

    assert (coverage(january), coverage(february)) == (0, 1)
    assert "data-party-report" in february.content.decode()


def test_an_ended_link_leaves_the_coverage_from_its_end(linked, home_community):
    services.end_link(linked, actor=None, on=date(2026, 3, 1))

    before = selectors.coverage_of_area(home_community, on=date(2026, 2, 28))
    after = selectors.coverage_of_area(home_community, on=date(2026, 3, 1))

    assert (before.linked, after.linked) == (1, 0)


def test_work_figures_count_visits_and_activities_of_the_days_asked(linked, tree, home_street):
    services.record_visit(
        actor=None, link=linked, notes="走访", visited_at=timezone.now() - timedelta(days=40)
    )
    today = timezone.localdate()

    recent = selectors.work_figures(home_street, today - timedelta(days=30), today)
    wider = selectors.work_figures(home_street, today - timedelta(days=60), today)

    assert (recent.visits, wider.visits) == (0, 1)
