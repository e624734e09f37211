"""Admin for categories and their routing rules, the working-day calendar, and (to look at) cases,
their history, dispatches, supervision, callbacks and notifications.

Only the reference tables are edited here. A case's status, level, holder, version, deadlines
and milestones are written by cases/workflow.py alone, so the admin shows them read-only, never
adds or deletes a case, and its history inline cannot be changed. Querysets are scoped like
every other screen; the district-wide reference tables (categories, calendar) have no area, so
only superusers reach them.
"""

from django import forms
from django.contrib import admin

from cases import limits
from cases.models import (
    CalendarDay,
    Callback,
    Case,
    CaseEvent,
    Category,
    Dispatch,
    Notification,
    RoutingRule,
    StockPhrase,
    Supervision,
)
from grid.admin import ScopedAdminMixin


class ReadOnlyAdminMixin:
    """History and workflow rows: shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    autocomplete_fields = ["area"]
    fields = ["urgency", "area", "start_level", "notify_all_levels", "time_factor", "is_active"]


@admin.register(Category)
class CategoryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # District-wide reference data, not area data: superusers only.
    jurisdiction_path = None
    list_display = ["code", "name", "name_en", "parent", "start_level", "grid_may_self_resolve"]
    list_display += ["is_active"]
    list_filter = ["start_level", "grid_may_self_resolve", "is_active"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["parent", "lead_department"]
    filter_horizontal = ["cooperating_departments"]
    inlines = [RoutingRuleInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # The district's working-day calendar: superusers only.
    jurisdiction_path = None
    list_display = ["day", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "day"


class CaseEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseEvent
    fk_name = "case"
    extra = 0
    can_delete = False
    ordering = ["version"]
    fields = ["version", "at", "action", "actor", "from_status", "to_status", "from_level"]
    fields += ["to_level", "reason"]
    readonly_fields = fields


WORKFLOW_FIELDS = [
    "number",
    "client_id",
    "category",
    "urgency",
    "source",
    "grid",
    "lng",
    "lat",
    "status",
    "level",
    "holder",
    "version",
    "status_before_suspension",
    "due_at",
    "remaining_seconds",
    "is_overdue",
    "rework_count",
    "escalation_count",
    "urge_count",
    "reporter",
    "duplicate_of",
    "resolution",
    "satisfaction",
    "reported_at",
    "accepted_at",
    "dispatched_at",
    "resolved_at",
    "closed_at",
    "closed_level",
    "final_due_at",
    "routed_at",
]


class CaseAdminForm(forms.ModelForm):
    # A corrected wording is bounded like a report's (cases/limits.py).
    description = forms.CharField(
        label=Case._meta.get_field("description").verbose_name,
        required=False,
        max_length=limits.DESCRIPTION,
        widget=forms.Textarea,
    )

    class Meta:
        model = Case
        fields = ["title", "description", "address"]


@admin.register(Case)
class CaseAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Cases are filed and moved through the services; here only the wording of a report may
    be corrected."""

    jurisdiction_path = "grid__path"
    list_display = ["number", "title", "category", "status", "level", "holder", "due_at"]
    list_display += ["is_overdue"]
    list_filter = ["status", "level", "urgency", "is_overdue"]
    search_fields = ["number", "title"]
    list_select_related = ["category", "holder"]
    form = CaseAdminForm
    fields = ["title", "description", "address", *WORKFLOW_FIELDS]
    readonly_fields = WORKFLOW_FIELDS
    inlines = [CaseEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "case__grid__path"
    jurisdiction_department = "department"
    list_display = ["case", "department", "role", "status", "due_at", "is_overdue"]
    list_filter = ["role", "status", "is_overdue"]
    search_fields = ["case__number", "department__name"]
    list_select_related = ["case", "department"]


@admin.register(Supervision)
class SupervisionAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "case__grid__path"
    list_display = ["case", "level", "is_automatic", "by", "created_at"]
    list_filter = ["level", "is_automatic"]
    search_fields = ["case__number"]
    list_select_related = ["case", "by"]


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "case__grid__path"
    list_display = ["case", "satisfaction", "by", "created_at"]
    list_filter = ["satisfaction"]
    search_fields = ["case__number"]
    list_select_related = ["case", "by"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "case__grid__path"
    list_display = ["user", "text", "created_at", "read_at"]
    search_fields = ["case__number", "user__username"]
    list_select_related = ["user"]


@admin.register(StockPhrase)
class StockPhraseAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # The district's wording for the steps' reasons (cases/phrases.py): superusers only, like
    # the other reference tables, even when a phrase is narrowed to one area.
    jurisdiction_path = None
    list_display = ["text", "action", "area", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["action", "is_active"]
    search_fields = ["text"]
    autocomplete_fields = ["area"]
    fields = ["action", "text", "area", "order", "is_active"]
