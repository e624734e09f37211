"""Who may do what with community services. Services call `require(...)` before writing, so the
API, the pages, the admin and tasks obey the same rules; the sweeper passes actor=None and
skips them.

- Recording a request: grid workers in their grids, staff of any level above (a walk-in at
  the community office, a hotline call).
- Handling it (accept, assign, complete, decline): the community, street and district staff
  above its grid, the staff of the department that owns its service, and its assignee.
- Converting it into a case: whoever handles it, and the grid workers of its grid (they file
  cases there anyway).
- Rating it (满意度): whoever may call back on a case of its grid.
- Visiting a person: the grid workers of the person's grid and the community staff above.
- The catalogue and the visit plans: administrators (in the admin).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from cases.policies import _covers, _posts
from community.models import ServiceRequest
from grid.models import Area, Person, Post

R = Post.Role
OFFICE = (R.COMMUNITY_STAFF, R.STREET_STAFF, R.DISTRICT_DISPATCHER, R.ADMIN)
FIELD_AND_OFFICE = (R.GRID_WORKER, *OFFICE)


def can_record(user, grid: Area) -> bool:
    return _covers(user, grid, FIELD_AND_OFFICE)


def owns(user, request: ServiceRequest) -> bool:
    """Whether the user is staff of the department that owns the request's service."""
    department = request.service.department_id
    return bool(department) and any(
        role == R.DEPARTMENT_STAFF and held == department for role, _p, held in _posts(user)
    )


def can_handle(user, request: ServiceRequest) -> bool:
    if not user.is_authenticated:
        return False
    if request.assignee_id == user.pk or owns(user, request):
        return True
    return _covers(user, request.grid, OFFICE)


can_accept = can_assign = can_complete = can_decline = can_handle


def can_convert(user, request: ServiceRequest) -> bool:
    return can_handle(user, request) or _covers(user, request.grid, (R.GRID_WORKER,))


def can_rate(user, request: ServiceRequest) -> bool:
    return _covers(user, request.grid, FIELD_AND_OFFICE)


def can_visit(user, person: Person) -> bool:
    return _covers(user, person.grid, (R.GRID_WORKER, R.COMMUNITY_STAFF, R.ADMIN))


def require(allowed: bool, message: str = "") -> None:
    if not allowed:
        raise PermissionDenied(message or _("You may not take this step on this request."))


CHECKS = {
    "accept": can_accept,
    "assign": can_assign,
    "complete": can_complete,
    "decline": can_decline,
    "convert": can_convert,
    "rate": can_rate,
}


def request_actions_for(user, request: ServiceRequest) -> list[str]:
    """The steps this user may take on the request now (for buttons and 409 bodies)."""
    from community.workflow import SYSTEM_ACTIONS, allowed_actions

    actions = []
    for action in allowed_actions(request.status):
        if action in SYSTEM_ACTIONS:
            continue
        if action == "rate" and request.satisfaction is not None:
            continue
        if CHECKS[action](user, request):
            actions.append(action)
    return actions
