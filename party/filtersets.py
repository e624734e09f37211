"""Filters of party lists, shared by the API and the pages. Filters only narrow: what a user may
see at all is decided by grid/jurisdiction.py before they apply."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid.filtersets import FilterSet, SubtreeFilter
from grid.jurisdiction import restrict
from grid.models import Area
from party.models import Activity, HouseholdLink, Member, Organisation, Visit


class IdFilter(django_filters.NumberFilter):
    """A row id, bounded like the id column, so an absurd id is a 400, not a database error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)


def _organisations_of_request(request):
    if request is None:
        return Organisation.objects.none()
    return restrict(Organisation.objects.all(), request.user, path_field="area__path")


class OrganisationSubtreeFilter(django_filters.ModelChoiceFilter):
    """Rows of the chosen organisation or of one below it."""

    def __init__(self, *args, path_field: str, **kwargs):
        self.path_field = path_field
        kwargs.setdefault("queryset", _organisations_of_request)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.path_field}__startswith": value.path})


class OrganisationFilterSet(FilterSet):
    kind = django_filters.ChoiceFilter(choices=Organisation.Kind.choices)
    parent = django_filters.ModelChoiceFilter(queryset=_organisations_of_request)
    within = SubtreeFilter(path_field="area__path", label=_("In the area and below"))
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))

    class Meta:
        model = Organisation
        fields = ["kind", "parent", "within", "q"]


class MemberFilterSet(FilterSet):
    organisation = OrganisationSubtreeFilter(
        path_field="organisation__path", label=_("Organisation and below")
    )
    status = django_filters.ChoiceFilter(choices=Member.Status.choices)
    grid = SubtreeFilter(path_field="person__grid__path", label=_("Living in the area"))
    q = django_filters.CharFilter(method="search", label=_("Name"))

    class Meta:
        model = Member
        fields = ["organisation", "status", "grid", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(person__name__icontains=value))


class HouseholdLinkFilterSet(FilterSet):
    member = IdFilter(field_name="member_id")
    grid = SubtreeFilter(path_field="grid__path", label=_("In the area"))
    current = django_filters.BooleanFilter(
        field_name="ended_on", lookup_expr="isnull", label=_("Current links only")
    )

    class Meta:
        model = HouseholdLink
        fields = ["member", "grid", "current"]


class VisitFilterSet(FilterSet):
    member = IdFilter(field_name="member_id")
    household = IdFilter(field_name="household_id")
    status = django_filters.ChoiceFilter(choices=Visit.Status.choices)
    grid = SubtreeFilter(path_field="grid__path", label=_("In the area"))

    class Meta:
        model = Visit
        fields = ["member", "household", "status", "grid"]


class ActivityFilterSet(FilterSet):
    organisation = OrganisationSubtreeFilter(
        path_field="organisation__path", label=_("Organisation and below")
    )
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices)
    year = django_filters.NumberFilter(
        field_name="held_on", lookup_expr="year", min_value=1, max_value=9999
    )

    class Meta:
        model = Activity
        fields = ["organisation", "kind", "year"]


class CoverageFilterSet(FilterSet):
    within = SubtreeFilter(label=_("In the area and below"))

    class Meta:
        model = Area
        fields = ["within"]
