"""Selectors and filters of community services, shared by the API and the pages. What a user
may see at all is decided by grid/jurisdiction.py (the row's grid lies in one of the user's
areas) before any filter narrows it; every area a filter can name is one the user can see."""

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import CareVisit, Service, ServiceRequest, VisitSchedule
from grid.filtersets import FilterSet, SubtreeFilter
from grid.jurisdiction import restrict
from grid.models import Person


def requests_visible_to(user):
    """Requests in a grid of the user's areas, and those of services their department owns."""
    return restrict(
        ServiceRequest.objects.all(),
        user,
        path_field="grid__path",
        department_field="service__department",
    )


def visits_visible_to(user):
    return restrict(CareVisit.objects.all(), user, path_field="grid__path")


def schedules_visible_to(user):
    return restrict(VisitSchedule.objects.all(), user, path_field="grid__path")


def due_schedules(queryset, today=None):
    """Schedules due today or overdue, in walking order: building, unit, room."""
    today = today or timezone.localdate()
    return queryset.filter(next_visit_on__lte=today, person__status="living").order_by(
        "person__house__building__number",
        "person__house__unit",
        "person__house__number",
        "person_id",
    )


def _persons_of_request(request):
    if request is None:
        return Person.objects.none()
    return restrict(Person.objects.all(), request.user, path_field="grid__path")


def _person_filter():
    return django_filters.ModelChoiceFilter(queryset=_persons_of_request, label=_("person"))


class ServiceRequestFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ServiceRequest.Status.choices)
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label=_("service"))
    area = SubtreeFilter(path_field="grid__path", label=_("area (and below)"))
    overdue = django_filters.BooleanFilter(field_name="is_overdue", label=_("overdue"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open"))
    received_after = django_filters.DateFilter(
        field_name="received_at", lookup_expr="date__gte", label=_("received from")
    )
    received_before = django_filters.DateFilter(
        field_name="received_at", lookup_expr="date__lte", label=_("received until")
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("assigned to me"))
    q = django_filters.CharFilter(method="filter_q", label=_("number or description"))
    person = _person_filter()

    class Meta:
        model = ServiceRequest
        fields = ["status", "service", "area", "overdue", "open", "person"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        condition = Q(status__in=ServiceRequest.OPEN_STATUSES)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(assignee=self.request.user)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number=value) | Q(description__icontains=value))


class VisitScheduleFilterSet(FilterSet):
    area = SubtreeFilter(path_field="grid__path", label=_("area (and below)"))
    due = django_filters.ChoiceFilter(
        method="filter_due",
        choices=[("today", _("due today or overdue")), ("overdue", _("overdue"))],
        label=_("due"),
    )
    person = _person_filter()

    class Meta:
        model = VisitSchedule
        fields = ["area", "due", "person"]

    def filter_due(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return due_schedules(queryset, today - timedelta(days=1))
        if value == "today":
            return due_schedules(queryset, today)
        return queryset


class CareVisitFilterSet(FilterSet):
    area = SubtreeFilter(path_field="grid__path", label=_("area (and below)"))
    visited_after = django_filters.DateFilter(
        field_name="visited_at", lookup_expr="date__gte", label=_("visited from")
    )
    visited_before = django_filters.DateFilter(
        field_name="visited_at", lookup_expr="date__lte", label=_("visited until")
    )
    person = _person_filter()

    class Meta:
        model = CareVisit
        fields = ["area", "person", "checked_in"]
