"""Who may change the hierarchy, departments and posts. Services' callers (API, pages, admin)
ask here; reads are governed by grid/jurisdiction.py."""

from grid.jurisdiction import covers, covers_with_role, has_role
from grid.models import Area, Post


def can_manage_areas(user, parent: Area | None = None) -> bool:
    """Administrators may create and edit areas inside their jurisdiction; only a superuser
    may create a district (an area with no parent)."""
    if user.is_superuser:
        return True
    if not has_role(user, Post.Role.ADMIN):
        return False
    return parent is not None and covers(user, parent)


# The registry. Supervisors read statistics but not full personal data; departments see
# residents only through their cases.
REGISTRY_ROLES = (
    Post.Role.GRID_WORKER,
    Post.Role.COMMUNITY_STAFF,
    Post.Role.STREET_STAFF,
    Post.Role.DISTRICT_DISPATCHER,
    Post.Role.ADMIN,
)
PERSONAL_EXPORT_ROLES = (Post.Role.COMMUNITY_STAFF, Post.Role.STREET_STAFF, Post.Role.ADMIN)


def can_edit_registry(user, grid: Area) -> bool:
    """Grid workers keep their own grid current; community, street, district staff and
    administrators their whole area."""
    return covers_with_role(user, grid, REGISTRY_ROLES)


def can_reveal_personal_data(user, grid: Area) -> bool:
    """Who may see a full ID number or phone of a person living in `grid` (audited)."""
    return covers_with_role(user, grid, REGISTRY_ROLES)


def can_export_personal_data(user, area: Area) -> bool:
    """Who may export personal data of `area` (audited); statistics need no such right."""
    return covers_with_role(user, area, PERSONAL_EXPORT_ROLES)
