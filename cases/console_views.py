"""The office console (办公端): the pages communities, streets, the district triage centre,
departments and supervisors work in all day.

- the queue of cases a level holds (or every case of the user's area), filtered with
  CaseFilterSet, with deadline traffic lights, bulk accept and an htmx-polled table;
- the case page: details, photos, the grid on a map drawn from our own GeoJSON, registry links,
  the whole history and a form for exactly each step `policies.case_actions_for` allows;
- the department inbox (dispatches to my department, extension requests to decide);
- (the notification inbox, its mark-read and the unread badge: cases/console/inbox.py).

Views are thin: the step is checked first (policies.check_case_step / check_dispatch_step: the
policy says no: 403; someone else took it first, or the case has moved on: 409), then a form
(cases/console_forms.py) parses the post and one service in cases/services.py takes the step;
a refusal comes back on the same page, as a page message or beside the field it concerns
(ValidationError, 400). Services are atomic, so a refused step leaves nothing half-done. Every
page is scoped like the API: a case is seen by the areas above its grid and by the departments
it was dispatched to; any other id is a 404.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cached_property

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import OuterRef, Prefetch, Q, Subquery, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView

from cases import phrases, policies, services
from cases.calendar import WorkCalendar
from cases.console import dispatches as dispatch_cards
from cases.console import queue_filters
from cases.console.queues import DUE_TODAY, dispatch_state, due_today, late_cases
from cases.console_forms import (
    CallbackForm,
    DispatchForm,
    DispatchStepForm,
    DoneForm,
    ExtensionDecisionForm,
    ExtensionForm,
    ReasonForm,
    RefuseForm,
    RejectForm,
    ResultForm,
    ReturnDownForm,
    VerifyForm,
)
from cases.exceptions import ConcurrentCaseUpdate, CooperatingDispatchesOpen, InvalidTransition
from cases.filtersets import (
    CaseFilterSet,
    cases_visible_to,
    visible_case_ids,
)
from cases.forms import StepForm, VersionedForm, category_label, choice_labels
from cases.keyset import InvalidCursor, Key, Ordering
from cases.models import (
    OPEN_STATUSES,
    Callback,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    Dispatch,
    Supervision,
    Urgency,
)
from cases.photos import photo_response
from cases.prefetch import prefetch_existing, with_relation_flags
from cases.workflow import ACTION_LABELS
from governance.forms import PlainSelect
from grid import extensions
from grid.jurisdiction import JurisdictionScopedMixin, restrict
from grid.models import Area, Building, Department, Household, Person, Post

S = Case.Status
D = Dispatch.Status
PAGE_SIZE = 50
MAX_PAGE = 10_000
BULK_LIMIT = 200
LEVEL_OF_ROLE = {role: level for level, role in policies.ROLE_OF_LEVEL.items()}
# The steps that start a new stage clock (a new due_at counted from the step's time). Urging,
# callbacks and the departments' steps leave the clock alone, so they do not restart the light.
STAGE_STARTS = (
    "report",
    "accept",
    "escalate",
    "auto_escalate",
    "return_down",
    "lead_refused",
    "verify_fail",
    "reopen",
    "resume",
)


def person_name(user) -> str:
    if user is None:
        return _("System")
    return user.get_full_name() or user.get_username()


def page_number(request) -> int:
    """?page= as a number from 1 to MAX_PAGE; anything else is the first page. Past MAX_PAGE
    the offset would overflow the database's integers (a 500), and no one pages that far."""
    raw = request.GET.get("page", "1")
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > len(str(MAX_PAGE)):
        return 1
    return min(max(1, int(raw)), MAX_PAGE)


# Deadline traffic lights (红/黄/绿)


@dataclass(frozen=True)
class Light:
    colour: str  # "green", "yellow" or "red": also the CSS class suffix
    label: str
    due: datetime | None

    def __html__(self) -> str:
        """The light as pages show it (console/_light.html writes `{{ light }}`). Written here,
        not in a template: the queue shows fifty, and an include and a date filter each was a
        third of the rows' rendering."""
        due = ""
        if self.due is not None:
            local = timezone.localtime(self.due).strftime("%m-%d %H:%M")
            due = format_html(' <span class="small text-secondary">{}</span>', local)
        return format_html(
            '<span class="text-nowrap" data-light="{}"><span class="light light-{}"'
            ' aria-hidden="true"></span> <span class="small">{}</span>{}</span>',
            self.colour,
            self.colour,
            self.label,
            due,
        )

    __str__ = __html__  # a template writes str() of what it is given, then escapes a plain str


LIGHT_LABELS = {
    "green": gettext_lazy("On time"),
    "yellow": gettext_lazy("Due soon"),
    "red": gettext_lazy("Overdue"),
}


