"""The district's administrative hierarchy, its departments, and who works where.

District (区) → street (街道) → community (社区) → grid (网格) are rows of one table, `Area`, kept
as a materialized path so a whole subtree is one indexed prefix query.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid.crypto import EncryptedCharField


class Area(models.Model):
    """One unit of the hierarchy: the district, a street, a community or a grid.

    `path` lists the ids from the district down ("/1/4/17/"), so an area's subtree is every row
    whose path starts with its own. `code` is the official code: 6-digit county code, then 3
    digits for the street and 3 for the community; a grid adds its own suffix. The boundary is
    a GeoJSON Polygon or MultiPolygon in WGS-84; its centroid and bounding box are kept beside it
    so "which grid contains this point" needs no GIS extension.
    """

    class Level(models.IntegerChoices):
        # Smaller is higher: escalation moves a case towards DISTRICT.
        DISTRICT = 1, _("District")
        STREET = 2, _("Street")
        COMMUNITY = 3, _("Community")
        GRID = 4, _("Grid")

    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    centroid_lng = models.FloatField(null=True, blank=True, editable=False)
    centroid_lat = models.FloatField(null=True, blank=True, editable=False)
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="area_unique_name_per_parent"),
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="area_only_district_has_no_parent",
            ),
        ]
        indexes = [
            # The point lookup narrows by bounding box before testing polygons.
            models.Index(fields=["level", "min_lng", "max_lng"], name="area_bbox_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, other: "Area") -> bool:
        """Whether `other` is this area or lies below it."""
        return other.path.startswith(self.path)


class Department(models.Model):
    """A functional department (职能部门): a district bureau or a street office.

    Cases are dispatched to departments; a department belongs to the area it serves.
    """

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("District bureau")
        STREET_OFFICE = "street_office", _("Street office")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BUREAU)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="departments"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="department_unique_name_per_area")
        ]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """A position a user holds: a role in an area, or (department staff) in a department.

    A user may hold several posts; what they may see is the union of them (grid/jurisdiction.py).
    """

    class Role(models.TextChoices):
        GRID_WORKER = "grid_worker", _("Grid worker")
        COMMUNITY_STAFF = "community_staff", _("Community staff")
        STREET_STAFF = "street_staff", _("Street staff")
        DISTRICT_DISPATCHER = "district_dispatcher", _("District dispatcher")
        DEPARTMENT_STAFF = "department_staff", _("Department staff")
        SUPERVISOR = "supervisor", _("Supervisor")
        ADMIN = "admin", _("Administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="posts",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["user_id", "role"]
        constraints = [
            # Department staff work for a department; every other role works for an area.
            models.CheckConstraint(
                condition=(
                    Q(role="department_staff", department__isnull=False, area__isnull=True)
                    | (~Q(role="department_staff") & Q(area__isnull=False, department__isnull=True))
                ),
                name="post_area_or_department_by_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=Q(area__isnull=False),
                name="post_unique_role_per_area",
            ),
            models.UniqueConstraint(
                fields=["user", "department"],
                condition=Q(department__isnull=False),
                name="post_unique_per_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area or self.department}"


# The community resource registry (以房管人): building → house → household → person.
# Visibility follows the grid each row belongs to; `grid` is kept on every row (written only by
# grid/registry.py) so scoping is one indexed join, never a walk up building and house.


class CodeItem(models.Model):
    """One entry of a national code table (sex GB/T 2261.1, ethnicity GB/T 3304, …), loaded by a
    migration from grid/codes.py. Person fields store the code; labels come from here."""

    table = models.CharField(max_length=32)
    code = models.CharField(max_length=8)
    label_zh = models.CharField(max_length=60)
    label_en = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("code table entry")
        verbose_name_plural = _("code table entries")
        ordering = ["table", "position"]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="code_item_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.table}:{self.code} {self.label_zh}"


class CareTag(models.Model):
    """A kind of care a person needs or receives (独居老人, 残疾人, 低保 …); the list is data,
    extensible by administrators."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=30)
    name_en = models.CharField(_("English name"), max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋) in a grid, with its address and location."""

    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="buildings"
    )
    number = models.CharField(_("building number"), max_length=30)
    name = models.CharField(_("name"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=200)
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)
    units = models.PositiveSmallIntegerField(_("units"), default=1)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "number"], name="building_unique_per_grid")
        ]

    def __str__(self) -> str:
        return self.name or self.address


class House(models.Model):
    """A house or room (房屋) in a building: where households live."""

    class Use(models.TextChoices):
        SELF_OCCUPIED = "self_occupied", _("Self-occupied")
        RENTED = "rented", _("Rented")
        VACANT = "vacant", _("Vacant")
        BUSINESS = "business", _("Business")
        OTHER = "other", _("Other")

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="houses"
    )
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", editable=False)
    unit = models.PositiveSmallIntegerField(_("unit"), default=1)
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("room number"), max_length=20)
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    use = models.CharField(_("use"), max_length=20, choices=Use.choices, default=Use.SELF_OCCUPIED)
    owner_name = models.CharField(_("owner"), max_length=60, blank=True)
    owner_phone = EncryptedCharField(_("owner's phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["building_id", "unit", "floor", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "number"], name="house_unique_per_building_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.unit}-{self.number}"


class Household(models.Model):
    """A household (户): its members are Membership rows; `head` is the current head."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("Family household")
        COLLECTIVE = "collective", _("Collective household")

    number = models.CharField(_("household number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FAMILY)
    registered_address = models.CharField(_("registered address"), max_length=200, blank=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("current house"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", editable=False)
    head = models.ForeignKey(
        "Person",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    """A person in the registry, after GB/T 31000's population data items.

    The ID number, phones and religion are encrypted at rest (grid/crypto.py): the database
    holds ciphertext and cannot filter on them. Exact-ID lookups go through `id_digest`, a keyed
    HMAC (settings.REGISTRY_HMAC_KEY), so a copy of the index alone cannot be brute-forced.
    Birth date and sex are derived from a resident ID number, never typed twice. `house`,
    `household` and `grid` are the current ones, kept by grid/registry.py beside the Residence
    and Membership history.
    """

    class PopulationType(models.TextChoices):
        REGISTERED = "registered", _("Registered (户籍)")
        FLOATING = "floating", _("Floating (流动)")
        LEFT_BEHIND = "left_behind", _("Left-behind (留守)")
        FOREIGN = "foreign", _("Foreign (境外)")

    class Status(models.TextChoices):
        LIVING = "living", _("Living here")
        MOVED_OUT = "moved_out", _("Moved out")
        DECEASED = "deceased", _("Deceased")

    id_type = models.CharField(_("ID type"), max_length=20, default="resident")
    id_number = EncryptedCharField(_("ID number"), max_length=30, blank=True)
    id_digest = models.CharField(max_length=64, blank=True, editable=False)
    name = models.CharField(_("name"), max_length=60)
    former_name = models.CharField(_("former name"), max_length=60, blank=True)
    sex = models.CharField(_("sex"), max_length=1)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, blank=True)
    native_place = models.CharField(_("native place"), max_length=100, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=2, blank=True)
    political_status = models.CharField(_("political status"), max_length=2, blank=True)
    education = models.CharField(_("education"), max_length=2, blank=True)
    religion = EncryptedCharField(_("religion"), max_length=2, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=30, blank=True)
    other_phone = EncryptedCharField(_("other phone"), max_length=30, blank=True)
    population_type = models.CharField(
        _("population type"),
        max_length=20,
        choices=PopulationType.choices,
        default=PopulationType.REGISTERED,
    )
    registered_address = models.CharField(
        _("registered address (户籍地)"), max_length=200, blank=True
    )
    current_address = models.CharField(_("current address"), max_length=200, blank=True)
    is_separated = models.BooleanField(_("registered elsewhere (人户分离)"), default=False)
    care_tags = models.ManyToManyField(
        CareTag, verbose_name=_("care tags"), blank=True, related_name="persons"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.LIVING
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="persons",
        db_index=False,  # person_grid_status_idx (grid, status) serves lookups by grid
    )
    house = models.ForeignKey(
        House,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occupants",
        editable=False,
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="persons",
        editable=False,
    )
    relation_to_head = models.CharField(max_length=2, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["grid_id", "name", "id"]
        constraints = [
            # Anyone may have moved out or died under a number that now lives here again.
            models.UniqueConstraint(
                fields=["id_digest"],
                condition=Q(status="living") & ~Q(id_digest=""),
                name="person_unique_id_among_living",
            )
        ]
        indexes = [
            # Exact-ID lookups find the dead and the moved out too, which the partial unique
            # index above leaves out. A plain index, not db_index: on PostgreSQL that adds a
            # LIKE-pattern twin no digest lookup uses.
            models.Index(fields=["id_digest"], name="person_id_digest_idx"),
            models.Index(fields=["grid", "status"], name="person_grid_status_idx"),
            models.Index(fields=["birth_date"], name="person_birth_date_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's membership of a household, with the relation to its head (GB/T 4761), from
    `started_on` until `ended_on` (open while current). Never overwritten: a change ends one
    row and starts another."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField(_("relation to head"), max_length=2)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("household membership")
        verbose_name_plural = _("household memberships")
        ordering = ["person_id", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(ended_on__isnull=True), name="membership_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} ∈ {self.household} ({self.started_on}–{self.ended_on or ''})"


class Residence(models.Model):
    """A person living in a house from `started_on` until `ended_on` (open while current)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="residences")
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="residences")
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        ordering = ["person_id", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(ended_on__isnull=True), name="residence_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.house} ({self.started_on}–{self.ended_on or ''})"


class LifeEvent(models.Model):
    """One registry event of a person (move in, move out, death, birth …), as recorded."""

    class Kind(models.TextChoices):
        MOVE_IN = "move_in", _("Moved in")
        MOVE_OUT = "move_out", _("Moved out")
        CHANGE_HOUSEHOLD = "change_household", _("Moved to another household")
        BECOME_HEAD = "become_head", _("Became head of household")
        DEATH = "death", _("Died")
        BIRTH = "birth", _("Born")
        UPDATE = "update", _("Details updated")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    house = models.ForeignKey(
        House, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        ordering = ["person_id", "occurred_on", "id"]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.person} {self.get_kind_display()}"


class AuditEntry(models.Model):
    """Append-only record of who viewed, revealed, changed, imported or exported personal data.

    Holds ids and field names, never the personal values themselves. Rows are never updated or
    deleted (save() refuses an update; delete() refuses).
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        REVEAL = "reveal", _("Revealed")
        CHANGE = "change", _("Changed")
        CREATE = "create", _("Created")
        IMPORT = "import", _("Imported")
        EXPORT = "export", _("Exported")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=40)
    object_id = models.BigIntegerField(_("record id"), null=True)
    fields = models.CharField(_("fields"), max_length=300, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["model", "object_id"], name="audit_object_idx"),
            # grid/limits.py counts an account's reveals and exports of the last hour.
            models.Index(fields=["actor", "action", "at"], name="audit_actor_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.model}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only.")


class RevealPurpose(models.TextChoices):
    """Why someone reveals a person's full ID number and phones (recorded in the audit log)."""

    VISIT = "visit", _("Home visit to check the details")  # 入户走访核实
    SERVICE = "service", _("Handling a service matter")  # 办理服务事项
    CASE = "case", _("Contacting a party to a case")  # 案件处置联系当事人
    CORRECTION = "correction", _("Checking and correcting the data")  # 数据核查纠错
    OTHER = "other", _("Other (say why)")  # 其他


class AccessAlert(models.Model):
    """An account used up its hourly allowance of reveals or personal exports (grid/limits.py).

    Written by the first refusal in an hour, so the supervisors hear of it once: the signal
    grid.signals.access_limit_reached, sent in the same transaction, lets cases/ write their
    notifications without grid importing cases. Never updated.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    action = models.CharField(_("action"), max_length=10, choices=AuditEntry.Action.choices)
    limit = models.PositiveIntegerField(_("allowance per hour"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("personal data alert")
        verbose_name_plural = _("personal data alerts")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "action", "at"], name="access_alert_actor_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} ≥ {self.limit}"


class ImportJob(models.Model):
    """One upload of a registry file (CSV or XLSX) into an area, and its outcome.

    grid/imports.py runs it (from the Celery task `grid.run_import`); the row keeps the counts
    and the report of every bad row — line, field and reason, never the values themselves. The
    uploaded file is deleted once the job has finished.
    """

    class Kind(models.TextChoices):
        AUTO = "auto", _("Recognise from the columns")
        BUILDINGS = "buildings", _("Buildings")
        HOUSES = "houses", _("Houses")
        HOUSEHOLDS = "households", _("Households")
        PERSONS = "persons", _("Persons")

    class Mode(models.TextChoices):
        DRY_RUN = "dry_run", _("Check only, write nothing")
        ALL_OR_NOTHING = "all_or_nothing", _("Write only if every row is good")
        KEEP_GOOD_ROWS = "keep_good_rows", _("Write the good rows, report the bad ones")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.AUTO)
    mode = models.CharField(
        _("mode"), max_length=20, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    file = models.FileField(_("file"), upload_to="imports/", blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    written_rows = models.PositiveIntegerField(_("rows written"), default=0)
    bad_rows = models.PositiveIntegerField(_("bad rows"), default=0)
    # {"buildings": 2, "houses": 5, "households": 3, "persons": 9}: records created.
    created = models.JSONField(_("records created"), default=dict, blank=True)
    # [{"line": 3, "field": "id_number", "column": "证件号码", "message": "…"}, …]
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name or self.pk} → {self.area}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
