"""In-app notifications: who hears of which case event. Written once per event and recipient
(a unique constraint makes a second run a no-op). Also the supervisors' notice that an account
used up its hourly allowance of personal data (grid's AccessAlert, heard through the signal
grid.signals.access_limit_reached, which cases/apps.py connects: grid never imports cases)."""

from collections import Counter, defaultdict
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import extensions
from cases.models import CaseEvent, Dispatch, Notification, UnreadCount
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


# Who hears of an event, as keys matched against people's active posts (or a user's id).
Audience = tuple


class Step(NamedTuple):
    """What notifying reads of an event and its case: one row of one query per batch."""

    pk: int
    action: str
    data: dict
    actor_id: int | None
    to_level: int
    to_holder_id: int
    case_id: int
    number: str
    title: str
    grid_id: int
    grid_path: str
    reporter_id: int | None
    # Lets a consumer of steps (hotline/, open311/) skip the cases that are not its own
    # without a query of its own.
    source: str

    @classmethod
    def of(cls, event: CaseEvent) -> "Step":
        case = event.case
        return cls(
            event.pk, event.action, event.data, event.actor_id, event.to_level,
            event.to_holder_id, case.pk, case.number, case.title, case.grid_id, case.grid.path,
            case.reporter_id, case.source,
        )  # fmt: skip


STEP_FIELDS = (
    "pk", "action", "data", "actor_id", "to_level", "to_holder_id", "case_id", "case__number",
    "case__title", "case__grid_id", "case__grid__path", "case__reporter_id", "case__source",
)  # fmt: skip


def audiences(step: Step) -> set[Audience]:
    """Whom an event concerns: ("area", area id, role) for the staff of an area,
    ("department", id) for a department's staff, ("supervisors",) for every supervisor and
    ("user", id) for one person. A dispatch step's department is ("department_of", dispatch
    id), which recipients_of resolves."""
    found: set[Audience] = set()
    if step.action in TO_HOLDER:
        found.add(("area", step.to_holder_id, ROLE_OF_LEVEL[step.to_level]))
    if step.action == "report" and step.data.get("notify_all_levels"):
        ids = [int(part) for part in step.grid_path.strip("/").split("/")]
        for level, area_id in enumerate(ids, start=1):
            found.add(("area", area_id, ROLE_OF_LEVEL[level]))
    if step.action in TO_GRID_WORKERS:
        found.add(("area", step.grid_id, Post.Role.GRID_WORKER))
    if step.action in TO_REPORTER and step.reporter_id:
        found.add(("user", step.reporter_id))
    if step.action in TO_DEPARTMENTS:
        if "lead" in step.data:
            # The departments of this dispatch only: after a lead's refusal the case is
            # dispatched again, and the departments of the earlier round are not concerned.
            for department_id in [step.data["lead"], *step.data.get("cooperating", [])]:
                found.add(("department", department_id))
        elif step.data.get("dispatch") is not None:
            found.add(("department_of", step.data["dispatch"]))
    if step.action in TO_SUPERVISORS:
        found.add(("supervisors",))
    return found


