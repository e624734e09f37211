"""Filters for the case, dispatch, category and notification lists, shared by the API and the
pages. Filters only narrow: what a user may see at all is decided by grid/jurisdiction.py before
they apply, and every row a filter can name (an area, a department, a case) is drawn from the
user's own jurisdiction, so a filter cannot confirm that an id outside it exists.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cases.models import Case, Category, Dispatch, Notification, Urgency
from grid.filtersets import FilterSet, IdOrCodeFilter, SubtreeFilter, UtcDateTimeFilter
from grid.jurisdiction import restrict
from grid.lookups import id_or_code
from grid.memo import Memo
from grid.models import Area, Department


def departments_visible_to(user):
    """Departments in the user's areas, and the user's own department."""
    return restrict(Department.objects.all(), user, path_field="area__path", department_field="pk")


def cases_visible_to(user):
    """Cases in a grid of the user's areas, and cases dispatched to the user's department."""
    return restrict(
        Case.objects.all(),
        user,
        path_field="grid__path",
        department_field="dispatches__department",
    )


def visible_case_ids(user, ids) -> set[int]:
    """Those of the case ids the user may see (one query; none for no ids). A case names other
    cases (the original of a duplicate, possible duplicates found nearby, maybe across a grid's
    boundary): showing one outside the reader's jurisdiction would confirm that it exists."""
    ids = {pk for pk in ids if pk}
    if not ids:
        return set()
    return set(cases_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def _departments_of_request(request):
    return (
        departments_visible_to(request.user) if request is not None else Department.objects.none()
    )


def _load_categories() -> tuple[dict[str, Category], dict[int, Category]]:
    categories = list(Category.objects.select_related("parent"))
    return {c.code: c for c in categories}, {c.pk: c for c in categories}


# Every filing names its category; the table changes a few times a year (grid/memo.py).
CATEGORIES = Memo("categories", _load_categories, models=(Category,))


def find_category(value) -> Category | None:
    """A category by code ("0501") or id, by the rule of grid/lookups.py, from the memo."""
    code, pk = id_or_code(value)
    by_code, by_id = CATEGORIES.get()
    return (by_code.get(code) if code is not None else None) or by_id.get(pk)


class CategoryField(forms.CharField):
    """A category code or id (see find_category)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        category = find_category(value)
        if category is None:
            # The value goes in as a parameter, never into the message itself: a "%" in it
            # broke the formatting of the error (a 500 for ?category=%).
            raise ValidationError(
                _("No category has the code or id “%(value)s”."), params={"value": value}
            )
        return category


@extend_schema_field(OpenApiTypes.STR)
class CategoryCodeFilter(django_filters.Filter):
    """Rows whose `field_name` is the category given by code or id."""

    field_class = CategoryField


class CategoryFilter(CategoryCodeFilter):
    """Cases of a category, by code or id; a main class (大类) matches all its subclasses."""

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(Q(category=value) | Q(category__parent=value))


class DispatchedToFilter(IdOrCodeFilter):
    """Cases dispatched to the department (at any time)."""

    def filter(self, qs, value):
        if not value:
            return qs
        # A subquery, not a join: a case dispatched twice to one department appears once.
        return qs.filter(pk__in=Dispatch.objects.filter(department=value).values("case_id"))


class CaseFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Case.Status.choices, label=gettext_lazy("Status (repeat for several)")
    )
    level = django_filters.ChoiceFilter(choices=Area.Level.choices)
    holder_within = SubtreeFilter(
        path_field="holder__path",
        label=gettext_lazy("Held by the area or an area below it"),
    )
    within = SubtreeFilter(
        path_field="grid__path", label=gettext_lazy("In a grid of the area (its subtree)")
    )
    category = CategoryFilter(label=gettext_lazy("Category code or id (a main class: all of it)"))
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    overdue = django_filters.BooleanFilter(field_name="is_overdue")
    reported_after = UtcDateTimeFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = UtcDateTimeFilter(field_name="reported_at", lookup_expr="lt")
    due_before = UtcDateTimeFilter(field_name="due_at", lookup_expr="lt")
    department = DispatchedToFilter(
        queryset=_departments_of_request, label=gettext_lazy("Dispatched to the department")
    )
    q = django_filters.CharFilter(method="search", label=gettext_lazy("Case number or title"))

    class Meta:
        model = Case
        fields = [
            "status",
            "level",
            "holder_within",
            "within",
            "category",
            "urgency",
            "overdue",
            "reported_after",
            "reported_before",
            "due_before",
            "department",
            "q",
        ]

    def filter_department(self, queryset, name, value):
        if value is None:
            return queryset
        # A subquery, not a join: a case dispatched twice to one department appears once.
        return queryset.filter(pk__in=Dispatch.objects.filter(department=value).values("case_id"))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__startswith=value) | Q(title__icontains=value))


class DispatchFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Dispatch.Status.choices)
    role = django_filters.ChoiceFilter(choices=Dispatch.Role.choices)
    department = IdOrCodeFilter(queryset=_departments_of_request)
    overdue = django_filters.BooleanFilter(field_name="is_overdue")
    case = django_filters.NumberFilter(field_name="case_id")

    class Meta:
        model = Dispatch
        fields = ["status", "role", "department", "overdue", "case"]


class CategoryFilterSet(FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=gettext_lazy("Name or code"))
    parent = CategoryCodeFilter(label=gettext_lazy("Main class code or id"))
    main = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label=gettext_lazy("Main classes only")
    )

    class Meta:
        model = Category
        fields = ["search", "parent", "main", "is_active", "start_level"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(name_en__icontains=value) | Q(code__startswith=value)
        )


class NotificationFilterSet(FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=gettext_lazy("Unread only")
    )

    class Meta:
        model = Notification
        fields = ["unread"]
