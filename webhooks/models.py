"""Signed webhooks: subscriptions of other systems to our events, and the outbox of deliveries.

A delivery row is written for every event a subscription matches, in the transaction that
produces the event (webhooks/outbox.py), and sent from there by the sender (webhooks/sending.py)
until the receiver answers 2xx: nothing is lost while the receiver or the broker is down.
docs/webhooks.md is the integrator's side.
"""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid.models import Area, Department
from webhooks import events


def new_secret() -> str:
    return secrets.token_hex(32)


class Subscription(models.Model):
    """Another system's wish to hear of some events: where to POST them, the secret that signs
    them, and which events (types, and optionally only those of cases whose grid lies in `area`,
    or only those concerning `department`'s dispatches).

    Payloads carry no personal data unless `include_personal_data` is set, which only a
    subscription for one department may be: that department's staff see the cases dispatched
    to it, and the subscription hears of no other case."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        # Not sent while paused; deliveries are still written and wait for the resume.
        PAUSED = "paused", _("Paused")

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=128,
        default=new_secret,
        # A short secret could be guessed from one signed delivery by trying every candidate.
        validators=[MinLengthValidator(32)],
        help_text=_("The receiver verifies the signature of every delivery with it."),
    )
    event_types = models.JSONField(_("event types"), default=list)
    area = models.ForeignKey(
        Area,
        verbose_name=_("only cases in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("only cases dispatched to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    include_personal_data = models.BooleanField(
        _("include personal data"),
        default=False,
        help_text=_("Only for a subscription of one department."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Told when the subscription is paused."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    paused_reason = models.CharField(_("why paused"), max_length=200, blank=True)
    # Since when every attempt has failed (none succeeded since): a day of it pauses it.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(include_personal_data=False) | Q(department__isnull=False),
                name="webhook_personal_data_only_for_a_department",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        types = self.event_types
        if not isinstance(types, list) or not types:
            errors["event_types"] = [_("Choose at least one event type.")]
        elif unknown := [t for t in types if not isinstance(t, str) or t not in events.EVENT_TYPES]:
            errors["event_types"] = [
                _("Unknown event types: %(types)s.") % {"types": ", ".join(map(str, unknown))}
            ]
        elif len(set(types)) != len(types):
            errors["event_types"] = [_("An event type is listed twice.")]
        if self.include_personal_data and self.department_id is None:
            errors["include_personal_data"] = [
                _("Only a subscription for one department may carry personal data.")
            ]
        if errors:
            raise ValidationError(errors)


class Delivery(models.Model):
    """One event to POST to one subscription (the outbox), and the log of its attempts.

    `uuid` is sent with it and stays the same on every attempt: receivers de-duplicate by it.
    (subscription, event_key) is unique, so producing an event twice writes nothing twice.
    Deliveries of one case to one subscription go in `position` order (the case's history):
    one waits while an earlier one is undelivered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        FAILING = "failing", _("Failing; retried later")
        DELIVERED = "delivered", _("Delivered")

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event_type = models.CharField(_("event type"), max_length=64)
    # What the event is, unique per subscription: "case_event:<id>" for a case step, or
    # "<type>:<key>" for an event another app enqueued (webhooks.outbox.enqueue).
    event_key = models.CharField(_("event"), max_length=200)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # Where the event lies in its case's history: 2 × its step's id (a later step has a
    # larger id), or for an event another app enqueued 2 × the id of the case's latest step
    # then, plus 1: it goes after that step and before the next.
    position = models.BigIntegerField(default=0)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # None while its subscription is paused (held): the sender's scan of due rows never meets it.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response code"), null=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_key"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            # The sender's scan: undelivered rows by due time (delivered ones are most rows).
            models.Index(
                fields=["next_attempt_at"],
                condition=~Q(status="delivered"),
                name="webhook_delivery_due_idx",
            ),
            # The order rule: is an earlier delivery of this case to this subscription open?
            models.Index(
                fields=["subscription", "case", "position"],
                condition=~Q(status="delivered"),
                name="webhook_delivery_open_idx",
            ),
            models.Index(fields=["case"], name="webhook_delivery_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.uuid})"