def recipients_of(steps: list[Step]) -> dict[int, list[int]]:
    """Event id → user ids to notify of it (active users only, never the event's own actor),
    for many events in at most three queries whatever their number: the dispatches named, the
    posts, the users named."""
    wanted = {step.pk: audiences(step) for step in steps}
    keys = set().union(*wanted.values())
    dispatches = [key[1] for key in keys if key[0] == "department_of"]
    if dispatches:
        department_of = dict(
            Dispatch.objects.filter(pk__in=dispatches).values_list("pk", "department_id")
        )
        for audience in wanted.values():
            for key in [k for k in audience if k[0] == "department_of"]:
                audience.discard(key)
                if key[1] in department_of:
                    audience.add(("department", department_of[key[1]]))
        keys = set().union(*wanted.values())
    members: dict[Audience, set[int]] = defaultdict(set)
    condition = Q()
    areas = {key[1] for key in keys if key[0] == "area"}
    if areas:
        roles = {key[2] for key in keys if key[0] == "area"}
        condition |= Q(area_id__in=areas, role__in=roles)
    departments = {key[1] for key in keys if key[0] == "department"}
    if departments:
        condition |= Q(role=Post.Role.DEPARTMENT_STAFF, department_id__in=departments)
    if ("supervisors",) in keys:
        condition |= Q(role=Post.Role.SUPERVISOR)
    if areas or departments or ("supervisors",) in keys:
        posts = Post.objects.filter(condition, is_active=True, user__is_active=True)
        for user_id, role, area_id, department_id in posts.values_list(
            "user_id", "role", "area_id", "department_id"
        ):
            members[("area", area_id, role)].add(user_id)
            if role == Post.Role.DEPARTMENT_STAFF:
                members[("department", department_id)].add(user_id)
            if role == Post.Role.SUPERVISOR:
                members[("supervisors",)].add(user_id)
    users = {key[1] for key in keys if key[0] == "user"}
    if users:
        active = get_user_model().objects.filter(pk__in=users, is_active=True)
        for user_id in active.values_list("pk", flat=True):
            members[("user", user_id)].add(user_id)
    found = {}
    for step in steps:
        ids = set().union(*(members.get(key, ()) for key in wanted[step.pk]))
        ids.discard(step.actor_id)
        found[step.pk] = sorted(ids)
    return found


def recipients(event: CaseEvent) -> list[int]:
    """User ids to notify of `event`, never its own actor."""
    return recipients_of([Step.of(event)])[event.pk]


def text_of(event: CaseEvent) -> str:
    """The notification's text of `event`, in the site's language."""
    return _texts([Step.of(event)])[event.pk]


def _texts(steps: list[Step]) -> dict[int, str]:
    from cases.workflow import ACTION_LABELS

    with translation.override(settings.LANGUAGE_CODE):
        template = _("%(number)s %(action)s: %(title)s")
        labels = {s.action: str(ACTION_LABELS.get(s.action, s.action)) for s in steps}
    return {
        s.pk: (template % {"number": s.number, "action": labels[s.action], "title": s.title})[:200]
        for s in steps
    }


@transaction.atomic
def notify_many(event_ids) -> int:
    """Write the notifications of many events not yet notified, and mark them notified, in one
    transaction: the events and their recipients read in a few queries whatever their number,
    the notifications written with one insert and counted in their users' unread counts with
    one upsert. Returns how many notifications were new. Safe to run twice, or at once with
    another run on the same events: the unique (event, user) constraint lets each be written
    once, and only those written are counted."""
    steps = [
        Step(*row)
        for row in CaseEvent.objects.filter(pk__in=list(event_ids), notified_at__isnull=True)
        .order_by("pk")
        .values_list(*STEP_FIELDS)
    ]
    if not steps:
        return 0
    to, texts = recipients_of(steps), _texts(steps)
    rows = [(user_id, s.case_id, s.pk, None, texts[s.pk]) for s in steps for user_id in to[s.pk]]
    written = _write(rows)
    CaseEvent.objects.filter(pk__in=[s.pk for s in steps], notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    # Other apps' work on each step once (webhooks' outbox), committed with the marking.
    extensions.steps_notified(steps)
    return written


def notify(event_id: int) -> int:
    """Write the notifications of one event; returns how many were new. Safe to run twice."""
    return notify_many([event_id])


# Unread counts: UnreadCount holds, per user, how many notifications are unread. Every write of
# notifications adds the ones it wrote and every marking read takes off the ones it marked, in
# the same transaction, so the counter moves with the rows; recount() repairs it if rows were
# ever written or deleted some other way.

# Rows per INSERT statement (7 parameters each; SQLite allows 32,766).
_ROWS_PER_STATEMENT = 2_000


def _write(rows: list[tuple]) -> int:
    """Insert notifications given as (user id, case id, event id, alert id, text), skipping any
    already written (the unique constraints), and add the ones written to their users' unread
    counts; in the caller's transaction. Returns how many were written."""
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(Notification._meta.get_field(name).column)
        for name in ("user", "case", "event", "alert", "text", "created_at", "read_at")
    )
    table = quote(Notification._meta.db_table)
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    written: Counter[int] = Counter()
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        params = [value for row in chunk for value in (*row, created, None)]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            # ON CONFLICT DO NOTHING … RETURNING: only the rows this statement wrote come back,
            # so a second run, or one racing this one, counts nothing twice.
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT DO NOTHING"
                f" RETURNING {quote('user_id')}",
                params,
            )
            written.update(user_id for (user_id,) in cursor.fetchall())
    _add_unread(written)
    return sum(written.values())


