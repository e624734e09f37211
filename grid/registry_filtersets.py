"""Filters for the registry lists (buildings, houses, households, persons), shared by the API and
the pages. Filters only narrow: what a user may see at all is decided by grid/jurisdiction.py
before they apply, and every choice of a row (building, house, household) is drawn from the
user's own jurisdiction, so a filter cannot confirm that an id outside it exists.

There is deliberately no ID-number filter: an exact-ID search is a POST (API: /api/persons/
lookup/, pages: the search form), so the number never lands in a URL or an access log.
"""

from datetime import date

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from grid import codes
from grid.filtersets import FilterSet, SubtreeFilter
from grid.jurisdiction import areas_visible_to, restrict
from grid.models import Area, Building, CareTag, House, Household, Person

MAX_AGE = 150


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: date | None, day: date) -> int | None:
    """Age in whole years on `day` (Chinese custom: a year older on the birthday itself)."""
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def code_language() -> str:
    """The language code labels are shown in: English if the request asked for it, else
    Chinese."""
    return "en" if (get_language() or "").lower().startswith("en") else "zh-hans"


def _sex_choices():
    return [(entry.code, codes.label("sex", entry.code, code_language())) for entry in codes.SEX]


def _areas(request):
    return areas_visible_to(request.user) if request is not None else Area.objects.none()


def _scoped(model):
    def queryset(request):
        if request is None:
            return model.objects.none()
        return restrict(model.objects.all(), request.user, path_field="grid__path")

    return queryset


@extend_schema_field(OpenApiTypes.INT)
class AgeFilter(django_filters.Filter):
    """An age in whole years today (Asia/Shanghai), applied as a birth-date range so the birth
    date index serves it. `bound` says which end: "min" (at least) or "max" (at most)."""

    field_class = forms.IntegerField

    def __init__(self, *args, bound: str, **kwargs):
        self.bound = bound
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_AGE)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        today = timezone.localdate()
        if self.bound == "min":
            # At least `value` years old: born on or before this day `value` years ago.
            return qs.filter(birth_date__lte=years_before(today, value))
        # At most `value` years old: not yet `value + 1`, so born after that cut-off.
        return qs.filter(birth_date__gt=years_before(today, value + 1))


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class CareTagFilter(django_filters.ModelMultipleChoiceFilter):
    """Care tags by code, any of them (?care_tag=disabled&care_tag=low_income)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", CareTag.objects.all())
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        # EXISTS rather than a join: a person with two of the tags is still one row.
        tagged = Person.care_tags.through.objects.filter(
            person_id=OuterRef("pk"), caretag__in=value
        )
        return qs.filter(Exists(tagged))


class BuildingFilterSet(FilterSet):
    within = SubtreeFilter(path_field="grid__path", label=_("Within (the area and its subtree)"))
    grid = django_filters.ModelChoiceFilter(queryset=_areas, label=_("Grid"))
    q = django_filters.CharFilter(method="search", label=_("Number, name or address"))

    class Meta:
        model = Building
        fields = ["within", "grid", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(number=value) | Q(name__icontains=value) | Q(address__icontains=value)
        )


class HouseFilterSet(FilterSet):
    within = SubtreeFilter(path_field="grid__path", label=_("Within (the area and its subtree)"))
    grid = django_filters.ModelChoiceFilter(queryset=_areas, label=_("Grid"))
    building = django_filters.ModelChoiceFilter(queryset=_scoped(Building), label=_("Building"))
    unit = django_filters.NumberFilter()
    floor = django_filters.NumberFilter()
    use = django_filters.ChoiceFilter(choices=House.Use.choices)

    class Meta:
        model = House
        fields = ["within", "grid", "building", "unit", "floor", "use"]


class HouseholdFilterSet(FilterSet):
    within = SubtreeFilter(path_field="grid__path", label=_("Within (the area and its subtree)"))
    grid = django_filters.ModelChoiceFilter(queryset=_areas, label=_("Grid"))
    building = django_filters.ModelChoiceFilter(
        field_name="house__building", queryset=_scoped(Building), label=_("Building")
    )
    house = django_filters.ModelChoiceFilter(queryset=_scoped(House), label=_("House"))
    number = django_filters.CharFilter(label=_("Household number"))
    kind = django_filters.ChoiceFilter(choices=Household.Kind.choices)

    class Meta:
        model = Household
        fields = ["within", "grid", "building", "house", "number", "kind"]


class PersonFilterSet(FilterSet):
    """Persons; only those living here unless `status` says otherwise."""

    within = SubtreeFilter(path_field="grid__path", label=_("Within (the area and its subtree)"))
    grid = django_filters.ModelChoiceFilter(queryset=_areas, label=_("Grid"))
    building = django_filters.ModelChoiceFilter(
        field_name="house__building", queryset=_scoped(Building), label=_("Building")
    )
    house = django_filters.ModelChoiceFilter(queryset=_scoped(House), label=_("House"))
    household = django_filters.ModelChoiceFilter(queryset=_scoped(Household), label=_("Household"))
    population_type = django_filters.ChoiceFilter(
        choices=Person.PopulationType.choices, label=_("Population type")
    )
    care_tag = CareTagFilter(label=_("Care tag (any of)"))
    age_min = AgeFilter(bound="min", label=_("Age at least"))
    age_max = AgeFilter(bound="max", label=_("Age at most"))
    sex = django_filters.ChoiceFilter(choices=_sex_choices, label=_("Sex"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("Name contains"))
    status = django_filters.MultipleChoiceFilter(
        choices=Person.Status.choices, label=_("Status (default: living here)")
    )

    class Meta:
        model = Person
        fields = [
            "within",
            "grid",
            "building",
            "house",
            "household",
            "population_type",
            "care_tag",
            "age_min",
            "age_max",
            "sex",
            "name",
            "status",
        ]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=Person.Status.LIVING)
        return queryset
