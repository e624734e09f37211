"""The catalogue in the admin: read-only. Classes change on the catalogue page (/datagov/), through
datagov.catalogue.change_class, which keeps the history; an admin form would bypass it."""

from django.contrib import admin

from cases.admin import ReadOnlyAdminMixin
from datagov.models import ClassChange, Dataset, DatasetField, Grant, Objection, SharingRequest
from grid.admin import ScopedAdminMixin


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Classes change only through the catalogue's form, which keeps their history."""


class DatasetFieldInline(admin.TabularInline):
    model = DatasetField
    fields = ["name", "label", "code_table", "standard", "sharing_class", "reason"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "sharing_class", "update_frequency", "record_count"]
    list_filter = ["sharing_class"]
    search_fields = ["key", "name", "name_en"]
    inlines = [DatasetFieldInline]


@admin.register(ClassChange)
class ClassChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "dataset", "field", "actor", "from_class", "to_class", "reason"]
    list_filter = ["to_class"]


@admin.register(Objection)
class ObjectionAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    """Objections, read-only and scoped: they are raised and resolved only through
    datagov/objections.py, which corrects the record through the registry with its history."""

    jurisdiction_path = "grid__path"
    list_display = ["id", "record_type", "kind", "grid", "status", "raised_at", "resolved_at"]
    list_filter = ["status", "kind", "record_type"]
    list_select_related = ["grid"]
    raw_id_fields = ["person", "household", "house", "building", "audit_entry", "life_event"]


# Sharing requests and grants: read-only here too. Requests are decided and grants revoked on
# their pages (/datagov/requests/, /datagov/grants/<id>/) through datagov/sharing.py, which
# checks the owner, locks the row and tells the requester; an admin form would do none of it.


class ScopedReadOnlyAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    """Staff who are not superusers see the requests and grants of their areas and
    departments."""

    jurisdiction_department = "department"


@admin.register(SharingRequest)
class SharingRequestAdmin(ScopedReadOnlyAdmin):
    list_display = ["id", "department", "client", "dataset", "area", "status", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["department", "client", "dataset", "area"]
    search_fields = ["purpose"]


@admin.register(Grant)
class GrantAdmin(ScopedReadOnlyAdmin):
    list_display = ["id", "department", "client", "dataset", "area", "valid_from", "valid_until"]
    list_select_related = ["department", "client", "dataset", "area"]
