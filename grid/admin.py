"""Admin for the hierarchy, departments and posts. Area writes go through grid.services so the
path and boundary facts stay right; querysets are scoped like every other screen."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from grid import services
from grid.jurisdiction import restrict
from grid.models import Area, Department, ImportJob, Post


class ScopedAdminMixin:
    """Non-superuser staff see only their jurisdiction in the admin too."""

    jurisdiction_path = "area__path"
    jurisdiction_department = None

    def get_queryset(self, request):
        return restrict(
            super().get_queryset(request),
            request.user,
            path_field=self.jurisdiction_path,
            department_field=self.jurisdiction_department,
        )


class PostInline(admin.TabularInline):
    model = Post
    fk_name = "area"
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_active"]


class AreaAdminForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["level", "code", "name", "parent", "boundary"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                services.check_area(
                    level=data.get("level", self.instance.level),
                    code=data["code"],
                    name=data["name"],
                    parent=data.get("parent"),
                    boundary=data.get("boundary"),
                    exclude_pk=self.instance.pk,
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(Area)
class AreaAdmin(ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "path"
    list_display = ["name", "level", "code", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "centroid_lng", "centroid_lat", "created_at", "updated_at"]
    fields = ["level", "code", "name", "parent", "boundary", *readonly_fields]
    form = AreaAdminForm
    inlines = [PostInline]

    def get_readonly_fields(self, request, obj=None):
        # A level is fixed once the area exists: its code and children depend on it.
        return [*self.readonly_fields, "level"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in ("code", "name", "parent", "boundary")}
        if change:
            saved = services.update_area(Area.objects.get(pk=obj.pk), **data)
        else:
            saved = services.create_area(level=form.cleaned_data["level"], **data)
        obj.pk, obj.path = saved.pk, saved.path


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_department = "pk"
    list_display = ["name", "short_name", "kind", "code", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["area"]


@admin.register(Post)
class PostAdmin(ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_department = "department"
    list_display = ["user", "role", "area", "department", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__first_name", "area__name", "department__name"]
    autocomplete_fields = ["user", "area", "department"]


@admin.register(ImportJob)
class ImportJobAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read only: jobs are created by uploads and finished by the import task."""

    jurisdiction_path = "area__path"
    list_display = ["pk", "file_name", "area", "uploader", "mode", "status", "total_rows",
                    "bad_rows", "written_rows", "created_at"]  # fmt: skip
    list_filter = ["status", "mode", "kind"]
    list_select_related = ["area", "uploader"]
    search_fields = ["file_name", "area__name", "uploader__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
