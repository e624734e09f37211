"""Jurisdiction: what a user may see.

The rule: a post in an area covers that area and everything below it; a department staff post
covers the department's own work. A user sees the union of their active posts. Superusers see
everything. Anything outside is answered as if it did not exist (404), never 403, so ids of
other grids cannot be probed.

Every list and detail, in the API and in the pages, narrows its queryset with `restrict()`,
usually through `JurisdictionScopedMixin`. tests/test_jurisdiction_coverage.py walks every
route to prove none is left unscoped.
"""

from dataclasses import dataclass
from functools import cache

from django.db.models import Q, QuerySet

from grid.models import Area, Post


@dataclass(frozen=True)
class Scope:
    """The reach of one user: area path prefixes and department ids; `everything` for admins.
    `grid_paths` are those of `paths` that are grids: a grid has no area below it, so its
    subtree is the grid alone, matched by its id (an index serves a grid's rows in any order
    the index has) rather than by a prefix of a joined path (which no index on the rows can)."""

    everything: bool
    paths: tuple[str, ...]
    department_ids: tuple[int, ...]
    grid_paths: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.paths or self.department_ids)


NOTHING = Scope(everything=False, paths=(), department_ids=())


def scope_of(user) -> Scope:
    """The user's scope, computed once per user object (one query) and kept on it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_jurisdiction_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True, paths=(), department_ids=())
    else:
        rows = Post.objects.filter(user=user, is_active=True).values_list(
            "area__path", "area__level", "department_id"
        )
        paths = sorted({path for path, _level, _dept in rows if path})
        # A path inside another one adds nothing to the OR below.
        paths = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
        grids = frozenset(path for path, level, _dept in rows if level == Area.Level.GRID)
        departments = sorted({dept for _path, _level, dept in rows if dept})
        scope = Scope(
            everything=False,
            paths=tuple(paths),
            department_ids=tuple(departments),
            grid_paths=grids & set(paths),
        )
    user._jurisdiction_scope = scope
    return scope


def restrict(
    queryset: QuerySet, user, *, path_field: str | None, department_field: str | None = None
) -> QuerySet:
    """Narrow `queryset` to the rows `user` may see.

    `path_field` is the lookup to the path of the area that decides a row's visibility
    ("path" for areas themselves, "area__path" for a department); `department_field` the
    lookup to the department whose staff may also see the row ("pk" for departments).
    """
    scope = scope_of(user)
    if scope.everything:
        return queryset
    condition = Q(pk__in=[])
    if path_field:
        grid_ids = [area_id(path) for path in scope.paths if path in scope.grid_paths]
        if grid_ids:
            condition |= Q(**{f"{_area_lookup(queryset.model, path_field)}__in": grid_ids})
        for prefix in scope.paths:
            if prefix not in scope.grid_paths:
                condition |= Q(**{f"{path_field}__startswith": prefix})
    if department_field and scope.department_ids:
        lookup = {f"{department_field}__in": scope.department_ids}
        if "__" in department_field:
            # A to-many path (e.g. a case's dispatches) would repeat rows in a join: use a
            # subquery so each row appears once.
            condition |= Q(pk__in=queryset.model.objects.filter(**lookup).values("pk"))
        else:
            condition |= Q(**lookup)
    return queryset.filter(condition)


@cache
def _area_lookup(model, path_field: str) -> str:
    """The lookup of the area whose path `path_field` is: "grid__path" → "grid" (the grid's id,
    with no join), "path" → "pk". Only an area's path says where a row is."""
    *relations, last = path_field.split("__")
    target = model
    for name in relations:
        target = target._meta.get_field(name).related_model
    if target is not Area or last != "path":
        raise ValueError(f"{model.__name__}.{path_field} is not the path of an area")
    return "__".join(relations) or "pk"


def area_id(path: str) -> int:
    """The id of the area with this path: its last id ("/1/4/17/" → 17)."""
    return int(path.rstrip("/").rpartition("/")[2])


def areas_visible_to(user) -> QuerySet[Area]:
    """The areas in the user's jurisdiction."""
    return restrict(Area.objects.all(), user, path_field="path")


def covers(user, area: Area) -> bool:
    """Whether `area` lies in the user's jurisdiction (no query)."""
    scope = scope_of(user)
    return scope.everything or any(area.path.startswith(prefix) for prefix in scope.paths)


def has_role(user, *roles: str) -> bool:
    """Whether the user holds an active post with one of `roles` (superusers hold them all)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Post.objects.filter(user=user, is_active=True, role__in=roles).exists()


class JurisdictionScopedMixin:
    """Narrow a view's queryset to the requesting user's jurisdiction.

    Works for DRF viewsets and Django class-based views alike: list, detail, update, delete and
    detail actions all start from get_queryset(), so a row outside the jurisdiction is a 404.
    Set `jurisdiction_path` (and `jurisdiction_department`) to the lookups of `restrict()`.
    """

    jurisdiction_path: str | None = "area__path"
    jurisdiction_department: str | None = None

    def get_queryset(self):
        return restrict(
            super().get_queryset(),
            self.request.user,
            path_field=self.jurisdiction_path,
            department_field=self.jurisdiction_department,
        )


def covers_with_role(user, area: Area, roles) -> bool:
    """Whether one of the user's active posts with one of `roles` covers `area`."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    paths = Post.objects.filter(user=user, is_active=True, role__in=roles).values_list(
        "area__path", flat=True
    )
    return any(path and area.path.startswith(path) for path in paths)
