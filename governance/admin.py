"""Client applications in the admin: registering one shows its key once; a new key can be issued
(the old one stops working) and a client switched off. The key itself is never stored."""

from django.contrib import admin, messages
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
