"""The district's administrative hierarchy, its departments, and who works where.

District (区) → street (街道) → community (社区) → grid (网格) are rows of one table, `Area`, kept
as a materialized path so a whole subtree is one indexed prefix query.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
