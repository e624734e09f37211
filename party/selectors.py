"""Reads of party building that pages, the API and the dashboards share: coverage of linked
households per grid and per area, and an organisation's statistics. A few grouped queries each,
whatever the number of grids; callers scope what they pass in."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from grid.models import Area, Household, Person
from party.models import Activity, Attendance, HouseholdLink, Member, Organisation, Visit


def occupied_households() -> QuerySet[Household]:
    """Households someone lives in now (the registry clears a leaver's household, so any
    current member is a living one). Coverage counts these: an emptied household needs no
    linked member."""
    return Household.objects.filter(
        Exists(Person.objects.filter(household=OuterRef("pk"), status=Person.Status.LIVING))
    )


def current_links(on: date | None = None) -> QuerySet[HouseholdLink]:
    """Links in force now, or at the end of the day `on` (the history keeps every link)."""
    if on is None:
        return HouseholdLink.objects.filter(ended_on__isnull=True)
    return HouseholdLink.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=on), started_on__lte=on
    )


def active_links(on: date | None = None) -> QuerySet[HouseholdLink]:
    """Links in force whose member still lives here: a member who died or moved out (the
    registry's life events) links with nobody, though the link stays open until someone ends
    it and the household is linked anew. For a past day, the member's status is today's."""
    return current_links(on).filter(member__person__status=Person.Status.LIVING)


def _linked(queryset: QuerySet[Household], on: date | None = None) -> QuerySet[Household]:
    return queryset.filter(Exists(active_links(on).filter(household=OuterRef("pk"))))


@dataclass
class Coverage:
    """Households linked with a party member out of all occupied households."""

    area: Area | None
    households: int
    linked: int
    members: int = 0

    @property
    def rate(self) -> float | None:
        """The share linked, 0–1; None where nobody lives."""
        return self.linked / self.households if self.households else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


def coverage_by_grid(grids: QuerySet[Area]) -> list[Coverage]:
    """Coverage of each grid in `grids` (three grouped queries), in their order; `members`
    counts the living party members who live in the grid."""
    grids = list(grids)
    ids = [g.pk for g in grids]
    occupied = occupied_households().filter(grid_id__in=ids)
    totals = dict(occupied.values_list("grid_id").annotate(n=Count("pk")).order_by())
    linked = dict(_linked(occupied).values_list("grid_id").annotate(n=Count("pk")).order_by())
    members = dict(
        Member.objects.filter(person__grid_id__in=ids, person__status=Person.Status.LIVING)
        .values_list("person__grid_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        Coverage(g, totals.get(g.pk, 0), linked.get(g.pk, 0), members.get(g.pk, 0)) for g in grids
    ]


def coverage_of_area(area: Area, *, on: date | None = None) -> Coverage:
    """Coverage of every grid below `area` together (three queries). With `on`, the households
    linked at the end of that day; the households are those occupied now either way (the
    registry keeps who lived where, but not a count of occupied households per day)."""
    occupied = occupied_households().filter(grid__path__startswith=area.path)
    members = Member.objects.filter(
        person__grid__path__startswith=area.path, person__status=Person.Status.LIVING
    ).count()
    return Coverage(area, occupied.count(), _linked(occupied, on).count(), members)


@dataclass
class WorkFigures:
    """Party work in an area over some days: members' visits to their linked households, and
    the activities of organisations attached there, with the volunteer hours given."""

    visits: int
    meetings: int
    volunteer_activities: int
    volunteer_hours: Decimal


def work_figures(area: Area, start: date, end: date) -> WorkFigures:
    """Party work below `area` from `start` to `end`, both included (three queries)."""
    visits = Visit.objects.filter(
        grid__path__startswith=area.path,
        status=Visit.Status.DONE,
        visited_at__date__gte=start,
        visited_at__date__lte=end,
    ).count()
    activities = Activity.objects.filter(
        organisation__area__path__startswith=area.path, held_on__gte=start, held_on__lte=end
    )
    counts = activities.aggregate(
        total=Count("pk"), volunteer=Count("pk", filter=Q(kind=Activity.Kind.VOLUNTEER))
    )
    hours = Attendance.objects.filter(
        activity__in=activities.filter(kind=Activity.Kind.VOLUNTEER)
    ).aggregate(total=Sum("hours"))["total"]
    return WorkFigures(
        visits=visits,
        meetings=counts["total"] - counts["volunteer"],
        volunteer_activities=counts["volunteer"],
        volunteer_hours=hours or Decimal("0"),
    )


@dataclass
class OrganisationStatistics:
    """An organisation with everything below it, for one year."""

    year: int
    members: int
    by_status: dict[str, int]
    activities: int
    meetings: int
    volunteer_activities: int
    volunteer_hours: Decimal
    households_linked: int


def organisation_statistics(
    organisation: Organisation, *, year: int | None = None
) -> OrganisationStatistics:
    """Members (living), activities of `year` (this year by default), volunteer hours given in
    them, and households linked now, of the organisation and its subtree."""
    year = year or timezone.localdate().year
    subtree = Q(organisation__path__startswith=organisation.path)
    members = Member.objects.filter(subtree, person__status=Person.Status.LIVING)
    by_status = dict(members.values_list("status").annotate(n=Count("pk")).order_by())
    activities = Activity.objects.filter(subtree, held_on__year=year)
    counts = activities.aggregate(
        total=Count("pk"), volunteer=Count("pk", filter=Q(kind=Activity.Kind.VOLUNTEER))
    )
    hours = Attendance.objects.filter(
        activity__in=activities.filter(kind=Activity.Kind.VOLUNTEER)
    ).aggregate(total=Sum("hours"))["total"]
    linked = active_links().filter(member__organisation__path__startswith=organisation.path)
    return OrganisationStatistics(
        year=year,
        members=sum(by_status.values()),
        by_status={s: by_status.get(s, 0) for s in Member.Status.values},
        activities=counts["total"],
        meetings=counts["total"] - counts["volunteer"],
        volunteer_activities=counts["volunteer"],
        volunteer_hours=hours or Decimal("0"),
        households_linked=linked.count(),
    )
