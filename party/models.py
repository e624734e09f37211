"""Party building (党建工作): party organisations, their members, the households members link
with (党员联系户), their visits, and the organisations' activities (三会一课, 志愿服务).

Organisations form a tree (党(工)委 → 党总支 → 党支部 → 党小组) kept, like `grid.Area`, as a
materialized path; each is attached to an area (street, community, grid) or to a department
(and then to the department's area), and is seen by whoever's jurisdiction covers that area.
A member is a registered `grid.Person`, so masking, the audit log and the registry's life
events (a death, a move out) apply to them as to anyone else. Every change is a row of history:
`MemberEvent` for admissions, transfers and status changes; `CommitteeSeat` and
`HouseholdLink` end one row and start another, never overwrite. party/services.py is the only
writer.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid.models import Area, Department, Household, Person

# Political status (GB/T 4762) of a registered person who is a party member: 中共党员, 中共预备党员.
PARTY_MEMBER, PROBATIONARY_MEMBER = "01", "02"


class Organisation(models.Model):
    """A party organisation (党组织). `path` lists the ids from the top ("/1/4/17/")."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Party committee (党委/党工委)")
        GENERAL_BRANCH = "general_branch", _("General party branch (党总支)")
        BRANCH = "branch", _("Party branch (党支部)")
        GROUP = "group", _("Party group (党小组)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="party_organisations"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organisations",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="party_organisation_unique_name_per_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, other: "Organisation") -> bool:
        """Whether `other` is this organisation or lies below it."""
        return other.path.startswith(self.path)


class Member(models.Model):
    """A party member (党员): a registered person in one organisation. `work_grid` is the grid
    where they work, if not where they live; they link with households of either."""

    class Status(models.TextChoices):
        FULL = "full", _("Full member (正式党员)")
        PROBATIONARY = "probationary", _("Probationary member (预备党员)")
        MOBILE = "mobile", _("Mobile member (流动党员)")

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="party_member"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    joined_on = models.DateField(_("joined the party on"))
    work_grid = models.ForeignKey(
        Area,
        verbose_name=_("grid of work"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["organisation_id", "id"]

    def __str__(self) -> str:
        return str(self.person)


class MemberEvent(models.Model):
    """One step in a member's history: admitted, transferred between organisations, status
    changed. Never edited."""

    class Kind(models.TextChoices):
        ADMIT = "admit", _("Admitted")
        TRANSFER = "transfer", _("Transferred")
        STATUS = "status", _("Status changed")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    from_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("member event")
        verbose_name_plural = _("member events")
        ordering = ["member_id", "occurred_on", "id"]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.member} {self.get_kind_display()}"


class CommitteeSeat(models.Model):
    """A member's seat on an organisation's committee (支委/党委委员), from `started_on` until
    `ended_on` (open while current)."""

    class Role(models.TextChoices):
        SECRETARY = "secretary", _("Secretary (书记)")
        DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary (副书记)")
        COMMITTEE_MEMBER = "committee_member", _("Committee member (委员)")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="committee_seats"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="committee_seats")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee seat")
        verbose_name_plural = _("committee seats")
        ordering = ["organisation_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(role="secretary", ended_on__isnull=True),
                name="party_one_current_secretary",
            ),
            models.UniqueConstraint(
                fields=["organisation", "member"],
                condition=Q(ended_on__isnull=True),
                name="party_one_current_seat_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_role_display()} · {self.member}"


class HouseholdLink(models.Model):
    """A member linked with a household (党员联系户) from `started_on` until `ended_on`. A
    household has at most one linked member at a time (the unique constraint settles two
    assignments racing for it). `grid` is the household's, kept for scoping and coverage."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="links")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="party_links")
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", editable=False)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("linked household")
        verbose_name_plural = _("linked households")
        ordering = ["member_id", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(ended_on__isnull=True),
                name="party_one_current_link_per_household",
            )
        ]
        indexes = [models.Index(fields=["grid", "ended_on"], name="party_link_grid_idx")]

    def __str__(self) -> str:
        return f"{self.member} ↔ {self.household}"


class Visit(models.Model):
    """A member's visit to a linked household: planned, then done (or cancelled). Completing is
    compare-and-set on `version`, so of two people completing the same visit one wins."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    link = models.ForeignKey(HouseholdLink, on_delete=models.PROTECT, related_name="visits")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="visits")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="party_visits")
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party member visit")
        verbose_name_plural = _("party member visits")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["grid", "status"], name="party_visit_grid_idx")]

    def __str__(self) -> str:
        return f"{self.member} → {self.household} ({self.get_status_display()})"


class Activity(models.Model):
    """An organisation's activity: one of 三会一课 or volunteer service (志愿服务), with its
    attendees and hours."""

    class Kind(models.TextChoices):
        BRANCH_ASSEMBLY = "branch_assembly", _("Branch members' assembly (支部党员大会)")
        COMMITTEE_MEETING = "committee_meeting", _("Branch committee meeting (支委会)")
        GROUP_MEETING = "group_meeting", _("Party group meeting (党小组会)")
        PARTY_LECTURE = "party_lecture", _("Party lecture (党课)")
        VOLUNTEER = "volunteer", _("Volunteer service (志愿服务)")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    held_on = models.DateField(_("held on"))
    location = models.CharField(_("location"), max_length=100, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party activity")
        verbose_name_plural = _("party activities")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["organisation", "held_on"], name="party_activity_org_idx")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class Attendance(models.Model):
    """A member at an activity, with the hours they gave (volunteer hours count these)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendances")
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["activity_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"], name="party_attendance_once_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.activity}"
