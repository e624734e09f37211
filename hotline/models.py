"""The 12345 hotline's work orders (接诉即办): which of our categories each of the hotline's codes
means, the work orders it sent us (each one case, with its caller's personal data kept here and
masked), and every answer we sent back to it (签收, 退回, 延期申请, 办结反馈, 满意度).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category
from governance.models import ApiClient
from grid.crypto import EncryptedCharField


class CategoryMap(models.Model):
    """One of the hotline's category codes and the subcategory of ours its work orders are filed
    under. Edited by administrators; a work order whose code has no active row here is refused
    (docs/hotline.md says why)."""

    code = models.CharField(_("hotline category code"), max_length=40, unique=True)
    name = models.CharField(_("hotline category name"), max_length=100, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("our category"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"parent__isnull": False, "is_active": True},
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("hotline category mapping")
        verbose_name_plural = _("hotline category mappings")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} → {self.category}"


class WorkOrder(models.Model):
    """A 12345 work order (工单) and the case it became.

    The caller's name and phone are personal data: shown masked, revealed only through
    hotline.services.reveal_caller (audited in grid's AuditEntry, within the hourly allowance),
    never written to the case, to logs or to what goes back to the hotline. `signed_at` and
    `returned_at` change once each, by compare-and-set (hotline/services.py).
    """

    number = models.CharField(_("work order number"), max_length=40, unique=True)
    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="work_order"
    )
    client = models.ForeignKey(
        ApiClient, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    hotline_category = models.CharField(_("hotline category code"), max_length=40)
    caller_name = EncryptedCharField(_("caller's name"), max_length=60, blank=True)
    caller_phone = EncryptedCharField(_("caller's phone"), max_length=30, blank=True)
    # Until when the hotline takes the order back as not ours (退回); no returns without it.
    return_by = models.DateTimeField(_("may be returned until"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"))
    signed_at = models.DateTimeField(_("signed for"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)

    class Meta:
        verbose_name = _("hotline work order")
        verbose_name_plural = _("hotline work orders")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.number


class Reply(models.Model):
    """One answer sent back to the hotline about a work order: what, when, by whom (None: the
    system, as the case closed or its callback was recorded) and what it said. The webhooks
    outbox delivers it; this row is the work order's own history of answers."""

    class Kind(models.TextChoices):
        SIGNED = "signed", _("Signed for")  # 签收
        RETURNED = "returned", _("Returned")  # 退回
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")  # 延期申请
        FEEDBACK = "feedback", _("Result reported")  # 办结反馈
        SATISFACTION = "satisfaction", _("Satisfaction reported")  # 满意度

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="replies")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # What was sent (the webhook payload's own fields), so the panel can show it.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("reply to the hotline")
        verbose_name_plural = _("replies to the hotline")
        ordering = ["work_order_id", "at", "id"]
        constraints = [
            # Signing for and returning happen once per work order.
            models.UniqueConstraint(
                fields=["work_order", "kind"],
                condition=Q(kind__in=["signed", "returned"]),
                name="hotline_reply_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class DeadlineChange(models.Model):
    """The hotline moved its deadline for a work order (its answer to our 延期申请, or a change
    of its own): the case's `hotline_due_at` before and after, and why. Never edited."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="deadline_changes"
    )
    due_at_before = models.DateTimeField(_("deadline before"), null=True)
    due_at = models.DateTimeField(_("new deadline"))
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("hotline deadline change")
        verbose_name_plural = _("hotline deadline changes")
        ordering = ["work_order_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id} → {self.due_at:%Y-%m-%d %H:%M}"
