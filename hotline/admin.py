"""The hotline's admin: the category mapping is edited here; work orders are looked up here
(read-only, scoped by their case's grid, without the caller: the console reveals it, audited)."""

from django.contrib import admin

from grid.admin import ScopedAdminMixin
from hotline.models import CategoryMap, WorkOrder


@admin.register(CategoryMap)
class CategoryMapAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # District-wide reference data, like the categories: superusers only.
    jurisdiction_path = None
    list_display = ["code", "name", "category", "is_active"]
    list_filter = ["is_active"]
    list_editable = ["is_active"]
    search_fields = ["code", "name", "category__code", "category__name"]
    autocomplete_fields = ["category"]


@admin.register(WorkOrder)
class WorkOrderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "case__grid__path"
    list_display = ["number", "case", "hotline_category", "received_at", "signed_at", "returned_at"]
    list_select_related = ["case"]
    search_fields = ["number", "case__number"]
    fields = [
        "number", "case", "client", "hotline_category", "return_by", "received_at", "signed_at",
        "returned_at",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
