"""Community services (社区服务): the catalogue of services a community offers its residents, the
residents' service requests (居民服务需求) and their history, and care visits (走访) to the
people with care tags, on a schedule per tag.

A request's status and version are written only by community/workflow.py; a visit schedule's
next date and version only by community/services.py (compare-and-set on `version`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grid.crypto import EncryptedCharField
from grid.models import Area, CareTag, Department, Household, Person


class Service(models.Model):
    """One service of the catalogue (上门代办 and other items): who owns it (a department, or
    the community of the resident when `department` is empty), the documents the resident
    brings, the time limit in working days and whether it can be done at the resident's home."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("owning department"),
        help_text=_("Empty: the resident's community handles it."),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    documents = models.TextField(_("documents needed (one per line)"), blank=True)
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"), default=5)
    at_home = models.BooleanField(_("can be done at home"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(time_limit_days__gte=1), name="service_time_limit_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the request's language."""
        english = (get_language() or "").lower().startswith("en")
        return self.name_en if english and self.name_en else self.name

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents.splitlines() if line.strip()]


class VisitPlan(models.Model):
    """How often a person with a care tag is visited (独居老人 weekly …). A person with several
    tags is visited as often as the most frequent of them asks."""

    care_tag = models.OneToOneField(
        CareTag, verbose_name=_("care tag"), on_delete=models.CASCADE, related_name="visit_plan"
    )
    every_days = models.PositiveSmallIntegerField(_("visit every (days)"))

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["care_tag__position"]
        constraints = [
            models.CheckConstraint(condition=Q(every_days__gte=1), name="visit_plan_days_positive")
        ]

    def __str__(self) -> str:
        return f"{self.care_tag} / {self.every_days}d"


class ServiceRequest(models.Model):
    """A resident's service need (居民服务需求), for a registered person or household or a
    walk-in, recorded by a grid worker or office staff. `due_at` is the time limit of its
    service in working time; the sweeper flags it overdue once passed while still open."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for acceptance")
        IN_PROGRESS = "in_progress", _("Being handled")
        DONE = "done", pgettext_lazy("service request", "Done")
        DECLINED = "declined", _("Declined")
        CONVERTED = "converted", _("Converted to a case")

    OPEN_STATUSES = (Status.PENDING, Status.IN_PROGRESS)

    class Channel(models.TextChoices):
        FIELD = "field", _("Grid worker in the field")
        OFFICE = "office", _("Office")
        VISIT = "visit", _("Raised at a care visit")

    number = models.CharField(_("request number"), max_length=32, unique=True)
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="requests"
    )
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, default=Channel.FIELD
    )
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="service_requests"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    # A walk-in (not in the registry): a name and a phone, shown masked like the registry's.
    walk_in_name = models.CharField(_("walk-in name"), max_length=60, blank=True)
    walk_in_phone = EncryptedCharField(_("walk-in phone"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    version = models.PositiveIntegerField(default=1)
    due_at = models.DateTimeField(_("due"))
    is_overdue = models.BooleanField(_("overdue"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_service_requests",
    )
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    decline_reason = models.TextField(_("reason declined"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    visit = models.ForeignKey(
        "CareVisit",
        verbose_name=_("raised at visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="recorded_service_requests",
    )
    received_at = models.DateTimeField(_("received"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="service_request_due_idx"),
            models.Index(fields=["grid", "received_at"], name="service_request_grid_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="service_request_satisfaction_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.service}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def on_time(self) -> bool | None:
        if self.status != self.Status.DONE or self.closed_at is None:
            return None
        return self.closed_at <= self.due_at


class ServiceRequestEvent(models.Model):
    """One step in a request's history, written by community/workflow.py in the same
    transaction as the change; never edited. (request, version) is unique."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("service request event")
        verbose_name_plural = _("service request events")
        ordering = ["request_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "version"], name="service_request_event_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id} v{self.version} {self.action}"


def request_photo_path(photo, filename: str) -> str:
    return f"community/requests/{photo.request_id}/{filename}"


def visit_photo_path(photo, filename: str) -> str:
    return f"community/visits/{photo.visit_id}/{filename}"


class ServiceRequestPhoto(models.Model):
    """A photo of a request step: the documents handed over, the result."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        ServiceRequestEvent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    image = models.ImageField(upload_to=request_photo_path)
    thumbnail = models.ImageField(upload_to=request_photo_path, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service request photo")
        verbose_name_plural = _("service request photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.image.name


class VisitSchedule(models.Model):
    """When a person with care tags is next due a visit. Kept by community/services.py: made
    for every living tagged person, dropped when the tags go, moved on by each visit.
    `version` makes a visit a compare-and-set: of two workers recording the same visit at
    once, one wins."""

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="visit_schedule"
    )
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    every_days = models.PositiveSmallIntegerField(_("visit every (days)"))
    next_visit_on = models.DateField(_("next visit"))
    last_visited_at = models.DateTimeField(_("last visited"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("visit schedule")
        verbose_name_plural = _("visit schedules")
        ordering = ["next_visit_on", "id"]
        indexes = [models.Index(fields=["grid", "next_visit_on"], name="visit_schedule_due_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.next_visit_on}"


class CareVisit(models.Model):
    """A care visit (走访) to a person: when, by whom, the GPS check-in and its distance from
    the person's building, what was found. Needs raised become service requests or cases."""

    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="care_visits"
    )
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.PROTECT,
        related_name="care_visits",
    )
    visited_at = models.DateTimeField(_("visited"))
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    # Metres from the person's building; None when either point is unknown.
    distance_m = models.PositiveIntegerField(_("distance from the building (m)"), null=True)
    checked_in = models.BooleanField(_("checked in at the building"), default=False)
    findings = models.TextField(_("what was found"))
    due_on = models.DateField(_("was due on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["grid", "visited_at"], name="care_visit_grid_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.visited_at:%Y-%m-%d}"


class CareVisitPhoto(models.Model):
    visit = models.ForeignKey(CareVisit, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=visit_photo_path)
    thumbnail = models.ImageField(upload_to=visit_photo_path, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("care visit photo")
        verbose_name_plural = _("care visit photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.image.name
