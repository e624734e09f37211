"""Client applications in the admin: registering one shows its key once; a new key can be issued
(the old one stops working) and a client switched off. The key itself is never stored."""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.clients import issue_key, register
from governance.models import ApiClient


def _show_key(request, client: ApiClient, key: str) -> None:
    messages.warning(
        request,
        _("The key of “%(client)s” is %(key)s — copy it now: it will not be shown again.")
        % {"client": client.name, "key": key},
    )


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "rate_per_minute", "key_issued_at", "last_used"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "contact"]
    readonly_fields = ["key_prefix", "key_issued_at", "last_used", "created_at"]
    actions = ["issue_new_keys"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            _show_key(request, obj, register(obj))

    @admin.action(description=gettext_lazy("Issue a new key (the old one stops working)"))
    def issue_new_keys(self, request, queryset):
        for client in queryset:
            _show_key(request, client, issue_key(client))


def _district_name() -> str:
    # The district is data (the one top-level area); a setting names it where there is none yet
    # or the office goes by another name.
    from grid.models import Area

    return settings.SANHUA_DISTRICT_NAME or (
        Area.objects.filter(level=Area.Level.DISTRICT)
        .order_by("pk")
        .values_list("name", flat=True)
        .first()
        or ""
    )


def _site_header() -> str:
    district = _district_name()
    if district:
        return _("Sanhua administration · %(district)s") % {"district": district}
    return _("Sanhua administration")


# Lazy, evaluated on each page: a district renamed in the data shows at once.
admin.site.site_header = admin.site.site_title = lazy(_site_header, str)()
admin.site.index_title = gettext_lazy("Data and settings")
