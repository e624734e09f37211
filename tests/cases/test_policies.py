"""Who may take which step: the demo users × the key steps, through the services (PermissionDenied)
and through the API (403 where the user can see the case, 404 where they cannot).

Holder staff act on the cases their level holds; a grid worker verifies only in their own grid;
department staff act only on their own department's dispatch; the supervisor urges (and may
order a closed case reopened) but takes no handling step.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied

from cases import policies, services
from cases.models import Case, Dispatch
from grid.models import Department

pytestmark = pytest.mark.django_db

USERS = ["grid1", "grid2", "community", "street", "district", "transport", "construction"]
USERS += ["parks", "police", "supervisor", "admin"]
# Who can see a case in grid1's grid at all (the areas above it); the rest get 404.
SEE_GRID1 = {"grid1", "community", "street", "district", "supervisor", "admin"}


@dataclass(frozen=True)
class Step:
    """A step to try: `setup` builds the case (or dispatch) in the right state, `run` takes the
    step through the services, `api` is (action, body) for POST …/{id}/{action}/."""

    setup: str
    run: Callable
    api: tuple[str, dict]
    allowed: frozenset
    on_dispatch: bool = False
    multipart: bool = False


def _lead(case):
    return case.dispatches.get(role=Dispatch.Role.LEAD)


STEPS = {
    "accept at the community": Step(
        "community_case",
        lambda case, actor, photo: services.accept_case(case, actor=actor),
        ("accept", {}),
        frozenset({"community", "admin"}),
    ),
    "escalate from the grid": Step(
        "grid_case",
        lambda case, actor, photo: services.escalate_case(case, actor=actor, reason="需协调"),
        ("escalate", {"reason": "需协调"}),
        frozenset({"grid1", "admin"}),
    ),
    "self_resolve at the grid": Step(
        "grid_case",
        lambda case, actor, photo: services.self_resolve_case(
            case, actor=actor, result="已清理", photos=[photo()]
        ),
        ("self_resolve", {"result": "已清理"}),
        frozenset({"grid1", "admin"}),
        multipart=True,
    ),
    "return_down from the street": Step(
        "street_case",
        lambda case, actor, photo: services.return_case(case, actor=actor, reason="社区可处理"),
        ("return_down", {"reason": "社区可处理"}),
        frozenset({"street", "admin"}),
    ),
    "dispatch at the district": Step(
        "district_case",
        lambda case, actor, photo: services.dispatch_case(
            case, actor=actor, lead=Department.objects.get(name="区交通运输局")
        ),
        ("dispatch", {"lead": "transport"}),
        frozenset({"district", "admin"}),
    ),
    "verify a resolved case": Step(
        "resolved_case",
        lambda case, actor, photo: services.verify_case(
            case, actor=actor, passed=True, photos=[photo()]
        ),
        ("verify", {"passed": "true"}),
        frozenset({"grid1", "admin"}),
        multipart=True,
    ),
    "urge": Step(
        "community_case",
        lambda case, actor, photo: services.urge_case(case, actor=actor, reason="尽快处理"),
        ("urge", {"reason": "尽快处理"}),
        frozenset({"supervisor", "district", "admin"}),
    ),
    "callback on a closed case": Step(
        "closed_case",
        lambda case, actor, photo: services.callback_case(case, actor=actor, satisfaction=4),
        ("callback", {"satisfaction": 4}),
        frozenset({"grid1", "community", "street", "district", "admin"}),
    ),
    "reopen a closed case": Step(
        "closed_case",
        lambda case, actor, photo: services.reopen_case(case, actor=actor, reason="居民不满意"),
        ("reopen", {"reason": "居民不满意"}),
        frozenset({"grid1", "community", "street", "district", "supervisor", "admin"}),
    ),
    "sign the lead's dispatch": Step(
        "dispatched_case",
        lambda case, actor, photo: services.sign_dispatch(_lead(case), actor=actor),
        ("sign", {}),
        frozenset({"transport", "admin"}),
        on_dispatch=True,
    ),
    "report the lead's dispatch done": Step(
        "signed_case",
        # The cooperating department has not reported: the lead goes ahead with a reason.
        lambda case, actor, photo: services.report_dispatch_done(
            _lead(case), actor=actor, result="已完成", go_ahead_reason="配合事项已无需办理"
        ),
        ("report_done", {"result": "已完成", "go_ahead_reason": "配合事项已无需办理"}),
        frozenset({"transport", "admin"}),
        on_dispatch=True,
    ),
    "approve an extension": Step(
        "extension_case",
        lambda case, actor, photo: services.approve_extension(_lead(case), actor=actor),
        ("approve_extension", {"approve": True}),
        frozenset({"district", "admin"}),
        on_dispatch=True,
    ),
}


@pytest.fixture
def build(file_case, user, photo):
    """build(setup) → a case of grid1's grid in the state a step needs."""

    def district_case():
        case = file_case("0802", title="危险化学品隐患")
        services.accept_case(case, actor=user("district"))
        return case

    def dispatched_case():
        case = district_case()
        services.dispatch_case(
            case,
            actor=user("district"),
            lead=Department.objects.get(name="区交通运输局"),
            cooperating=[Department.objects.get(name="区住房和城乡建设局")],
        )
        return case

    def signed_case():
        case = dispatched_case()
        services.sign_dispatch(_lead(case), actor=user("transport"))
        return case

    def extension_case():
        case = signed_case()
        lead = _lead(case)
        services.request_extension(
            lead, actor=user("transport"), until=lead.due_at.replace(year=2100), reason="需采购"
        )
        return case

    def street_case():
        case = file_case("0301", title="违法建设")  # starts at the street
        services.accept_case(case, actor=user("street"))
        return case

    def resolved_case():
        case = file_case("0101")
        services.accept_case(case, actor=user("grid1"))
        services.resolve_case(case, actor=user("grid1"), result="已清理")
        return case

    def closed_case():
        case = file_case("0101")
        services.self_resolve_case(case, actor=user("grid1"), result="已清理", photos=[photo()])
        return case

    builders = {
        "grid_case": lambda: file_case("0101"),
        "community_case": lambda: file_case("0501"),
        "street_case": street_case,
        "district_case": district_case,
        "dispatched_case": dispatched_case,
        "signed_case": signed_case,
        "extension_case": extension_case,
        "resolved_case": resolved_case,
        "closed_case": closed_case,
    }

    def make(setup: str) -> Case:
        case = builders[setup]()
        case.refresh_from_db()
        return case

    return make


