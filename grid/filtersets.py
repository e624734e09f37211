"""Filters for area and department lists, shared by the API and the pages. Filters only narrow:
what a user may see at all is decided by grid/jurisdiction.py before they apply.

Every filter set of the project derives from `FilterSet` here, which owns its filters (see
there)."""

import copy
from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from grid import geo
from grid.jurisdiction import areas_visible_to
from grid.lookups import by_id_or_code
from grid.models import Area, Department


class _OwnFiltersMetaclass(django_filters.filterset.FilterSetMetaclass):
    """Each class keeps its own pristine copy of its filters and hands out copies only.

    django-filter shares one Filter object between a filter set and its subclasses (and between
    `declared_filters` and `base_filters`), and a Filter caches its form field and its label
    the first time they are read. drf-spectacular reads `base_filters[...].field` while it
    builds the API schema, in whatever language that request speaks, so the cached field then
    reached every later filter set instance (deep copies carry the cache): the console queue
    lost its own labels, empty choices and checkbox widget until the process restarted. With
    copies only, whatever one reader builds or changes stays with that reader.
    """

    def __new__(mcs, name, bases, attrs):
        new_class = super().__new__(mcs, name, bases, attrs)
        # The subclass' declared filters are its bases' objects: take copies of its own.
        new_class.declared_filters = copy.deepcopy(new_class.declared_filters)
        return new_class

    @property
    def base_filters(cls):
        return copy.deepcopy(cls._own_filters)

    @base_filters.setter
    def base_filters(cls, filters):
        cls._own_filters = copy.deepcopy(filters)


class _BaseFiltersOfTheClass:
    # An instance reads `self.base_filters` through its class (the metaclass' property is not
    # visible from instances), so it gets fresh copies too.
    def __get__(self, instance, owner):
        return owner.base_filters


class FilterSet(django_filters.FilterSet, metaclass=_OwnFiltersMetaclass):
    """django-filter's FilterSet whose filters are never shared with another filter set or with
    a schema generator (see _OwnFiltersMetaclass)."""

    base_filters = _BaseFiltersOfTheClass()


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment, handed to the database in UTC. Python takes UTC offsets up to ±24 h,
    PostgreSQL only up to ±15:59, so "…+20:35" passed the form and failed the query (a 500);
    a moment that leaves the calendar in UTC (year 1 at −05:00) is a 400 too."""

    default_error_messages = {
        "out_of_range": gettext_lazy("Give a moment between the years 1 and 9999."),
    }

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def _areas_of_request(request):
    # Choices come from the user's own jurisdiction, so a filter cannot confirm that an id
    # outside it exists.
    return areas_visible_to(request.user) if request is not None else Area.objects.none()


class IdOrCodeChoiceField(forms.ModelChoiceField):
    """A row of the choices named by its id or its code (grid/lookups.py)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        found = by_id_or_code(self.queryset, value)
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return found


@extend_schema_field({"type": "string", "description": "An id or a code"})
class IdOrCodeFilter(django_filters.ModelChoiceFilter):
    field_class = IdOrCodeChoiceField


class SubtreeFilter(IdOrCodeFilter):
    """Rows whose area is the chosen area or lies below it."""

    def __init__(self, *args, path_field: str = "path", **kwargs):
        self.path_field = path_field
        kwargs.setdefault("queryset", _areas_of_request)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.path_field}__startswith": value.path})


class PointField(forms.CharField):
    """ "lng,lat" in degrees, WGS-84."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        parts = value.split(",")
        if len(parts) != 2:
            raise ValidationError(_("Give a point as longitude,latitude, e.g. 113.45,23.10."))
        try:
            return geo.parse_point(*parts)
        except ValidationError as exc:
            raise ValidationError(" ".join(exc.messages)) from None


@extend_schema_field(OpenApiTypes.STR)
class PointFilter(django_filters.Filter):
    field_class = PointField


class AreaFilterSet(FilterSet):
    level = django_filters.ChoiceFilter(choices=Area.Level.choices)
    parent = IdOrCodeFilter(queryset=_areas_of_request)
    within = SubtreeFilter(label=gettext_lazy("Within (the area and its subtree)"))
    contains_point = PointFilter(
        method="filter_contains_point", label=gettext_lazy("Contains the point lng,lat")
    )
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Name or code"))

    class Meta:
        model = Area
        fields = ["level", "parent", "within", "contains_point", "q"]

    def filter_contains_point(self, queryset, name, value):
        if value is None:
            return queryset
        lng, lat = value
        return queryset.filter(
            pk__in=[a.pk for a in geo.areas_containing(lng, lat, queryset=queryset)]
        )

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


class DepartmentFilterSet(FilterSet):
    kind = django_filters.ChoiceFilter(choices=Department.Kind.choices)
    within = SubtreeFilter(path_field="area__path")
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Name or code"))

    class Meta:
        model = Department
        fields = ["kind", "within", "is_active", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(code__iexact=value)
        )
