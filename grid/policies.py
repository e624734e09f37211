"""Who may change the hierarchy, departments and posts. Services' callers (API, pages, admin)
ask here; reads are governed by grid/jurisdiction.py."""

from grid.jurisdiction import covers, has_role
from grid.models import Area, Post


def can_manage_areas(user, parent: Area | None = None) -> bool:
    """Administrators may create and edit areas inside their jurisdiction; only a superuser
    may create a district (an area with no parent)."""
    if user.is_superuser:
        return True
    if not has_role(user, Post.Role.ADMIN):
        return False
    return parent is not None and covers(user, parent)
