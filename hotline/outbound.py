"""What goes back to the 12345 hotline, and the one door it goes through: the webhooks outbox
(webhooks/outbox.py), written in the caller's transaction and delivered, signed, by Celery to
the hotline's subscription (docs/hotline.md, docs/webhooks.md).

Payloads name the work order and our case and say what happened; they carry no personal data
(the caller is the hotline's own record, and nothing of ours about people goes back).
"""

from django.utils.translation import gettext_lazy as _

from webhooks.outbox import enqueue

SIGNED = "hotline.signed"
RETURNED = "hotline.returned"
EXTENSION_REQUESTED = "hotline.extension_requested"
FEEDBACK = "hotline.feedback"
SATISFACTION = "hotline.satisfaction"

EVENT_TYPES = {
    SIGNED: _("12345 work order signed for (签收)"),
    RETURNED: _("12345 work order returned as not ours (退回)"),
    EXTENSION_REQUESTED: _("12345 work order: extension requested (延期申请)"),
    FEEDBACK: _("12345 work order: result reported (办结反馈)"),
    SATISFACTION: _("12345 work order: resident's satisfaction (满意度)"),
}


def send(event_type: str, payload: dict, *, case, key: str | None = None) -> None:
    """Put one answer about `case` in the outbox, in the caller's transaction: it goes out once
    that commits (after the deliveries of the case's steps so far), and not at all if it rolls
    back. `key` names an answer that must go once however often it is produced."""
    enqueue(event_type, payload, case_id=case.pk, key=key)
