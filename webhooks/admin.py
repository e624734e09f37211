"""Admin of webhook subscriptions (register, pause, resume) and their delivery log (look, and
send again). District-wide integration settings: superusers only."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from grid.admin import ScopedAdminMixin
from webhooks import events, sending
from webhooks.models import Delivery, Subscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("event types"), choices=events.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = [
            "name", "url", "secret", "event_types", "area", "department",
            "include_personal_data", "owner",
        ]  # fmt: skip


@admin.register(Subscription)
class SubscriptionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    jurisdiction_path = None  # superusers only
    form = SubscriptionForm
    list_display = ["name", "url", "status", "area", "department", "include_personal_data"]
    list_display += ["failing_since", "paused_at"]
    list_filter = ["status", "include_personal_data"]
    search_fields = ["name", "url"]
    autocomplete_fields = ["area", "department", "owner"]
    readonly_fields = ["status", "paused_at", "paused_reason", "failing_since", "created_at"]
    actions = ["pause_selected", "resume_selected"]

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.action(description=_("Pause the selected subscriptions"))
    def pause_selected(self, request, queryset):
        paused = sum(
            sending.pause(s, reason=str(_("Paused by %(user)s.") % {"user": request.user}))
            for s in queryset
        )
        self.message_user(request, ngettext("%d paused.", "%d paused.", paused) % paused)

    @admin.action(description=_("Resume the selected subscriptions"))
    def resume_selected(self, request, queryset):
        waiting = sum(sending.resume(s) for s in queryset)
        self.message_user(
            request,
            ngettext("Resumed; %d delivery waits.", "Resumed; %d deliveries wait.", waiting)
            % waiting,
            messages.SUCCESS,
        )


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The delivery log: what was sent where, how often, with what answer."""

    jurisdiction_path = None  # superusers only
    list_display = ["uuid", "subscription", "event_type", "case", "status", "attempts"]
    list_display += ["last_status_code", "last_attempt_at", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "event_type", "subscription"]
    search_fields = ["=uuid", "case__number", "event_key"]
    list_select_related = ["subscription", "case"]
    show_full_result_count = False
    fields = [
        "uuid", "subscription", "event_type", "event_key", "case", "status", "attempts",
        "next_attempt_at", "last_attempt_at", "last_status_code", "last_error", "delivered_at",
        "created_at", "body",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["redeliver_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("payload"))
    def body(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, ensure_ascii=False, indent=2))

    @admin.action(description=_("Send the selected deliveries again"))
    def redeliver_selected(self, request, queryset):
        count = sending.redeliver(queryset)
        self.message_user(
            request,
            ngettext("%d delivery will be sent again.", "%d deliveries will be sent again.", count)
            % count,
            messages.SUCCESS,
        )