def _add_unread(amounts: dict[int, int]) -> None:
    """Add to the unread counts of these users, with one upsert (in user order, so that two
    writers never wait on each other's rows in opposite orders)."""
    amounts = {user_id: n for user_id, n in amounts.items() if n}
    if not amounts:
        return
    quote = connection.ops.quote_name
    table = quote(UnreadCount._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(amounts))
    params = [value for user_id in sorted(amounts) for value in (user_id, amounts[user_id])]
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("user_id", "unread") VALUES {values}'
            ' ON CONFLICT ("user_id") DO UPDATE'
            f' SET "unread" = {table}."unread" + excluded."unread"',
            params,
        )


def unread_count(user) -> int:
    """How many of `user`'s notifications are unread (their counter: one row read)."""
    count = UnreadCount.objects.filter(user_id=user.pk).values_list("unread", flat=True).first()
    return max(count or 0, 0)


ALL_CASES = object()  # mark_read's default: notifications of any case, or of none


@transaction.atomic
def mark_read(user, ids=None, *, case=ALL_CASES) -> int:
    """Mark `user`'s unread notifications read (those of `ids`, or all; of one case id, or of
    none with case=None); one UPDATE of the notifications, one of the counter. Returns how
    many."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    if case is not ALL_CASES:
        rows = rows.filter(case_id=case) if case is not None else rows.filter(case__isnull=True)
    marked = rows.update(read_at=timezone.now())
    if marked:
        UnreadCount.objects.filter(user_id=user.pk).update(unread=F("unread") - marked)
    return marked


@transaction.atomic
def recount(users=None) -> int:
    """Recount the unread counts from the notifications (all users', or those of `users`);
    returns how many users have unread notifications. Writers wait meanwhile (PostgreSQL: the
    table is locked), so that none adds to a counter that is being replaced."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(UnreadCount._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    counters = UnreadCount.objects.all()
    unread = Notification.objects.filter(read_at__isnull=True)
    if users is not None:
        ids = [getattr(user, "pk", user) for user in users]
        counters, unread = counters.filter(user_id__in=ids), unread.filter(user_id__in=ids)
    counters.delete()
    counts = unread.values("user_id").annotate(n=Count("pk")).values_list("user_id", "n")
    UnreadCount.objects.bulk_create(UnreadCount(user_id=u, unread=n) for u, n in counts)
    return len(counts)


def notify_users(user_ids, text: str) -> int:
    """Write one notice of `text` (in the site's language, at most 200 characters) to each of
    these users, about no case (e.g. a webhook paused for failing); in the caller's transaction.
    Returns how many were written."""
    return _write([(user_id, None, None, None, text[:200]) for user_id in sorted(set(user_ids))])


# Personal data allowances


def alert_recipients(alert: AccessAlert) -> list[int]:
    """User ids to tell of `alert`: the supervisors whose area holds one of the account's
    posts (a department's staff: the department's area); with no such supervisor, the
    administrators of those areas. Never the account."""
    posts = alert.actor.posts.filter(is_active=True).values_list(
        "area__path", "department__area__path"
    )
    areas = [path for pair in posts for path in pair if path]
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
        elif alert.action == AuditEntry.Action.VIEW:
            # Reads under data grants (datagov): alerted, not refused; the grant bounds them.
            text = _("%(user)s read more than %(limit)s records under data grants within an hour.")
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
    return _write([(user_id, None, None, alert.pk, text) for user_id in alert_recipients(alert)])
