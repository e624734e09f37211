"""Open311 GeoReport v2 (docs/open311.md): the attributes a category asks of an Open311 app
(the service definition), and the requests filed through Open311, each one case with what the
app sent beside it.

The contact an app may send with a request (email, names, phone, device and account ids) is
the resident's personal data: kept here only, never in the case, never in an Open311 answer;
shown masked, and in full only through an audited reveal (open311/services.py).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category
from governance.models import ApiClient
from grid.crypto import EncryptedCharField


class ServiceAttribute(models.Model):
    """A question a category asks when it is reported over Open311 (an `attribute` of its
    service definition), e.g. "How deep is the pothole?" or "Is anyone hurt?"."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Text on one line")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Text")
        SINGLEVALUELIST = "singlevaluelist", _("One of a list")
        MULTIVALUELIST = "multivaluelist", _("Several of a list")

    LISTS = (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
        limit_choices_to={"parent__isnull": False},
    )
    code = models.SlugField(_("code"), max_length=32)
    description = models.CharField(_("question"), max_length=200)
    datatype = models.CharField(_("type"), max_length=16, choices=Datatype.choices)
    datatype_description = models.CharField(_("how to answer"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    # False: a note shown to the resident, asking for nothing (the specification's `variable`).
    variable = models.BooleanField(_("asks for an answer"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    # [{"key": "deep", "name": "Deeper than 5 cm"}, …] for the two list types.
    values = models.JSONField(_("choices"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Open311 attribute")
        verbose_name_plural = _("Open311 attributes")
        ordering = ["category__code", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code"),
            models.UniqueConstraint(fields=["category", "order"], name="open311_attribute_order"),
        ]

    def __str__(self) -> str:
        return f"{self.category.code} · {self.code}"


class Open311Request(models.Model):
    """A case filed through Open311 by a client application (its `service_request_id` is the
    case number). Only these cases are visible through GET requests."""

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.PROTECT, related_name="open311_request"
    )
    client = models.ForeignKey(
        ApiClient, verbose_name=_("client application"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), db_index=True)
    # The app's own key for this request (Idempotency-Key): a retry finds the first request.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    # Kept as sent and shown back as it is; never fetched (that would let a client make the
    # server call any address it likes).
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # The submitter's contact: personal data (masked; revealed only through an audited action).
    email = EncryptedCharField(_("email"), max_length=254, blank=True)
    first_name = models.CharField(_("first name"), max_length=60, blank=True)
    last_name = models.CharField(_("last name"), max_length=60, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=30, blank=True)
    device_id = EncryptedCharField(_("device id"), max_length=100, blank=True)
    account_id = EncryptedCharField(_("account id"), max_length=100, blank=True)

    CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-requested_at", "-case_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="open311_request_idempotency_key",
            )
        ]
        indexes = [models.Index(fields=["idempotency_key"], name="open311_request_key_idx")]

    def __str__(self) -> str:
        return str(self.case_id)
