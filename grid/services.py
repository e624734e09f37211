"""Writes to the hierarchy, departments and posts. Every writer (API, admin, imports, demo data)
goes through these functions, so the materialized path, the code scheme and the stored
boundary facts can never disagree with each other.

Errors are django.core.exceptions.ValidationError with a message per field; nothing is written
when one is raised.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from grid import geo
from grid.models import Area, Department, Post

# Digits each level adds to its parent's code: 6-digit county, 3 street, 3 community; a grid
# suffix is 2 to 4 digits (districts number their grids differently).
CODE_DIGITS = {
    Area.Level.DISTRICT: (6, 6),
    Area.Level.STREET: (3, 3),
    Area.Level.COMMUNITY: (3, 3),
    Area.Level.GRID: (2, 4),
}

# The level of area each role works at (supervisors and administrators: any level).
ROLE_LEVELS = {
    Post.Role.GRID_WORKER: Area.Level.GRID,
    Post.Role.COMMUNITY_STAFF: Area.Level.COMMUNITY,
    Post.Role.STREET_STAFF: Area.Level.STREET,
    Post.Role.DISTRICT_DISPATCHER: Area.Level.DISTRICT,
}


def _code_errors(code: str, level: int, parent: Area | None) -> list[str]:
    low, high = CODE_DIGITS[level]
    prefix = parent.code if parent else ""
    suffix = code[len(prefix) :] if code.startswith(prefix) else None
    if not (code.isascii() and code.isdecimal()):
        return [_("A code is made of digits only.")]
    if suffix is None:
        return [_("The code must begin with its parent's code %(code)s.") % {"code": prefix}]
    if not low <= len(suffix) <= high:
        if low == high:
            return [_("This level adds exactly %(n)s digits to its parent's code.") % {"n": low}]
        return [
            _("This level adds %(low)s to %(high)s digits to its parent's code.")
            % {"low": low, "high": high}
        ]
    return []


def _apply_boundary(area: Area, boundary: dict | None) -> None:
    area.boundary = boundary
    if boundary is None:
        facts = (None,) * 6
    else:
        parsed = geo.boundary_facts(geo.parse_boundary(boundary))
        facts = (
            parsed.centroid_lng,
            parsed.centroid_lat,
            parsed.min_lng,
            parsed.min_lat,
            parsed.max_lng,
            parsed.max_lat,
        )
    (
        area.centroid_lng,
        area.centroid_lat,
        area.min_lng,
        area.min_lat,
        area.max_lng,
        area.max_lat,
    ) = facts


def check_area(
    *, level: int, code: str, name: str, parent: Area | None, boundary, exclude_pk=None
) -> None:
    """Raise ValidationError, a message per field, unless these values make a valid area."""
    errors: dict[str, list[str]] = {}
    if level not in Area.Level.values:
        errors["level"] = [_("Unknown level.")]
    elif level == Area.Level.DISTRICT and parent is not None:
        errors["parent"] = [_("A district has no parent.")]
    elif level != Area.Level.DISTRICT and parent is None:
        errors["parent"] = [_("This level needs a parent one level up.")]
    elif parent is not None and parent.level != level - 1:
        errors["parent"] = [
            _("The parent must be a %(level)s.") % {"level": Area.Level(level - 1).label}
        ]
    if "level" not in errors and "parent" not in errors:
        code_errors = _code_errors(code, level, parent)
        if code_errors:
            errors["code"] = code_errors
    if "code" not in errors and Area.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        errors["code"] = [_("An area with this code already exists.")]
    if not name.strip():
        errors["name"] = [_("A name is required.")]
    elif Area.objects.filter(parent=parent, name=name).exclude(pk=exclude_pk).exists():
        errors["name"] = [_("The parent already has an area with this name.")]
    if boundary is not None:
        try:
            geo.parse_boundary(boundary)
        except ValidationError as exc:
            errors["boundary"] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_area(
    *, level: int, code: str, name: str, parent: Area | None = None, boundary: dict | None = None
) -> Area:
    """Create an area one level below `parent`, with its path and boundary facts."""
    check_area(level=level, code=code, name=name, parent=parent, boundary=boundary)
    area = Area(level=level, code=code, name=name.strip(), parent=parent, path="")
    _apply_boundary(area, boundary)
    area.save()
    # The path holds the area's own id, which exists only after the insert.
    area.path = f"{parent.path if parent else '/'}{area.pk}/"
    area.save(update_fields=["path"])
    return area


@transaction.atomic
def update_area(area: Area, **changes) -> Area:
    """Change an area's name, code, boundary or parent (same level); a new parent moves the
    whole subtree with it in one statement."""
    unknown = set(changes) - {"name", "code", "boundary", "parent"}
    if unknown:
        raise ValueError(f"update_area() cannot change {sorted(unknown)}")
    new = {
        "name": area.name,
        "code": area.code,
        "boundary": area.boundary,
        "parent": area.parent,
    } | changes
    if new["parent"] is not None and area.contains(new["parent"]):
        raise ValidationError({"parent": [_("An area cannot move below itself.")]})
    check_area(level=area.level, exclude_pk=area.pk, **new)
    old_path = area.path
    area.name, area.code, area.parent = new["name"].strip(), new["code"], new["parent"]
    _apply_boundary(area, new["boundary"])
    area.path = f"{area.parent.path if area.parent else '/'}{area.pk}/"
    area.save()
    if area.path != old_path:
        Area.objects.filter(path__startswith=old_path).exclude(pk=area.pk).update(
            path=Concat(Value(area.path), Substr("path", len(old_path) + 1))
        )
    return area


@dataclass
class BoundaryImport:
    """The outcome of importing a FeatureCollection: what changed, or every bad feature."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_boundaries(collection: object) -> BoundaryImport:
    """Set area boundaries from a GeoJSON FeatureCollection, all or nothing.

    Each feature names its area by `properties.code`. A feature whose code is unknown creates
    the area when it also gives `name`, `level` and `parent_code`. Every bad feature is reported
    by its index with a message per field; if any is bad, nothing is written.
    """
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ValidationError({"type": [_("Expected a GeoJSON FeatureCollection.")]})
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationError({"features": [_("The collection has no features.")]})

    report = BoundaryImport()
    try:
        with transaction.atomic():
            for index, feature in enumerate(features):
                try:
                    _import_feature(feature, report)
                except ValidationError as exc:
                    report.errors[index] = (
                        exc.message_dict
                        if hasattr(exc, "error_dict")
                        else {"feature": exc.messages}
                    )
            if report.errors:
                raise _RollBack
    except _RollBack:
        report.created.clear()
        report.updated.clear()
    return report


