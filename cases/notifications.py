"""In-app notifications: who hears of which case event. Written once per event and recipient
(a unique constraint makes a second run a no-op)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import CaseEvent, Dispatch, Notification
from grid.models import Post

ROLE_OF_LEVEL = {
    1: Post.Role.DISTRICT_DISPATCHER,
    2: Post.Role.STREET_STAFF,
    3: Post.Role.COMMUNITY_STAFF,
    4: Post.Role.GRID_WORKER,
}
TO_HOLDER = {
    "report", "escalate", "auto_escalate", "return_down", "lead_refused", "verify_fail",
    "reopen", "resume", "urge", "mark_overdue", "dispatch_refuse", "dispatch_request_extension",
    "dispatch_report_done", "dispatch_overdue",
}  # fmt: skip
TO_GRID_WORKERS = {"resolve"}
TO_REPORTER = {"verify_pass", "self_resolve", "reject"}
TO_DEPARTMENTS = {"dispatch", "dispatch_approve_extension", "dispatch_close_with_case"}
TO_SUPERVISORS = {"mark_overdue"}


def _holder_staff(event: CaseEvent):
    return Q(posts__is_active=True, posts__area_id=event.to_holder_id,
             posts__role=ROLE_OF_LEVEL[event.to_level])  # fmt: skip


def recipients(event: CaseEvent) -> list[int]:
    """User ids to notify of `event`, never its own actor."""
    case = event.case
    condition = Q(pk__in=[])
    if event.action in TO_HOLDER:
        condition |= _holder_staff(event)
    if event.action == "report" and event.data.get("notify_all_levels"):
        ids = [int(part) for part in case.grid.path.strip("/").split("/")]
        for level, area_id in enumerate(ids, start=1):
            condition |= Q(posts__is_active=True, posts__area_id=area_id,
                           posts__role=ROLE_OF_LEVEL[level])  # fmt: skip
    if event.action in TO_GRID_WORKERS:
        condition |= Q(posts__is_active=True, posts__area_id=case.grid_id,
                       posts__role=Post.Role.GRID_WORKER)  # fmt: skip
    if event.action in TO_REPORTER and case.reporter_id:
        condition |= Q(pk=case.reporter_id)
    if event.action in TO_DEPARTMENTS:
        if "lead" in event.data:
            # The departments of this dispatch only: after a lead's refusal the case is
            # dispatched again, and the departments of the earlier round are not concerned.
            departments = [event.data["lead"], *event.data.get("cooperating", [])]
        else:
            departments = Dispatch.objects.filter(pk=event.data.get("dispatch")).values(
                "department_id"
            )
        condition |= Q(posts__is_active=True, posts__role=Post.Role.DEPARTMENT_STAFF,
                       posts__department_id__in=departments)  # fmt: skip
    if event.action in TO_SUPERVISORS:
        condition |= Q(posts__is_active=True, posts__role=Post.Role.SUPERVISOR)
    users = get_user_model().objects.filter(condition, is_active=True)
    if event.actor_id:
        users = users.exclude(pk=event.actor_id)
    return sorted(set(users.values_list("pk", flat=True)))


def text_of(event: CaseEvent) -> str:
    from cases.workflow import ACTION_LABELS

    with translation.override(settings.LANGUAGE_CODE):
        label = str(ACTION_LABELS.get(event.action, event.action))
        text = _("%(number)s %(action)s: %(title)s") % {
            "number": event.case.number, "action": label, "title": event.case.title,
        }  # fmt: skip
    return text[:200]


def notify(event_id: int) -> int:
    """Write the notifications of one event; returns how many were new. Safe to run twice."""
    event = CaseEvent.objects.select_related("case__grid").filter(pk=event_id).first()
    if event is None:
        return 0
    text = text_of(event)
    rows = [Notification(user_id=user_id, case_id=event.case_id, event=event, text=text)
            for user_id in recipients(event)]  # fmt: skip
    before = Notification.objects.filter(event=event).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    CaseEvent.objects.filter(pk=event.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    return Notification.objects.filter(event=event).count() - before


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user, ids=None) -> int:
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
