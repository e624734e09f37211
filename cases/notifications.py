"""In-app notifications: who hears of which case event. Written once per event and recipient
(a unique constraint makes a second run a no-op). Also the supervisors' notice that an account
used up its hourly allowance of personal data (grid's AccessAlert, heard through the signal
grid.signals.access_limit_reached, which cases/apps.py connects: grid never imports cases)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import CaseEvent, Dispatch, Notification
from grid.models import AccessAlert, AuditEntry, Post

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


# Personal data allowances


def alert_recipients(alert: AccessAlert) -> list[int]:
    """User ids to tell of `alert`: the supervisors whose area holds one of the account's
    posts; with no such supervisor, the administrators of those areas. Never the account."""
    areas = alert.actor.posts.filter(is_active=True, area__isnull=False).values_list(
        "area__path", flat=True
    )
    above = {int(part) for path in areas for part in path.strip("/").split("/")}
    users = get_user_model().objects.filter(is_active=True).exclude(pk=alert.actor_id)
    for role in (Post.Role.SUPERVISOR, Post.Role.ADMIN):
        found = users.filter(posts__is_active=True, posts__role=role, posts__area_id__in=above)
        ids = sorted(set(found.values_list("pk", flat=True)))
        if ids:
            return ids
    return []


def alert_text(alert: AccessAlert) -> str:
    actor = alert.actor
    with translation.override(settings.LANGUAGE_CODE):
        if alert.action == AuditEntry.Action.EXPORT:
            text = _(
                "%(user)s made %(limit)s exports of personal data within an hour; more are refused."
            )
        else:
            text = _(
                "%(user)s revealed personal data %(limit)s times within an hour; more are refused."
            )
        text = text % {
            "user": actor.get_full_name() or actor.get_username(), "limit": alert.limit,
        }  # fmt: skip
    return text[:200]


def notify_access_alert(sender, alert: AccessAlert, **kwargs) -> int:
    """Receiver of grid.signals.access_limit_reached: write the notices of `alert` (in the
    transaction that wrote it). Returns how many."""
    text = alert_text(alert)
    rows = [Notification(user_id=user_id, alert=alert, text=text)
            for user_id in alert_recipients(alert)]  # fmt: skip
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))
