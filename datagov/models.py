"""The resource catalogue (数据资源目录): every dataset the system holds, its fields, and the
sharing class (不共享 / 按需共享 / 普遍共享) of each, with the history of every change.

A dataset is one model's table; its fields are rows of their own, so a later sharing grant can
name exactly the fields it opens (issue 16, part 2). datagov/inventory.py describes the
defaults and datagov/catalogue.py keeps the rows in step with the models.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grid.models import Area, Department


class SharingClass(models.TextChoices):
    """Shanghai's three classes of government data (seed 003), strictest first."""

    NONE = "none", _("Not shared (不共享)")
    ON_REQUEST = "on_request", _("Shared on request (按需共享)")
    OPEN = "open", _("Shared openly (普遍共享)")


# How open each class is: a field is never shared more openly than its dataset.
OPENNESS = {SharingClass.NONE: 0, SharingClass.ON_REQUEST: 1, SharingClass.OPEN: 2}


def stricter(a: str, b: str) -> str:
    """The stricter of two sharing classes."""
    return a if OPENNESS[a] <= OPENNESS[b] else b


class Frequency(models.TextChoices):
    REALTIME = "realtime", _("As it happens")
    HOURLY = "hourly", _("Hourly")
    DAILY = "daily", _("Daily")
    AS_NEEDED = "as_needed", _("When it changes")


