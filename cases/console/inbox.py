"""/console/inbox/: my messages grouped by case, the case with the newest message first. Each
group shows the case's number and title, its latest message, how many messages and how many of
them unread, and opens to the earlier ones; a message, a case's group or all of them can be
marked read, and the list filtered by kind (new work, escalated, returned, urged, overdue,
progress, closed, personal data alerts, notices) and to unread ones.

A message's kind is its event's action (cases/workflow.py ACTION_LABELS), grouped below; the
filter joins the event, so no column is stored for it. Pages are cursors over the groups'
newest message id (cases/keyset.py), never an offset. The header's badge (UnreadBadgeView) reads
the user's unread counter: one row.
"""

import contextlib

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from cases import notifications
from cases.console_views import _safe_next
from cases.filtersets import NotificationFilterSet, visible_case_ids
from cases.keyset import InvalidCursor, Key, Ordering, encode
from cases.models import Notification
from cases.workflow import ACTION_LABELS
from governance.forms import PlainSelect

GROUPS_PER_PAGE = 20
# The earlier messages a group opens to; a case's whole history is on its page.
MESSAGES_PER_GROUP = 10


class Kind:
    """Kinds of message, each the case events' actions it covers (alerts and notices have
    none: they are about no case event)."""

    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    RETURNED = "returned"
    URGED = "urged"
    OVERDUE = "overdue"
    PROGRESS = "progress"
    CLOSED = "closed"
    ALERT = "alert"
    NOTICE = "notice"
    ACTIONS = {
        ASSIGNED: ("report", "dispatch", "reopen", "resume", "dispatch_approve_extension"),
        ESCALATED: ("escalate", "auto_escalate"),
        RETURNED: ("return_down", "verify_fail", "lead_refused", "dispatch_refuse"),
        URGED: ("urge",),
        OVERDUE: ("mark_overdue", "dispatch_overdue"),
        PROGRESS: (
            "accept",
            "resolve",
            "suspend",
            "callback",
            "dispatch_sign",
            "dispatch_request_extension",
            "dispatch_report_done",
        ),  # fmt: skip
        CLOSED: ("verify_pass", "self_resolve", "reject", "dispatch_close_with_case"),
    }
    CHOICES = [
        (ASSIGNED, gettext_lazy("New work")),
        (ESCALATED, gettext_lazy("Escalated")),
        (RETURNED, gettext_lazy("Returned")),
        (URGED, gettext_lazy("Urged")),
        (OVERDUE, gettext_lazy("Overdue")),
        (PROGRESS, gettext_lazy("Progress")),
        (CLOSED, gettext_lazy("Closed")),
        (ALERT, gettext_lazy("Personal data alerts")),
        (NOTICE, gettext_lazy("Notices")),
    ]
    OF_ACTION = {action: kind for kind, actions in ACTIONS.items() for action in actions}
    # A new action not listed yet is progress until it is given its kind.
    assert set(OF_ACTION) <= set(ACTION_LABELS), set(OF_ACTION) - set(ACTION_LABELS)

    @classmethod
    def condition(cls, kind: str) -> Q:
        if kind == cls.ALERT:
            return Q(alert__isnull=False)
        if kind == cls.NOTICE:
            return Q(event__isnull=True, alert__isnull=True)
        if kind == cls.PROGRESS:
            others = [a for k, actions in cls.ACTIONS.items() if k != kind for a in actions]
            return Q(event__isnull=False) & ~Q(event__action__in=others)
        return Q(event__action__in=cls.ACTIONS[kind])

    @classmethod
    def of(cls, note: Notification) -> str:
        if note.alert_id:
            return cls.ALERT
        if note.event_id is None:
            return cls.NOTICE
        return cls.OF_ACTION.get(note.event.action, cls.PROGRESS)


KIND_LABELS = dict(Kind.CHOICES)


class InboxFilterSet(NotificationFilterSet):
    kind = django_filters.ChoiceFilter(
        choices=Kind.CHOICES,
        method="filter_kind",
        empty_label=gettext_lazy("All kinds"),
        label=gettext_lazy("Kind"),
        widget=PlainSelect,
    )

    class Meta(NotificationFilterSet.Meta):
        fields = [*NotificationFilterSet.Meta.fields, "kind"]

    def filter_kind(self, queryset, name, value):
        return queryset.filter(Kind.condition(value))


# Groups page by their newest message's id, newest first.
GROUP_ORDER = Ordering((Key("latest_id", descending=True),))