class _RollBack(Exception):
    """Raised inside the import's transaction to undo it after collecting every error."""


def _import_feature(feature: object, report: BoundaryImport) -> None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValidationError({"type": [_("Each item must be a GeoJSON Feature.")]})
    properties = feature.get("properties") or {}
    code = str(properties.get("code", "")).strip()
    if not code:
        raise ValidationError({"code": [_("The feature needs properties.code.")]})
    boundary = feature.get("geometry")
    area = Area.objects.filter(code=code).first()
    # Each feature gets its own savepoint, so one bad feature cannot break the next one's SQL.
    with transaction.atomic():
        if area is not None:
            update_area(area, boundary=boundary)
            report.updated.append(code)
            return
        parent_code = str(properties.get("parent_code", "")).strip()
        parent = Area.objects.filter(code=parent_code).first() if parent_code else None
        if parent_code and parent is None:
            raise ValidationError(
                {"parent_code": [_("No area has the code %(code)s.") % {"code": parent_code}]}
            )
        try:
            level = int(properties.get("level"))
        except (TypeError, ValueError):
            raise ValidationError(
                {
                    "code": [
                        _("No area has this code; to create one give name, level and parent_code.")
                    ]
                }
            ) from None
        create_area(
            level=level,
            code=code,
            name=str(properties.get("name", "")),
            parent=parent,
            boundary=boundary,
        )
        report.created.append(code)


def check_post(*, role: str, area: Area | None, department: Department | None) -> None:
    """Raise ValidationError unless the role fits the area's level or the department."""
    if role == Post.Role.DEPARTMENT_STAFF:
        if department is None:
            raise ValidationError({"department": [_("Department staff need a department.")]})
        if area is not None:
            raise ValidationError({"area": [_("Department staff hold no area post.")]})
        return
    if area is None:
        raise ValidationError({"area": [_("This role needs an area.")]})
    if department is not None:
        raise ValidationError({"department": [_("Only department staff have a department.")]})
    expected = ROLE_LEVELS.get(role)
    if expected is not None and area.level != expected:
        raise ValidationError(
            {"area": [_("This role works at a %(level)s.") % {"level": Area.Level(expected).label}]}
        )


@transaction.atomic
def assign_post(
    user, *, role: str, area: Area | None = None, department: Department | None = None
) -> Post:
    """Give `user` a post, or return the one they already hold (safe to call twice)."""
    check_post(role=role, area=area, department=department)
    post, _created = Post.objects.get_or_create(
        user=user, role=role, area=area, department=department, defaults={"is_active": True}
    )
    if not post.is_active:
        post.is_active = True
        post.save(update_fields=["is_active"])
    return post
