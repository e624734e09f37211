"""The event types a subscription may ask for: the case steps below, and whatever other apps
register in their AppConfig.ready() (the hotline its hotline.* types) with register_event_types.
docs/webhooks.md lists them."""

from django.utils.translation import gettext_lazy as _

# type → label; filled below and by other apps.
EVENT_TYPES: dict[str, str] = {}

# A case step (CaseEvent.action) → the event type it is sent as. Several steps may share a type
# (a manual and an automatic escalation); the payload names the step.
STEP_TYPES = {
    "report": "case.reported",
    "accept": "case.accepted",
    "reject": "case.rejected",
    "escalate": "case.escalated",
    "auto_escalate": "case.escalated",
    "return_down": "case.returned",
    "dispatch": "case.dispatched",
    "lead_refused": "case.redispatch_needed",
    "resolve": "case.resolved",
    "verify_pass": "case.closed",
    "self_resolve": "case.closed",
    "verify_fail": "case.rework",
    "reopen": "case.reopened",
    "suspend": "case.suspended",
    "resume": "case.resumed",
    "urge": "case.urged",
    "mark_overdue": "case.overdue",
    "callback": "case.rated",
    "dispatch_sign": "dispatch.signed",
    "dispatch_refuse": "dispatch.refused",
    "dispatch_overdue": "dispatch.overdue",
    "dispatch_request_extension": "dispatch.extension_requested",
    "dispatch_approve_extension": "dispatch.extension_decided",
    "dispatch_report_done": "dispatch.done",
    "dispatch_close_with_case": "dispatch.closed_with_case",
}


def register_event_types(types: dict[str, str]) -> None:
    """Offer more event types to subscriptions ({type: label}); an app sends them with
    webhooks.outbox.enqueue. Registering a type again replaces its label."""
    for name in types:
        if not name or len(name) > 64 or name != name.strip():
            raise ValueError(f"bad event type {name!r}")
    EVENT_TYPES.update(types)


def choices() -> list[tuple[str, str]]:
    return sorted(EVENT_TYPES.items())


register_event_types(
    {
        "case.reported": _("Case reported"),
        "case.accepted": _("Case accepted"),
        "case.rejected": _("Case not registered"),
        "case.escalated": _("Case escalated (by hand or on its deadline)"),
        "case.returned": _("Case returned down"),
        "case.dispatched": _("Case dispatched"),
        "case.redispatch_needed": _("Lead department refused; to be dispatched again"),
        "case.resolved": _("Case resolved; waiting for verification"),
        "case.closed": _("Case closed"),
        "case.rework": _("Verification failed; rework"),
        "case.reopened": _("Case reopened"),
        "case.suspended": _("Case suspended"),
        "case.resumed": _("Case resumed"),
        "case.urged": _("Case urged (督办)"),
        "case.overdue": _("Case overdue at the district"),
        "case.rated": _("Resident's callback"),
        "dispatch.signed": _("Dispatch signed"),
        "dispatch.refused": _("Dispatch refused"),
        "dispatch.overdue": _("Dispatch overdue"),
        "dispatch.extension_requested": _("Dispatch extension requested"),
        "dispatch.extension_decided": _("Dispatch extension decided"),
        "dispatch.done": _("Dispatch reported done"),
        "dispatch.closed_with_case": _("Dispatch closed with the case"),
    }
)