class Dataset(models.Model):
    """One dataset (数据资源): the rows of one model, described for sharing."""

    key = models.CharField(_("key"), max_length=60, unique=True)  # the model's label, lower case
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    owner_area = models.ForeignKey(
        Area,
        verbose_name=_("responsible area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    standard = models.CharField(_("standard"), max_length=200, blank=True)
    update_frequency = models.CharField(
        _("update frequency"), max_length=12, choices=Frequency.choices
    )
    sharing_class = models.CharField(
        _("sharing class"), max_length=12, choices=SharingClass.choices
    )
    reason = models.CharField(_("reason"), max_length=300)
    # Kept by the periodic count (datagov.tasks.count_records), never counted per request.
    record_count = models.BigIntegerField(_("records"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.name


class DatasetField(models.Model):
    """One field (数据项) of a dataset: its meaning, code table and sharing class."""

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="fields"
    )
    name = models.CharField(_("field"), max_length=60)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100)
    meaning = models.CharField(_("meaning"), max_length=300, blank=True)
    code_table = models.CharField(_("code table"), max_length=100, blank=True)
    standard = models.CharField(_("standard"), max_length=100, blank=True)
    sharing_class = models.CharField(
        _("sharing class"), max_length=12, choices=SharingClass.choices
    )
    reason = models.CharField(_("reason"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("dataset field")
        verbose_name_plural = _("dataset fields")
        ordering = ["dataset_id", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="dataset_field_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.key}.{self.name}"

    @property
    def effective_class(self) -> str:
        """The field's class, or its dataset's when that is stricter."""
        return stricter(self.sharing_class, self.dataset.sharing_class)


class ClassChange(models.Model):
    """One change of a sharing class (of a dataset, or of one of its fields): who, when, from,
    to and why. Append-only."""

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.PROTECT, related_name="changes"
    )
    field = models.ForeignKey(
        DatasetField,
        verbose_name=_("field"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_class = models.CharField(_("from"), max_length=12, choices=SharingClass.choices)
    to_class = models.CharField(_("to"), max_length=12, choices=SharingClass.choices)
    reason = models.CharField(_("reason"), max_length=300)
    at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sharing class change")
        verbose_name_plural = _("sharing class changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["dataset", "-at"], name="class_change_dataset_idx")]

    def __str__(self) -> str:
        target = self.field or self.dataset
        return f"{self.at:%Y-%m-%d %H:%M} {target}: {self.from_class}→{self.to_class}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Sharing class changes are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Sharing class changes are append-only.")


class PopulationCount(models.Model):
    """Living persons of one grid by population type and age band, counted periodically
    (datagov.tasks.count_records) so open statistics never group a million persons per request.

    `age_band` is the band's lower bound in years (grid/exports.py AGE_BANDS), or -1 for
    persons whose birth date is unknown."""

    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
    population_type = models.CharField(_("population type"), max_length=20)
    age_band = models.SmallIntegerField(_("age band"))
    persons = models.PositiveIntegerField(_("persons"))

    class Meta:
        verbose_name = _("population count")
        verbose_name_plural = _("population counts")
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "population_type", "age_band"], name="population_count_key"
            ),
            models.CheckConstraint(condition=Q(age_band__gte=-1), name="population_count_band"),
        ]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.population_type} {self.age_band}: {self.persons}"


# Objections (数据异议, issue 16 part 3): a reader says a registry record is wrong; the owner of
# its area corrects it through the registry's services (with history) or rejects it with a reason.
# Written only by datagov/objections.py.


class Objection(models.Model):
    """One objection against one registry record (a person, household, house or building).

    The record is named by exactly one of the four keys (`record_type` says which, its dataset is
    "grid.<record_type>"); `grid` is the record's grid when the objection was raised, kept here
    so that jurisdiction and the open objections per grid are one indexed lookup."""

    class RecordType(models.TextChoices):
        PERSON = "person", _("Person")
        HOUSEHOLD = "household", _("Household")
        HOUSE = "house", _("House")
        BUILDING = "building", _("Building")

    class Kind(models.TextChoices):
        WRONG_ADDRESS = "wrong_address", _("Wrong address")
        MOVED_AWAY = "moved_away", _("Moved away")
        DUPLICATE = "duplicate", _("Duplicate record")
        WRONG_VALUE = "wrong_value", _("Wrong value")
        DECEASED = "deceased", _("Deceased")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("objection status", "Open")
        CORRECTED = "corrected", _("Corrected")
        REJECTED = "rejected", _("Rejected")

    record_type = models.CharField(_("record type"), max_length=12, choices=RecordType.choices)
    person = models.ForeignKey(
        "grid.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "grid.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    house = models.ForeignKey(
        "grid.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "grid.Building", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    fields = models.CharField(_("fields concerned"), max_length=200, blank=True)
    text = models.CharField(_("what is wrong"), max_length=500)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    # The registry's own history of the correction: its audit entry, and the person's life
    # event when the record is a person.
    audit_entry = models.ForeignKey(
        "grid.AuditEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    life_event = models.ForeignKey(
        "grid.LifeEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-id"]
        indexes = [
            # The open objections per grid (dashboards) and a grid's list.
            models.Index(fields=["grid", "status"], name="objection_grid_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        record_type="person",
                        person__isnull=False,
                        household__isnull=True,
                        house__isnull=True,
                        building__isnull=True,
                    )
                    | Q(
                        record_type="household",
                        person__isnull=True,
                        household__isnull=False,
                        house__isnull=True,
                        building__isnull=True,
                    )
                    | Q(
                        record_type="house",
                        person__isnull=True,
                        household__isnull=True,
                        house__isnull=False,
                        building__isnull=True,
                    )
                    | Q(
                        record_type="building",
                        person__isnull=True,
                        household__isnull=True,
                        house__isnull=True,
                        building__isnull=False,
                    )
                ),
                name="objection_one_record",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="objection_resolved_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.dataset_key} {self.record_id} {self.kind} ({self.status})"

    @property
    def dataset_key(self) -> str:
        """The catalogue's key of the record's dataset ("grid.person")."""
        return f"grid.{self.record_type}"

    @property
    def record_id(self) -> int:
        return getattr(self, f"{self.record_type}_id")

    @property
    def record(self):
        return getattr(self, self.record_type)

    @property
    def field_names(self) -> list[str]:
        return [name for name in self.fields.split(",") if name]


# Sharing requests and grants (共享需求): issue 16, part 2. The workflow is datagov/sharing.py.


class SharingRequest(models.Model):
    """A department's (or another system's) request for fields of an 按需共享 dataset, for a
    stated purpose, in an area and for a period. The data owner (the staff of that area) approves
    it, narrows it or refuses it with a reason; an approval issues a Grant. Only
    datagov/sharing.py writes the status."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        NARROWED = "narrowed", _("Approved, narrowed")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    department = models.ForeignKey(
        Department,
        verbose_name=_("requesting department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    client = models.ForeignKey(
        "governance.ApiClient",
        verbose_name=_("requesting system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.PROTECT, related_name="requests"
    )
    fields = models.ManyToManyField(DatasetField, verbose_name=_("fields"), related_name="+")
    purpose = models.CharField(_("purpose"), max_length=500)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("sharing request")
        verbose_name_plural = _("sharing requests")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False, client__isnull=True)
                | Q(department__isnull=True, client__isnull=False),
                name="sharing_request_one_requester",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="sharing_request_period"
            ),
        ]
        indexes = [models.Index(fields=["status", "area"], name="sharing_request_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.requester} → {self.dataset}"

    @property
    def requester(self):
        return self.department or self.client


class Grant(models.Model):
    """What an approved request opens: fields of one dataset (a subset of those requested) in an
    area (the requested one or an area below it) from `valid_from` to `valid_until` (dates,
    inclusive), to the requesting department or system, until revoked. Every read under it is
    an audit entry naming it ("grant #N")."""

    request = models.OneToOneField(
        SharingRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="grant"
    )
    # The request's, kept on the grant so a read is one row, scoped like the request.
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(
        "governance.ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.PROTECT, related_name="grants"
    )
    fields = models.ManyToManyField(DatasetField, verbose_name=_("fields"), related_name="+")
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("data grant")
        verbose_name_plural = _("data grants")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="grant_period"
            ),
        ]

    def __str__(self) -> str:
        return f"grant #{self.pk}"

    @property
    def label(self) -> str:
        """How the audit log names reads under this grant."""
        return f"grant #{self.pk}"
