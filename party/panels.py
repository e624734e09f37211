"""Party building's panels on other apps' pages, through grid/extensions.py (registered in
PartyConfig.ready()), so grid and cases never import party:

- the area page (the grid page): the organisations attached to the area, their members (masked)
  and coverage of linked households below the area, for everyone whose jurisdiction covers the
  area (the page itself is scoped: the grid worker and upward);
- the dashboard and the monthly report: coverage of the unit, and its party work (visits,
  meetings, volunteer service) in the period or month shown.
"""

from django.db.models import Q
from django.utils import timezone

from grid import extensions
from grid.jurisdiction import covers
from grid.registry_views import decorate
from party import selectors
from party.models import Member, Organisation

MEMBERS_SHOWN = 50


def area_page(request, area, **extra) -> dict | None:
    if not covers(request.user, area):
        return None
    organisations = list(Organisation.objects.filter(area=area).order_by("path"))
    subtrees = Q(pk__in=[])
    for organisation in organisations:
        subtrees |= Q(organisation__path__startswith=organisation.path)
    members = list(
        Member.objects.filter(subtrees)
        .select_related("person")
        .order_by("person__name", "id")[:MEMBERS_SHOWN]
    )
    today = timezone.localdate()
    for member in members:
        decorate(member.person, today)
    return {
        "organisations": organisations,
        "members": members,
        "coverage": selectors.coverage_of_area(area),
    }


def dashboard(request, area, *, period=None, **extra) -> dict | None:
    """Coverage of the unit now, and its party work in the dashboard's period."""
    if area is None or not covers(request.user, area):
        return None
    context = {"coverage": selectors.coverage_of_area(area)}
    if period is not None:
        context["work"] = selectors.work_figures(area, period.start, period.end)
    return context


def monthly_report(request, area, *, month, **extra) -> dict | None:
    """Coverage of the unit at the end of the month (or today, for the month under way), and
    its party work in the month."""
    if not covers(request.user, area):
        return None
    return {
        "coverage": selectors.coverage_of_area(area, on=month.end),
        "work": selectors.work_figures(area, month.start, month.end),
        "month": month,
    }


def register() -> None:
    extensions.register_panel(extensions.AREA_PAGE, "party", "party/_area_panel.html", area_page)
    extensions.register_panel(
        extensions.DASHBOARD, "party", "party/_dashboard_panel.html", dashboard
    )
    extensions.register_panel(
        extensions.MONTHLY_REPORT, "party", "party/_report_panel.html", monthly_report
    )
