"""Admin for the service catalogue and the visit plans (edited here by administrators), and,
to look at, requests with their history, visit schedules and visits.

A request's status, version, deadline and milestones are written by community/workflow.py
alone, and schedules and visits by community/services.py, so the admin shows them read-only.
Querysets are scoped like every other screen; the district-wide catalogue and plans have no
area, so only superusers reach them.
"""

from django.contrib import admin

from cases.admin import ReadOnlyAdminMixin
from community.models import (
    CareVisit,
    Service,
    ServiceRequest,
    ServiceRequestEvent,
    VisitPlan,
    VisitSchedule,
)
from grid.admin import ScopedAdminMixin


@admin.register(Service)
class ServiceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # District-wide reference data: superusers only.
    jurisdiction_path = None
    list_display = ["code", "name", "department", "time_limit_days", "at_home", "is_active"]
    list_filter = ["at_home", "is_active", "department"]
    search_fields = ["code", "name", "name_en"]
    list_editable = ["time_limit_days", "at_home", "is_active"]


@admin.register(VisitPlan)
class VisitPlanAdmin(ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = None
    list_display = ["care_tag", "every_days"]
    list_editable = ["every_days"]


class ServiceRequestEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ServiceRequestEvent
    extra = 0
    fields = ["version", "action", "actor", "at", "from_status", "to_status", "reason"]
    readonly_fields = fields


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "grid__path"
    list_display = ["number", "service", "grid", "status", "due_at", "is_overdue", "received_at"]
    list_filter = ["status", "is_overdue", "service"]
    search_fields = ["number"]
    # Personal data stays out of the admin's columns and fields: the pages mask it.
    exclude = ["walk_in_phone", "client_id"]
    inlines = [ServiceRequestEventInline]


@admin.register(VisitSchedule)
class VisitScheduleAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "grid__path"
    list_display = ["person", "grid", "every_days", "next_visit_on", "last_visited_at"]
    list_filter = ["every_days"]
    date_hierarchy = "next_visit_on"


@admin.register(CareVisit)
class CareVisitAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "grid__path"
    list_display = ["visited_at", "person", "grid", "visitor", "checked_in", "distance_m"]
    list_filter = ["checked_in"]
    exclude = ["client_id", "lng", "lat"]