def deadline_colour(
    start: datetime | None,
    due: datetime,
    now: datetime,
    *,
    calendar: WorkCalendar,
    natural: bool = False,
) -> str:
    """Green while at most 80 % of the stage's time (from `start` to `due`) is used, yellow up
    to 100 %, red once `due` has passed. Time counts as the deadline was computed: working
    time, or the natural clock for emergencies."""
    if now >= due:
        return "red"
    if start is None or start >= due:
        return "green"
    if natural:
        total = (due - start).total_seconds()
        used = (now - start).total_seconds()
    else:
        total = calendar.between(start, due)
        used = calendar.between(start, now)
    if total <= 0:
        return "yellow"
    return "green" if used / total <= 0.8 else "yellow"


def with_deadlines(queryset):
    """Annotate cases with when their current stage started (the last step that set a new
    clock) and, for dispatched cases, the active lead dispatch's deadline."""
    stage_start = (
        CaseEvent.objects.filter(case=OuterRef("pk"), action__in=STAGE_STARTS)
        .order_by("-version")
        .values("at")[:1]
    )
    lead_due = Dispatch.objects.filter(
        case=OuterRef("pk"), role=Dispatch.Role.LEAD, status__in=Dispatch.OPEN_STATUSES
    ).values("due_at")[:1]
    return queryset.annotate(stage_started_at=Subquery(stage_start), lead_due_at=Subquery(lead_due))


def light_of(case: Case, now: datetime, calendar: WorkCalendar) -> Light | None:
    """The traffic light of a case annotated by with_deadlines(); None when no clock runs."""
    if case.status == S.DISPATCHED and getattr(case, "lead_due_at", None):
        start, due, natural = case.dispatched_at, case.lead_due_at, False
    elif case.due_at is not None and case.status in (S.REPORTED, S.IN_PROGRESS):
        start = getattr(case, "stage_started_at", None)
        due, natural = case.due_at, case.urgency == Urgency.EMERGENCY
    elif case.is_overdue and case.is_open:
        return Light("red", str(LIGHT_LABELS["red"]), None)
    else:
        return None
    colour = deadline_colour(start, due, now, calendar=calendar, natural=natural)
    if case.is_overdue:
        colour = "red"
    return Light(colour, str(LIGHT_LABELS[colour]), due)


def dispatch_light(dispatch: Dispatch, now: datetime, calendar: WorkCalendar) -> Light | None:
    if dispatch.status not in Dispatch.OPEN_STATUSES or dispatch.remaining_seconds is not None:
        return None  # done, or its clock paused with the suspended case
    colour = deadline_colour(dispatch.dispatched_at, dispatch.due_at, now, calendar=calendar)
    if dispatch.is_overdue:
        colour = "red"
    return Light(colour, str(LIGHT_LABELS[colour]), dispatch.due_at)


# Who holds what


def held_by(user, prefix: str = "") -> Q:
    """Cases held now by an area the user acts for at that area's level (as policies.holds
    decides): a community's staff hold the cases at community level in their community, and
    so on up to the district's dispatchers. `prefix` reaches the case from another model."""
    if user.is_superuser:
        return Q()
    condition = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    for role, area_id, path, area_level in _level_posts(user):
        level = LEVEL_OF_ROLE[role]
        if area_level == level:
            # The only area at that level in the post's subtree is the post's own: the holder
            # is it, by id (an index serves a holder's open cases newest first).
            condition |= Q(**{f"{prefix}level": level, f"{prefix}holder": area_id})
        elif path:
            condition |= Q(**{f"{prefix}level": level, f"{prefix}holder__path__startswith": path})
    return condition


def _level_posts(user) -> list[tuple]:
    """(role, area id, path, area level) of the user's active posts at a level, read once per
    request (kept on the user object, as policies and jurisdiction keep theirs)."""
    cached = getattr(user, "_level_posts", None)
    if cached is None:
        cached = user._level_posts = list(
            Post.objects.filter(user=user, is_active=True, role__in=LEVEL_OF_ROLE).values_list(
                "role", "area_id", "area__path", "area__level"
            )
        )
    return cached


def holds_any_level(user) -> bool:
    return user.is_superuser or bool(_level_posts(user))


