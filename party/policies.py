"""Who may change party building records. party/services.py calls `require()` with these before
writing, so the API, the pages and the admin obey the same rules; reads are governed by
grid/jurisdiction.py (an organisation is seen by whoever's jurisdiction covers its area).

- Organisations, their committees and members are kept by community, street and district
  staff and administrators whose posts cover the organisation's area (组织部门 work of the
  street party working committee and the community party committee).
- Linking households, visits and activities are the daily work of the grid as well: grid workers
  may do them in their own grid, the staff above in their whole area.
- Supervisors and department staff read only.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from grid.jurisdiction import covers_with_role
from grid.models import Area, Post

R = Post.Role
ORGANISING_ROLES = (R.COMMUNITY_STAFF, R.STREET_STAFF, R.DISTRICT_DISPATCHER, R.ADMIN)
DAILY_ROLES = (R.GRID_WORKER, *ORGANISING_ROLES)


def can_manage_organisation(user, area: Area) -> bool:
    """Create an organisation in `area`, appoint its committee."""
    return covers_with_role(user, area, ORGANISING_ROLES)


def can_manage_members(user, organisation) -> bool:
    """Admit members to, change the status of members of, transfer members out of or into
    `organisation`."""
    return covers_with_role(user, organisation.area, ORGANISING_ROLES)


def can_link_households(user, grid: Area) -> bool:
    """Assign households of `grid` to members, or end such a link."""
    return covers_with_role(user, grid, DAILY_ROLES)


def can_record_visit(user, grid: Area) -> bool:
    """Plan, complete or record a member's visit to a household of `grid`."""
    return covers_with_role(user, grid, DAILY_ROLES)


def can_record_activity(user, organisation) -> bool:
    """Record a meeting or volunteer service of `organisation`."""
    return covers_with_role(user, organisation.area, DAILY_ROLES)


def require(allowed: bool, message: str | None = None) -> None:
    """Raise PermissionDenied (403) unless `allowed`."""
    if not allowed:
        raise PermissionDenied(message or _("You may not do this in party building."))
