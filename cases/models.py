"""Cases (网格事件): their categories and routing rules, the case itself, its history of events,
its dispatches to departments, supervision, callbacks and the notifications they cause.

Status, level, holder and version of a case are written only by cases/workflow.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid.models import AccessAlert, Area, Building, Department, Household, Person

Level = Area.Level


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Category(models.Model):
    """A case category (事件分类): a main class (大类, no parent) or a subclass (小类).

    Subclasses carry the routing defaults: the level a case starts at, whether a grid worker may
    resolve it on the spot, and the working-time limits (hours) to accept and to handle it at
    each level. RoutingRule rows may override the start level and limits.
    """

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("main class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    start_level = models.PositiveSmallIntegerField(
        _("start level"), choices=Level.choices, default=Level.GRID
    )
    grid_may_self_resolve = models.BooleanField(
        _("grid worker may resolve on the spot"), default=False
    )
    # {"4": {"accept": 2, "handle": 24}, "3": {...}, ...}: working hours per Area.Level value.
    time_limits = models.JSONField(
        _("time limits (working hours per level)"), default=dict, blank=True
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("suggested lead department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cooperating_departments = models.ManyToManyField(
        Department,
        verbose_name=_("suggested cooperating departments"),
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Overrides where a case starts and how long each level has, for a category (optionally
    only at an urgency, or only in an area's subtree). The most specific matching rule wins;
    see cases/routing.py."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="rules")
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, blank=True)
    area = models.ForeignKey(
        Area, verbose_name=_("only in"), null=True, blank=True, on_delete=models.CASCADE
    )
    start_level = models.PositiveSmallIntegerField(
        _("start level"), choices=Level.choices, null=True, blank=True
    )
    notify_all_levels = models.BooleanField(_("alert every level at once"), default=False)
    # A factor on the category's time limits (0.25 = a quarter of the time).
    time_factor = models.DecimalField(_("time factor"), max_digits=4, decimal_places=2, default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["category__code", "urgency"]

    def __str__(self) -> str:
        return f"{self.category} · {self.urgency or '*'} · {self.area or '*'}"


class CalendarDay(models.Model):
    """An override of the public-holiday calendar: a day that is (or is not) a working day.
    Years the `chinese-calendar` library does not know yet are entered here."""

    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'workday' if self.is_workday else 'holiday'}"


# The statuses of a case still being worked on (every one but closed and rejected): what a
# level's queue holds by default, and the condition of the index that serves it.
OPEN_STATUSES = ("reported", "in_progress", "dispatched", "resolved", "suspended")


class Case(models.Model):
    """One incident (网格事件) on its way up and back down the hierarchy.

    Exactly one area holds it at a time (`holder`, at `level`). `due_at` is the deadline of the
    current stage at that level (accept while `reported`, handle while `in_progress`); the
    sweeper acts on it. `version` grows with every transition: writes are compare-and-set on it.
    """

    class Status(models.TextChoices):
        REPORTED = "reported", _("Waiting for acceptance")
        IN_PROGRESS = "in_progress", _("In progress")
        DISPATCHED = "dispatched", _("Dispatched")
        RESOLVED = "resolved", _("Waiting for verification")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Not registered")
        SUSPENDED = "suspended", _("Suspended")

    class Source(models.TextChoices):
        PATROL = "patrol", _("Grid patrol")
        HOTLINE = "hotline", _("Hotline")
        RESIDENT = "resident", _("Resident")
        OPEN311 = "open311", _("Open311 app")
        OTHER = "other", _("Other")

    number = models.CharField(_("case number"), max_length=32, unique=True)
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    urgency = models.CharField(
        _("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.PATROL
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    # Their lookups are served by the indexes of Meta that start with them (fewer indexes for
    # every filing and every step to write).
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="cases_in_grid",
        db_index=False,
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    holder = models.ForeignKey(
        Area,
        verbose_name=_("held by"),
        on_delete=models.PROTECT,
        related_name="cases_held",
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    status_before_suspension = models.CharField(max_length=12, blank=True)
    version = models.PositiveIntegerField(default=1)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # Working seconds left on the clock when the case was suspended; the clock resumes from it.
    remaining_seconds = models.PositiveIntegerField(null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("urgings"), default=0)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    resolution = models.TextField(_("result"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    buildings = models.ManyToManyField(Building, blank=True, related_name="cases")
    households = models.ManyToManyField(Household, blank=True, related_name="cases")
    persons = models.ManyToManyField(Person, blank=True, related_name="cases")
    reported_at = models.DateTimeField(_("reported"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_level = models.PositiveSmallIntegerField(
        _("closed at level"), choices=Level.choices, null=True, blank=True
    )
    final_due_at = models.DateTimeField(_("deadline of the whole case"), null=True, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    # A case that came from the 12345 hotline carries the hotline's work-order number (工单号,
    # unique among cases) and the hotline's own deadline, which is not ours to move.
    hotline_number = models.CharField(_("hotline work order"), max_length=40, blank=True)
    hotline_due_at = models.DateTimeField(_("hotline deadline"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hotline_number"],
                condition=~Q(hotline_number=""),
                name="case_unique_hotline_number",
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_due_idx"),
            models.Index(fields=["holder", "status"], name="case_holder_idx"),
            models.Index(fields=["category", "reported_at"], name="case_category_idx"),
            # The case lists, newest first, each page a range of one index (cases/keyset.py):
            # every case (the district, and the areas whose share of the cases is large, by
            # scanning it until a page of theirs is found), a grid's cases (a grid worker's
            # list), and the open cases an area holds (a level's queue in the console).
            models.Index(fields=["-reported_at", "-id"], name="case_newest_idx"),
            models.Index(fields=["grid", "-reported_at", "-id"], name="case_grid_newest_idx"),
            models.Index(
                fields=["holder", "-reported_at", "-id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_held_open_newest_idx",
            ),
            # The catch-up task looks for the few cases whose routing never ran; a partial
            # index keeps that scan small however many cases there are.
            models.Index(
                fields=["reported_at"],
                condition=Q(routed_at__isnull=True),
                name="case_unrouted_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.REJECTED)


class CaseEvent(models.Model):
    """One step in a case's history: who did what, when, from which status and level to which,
    and why. Written by cases/workflow.py in the same transaction as the change; never edited."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    # Long enough for the longest step name ("dispatch_approve_extension").
    action = models.CharField(_("action"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    from_level = models.PositiveSmallIntegerField(null=True)
    to_level = models.PositiveSmallIntegerField()
    from_holder = models.ForeignKey(Area, null=True, on_delete=models.PROTECT, related_name="+")
    to_holder = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The case version this event produced: (case, version) is unique, so two writers racing
    # on the same version cannot both record a step.
    version = models.PositiveIntegerField()
    # Bookkeeping, not history: when the event's notifications were written, so the sweeper
    # can catch up on any whose message never reached a worker.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="case_event_unique_version")
        ]
        indexes = [models.Index(fields=["notified_at", "at"], name="case_event_notified_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} v{self.version} {self.action}"


def photo_path(photo, filename: str) -> str:
    return f"cases/{photo.case_id}/{filename}"


class CasePhoto(models.Model):
    """A photo attached to a case step (report, resolution, verification)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    image = models.ImageField(upload_to=photo_path)
    thumbnail = models.ImageField(upload_to=photo_path, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.image.name


class Dispatch(models.Model):
    """Work sent to one department for one case: the lead (牵头, 主办) or a cooperating (配合,
    协办) one. Each has its own status, deadline and overdue flag.

        pending ──sign──▶ signed ──report_done──▶ done
           │                │
           ├──refuse──▶ refused
           └────────────────┴──(the case resolves)──▶ closed_with_case
    request/approve_extension keep the status; a lead's refusal cancels every open dispatch of
    the round (cancelled), and so do a failed verification or a reopening the work reported
    done (cancelled: to be redone).

    Cooperating departments report to the case while it is dispatched. The lead's report
    resolves the case; while cooperating dispatches are still open it is refused unless the lead
    gives a reason to go ahead, and then each of them is closed with the case
    (`closed_with_case`, with that reason): no department owes work on a case that has moved on
    (cases/services.py, report_dispatch_done)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        COOPERATING = "cooperating", _("Cooperating")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for signature")
        SIGNED = "signed", _("Signed")
        REFUSED = "refused", _("Refused")
        DONE = "done", _("Reported done")
        CANCELLED = "cancelled", _("Cancelled")
        CLOSED_WITH_CASE = "closed_with_case", _("Closed with the case")

    # The statuses in which a department still owes work, and its deadline runs.
    OPEN_STATUSES = (Status.PENDING, Status.SIGNED)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="dispatches")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    version = models.PositiveIntegerField(default=1)
    instructions = models.TextField(_("instructions"), blank=True)
    due_at = models.DateTimeField(_("due"))
    # Set while its case is suspended (挂账): the time that was left on the dispatch's clock,
    # which restarts from it when the case resumes. The sweeper leaves a paused dispatch alone.
    remaining_seconds = models.PositiveIntegerField(null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    extension_until = models.DateTimeField(_("extension requested until"), null=True, blank=True)
    extension_reason = models.TextField(_("extension reason"), blank=True)
    refusal_reason = models.TextField(_("refusal reason"), blank=True)
    result = models.TextField(_("result"), blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("dispatched"))
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    done_at = models.DateTimeField(_("reported done"), null=True, blank=True)
    # Set when the case resolved while this dispatch was still open: when, and the lead's
    # reason to go ahead without it.
    closed_at = models.DateTimeField(_("closed with the case"), null=True, blank=True)
    closure_reason = models.TextField(_("reason for closing with the case"), blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["case_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(role="lead", status__in=["pending", "signed", "done"]),
                name="dispatch_one_active_lead",
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="dispatch_due_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department} ({self.role})"


class Supervision(models.Model):
    """A supervision notice (督办) on a case: by a supervisor, or by the sweeper when the
    district misses a deadline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    is_automatic = models.BooleanField(default=False)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_id} 督办 {self.created_at:%Y-%m-%d}"


class Callback(models.Model):
    """A resident's rating of how a closed case was handled (回访)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="callbacks")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=5),
                name="callback_satisfaction_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.satisfaction}/5"


class Notification(models.Model):
    """An in-app message to one user about one case event, one per event and recipient; or
    about an account that used up its hourly allowance of personal data (`alert`, for the
    supervisors; no case), one per alert and recipient."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(
        AccessAlert, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(_("text"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="notification_once_per_event"),
            models.UniqueConstraint(fields=["alert", "user"], name="notification_once_per_alert"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.text


class UnreadCount(models.Model):
    """How many of a user's notifications are unread, kept as a counter so that the badge on
    every page reads one row instead of counting: cases/notifications.py adds what it writes
    (one upsert per batch) and takes off what is marked read, in the same transactions.
    `manage.py recount_unread` recounts it from the notifications."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    unread = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("unread count")
        verbose_name_plural = _("unread counts")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.unread}"


# Rollups (决策信息库): counters the dashboards read instead of counting cases per request.
# cases/rollups.py is their only writer; docs/metrics.md explains every counter.


def _counter(label: str) -> models.IntegerField:
    return models.IntegerField(label, default=0)


class AreaRollup(models.Model):
    """Counters of the cases reported on one day (Asia/Shanghai) whose grid lies in `area`, of one
    category, by the level (`level`) at which each counted step happened.

    Every case counts towards each area of its chain (district, street, community, grid), so a
    unit's figures are the rows of that one area. The counters describe the cases as they stand
    now: when a case moves, its old contribution is replaced by its new one (cases/rollups.py).
    """

    day = models.DateField(_("day"))
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    received = _counter(_("received"))
    accepted = _counter(_("accepted"))
    rejected = _counter(_("not registered"))
    closed = _counter(_("closed"))
    closed_on_time = _counter(_("closed on time"))
    reworked = _counter(_("closed after rework"))
    handling_seconds = models.BigIntegerField(_("handling seconds"), default=0)
    suspended = _counter(_("suspended"))
    open = _counter(_("open"))
    overdue_open = _counter(_("open and overdue"))
    overdue = _counter(_("missed a deadline"))
    deadline_misses = _counter(_("deadlines missed"))
    urged = _counter(_("urged"))
    urges = _counter(_("urgings"))
    escalated_out = _counter(_("escalated out"))
    auto_escalated_out = _counter(_("escalated out automatically"))
    escalated_in = _counter(_("escalated in"))
    returned_down = _counter(_("returned down"))
    callbacks = _counter(_("callbacks"))
    satisfied = _counter(_("satisfied callbacks"))

    class Meta:
        verbose_name = _("area rollup")
        verbose_name_plural = _("area rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "day", "category", "level"], name="area_rollup_key"
            )
        ]
        # Live counts (open cases now, whatever day they were reported) read only these rows.
        indexes = [
            models.Index(fields=["area", "level"], condition=Q(open__gt=0), name="area_rollup_open")
        ]

    def __str__(self) -> str:
        return f"{self.day} area {self.area_id} category {self.category_id} level {self.level}"


class HandlingRollup(models.Model):
    """How many of the cases reported on one day in `area`'s subtree, of one category, were
    closed after `hours` of handling (report to closing, natural hours, rounded down to the hour
    below 72 h and to the day from 72 h; 720 stands for 30 days or more). The median handling
    time is read from these rows."""

    day = models.DateField(_("day"))
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    hours = models.PositiveSmallIntegerField(_("hours"))
    closed = _counter(_("closed"))

    class Meta:
        verbose_name = _("handling-time rollup")
        verbose_name_plural = _("handling-time rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "day", "category", "hours"], name="handling_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} area {self.area_id} category {self.category_id} {self.hours} h"


class DepartmentRollup(models.Model):
    """Counters of the work dispatched to one department on one day (Asia/Shanghai), of one
    category: what became of each dispatch (签收, 退单, 反馈, overdue, rework, closed with the
    case before its deadline)."""

    day = models.DateField(_("day"))
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    dispatched = _counter(_("dispatched"))
    led = _counter(_("as lead"))
    signed = _counter(_("signed"))
    refused = _counter(_("refused"))
    done = _counter(_("reported done"))
    done_on_time = _counter(_("reported done on time"))
    overdue = _counter(_("overdue"))
    extension_requests = _counter(_("extensions requested"))
    reworked = _counter(_("reworked"))
    # Closed with its case before its own deadline passed: the department could no longer
    # finish it, so it is not scored on time or late (docs/metrics.md).
    closed_with_case = _counter(_("closed with the case in time"))

    class Meta:
        verbose_name = _("department rollup")
        verbose_name_plural = _("department rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "day", "category"], name="department_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} department {self.department_id} category {self.category_id}"


class WorkerRollup(models.Model):
    """Counters of one person's field work on the cases reported on one day in one grid: the
    reports they filed, and the on-site verifications and on-the-spot resolutions they did."""

    day = models.DateField(_("day"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    reported = _counter(_("reported"))
    rejected = _counter(_("not registered"))
    self_resolved = _counter(_("resolved on the spot"))
    verified = _counter(_("verifications"))

    class Meta:
        verbose_name = _("worker rollup")
        verbose_name_plural = _("worker rollups")
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "grid"], name="worker_rollup_key")
        ]
        indexes = [models.Index(fields=["grid", "day"], name="worker_rollup_grid_idx")]

    def __str__(self) -> str:
        return f"{self.day} user {self.user_id} grid {self.grid_id}"


class CaseRollupState(models.Model):
    """The last version of a case's history counted in the rollups; a step counted once is
    never counted again (cases/rollups.py)."""

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"case {self.case_id} counted to v{self.version}"


class RollupLedger(models.Model):
    """A case with steps not yet counted in the rollups. A step appends a row here (no lock on
    any shared row); the fold (cases/rollups.py fold) takes rows off and counts their cases.
    No foreign key: the append checks nothing and takes no lock on the case."""

    id = models.BigAutoField(primary_key=True)
    case_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"case {self.case_id} to count"


class ScoreWeight(models.Model):
    """The weight of one measure in the composite score (综合得分) of a kind of unit; editable
    by administrators. Without rows the defaults of cases/metrics.py apply."""

    class UnitKind(models.TextChoices):
        AREA = "area", _("Areas")
        DEPARTMENT = "department", _("Departments")

    unit_kind = models.CharField(_("units"), max_length=12, choices=UnitKind.choices)
    measure = models.CharField(_("measure"), max_length=40)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("score weight")
        verbose_name_plural = _("score weights")
        ordering = ["unit_kind", "measure"]
        constraints = [
            models.UniqueConstraint(fields=["unit_kind", "measure"], name="score_weight_once"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="score_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_kind} {self.measure} {self.weight}"


class StockPhrase(models.Model):
    """A stock phrase (常用语): a reason an admin wrote once for one step, offered on that step's
    form to pick and then edit (cases/phrases.py). `area` narrows it to the cases of one area's
    subtree; without one it is offered district-wide."""

    class Action(models.TextChoices):
        # The steps with a reason, by their names in cases/workflow.py and the console's forms.
        ESCALATE = "escalate", _("Escalate")
        RETURN_DOWN = "return_down", _("Return down")
        REJECT = "reject", _("Do not register")
        SUSPEND = "suspend", _("Suspend")
        URGE = "urge", _("Urge")
        REFUSE = "refuse", _("Refuse")  # a department's refusal of a dispatch (退单)

    action = models.CharField(_("step"), max_length=20, choices=Action.choices)
    # At most a reason's length (cases/limits.py REASON), so a picked phrase always fits.
    text = models.TextField(_("text"), max_length=500)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Leave empty to offer the phrase in the whole district."),
    )

    class Meta:
        verbose_name = _("stock phrase")
        verbose_name_plural = _("stock phrases")
        ordering = ["action", "order", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.text[:30]}"
