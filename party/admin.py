"""Admin of party building: read-only and scoped like every other screen. Writes go through
party/services.py (the API and the pages), so the tree's paths and the history rows stay
right; the admin is for looking things up."""

from django.contrib import admin

from grid.admin import ScopedAdminMixin
from party.models import Activity, HouseholdLink, Member, Organisation, Visit


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    jurisdiction_path = "area__path"
    jurisdiction_department = "department"
    list_display = ["name", "kind", "area", "department"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    jurisdiction_path = "organisation__area__path"
    jurisdiction_department = "organisation__department"
    list_display = ["person", "organisation", "status", "joined_on"]
    list_filter = ["status"]
    list_select_related = ["person", "organisation"]
    # The person's name only: ID numbers and phones are never searched or shown here.
    search_fields = ["person__name"]


@admin.register(HouseholdLink)
class HouseholdLinkAdmin(ReadOnlyAdmin):
    jurisdiction_path = "grid__path"
    list_display = ["member", "household", "grid", "started_on", "ended_on"]
    list_select_related = ["member__person", "household", "grid"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    jurisdiction_path = "grid__path"
    list_display = ["member", "household", "status", "planned_on", "visited_at"]
    list_filter = ["status"]
    list_select_related = ["member__person", "household"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    jurisdiction_path = "organisation__area__path"
    jurisdiction_department = "organisation__department"
    list_display = ["title", "organisation", "kind", "held_on", "hours"]
    list_filter = ["kind"]
