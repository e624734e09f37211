"""Who may take which step on a case or a dispatch. Services call `require(...)` before writing,
so the API, the pages, the admin and tasks obey the same rules. System steps (the sweeper)
pass actor=None and skip these checks.

The holder of a case is an area at the case's level; the people who act for it hold the post
of that level there: a grid worker for a grid, community staff for a community, street staff
for a street, a district dispatcher for the district.
"""

import copy

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.models import Case, CaseEvent, Dispatch
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


def can_reopen_case(user, case: Case) -> bool:
    """Who may reopen: the district and supervisors (their button), and those who call residents
    back (a callback's unsatisfied rating may reopen the case)."""
    return can_reopen(user, case) or can_callback(user, case)


# The policy of each step people take on a case (the workflow's action names).
CASE_POLICIES = {
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
    "reopen": can_reopen_case,
}
# The buttons offered: a reopening is offered on its own to the district and supervisors only;
# the others reopen through a callback (they may still take the step directly).
OFFERED_POLICIES = {**CASE_POLICIES, "reopen": can_reopen}
DISPATCH_POLICIES = {
    "sign": can_sign,
    "refuse": can_refuse,
    "request_extension": can_request_extension,
    "approve_extension": can_approve_extension,
    "report_done": can_report_done,
}


def offered(case: Case, action: str) -> bool:
    """Whether the workflow offers people `action` on the case as it stands (to whoever the
    policy allows): its status allows the step, and nothing about the case rules it out."""
    from cases.workflow import SYSTEM_ACTIONS, TRANSITIONS

    if action in SYSTEM_ACTIONS or case.status not in TRANSITIONS.get(action, {}):
        return False
    if action == "resolve" and case.status == Case.Status.DISPATCHED:
        return False  # a dispatched case resolves when its lead department reports done
    # Nothing is above the district.
    return not (action == "escalate" and case.level == Area.Level.DISTRICT)


def case_actions_for(user, case: Case) -> list[str]:
    """The people's actions this user may take on the case now (for buttons and 409 bodies)."""
    from cases.workflow import allowed_actions

    return [
        action
        for action in allowed_actions(case.status)
        if offered(case, action) and OFFERED_POLICIES[action](user, case)
    ]


def _earlier_version_allowing(user, case: Case, allows, since: int | None = None) -> int | None:
    """The latest version of `case` before the current one (and from `since` on) as which
    `allows(user, that_case)` held, from its history; None if there is none. Read only when a
    step is refused, so it costs nothing on the way to a step taken."""
    events = CaseEvent.objects.filter(case_id=case.pk, version__lt=case.version)
    if since is not None:
        events = events.filter(version__gte=since)
    for event in events.select_related("to_holder").order_by("-version"):
        past = copy.copy(case)  # Django copies the instance's cache too: `case` is untouched
        past.status, past.level, past.version = event.to_status, event.to_level, event.version
        past.holder = event.to_holder
        if allows(user, past):
            return event.version
    return None


def _workflow_action(step: str) -> str:
    # The workflow's verify_pass and verify_fail are one step as people take it, with one policy.
    return "verify_pass" if step == "verify" else step


def check_case_step(user, case: Case, step: str, *, read_version: int | None = None) -> None:
    """Refuse a step (`verify` for either outcome) `user` may not take on `case` as read now,
    before any input is looked at, in this order:

    1. the policy: if it refuses the step now but allowed it on an earlier version of the case
       (since `read_version`, the version the user says they read, when given), someone moved
       the case first: a lost race, ConcurrentCaseUpdate (409). Otherwise PermissionDenied (403).
    2. a `read_version` older than the case: ConcurrentCaseUpdate (409).
    3. the status (and level) of the case: InvalidTransition (409), with the steps the user
       may take now.
    Services call it first, so every interface (API, console, field app, admin, tests) gets
    403 before 400, and a lost race as 409 however the loser read the case."""
    action = _workflow_action(step)
    policy = CASE_POLICIES[action]
    if not policy(user, case):
        earlier = _earlier_version_allowing(
            user, case, lambda u, past: offered(past, action) and policy(u, past), read_version
        )
        if earlier is not None:
            raise ConcurrentCaseUpdate(read_version or earlier, case.version)
        require(False)
    if read_version is not None and read_version != case.version:
        raise ConcurrentCaseUpdate(read_version, case.version)
    if not offered(case, action):
        raise InvalidTransition(step, case.status, step_names(case_actions_for(user, case)))


def check_dispatch_step(user, dispatch: Dispatch, step: str, *, read_version=None) -> None:
    """`check_case_step` for a step on a dispatch: the policy (403; a lost race is 409), a stale
    `read_version` (409), then the status of the dispatch and of its case (409, naming the
    dispatch's own status while it has one that rules the step out)."""
    policy = DISPATCH_POLICIES[step]
    if not policy(user, dispatch):
        # Only the decision on an extension depends on the case (who holds it): whoever held
        # the case while it had this dispatch finds the dispatch moved on, a 409.
        if step == "approve_extension" and _earlier_version_allowing(
            user, dispatch.case, lambda u, past: holds(u, past)
        ):
            raise InvalidTransition(step, dispatch.status, [])
        require(False)
    if read_version is not None and read_version != dispatch.version:
        raise ConcurrentCaseUpdate(read_version, dispatch.version)
    allowed = dispatch_actions_for(user, dispatch)
    if step in allowed:
        return
    status = dispatch.status
    if status in Dispatch.OPEN_STATUSES and dispatch.case.status != Case.Status.DISPATCHED:
        status = dispatch.case.status  # still open, but paused with its suspended case
    raise InvalidTransition(step, status, allowed)


def dispatch_actions_for(user, dispatch: Dispatch) -> list[str]:
    """The steps this user may take on the dispatch now (for buttons and 409 bodies)."""
    # The table of dispatch moves is the services'; they import this module, so not at load.
    from cases.services import dispatch_actions

    if dispatch.case.status != Case.Status.DISPATCHED:
        return []
    return [
        action
        for action in dispatch_actions(dispatch.status)
        if DISPATCH_POLICIES[action](user, dispatch)
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
