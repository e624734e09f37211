"""Open311 in the admin: the questions each category asks (its service definition), and the
requests filed, read-only, their contact masked (the full contact is the audited reveal of
/open311/contact/<case>/)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grid.admin import ScopedAdminMixin
from open311.models import Open311Request, ServiceAttribute
from open311.services import masked_contact


class ServiceAttributeForm(forms.ModelForm):
    class Meta:
        model = ServiceAttribute
        fields = [
            "category", "code", "description", "datatype", "datatype_description", "required",
            "variable", "order", "values",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        values = data.get("values") or []
        if data.get("datatype") in ServiceAttribute.LISTS and not (
            isinstance(values, list)
            and values
            and all(isinstance(v, dict) and v.get("key") and v.get("name") for v in values)
        ):
            raise ValidationError(
                {"values": _('A list needs its choices: [{"key": "…", "name": "…"}, …].')}
            )
        return data


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    # District-wide reference data, like the categories: superusers only.
    jurisdiction_path = None
    form = ServiceAttributeForm
    list_display = ["category", "order", "code", "description", "datatype", "required"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "category__code", "category__name"]


@admin.register(Open311Request)
class Open311RequestAdmin(ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = "case__grid__path"
    list_display = ["case", "client", "requested_at", "media_url"]
    list_filter = ["client"]
    fields = ["case", "client", "requested_at", "idempotency_key", "media_url", "attributes"]
    readonly_fields = [*fields, "contact"]
    search_fields = ["case__number"]

    def get_fields(self, request, obj=None):
        return [*self.fields, "contact"]

    @admin.display(description=gettext_lazy("contact (masked)"))
    def contact(self, obj):
        masked = ", ".join(value for value in masked_contact(obj).values() if value)
        url = reverse("open311-contact", args=[obj.case_id])
        return format_html('{} · <a href="{}">{}</a>', masked or "—", url, _("reveal"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