class NotificationInboxView(LoginRequiredMixin, TemplateView):
    """/console/inbox/: my messages grouped by case, newest first; ?kind=, ?unread=true,
    ?after= (the cursor of the next page of groups)."""

    jurisdiction_exempt = "the signed-in user's own inbox: rows are filtered to request.user"
    template_name = "console/inbox.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = InboxFilterSet(
            self.request.GET, queryset=Notification.objects.filter(user=user)
        )
        rows = filterset.qs if filterset.is_valid() else Notification.objects.none()
        groups, following = self._groups(rows.order_by())
        self._fill(groups, rows)
        query = self.request.GET.copy()
        query.pop("after", None)
        if following:
            query["after"] = following
        context.update(
            groups=groups,
            filter=filterset,
            kind=self.request.GET.get("kind", "") if filterset.is_valid() else "",
            kinds=Kind.CHOICES,
            unread_only=self.request.GET.get("unread") == "true",
            unread=notifications.unread_count(user),
            paged=bool(self.request.GET.get("after")),
            next_query=query.urlencode() if following else None,
        )
        return context

    def _groups(self, rows) -> tuple[list[dict], str | None]:
        """A page of groups: {case_id, latest_id, total, unread}, and the next page's cursor."""
        grouped = rows.values("case_id").annotate(
            latest_id=Max("id"),
            total=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
        )
        cursor = self.request.GET.get("after") or None
        if cursor:
            # An edited or stale cursor: the first page.
            with contextlib.suppress(InvalidCursor):
                after = GROUP_ORDER.decode(cursor, Notification)
                grouped = grouped.filter(GROUP_ORDER.after(after))
        page = list(GROUP_ORDER.apply(grouped)[: GROUPS_PER_PAGE + 1])
        following = None
        if len(page) > GROUPS_PER_PAGE:
            following = encode([page[GROUPS_PER_PAGE - 1]["latest_id"]])
        return page[:GROUPS_PER_PAGE], following

    def _fill(self, groups: list[dict], rows) -> None:
        """Each group's messages (the newest MESSAGES_PER_GROUP that the filters leave), its
        case, and whether the user may open the case: two queries whatever the groups."""
        if not groups:
            return
        case_ids = [g["case_id"] for g in groups if g["case_id"] is not None]
        of_groups = Q(case_id__in=case_ids)
        if any(g["case_id"] is None for g in groups):
            of_groups |= Q(case__isnull=True)
        numbered = (
            rows.filter(of_groups)
            .select_related("case", "event")
            .only(
                *("id", "case_id", "event_id", "alert_id", "text", "created_at", "read_at"),
                *("case__number", "case__title", "event__action"),
            )
            .annotate(
                position=Window(RowNumber(), partition_by=[F("case_id")], order_by=F("id").desc())
            )
        )
        shown: dict[int | None, list[Notification]] = {}
        for note in numbered.filter(position__lte=MESSAGES_PER_GROUP).order_by("-id"):
            note.kind = Kind.of(note)
            note.kind_label = KIND_LABELS[note.kind]
            shown.setdefault(note.case_id, []).append(note)
        visible = visible_case_ids(self.request.user, case_ids)
        for group in groups:
            notes = shown.get(group["case_id"], [])
            group["latest"] = notes[0] if notes else None
            group["earlier"] = notes[1:]
            group["hidden"] = group["total"] - len(notes)
            group["case"] = notes[0].case if notes and group["case_id"] else None
            group["case_visible"] = group["case_id"] in visible


class MarkReadView(LoginRequiredMixin, View):
    """POST /console/inbox/read/: mark read the given notifications (ids), those of one case
    (case=<id>, or case=none for the notices about no case) or all (all=1)."""

    jurisdiction_exempt = "marks only the signed-in user's own notifications"

    def post(self, request):
        user = request.user
        case = request.POST.get("case", "")
        if request.POST.get("all"):
            marked = notifications.mark_read(user)
        elif case == "none":
            marked = notifications.mark_read(user, case=None)
        elif case.isascii() and case.isdecimal() and len(case) < 19:
            marked = notifications.mark_read(user, case=int(case))
        else:
            ids = [
                int(v) for v in request.POST.getlist("ids")
                if v.isascii() and v.isdecimal() and len(v) < 19
            ]  # fmt: skip
            marked = notifications.mark_read(user, ids) if ids else 0
        if marked:
            messages.success(request, _("Marked %(n)s as read.") % {"n": marked})
        return HttpResponseRedirect(_safe_next(request, reverse("console-inbox")))


class UnreadBadgeView(LoginRequiredMixin, View):
    """GET /console/inbox/unread/: the header's unread badge (an htmx fragment, polled)."""

    jurisdiction_exempt = "counts only the signed-in user's own notifications"

    def get(self, request):
        count = notifications.unread_count(request.user)
        return render(request, "console/_unread_badge.html", {"count": count})
