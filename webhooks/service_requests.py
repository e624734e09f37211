"""Community service requests' steps as webhook events (service_request.done …).

Every step of a request writes one ServiceRequestEvent in the step's own transaction
(community/workflow.py is its only writer), so a post_save receiver writes the deliveries
there: they exist if and only if the step commits. community does not know this app: the
receiver is connected in WebhooksConfig.ready() when community is installed. With no
subscription for these types it costs no query (the subscriptions are in memory).
"""

from django.utils.translation import gettext_lazy as _

from webhooks import events, outbox
from webhooks.subscriptions import targets_for

# ServiceRequestEvent.action → the event type it is sent as.
STEP_TYPES = {
    "record": "service_request.recorded",
    "accept": "service_request.accepted",
    "complete": "service_request.done",
    "decline": "service_request.declined",
    "convert": "service_request.converted",
    "rate": "service_request.rated",
    "mark_overdue": "service_request.overdue",
}

TYPES = {
    "service_request.recorded": _("Service request recorded"),
    "service_request.accepted": _("Service request accepted"),
    "service_request.done": _("Service request done"),
    "service_request.declined": _("Service request declined"),
    "service_request.converted": _("Service request converted to a case"),
    "service_request.rated": _("Service request rated by the resident"),
    "service_request.overdue": _("Service request overdue"),
}


def register() -> None:
    from django.db.models.signals import post_save

    from community.models import ServiceRequestEvent

    events.register_event_types(TYPES)
    post_save.connect(
        step_written, sender=ServiceRequestEvent, dispatch_uid="webhooks.service_requests"
    )


def step_written(sender, instance, created, **kwargs) -> None:
    event_type = STEP_TYPES.get(instance.action)
    if not created or event_type is None or not targets_for([event_type]):
        return
    request = instance.request
    payload = {
        "service_request": {
            "id": request.pk,
            "number": request.number,
            "service": request.service.code,
            "status": request.status,
            "grid": request.grid_id,
            "due_at": request.due_at.isoformat() if request.due_at else None,
            "satisfaction": request.satisfaction,
            "case": request.case_id,
        },
        "step": {
            "name": instance.action,
            "at": instance.at.isoformat(),
            "from_status": instance.from_status,
            "to_status": instance.to_status,
            "version": instance.version,
        },
    }
    # The resident's words and address, only for a department allowed personal data.
    personal = {"description": request.description, "address": request.address}
    outbox.enqueue(
        event_type,
        payload,
        area_id=request.grid_id,
        department_id=request.service.department_id,
        personal=personal,
        key=f"service_request_event:{instance.pk}",
    )