MATRIX = [(step, name) for step in STEPS for name in USERS]


@pytest.mark.parametrize(("step", "name"), MATRIX, ids=[f"{s}-{n}" for s, n in MATRIX])
def test_through_the_services_only_the_allowed_users_may_take_the_step(
    build, user, photo, step, name
):
    spec = STEPS[step]
    case = build(spec.setup)

    if name in spec.allowed:
        spec.run(case, user(name), photo)
        case.refresh_from_db()
        assert case.version > 1
    else:
        before = case.version
        with pytest.raises(PermissionDenied):
            spec.run(case, user(name), photo)
        case.refresh_from_db()
        assert case.version == before


def _body(spec: Step, photo) -> dict:
    action, body = spec.api
    body = dict(body)
    if body.get("lead") == "transport":
        body["lead"] = Department.objects.get(name="区交通运输局").pk
    if spec.multipart:
        body["photos"] = [photo()]
    return body


def _can_see(spec: Step, name: str) -> bool:
    if name in SEE_GRID1:
        return True
    # Department staff see the cases dispatched to their department, and their own dispatch.
    if spec.on_dispatch:
        return name == "transport"
    return spec.setup in ("dispatched_case", "signed_case") and name in (
        "transport",
        "construction",
    )


@pytest.mark.parametrize(("step", "name"), MATRIX, ids=[f"{s}-{n}" for s, n in MATRIX])
def test_through_the_api_refused_users_get_403_or_404_if_they_cannot_see_it(
    build, login, photo, step, name
):
    spec = STEPS[step]
    case = build(spec.setup)
    action, _ = spec.api
    url = (
        f"/api/dispatches/{_lead(case).pk}/{action}/"
        if spec.on_dispatch
        else f"/api/cases/{case.pk}/{action}/"
    )

    response = login(name).post(
        url, _body(spec, photo), format="multipart" if spec.multipart else "json"
    )

    expected = 200 if name in spec.allowed else 403 if _can_see(spec, name) else 404
    assert response.status_code == expected, response.content.decode()
    written = Case.objects.get(pk=case.pk).version != case.version
    assert written == (name in spec.allowed)


@pytest.mark.parametrize("name", USERS)
def test_the_offered_actions_match_the_policies(build, user, name):
    case = build("community_case")

    offered = policies.case_actions_for(user(name), case)

    expected = {
        "community": ["accept", "reject", "escalate", "return_down", "suspend"],
        "admin": ["accept", "reject", "escalate", "return_down", "suspend", "urge"],
        "district": ["urge"],
        "supervisor": ["urge"],
    }
    assert offered == expected.get(name, [])


def test_a_grid_worker_verifies_only_in_their_own_grid(file_case, user, home_grids, photo):
    case = file_case("0101", by="grid2", grid=home_grids[1])
    services.accept_case(case, actor=user("grid2"))
    services.resolve_case(case, actor=user("grid2"), result="已清理")

    assert not policies.can_verify(user("grid1"), case)
    assert policies.can_verify(user("grid2"), case)
    with pytest.raises(PermissionDenied):
        services.verify_case(case, actor=user("grid1"), passed=True, photos=[photo()])


def test_cooperating_staff_may_not_act_on_the_leads_dispatch(build, user):
    case = build("dispatched_case")
    cooperating = case.dispatches.get(role=Dispatch.Role.COOPERATING)

    assert policies.works_for(user("construction"), cooperating)
    assert not policies.works_for(user("construction"), _lead(case))
    assert not policies.works_for(user("transport"), cooperating)


@pytest.mark.parametrize(
    ("setup", "name", "expected"),
    [
        ("dispatched_case", "transport", ["sign", "refuse", "request_extension"]),
        ("signed_case", "transport", ["request_extension", "report_done"]),
        ("signed_case", "construction", []),
        ("signed_case", "district", []),
        ("extension_case", "district", ["approve_extension"]),
        ("extension_case", "admin", ["request_extension", "approve_extension", "report_done"]),
    ],
)
def test_the_offered_dispatch_steps_match_the_policies(build, user, setup, name, expected):
    lead = _lead(build(setup))

    assert policies.dispatch_actions_for(user(name), lead) == expected


def test_a_dispatch_of_a_case_no_longer_dispatched_offers_no_step(build, user):
    case = build("signed_case")
    services.suspend_case(case, actor=user("district"), reason="等待审批")

    assert policies.dispatch_actions_for(user("transport"), _lead(case)) == []


def test_both_outcomes_of_a_verification_are_one_step():
    offered = policies.step_names(["verify_pass", "verify_fail", "callback"])

    assert offered == ["verify", "callback"]
