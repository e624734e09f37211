"""Who may take which step on a case or a dispatch. Services call `require(...)` before writing,
so the API, the pages, the admin and tasks obey the same rules. System steps (the sweeper)
pass actor=None and skip these checks.

The holder of a case is an area at the case's level; the people who act for it hold the post
of that level there: a grid worker for a grid, community staff for a community, street staff
for a street, a district dispatcher for the district.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from cases.models import Case, Dispatch
from grid.models import Area, Post

R = Post.Role
ROLE_OF_LEVEL = {
    Area.Level.GRID: R.GRID_WORKER,
    Area.Level.COMMUNITY: R.COMMUNITY_STAFF,
    Area.Level.STREET: R.STREET_STAFF,
    Area.Level.DISTRICT: R.DISTRICT_DISPATCHER,
}
DISPATCHING_LEVELS = (Area.Level.STREET, Area.Level.DISTRICT)


def _posts(user):
    cached = getattr(user, "_case_posts", None)
    if cached is None:
        cached = list(
            Post.objects.filter(user=user, is_active=True).values_list(
                "role", "area__path", "department_id"
            )
        )
        user._case_posts = cached
    return cached


def _covers(user, area: Area, roles) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(
        role in roles and path and area.path.startswith(path) for role, path, _d in _posts(user)
    )


def holds(user, case: Case) -> bool:
    """Whether the user acts for the area that holds the case now."""
    return _covers(user, case.holder, (ROLE_OF_LEVEL[case.level],))


def can_accept(user, case: Case) -> bool:
    return holds(user, case)


can_reject = can_escalate = can_resolve = can_suspend = can_resume = can_accept


def can_self_resolve(user, case: Case) -> bool:
    return (
        case.level == Area.Level.GRID and case.category.grid_may_self_resolve and holds(user, case)
    )


def can_return_down(user, case: Case) -> bool:
    return case.level < Area.Level.GRID and holds(user, case)


def can_dispatch(user, case: Case) -> bool:
    return case.level in DISPATCHING_LEVELS and holds(user, case)


def can_verify(user, case: Case) -> bool:
    """On-site verification is done by a grid worker of the case's own grid."""
    return _covers(user, case.grid, (R.GRID_WORKER,))


# The workflow has two outcomes of one check; both are the same permission.
can_verify_pass = can_verify_fail = can_verify


def can_urge(user, case: Case) -> bool:
    return _covers(user, case.grid, (R.SUPERVISOR, R.DISTRICT_DISPATCHER))


def can_callback(user, case: Case) -> bool:
    return _covers(
        user, case.grid, (R.GRID_WORKER, R.COMMUNITY_STAFF, R.STREET_STAFF, R.DISTRICT_DISPATCHER)
    )


def can_reopen(user, case: Case) -> bool:
    return _covers(user, case.grid, (R.DISTRICT_DISPATCHER, R.SUPERVISOR))


def can_file(user, grid: Area) -> bool:
    """Grid workers file in their grids; staff of any level may file (e.g. a hotline call)."""
    return _covers(user, grid, tuple(ROLE_OF_LEVEL.values()) + (R.ADMIN,))


def works_for(user, dispatch: Dispatch) -> bool:
    """Whether the user is staff of the dispatch's department."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(
        role == R.DEPARTMENT_STAFF and department == dispatch.department_id
        for role, _p, department in _posts(user)
    )


can_sign = can_refuse = can_request_extension = can_report_done = works_for


def can_approve_extension(user, dispatch: Dispatch) -> bool:
    """The level that dispatched decides on extensions."""
    return holds(user, dispatch.case)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not take this step on this case."))


def case_actions_for(user, case: Case) -> list[str]:
    """The people's actions this user may take on the case now (for buttons and 409 bodies)."""
    from cases.workflow import SYSTEM_ACTIONS, allowed_actions

    checks = {
        "accept": can_accept,
        "reject": can_reject,
        "self_resolve": can_self_resolve,
        "escalate": can_escalate,
        "return_down": can_return_down,
        "dispatch": can_dispatch,
        "resolve": can_resolve,
        "verify_pass": can_verify,
        "verify_fail": can_verify,
        "suspend": can_suspend,
        "resume": can_resume,
        "urge": can_urge,
        "callback": can_callback,
        "reopen": can_reopen,
    }
    actions = []
    for action in allowed_actions(case.status):
        if action in SYSTEM_ACTIONS:
            continue
        if action == "resolve" and case.status == Case.Status.DISPATCHED:
            continue  # a dispatched case resolves when its lead department reports done
        if action == "escalate" and case.level == Area.Level.DISTRICT:
            continue
        if checks[action](user, case):
            actions.append(action)
    return actions


def dispatch_actions_for(user, dispatch: Dispatch) -> list[str]:
    """The steps this user may take on the dispatch now (for buttons and 409 bodies)."""
    # The table of dispatch moves is the services'; they import this module, so not at load.
    from cases.services import dispatch_actions

    if dispatch.case.status != Case.Status.DISPATCHED:
        return []
    checks = {
        "sign": can_sign,
        "refuse": can_refuse,
        "request_extension": can_request_extension,
        "approve_extension": can_approve_extension,
        "report_done": can_report_done,
    }
    return [
        action
        for action in dispatch_actions(dispatch.status)
        if checks[action](user, dispatch)
        and (action != "approve_extension" or dispatch.extension_until is not None)
    ]


def step_names(actions: list[str]) -> list[str]:
    """Actions as people take them: the workflow's verify_pass and verify_fail are one step,
    `verify`, with its outcome (one API endpoint, one form on a page)."""
    names = []
    for action in actions:
        name = "verify" if action in ("verify_pass", "verify_fail") else action
        if name not in names:
            names.append(name)
    return names