def department_ids_of(user) -> list[int]:
    return list(
        Post.objects.filter(
            user=user, is_active=True, role=Post.Role.DEPARTMENT_STAFF, department__isnull=False
        ).values_list("department_id", flat=True)
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# The steps: which form parses each, which service takes it, and its button


@dataclass(frozen=True)
class Step:
    form: type[VersionedForm]
    service: object
    label: object  # the button's words (lazy)
    style: str = "primary"


CASE_STEPS: dict[str, Step] = {
    "accept": Step(StepForm, services.accept_case, gettext_lazy("Accept")),
    "reject": Step(RejectForm, services.reject_case, gettext_lazy("Do not register"), "danger"),
    "self_resolve": Step(
        ResultForm, services.self_resolve_case, gettext_lazy("Resolve on the spot"), "success"
    ),
    "escalate": Step(ReasonForm, services.escalate_case, gettext_lazy("Escalate"), "warning"),
    "return_down": Step(
        ReturnDownForm, services.return_case, gettext_lazy("Return down"), "secondary"
    ),
    "dispatch": Step(DispatchForm, services.dispatch_case, gettext_lazy("Dispatch")),
    "resolve": Step(ResultForm, services.resolve_case, gettext_lazy("Mark resolved"), "success"),
    "verify": Step(VerifyForm, services.verify_case, gettext_lazy("Verify on site"), "success"),
    "suspend": Step(ReasonForm, services.suspend_case, gettext_lazy("Suspend"), "secondary"),
    "resume": Step(StepForm, services.resume_case, gettext_lazy("Resume")),
    "urge": Step(ReasonForm, services.urge_case, gettext_lazy("Urge"), "warning"),
    "callback": Step(CallbackForm, services.callback_case, gettext_lazy("Record a callback")),
    "reopen": Step(ReasonForm, services.reopen_case, gettext_lazy("Reopen"), "warning"),
}


DISPATCH_STEPS: dict[str, Step] = {
    "sign": Step(DispatchStepForm, services.sign_dispatch, gettext_lazy("Sign")),
    "refuse": Step(RefuseForm, services.refuse_dispatch, gettext_lazy("Refuse"), "danger"),
    "request_extension": Step(
        ExtensionForm, services.request_extension, gettext_lazy("Ask for more time"), "secondary"
    ),
    "approve_extension": Step(
        ExtensionDecisionForm, services.approve_extension, gettext_lazy("Decide the extension")
    ),
    "report_done": Step(
        DoneForm, services.report_dispatch_done, gettext_lazy("Report done"), "success"
    ),
}


def run_step(form, service, target, actor) -> tuple[int, str]:
    """Validate `form` and run one service on `target` (a case or a dispatch). Returns the HTTP
    status of the outcome and a page-level message ("" when the form carries the errors)."""
    if not form.is_valid():
        return 400, ""
    if form.cleaned_data["version"] != target.version:
        return 409, STALE_MESSAGE
    try:
        service(target, actor=actor, **form.service_arguments())
    except ValidationError as exc:
        form.add_service_errors(exc)
        return 400, ""
    except PermissionDenied as exc:
        return 403, str(exc) or _("You may not take this step on this case.")
    except ConcurrentCaseUpdate:
        return 409, STALE_MESSAGE
    except InvalidTransition:
        return 409, NOT_NOW_MESSAGE
    except CooperatingDispatchesOpen as exc:
        # Beside the field that lets the lead go ahead (the lead's form always has it).
        field = "go_ahead_reason" if "go_ahead_reason" in form.fields else None
        form.add_error(field, exc.message())
        return 409, ""
    return 200, ""


def refusal(check) -> tuple[int, str]:
    """Run `check` (a policies.check_*_step) and say why a step is refused before its form is
    read: the policy says no (403), the case (or dispatch) changed since the user saw it or
    someone else took the step first (409), or the case has moved past it (409). (0, "") when
    the step may go ahead."""
    try:
        check()
    except PermissionDenied as exc:
        return 403, str(exc) or _("You may not take this step on this case.")
    except ConcurrentCaseUpdate:
        return 409, str(STALE_MESSAGE)
    except InvalidTransition:
        return 409, str(NOT_NOW_MESSAGE)
    return 0, ""


STALE_MESSAGE = gettext_lazy(
    "Someone else has already handled this case; nothing was changed. Here it is as it stands now."
)
NOT_NOW_MESSAGE = gettext_lazy(
    "This step is no longer possible: the case has moved on. Nothing was changed."
)


class ConsoleMixin(LoginRequiredMixin, JurisdictionScopedMixin):
    """A signed-in page whose rows are narrowed to the user's jurisdiction."""


# The queue


class Sort:
    NEWEST = "newest"
    URGENT = "urgent"
    DUE = "due"
    CHOICES = [
        (NEWEST, gettext_lazy("Newest first")),
        (URGENT, gettext_lazy("Most urgent first")),
        (DUE, gettext_lazy("Deadline first")),
    ]


URGENCY_RANK = models.Case(
    When(urgency=Urgency.EMERGENCY, then=0),
    When(urgency=Urgency.URGENT, then=1),
    default=2,
    output_field=models.IntegerField(),
)
NEWEST_FIRST = (Key("reported_at", descending=True), Key("id", descending=True))
# Each sort pages by a cursor over its keys (cases/keyset.py). Newest first is a range of an
# index (every case's, a grid's, or a holder's open cases); the others sort what the filters
# leave. Cases with no deadline come after those with one, on every database.
QUEUE_ORDERINGS = {
    Sort.NEWEST: Ordering(NEWEST_FIRST),
    Sort.URGENT: Ordering((Key("urgency_rank"), Key("due_at", nulls="last"), *NEWEST_FIRST)),
    Sort.DUE: Ordering((Key("due_at", nulls="last"), *NEWEST_FIRST)),
}


def _local_day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class QueueFilterSet(CaseFilterSet):
    """The API's case filters, with dates as local days, overdue as "deadline passed" and the
    sort order of the queue."""

    reported_from = django_filters.DateFilter(
        method="filter_reported_from",
        label=gettext_lazy("Reported from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reported_to = django_filters.DateFilter(
        method="filter_reported_to",
        label=gettext_lazy("Reported until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=gettext_lazy("Overdue"),
        widget=PlainSelect(
            choices=[
                ("", gettext_lazy("Any deadline")),
                ("true", gettext_lazy("Overdue")),
                ("false", gettext_lazy("Not overdue")),
            ]
        ),
    )
    sort = django_filters.ChoiceFilter(
        method="sort_by", choices=Sort.CHOICES, empty_label=None, label=gettext_lazy("Order")
    )
    # The workbench's links (cases/console/workbench.py): due today, urged by a supervisor.
    due = django_filters.ChoiceFilter(
        method="filter_due",
        choices=[(DUE_TODAY, gettext_lazy("Due today"))],
        empty_label=gettext_lazy("Any deadline"),
        label=gettext_lazy("Deadline"),
    )
    urged = django_filters.BooleanFilter(method="filter_urged", label=gettext_lazy("Urged"))

    class Meta(CaseFilterSet.Meta):
        fields = [
            *CaseFilterSet.Meta.fields, "reported_from", "reported_to", "sort", "due", "urged"
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["status"].extra["widget"] = forms.CheckboxSelectMultiple
        self.filters["status"].label = gettext_lazy("Status")
        self.filters["within"].label = gettext_lazy("Area")
        self.filters["category"].label = gettext_lazy("Category")
        self.filters["q"].label = gettext_lazy("Number or title")
        self.filters["urgency"].label = gettext_lazy("Urgency")
        self.filters["urgency"].extra["empty_label"] = gettext_lazy("Any urgency")
        # The filters the form does not show still name themselves on their chips.
        self.filters["level"].label = gettext_lazy("Level")
        self.filters["holder_within"].label = gettext_lazy("Held by")
        self.filters["department"].label = gettext_lazy("Dispatched to")
        self.filters["reported_after"].label = gettext_lazy("Reported from")
        self.filters["reported_before"].label = gettext_lazy("Reported until")
        self.filters["due_before"].label = gettext_lazy("Due before")
        self.filters["category"].extra["widget"] = PlainSelect(choices=self._category_choices())
        for name in ("within", "urgency", "sort"):
            self.filters[name].extra["widget"] = PlainSelect

    @staticmethod
    def _category_choices():
        choices = [("", _("All categories"))]
        for category in Category.objects.filter(is_active=True).order_by("code"):
            indent = "\u3000" if category.parent_id else ""
            choices.append((category.code, f"{indent}{category.code} {category_label(category)}"))
        return choices

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            within = form.fields["within"]
            within.queryset = within.queryset.order_by("path")
            within.label_from_instance = lambda area: "\u3000" * (area.level - 1) + area.name
            within.empty_label = _("All my areas")
            for field in form.fields.values():
                widget = field.widget
                if isinstance(widget, forms.CheckboxSelectMultiple):
                    widget.attrs.setdefault("class", "form-check-input")
                elif isinstance(widget, forms.Select):
                    widget.attrs.setdefault("class", "form-select form-select-sm")
                else:
                    widget.attrs.setdefault("class", "form-control form-control-sm")
        return self._form

    def filter_reported_from(self, queryset, name, value):
        return queryset.filter(reported_at__gte=_local_day_start(value))

    def filter_reported_to(self, queryset, name, value):
        return queryset.filter(reported_at__lt=_local_day_start(value + timedelta(days=1)))

    def filter_overdue(self, queryset, name, value):
        late = late_cases(timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_due(self, queryset, name, value):
        if value == DUE_TODAY:
            return queryset.filter(due_today(timezone.now()))
        return queryset

    def filter_urged(self, queryset, name, value):
        return queryset.filter(urge_count__gt=0) if value else queryset.filter(urge_count=0)

    def sort_by(self, queryset, name, value):
        if value == Sort.URGENT:
            queryset = queryset.annotate(urgency_rank=URGENCY_RANK)
        return QUEUE_ORDERINGS[value].apply(queryset)

    @property
    def ordering(self) -> Ordering:
        sort = self.form.cleaned_data.get("sort") if self.is_valid() else None
        return QUEUE_ORDERINGS[sort or Sort.NEWEST]


# The columns a row of the queue shows or decides by (its light, whether I may accept it), and no
# others (every column of a case and of both its areas, boundaries too, was most of the read).
# tests/cases/test_reads.py would see a column missing here as a query per row.
QUEUE_COLUMNS = [
    *("id", "number", "title", "urgency", "status", "level", "version", "due_at", "is_overdue"),
    *("dispatched_at", "reported_at", "category", "grid", "holder"),
    *("category__code", "category__name", "category__name_en", "grid__name"),
    *("holder__name", "holder__level", "holder__path"),
]

# The two views of the queue: what my level holds now, or every case of my area.
HELD = "held"
AREA = "area"


class CaseQueueView(ConsoleMixin, ListView):
    """/console/cases/: the cases my level holds (or every case of my area), filtered, with
    deadline lights; the table refreshes itself every 15 s (htmx) while nothing is ticked."""

    model = Case
    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"
    template_name = "console/queue.html"
    context_object_name = "cases"

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "queue-rows":
            return ["console/_queue_rows.html"]
        return [self.template_name]

    @cached_property
    def view_name(self) -> str:
        requested = self.request.GET.get("view")
        if requested in (HELD, AREA):
            return requested
        return HELD if holds_any_level(self.request.user) else AREA

    def get_queryset(self):
        queryset = super().get_queryset()
        view = self.view_name
        if view == HELD:
            queryset = queryset.filter(held_by(self.request.user))
            if not self.request.GET.getlist("status"):
                queryset = queryset.filter(status__in=OPEN_STATUSES)
        data = self.request.GET.copy()
        data.setdefault("sort", Sort.NEWEST)
        self.filterset = QueueFilterSet(data, queryset=queryset, request=self.request)
        if not self.filterset.is_valid():
            return queryset.none()
        queryset = self.filterset.qs.select_related("category", "grid", "holder")
        return with_deadlines(queryset.only(*QUEUE_COLUMNS))

    def get_context_data(self, **kwargs):
        # A page beyond the first is the rows after ?after= (the cursor of the last row of the
        # page before: cases/keyset.py), not an offset; no COUNT over the whole queue.
        ordering = self.filterset.ordering
        cursor = self.request.GET.get("after") or None
        try:
            rows, following = ordering.page(self.object_list, cursor, PAGE_SIZE)
        except InvalidCursor:  # edited, or another sort's: the first page
            cursor = None
            rows, following = ordering.page(self.object_list, None, PAGE_SIZE)
        now = timezone.now()
        calendar = WorkCalendar.load()
        user = self.request.user
        labels = choice_labels(S), choice_labels(Urgency), choice_labels(Area.Level)
        for case in rows:
            case.light = light_of(case, now, calendar)
            case.category_label = category_label(case.category)
            case.status_label = labels[0].get(case.status, case.status)
            case.urgency_label = labels[1].get(case.urgency, case.urgency)
            case.level_label = labels[2].get(case.level, case.level)
            # What the template's url tag and date filter did, at a tenth of the cost a row.
            case.url = reverse("console-case", args=[case.pk])
            case.reported = timezone.localtime(case.reported_at).strftime("%Y-%m-%d %H:%M")
            case.can_accept = case.status == S.REPORTED and policies.can_accept(user, case)
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("after", None)
        first_query = query.urlencode()
        if following:
            query["after"] = following
        context = super().get_context_data(object_list=rows, **kwargs)
        context.update(
            cases=rows,
            filter=self.filterset,
            view=self.view_name,
            paged=cursor is not None,
            first_query=first_query,
            next_query=query.urlencode() if following else None,
            bulk_report=self.request.session.pop("bulk_report", None),
            any_acceptable=any(case.can_accept for case in rows),
            # Every filter applied, removable one by one; those without a field in the form
            # carried by it (cases/console/queue_filters.py).
            chips=queue_filters.active_filters(self.filterset, self.request.GET),
            hidden_filters=queue_filters.hidden_filters(self.filterset, self.request.GET),
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response


class BulkAcceptView(ConsoleMixin, ListView):
    """POST /console/cases/accept/: accept each ticked case through services.accept_case, one
    at a time, and report on the queue what happened to each."""

    model = Case
    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"
    http_method_names = ["post"]

    def post(self, request):
        report = []
        values = request.POST.getlist("cases")[:BULK_LIMIT]
        if not values:
            messages.warning(request, _("Tick the cases to accept first."))
        for value in values:
            report.append(self._accept_one(value))
        if report:
            request.session["bulk_report"] = report
        return HttpResponseRedirect(_safe_next(request, reverse("console-queue")))

    def _accept_one(self, value: str) -> dict:
        pk, _sep, version = value.partition(":")
        try:
            pk, version = int(pk), int(version)
        except ValueError:
            return {"number": value, "ok": False, "message": _("Not a case of this queue.")}
        case = (
            self.get_queryset().select_related("category", "grid", "holder").filter(pk=pk).first()
        )
        if case is None:
            return {"number": str(pk), "ok": False, "message": _("No such case in your area.")}
        entry = {"pk": case.pk, "number": case.number, "title": case.title, "ok": False}
        if case.version != version:
            return {**entry, "message": str(STALE_MESSAGE)}
        try:
            services.accept_case(case, actor=self.request.user)
        except PermissionDenied:
            return {**entry, "message": _("You do not hold this case, so you cannot accept it.")}
        except ConcurrentCaseUpdate:
            return {**entry, "message": str(STALE_MESSAGE)}
        except InvalidTransition:
            return {**entry, "message": _("It is no longer waiting for acceptance.")}
        except ValidationError as exc:
            return {**entry, "message": " ".join(exc.messages)}
        return {**entry, "ok": True, "message": _("Accepted.")}


# The case page


CASE_PAGE_RELATIONS = [
    # Each event's photos are sorted out of the case's (_timeline): one query, not two.
    Prefetch(
        "events",
        queryset=CaseEvent.objects.select_related("actor", "from_holder", "to_holder").order_by(
            "version"
        ),
    ),
    "photos",
    Prefetch(
        "dispatches",
        # "lead" sorts after "cooperating": descending puts the lead first.
        queryset=Dispatch.objects.select_related("department").order_by("-role", "id"),
    ),
    Prefetch("supervisions", queryset=Supervision.objects.select_related("by")),
    Prefetch("callbacks", queryset=Callback.objects.select_related("by")),
]
# Read by _registry_links, in the user's scope, and only those the case has.
REGISTRY_RELATIONS = ["buildings", "households", "persons"]


def _case_page_queryset(queryset):
    """The case with whether it has rows of each relation the page shows (cases/prefetch.py):
    case_page then reads only those it has."""
    return with_relation_flags(
        queryset.select_related(
            "category__lead_department", "grid", "holder", "reporter", "duplicate_of"
        ).prefetch_related("category__cooperating_departments"),
        [*CASE_PAGE_RELATIONS, *REGISTRY_RELATIONS],
    )


LEVEL_LABELS = dict(Area.Level.choices)


def _timeline(case: Case, departments: dict[int, Department]) -> list[dict]:
    photos_of = {}
    for photo in case.photos.all():
        photos_of.setdefault(photo.event_id, []).append(photo)
    rows = []
    for event in case.events.all():
        department = departments.get(event.data.get("department")) if event.data else None
        rows.append(
            {
                "event": event,
                "label": ACTION_LABELS.get(event.action, event.action),
                "actor": person_name(event.actor),
                "from_level": LEVEL_LABELS.get(event.from_level) if event.from_level else None,
                "to_level": LEVEL_LABELS.get(event.to_level),
                "level_changed": event.from_level is not None
                and (
                    event.from_level != event.to_level or event.from_holder_id != event.to_holder_id
                ),
                "from_status": S(event.from_status).label if event.from_status else "",
                "to_status": S(event.to_status).label,
                "status_changed": event.from_status != event.to_status,
                "department": department,
                "photos": photos_of.get(event.pk, []),
            }
        )
    return rows


def case_page(request, case: Case | int, *, bound=None, status: int = 200, alert: str = ""):
    """Render the case page for `case` (or its id; read again, in scope: another is a 404).
    `bound` is ("case", action, form) or ("dispatch", dispatch_pk, action, form): a form that
    failed, shown open with its errors beside its fields."""
    user = request.user
    now = timezone.now()
    calendar = WorkCalendar.load()
    pk = case if isinstance(case, int) else case.pk
    case = with_deadlines(_case_page_queryset(cases_visible_to(user))).filter(pk=pk).first()
    if case is None:
        raise Http404(_("No such case in your area."))
    prefetch_existing(case, CASE_PAGE_RELATIONS)
    actions = policies.step_names(policies.case_actions_for(user, case))

    report = next((e for e in case.events.all() if e.action == "report"), None)
    duplicate_ids = (report.data or {}).get("possible_duplicates", []) if report else []
    duplicates = list(
        cases_visible_to(user).filter(pk__in=duplicate_ids).only("id", "number", "title", "status")
    )
    # The original of a duplicate is named only to those who may see it.
    duplicate_of = case.duplicate_of
    if duplicate_of is not None and not visible_case_ids(user, [duplicate_of.pk]):
        duplicate_of = None
    department_ids = {e.data.get("department") for e in case.events.all() if e.data}
    departments = Department.objects.in_bulk([pk for pk in department_ids if pk])

    forms_ = {}
    for action in actions:
        step = CASE_STEPS[action]
        kwargs = {"user": user, "case": case}
        if action == "reject":
            kwargs["duplicates"] = duplicates
        forms_[action] = step.form(auto_id=f"{action}-%s", **kwargs)
    open_action = None
    if bound and bound[0] == "case" and bound[1] in forms_:
        forms_[bound[1]] = bound[2]
        open_action = bound[1]

    dispatches = list(case.dispatches.all())
    for dispatch in dispatches:
        dispatch.case = case
        _decorate_dispatch(dispatch, user, now, calendar, bound)
    grid_path = case.grid.path
    phrases.offer([(action, form, grid_path) for action, form in forms_.items()])
    phrases.offer((a, form, grid_path) for d in dispatches for a, _step, form in d.steps)

    context = {
        "case": case,
        "category_label": category_label(case.category),
        "light": light_of(case, now, calendar),
        "steps": [(action, CASE_STEPS[action], forms_[action]) for action in actions],
        "open_action": open_action,
        "timeline": _timeline(case, departments),
        "photos": list(case.photos.all()),
        "dispatches": dispatches,
        "duplicates": duplicates,
        "duplicate_of": duplicate_of,
        "registry": _registry_links(user, case),
        "map": _map_data(case),
        "alert": alert,
        "origin": "case",
        "panels": extensions.panels(extensions.CASE_PAGE, request, case.grid, case=case),
    }
    return render(request, "console/case.html", context, status=status)


def _decorate_dispatch(dispatch, user, now, calendar, bound=None) -> None:
    dispatch.light = dispatch_light(dispatch, now, calendar)
    dispatch.steps = []
    for action in policies.dispatch_actions_for(user, dispatch):
        step = DISPATCH_STEPS[action]
        form = step.form(dispatch=dispatch, auto_id=f"d{dispatch.pk}-{action}-%s")
        if bound and bound[0] == "dispatch" and bound[1] == dispatch.pk and bound[2] == action:
            form = bound[3]
            dispatch.open_action = action
        dispatch.steps.append((action, step, form))


def _registry_links(user, case: Case) -> list[tuple[str, str, str]]:
    """(kind, name, url) of the registry rows linked to the case that the user may open. A
    kind is read only when the case has some (most cases link none): see _case_page_queryset."""
    links = []
    for model, kind, route, label in (
        (Building, _("Building"), "registry-building", lambda b: b.name or b.address),
        (Household, _("Household"), "registry-household", lambda h: h.number),
        (Person, _("Person"), "registry-person", lambda p: p.name),
    ):
        relation = f"{model._meta.model_name}s"
        if not getattr(case, f"has_{relation}"):
            continue
        rows = restrict(getattr(case, relation).all(), user, path_field="grid__path")
        for row in rows:
            links.append((kind, label(row), reverse(route, args=[row.pk])))
    return links


def _map_data(case: Case) -> dict | None:
    """The case's grid among its neighbours of the same community (our own GeoJSON polygons)
    and the pin: the reported point, or the grid's centre when there is none. Drawn by
    static/maps/sanhua-map.js (data-source of the case page's map)."""
    grid = case.grid
    if not grid.boundary:
        return None
    point = [case.lng, case.lat] if case.lng is not None and case.lat is not None else None
    if point is None and grid.centroid_lng is not None:
        point = [grid.centroid_lng, grid.centroid_lat]
    # Neighbouring grids are drawn for orientation only: boundaries are not personal data.
    grids = Area.objects.filter(parent_id=grid.parent_id, level=Area.Level.GRID).exclude(
        boundary=None
    )
    return {
        "areas": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": area.pk,
                    "geometry": area.boundary,
                    "properties": {"name": area.name},
                }
                for area in grids.only("id", "name", "boundary")
            ],
        },
        "highlight": grid.pk,
        "point": point,
        "exact": case.lng is not None,
        "label": case.number,
    }


class CaseDetailView(ConsoleMixin, DetailView):
    """/console/cases/<pk>/: everything about one case and the steps I may take on it."""

    model = Case
    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"

    def get(self, request, pk: int):
        return case_page(request, pk)  # read once, in scope, with all the page shows


class CaseStepView(ConsoleMixin, DetailView):
    """POST /console/cases/<pk>/<action>/: one workflow step through its service. Success
    goes back to the case page; a refusal shows the page again with the reason."""

    model = Case
    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"

    def get(self, request, *args, **kwargs):
        return redirect("console-case", pk=self.get_object().pk)

    def post(self, request, pk: int, action: str):
        case = self.get_object()
        step = CASE_STEPS.get(action)
        if step is None:
            raise Http404(_("No such step."))
        kwargs = {"user": request.user, "case": case}
        if action == "reject":
            kwargs["duplicates"] = ()
        form = step.form(request.POST, request.FILES, auto_id=f"{action}-%s", **kwargs)
        status, alert = refusal(
            lambda: policies.check_case_step(
                request.user, case, action, read_version=form.read_version()
            )
        )
        if status:
            return case_page(request, case, status=status, alert=alert)
        status, alert = run_step(form, step.service, case, request.user)
        if status == 200:
            messages.success(request, _("Done: %(step)s.") % {"step": step.label})
            return redirect("console-case", pk=case.pk)
        return case_page(request, case, bound=("case", action, form), status=status, alert=alert)


class CasePhotoView(ConsoleMixin, DetailView):
    """/console/photos/<pk>/ (and …/thumbnail/): a case photo, to those who may see the case."""

    model = CasePhoto
    jurisdiction_path = "case__grid__path"
    jurisdiction_department = "case__dispatches__department"
    thumbnail = False

    def get(self, request, *args, **kwargs):
        return photo_response(self.get_object(), thumbnail=self.thumbnail)


# The department inbox


class DispatchFilter:
    OPEN = "open"
    DONE = "done"
    ALL = "all"
    CHOICES = [
        (OPEN, gettext_lazy("To do")),
        (DONE, gettext_lazy("Done, refused or closed")),
        (ALL, gettext_lazy("All")),
    ]


def _dispatch_queryset(queryset):
    return queryset.select_related(
        "case__category", "case__grid", "case__holder", "department", "dispatched_by"
    )


def inbox_page(request, queryset, *, bound=None, status: int = 200, alert: str = ""):
    """Render the department inbox: my department's dispatches and, for the level that
    dispatched, the extension requests waiting for its decision."""
    user = request.user
    now = timezone.now()
    calendar = WorkCalendar.load()
    shown = request.GET.get("show", DispatchFilter.OPEN)
    if shown not in dict(DispatchFilter.CHOICES):
        shown = DispatchFilter.OPEN
    mine = _dispatch_queryset(queryset.filter(department_id__in=department_ids_of(user)))
    if user.is_superuser:
        mine = _dispatch_queryset(queryset)
    if shown == DispatchFilter.OPEN:
        mine = mine.filter(status__in=Dispatch.OPEN_STATUSES, case__status=S.DISPATCHED)
    elif shown == DispatchFilter.DONE:
        mine = mine.filter(status__in=[D.DONE, D.REFUSED, D.CANCELLED, D.CLOSED_WITH_CASE])
    # My department's dispatches are task cards: the case's description, photos, place,
    # deadlines and history (cases/console/dispatches.py).
    mine = list(dispatch_cards.with_cards(mine).order_by("due_at", "id")[:PAGE_SIZE])
    for dispatch in mine:
        dispatch_cards.decorate_card(dispatch, now)
    extensions = list(
        _dispatch_queryset(
            queryset.filter(
                held_by(user, prefix="case__"),
                extension_until__isnull=False,
                status__in=Dispatch.OPEN_STATUSES,
                case__status=S.DISPATCHED,
            )
        ).order_by("extension_until", "id")[:PAGE_SIZE]
    )
    for dispatch in [*mine, *extensions]:
        _decorate_dispatch(dispatch, user, now, calendar, bound)
        dispatch.category_label = category_label(dispatch.case.category)
        phrases.offer((a, form, dispatch.case.grid.path) for a, _step, form in dispatch.steps)
    context = {
        "dispatches": mine,
        "extensions": extensions,
        "shown": shown,
        "show_choices": DispatchFilter.CHOICES,
        "has_department": bool(department_ids_of(user)) or user.is_superuser,
        # ?state= (a workbench tile's link): said on the page, with the way back to all.
        "state": queue_filters.dispatch_state_shown(request.GET),
        "alert": alert,
        "origin": "inbox",
    }
    return render(request, "console/dispatches.html", context, status=status)


class DispatchInboxView(ConsoleMixin, ListView):
    """/console/dispatches/: work dispatched to my department, and extension requests for
    the dispatcher to decide."""

    model = Dispatch
    jurisdiction_path = "case__grid__path"
    jurisdiction_department = "department"

    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        # ?state= (the workbench's links): only the open dispatches in that state.
        state = request.GET.get("state", "")
        queryset = queryset.filter(dispatch_state(state, timezone.now()))
        return inbox_page(request, queryset)


class DispatchStepView(ConsoleMixin, DetailView):
    """POST /console/dispatches/<pk>/<action>/: sign, refuse, ask for or decide an extension,
    report done. A refusal shows the page the form came from again, with the reason."""

    model = Dispatch
    jurisdiction_path = "case__grid__path"
    jurisdiction_department = "department"

    def get_queryset(self):
        return super().get_queryset().select_related("case")

    def get(self, request, *args, **kwargs):
        self.get_object()  # out of scope: 404, like every method
        return redirect("console-dispatches")

    def post(self, request, pk: int, action: str):
        dispatch = self.get_object()
        step = DISPATCH_STEPS.get(action)
        if step is None:
            raise Http404(_("No such step."))
        form = step.form(
            request.POST, request.FILES, dispatch=dispatch, auto_id=f"d{dispatch.pk}-{action}-%s"
        )
        from_case = request.POST.get("origin") == "case"
        status, alert = refusal(
            lambda: policies.check_dispatch_step(
                request.user, dispatch, action, read_version=form.read_version()
            )
        )
        if status:
            if from_case:
                return case_page(request, dispatch.case, status=status, alert=alert)
            return inbox_page(request, super().get_queryset(), status=status, alert=alert)
        status, alert = run_step(form, step.service, dispatch, request.user)
        if status == 200:
            messages.success(request, _("Done: %(step)s.") % {"step": step.label})
            if from_case:
                return redirect("console-case", pk=dispatch.case_id)
            return HttpResponseRedirect(_safe_next(request, reverse("console-dispatches")))
        bound = ("dispatch", dispatch.pk, action, form)
        if from_case:
            return case_page(request, dispatch.case, bound=bound, status=status, alert=alert)
        return inbox_page(request, super().get_queryset(), bound=bound, status=status, alert=alert)


# The notification inbox, its mark-read and the unread badge: cases/console/inbox.py.
