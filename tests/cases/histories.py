"""Case histories for the metrics and rollup tests, built through the services on a clock the
test controls.

`fixed_history` is the small history whose measures tests/cases/test_metrics.py computes by
hand: ten cases of March 2026 in 黄埔花园社区 (A–H, K), one elsewhere in the street (I) and one of
February (J).
"""

import random
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases import services
from cases.calendar import SHANGHAI
from cases.models import Case, Category, Dispatch
from grid.models import Area, Department
from tests.cases.conftest import make_photo


class Clock:
    """Stands in for django.utils.timezone.now (which the services, the workflow and the
    models' auto_now fields all read) while a test builds a history."""

    def __init__(self, monkeypatch, start: datetime):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def march(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def fixed_history(clock: Clock, home_grids, other_grid) -> dict[str, Case]:
    """Build the fixed history; returns its cases by letter (see the module docstring and
    tests/cases/test_metrics.py for what each one does)."""
    users = {u.username: u for u in get_user_model().objects.all()}
    grid1, grid2, community, street, district = (
        users[name] for name in ("grid1", "grid2", "community", "street", "district")
    )
    g1, g2 = home_grids[0], home_grids[1]
    transport = Department.objects.get(name="区交通运输局")
    construction = Department.objects.get(name="区住房和城乡建设局")

    def report(code: str, grid, by, when: datetime) -> Case:
        clock.set(when)
        case, _created = services.report_case(
            reporter=by, category=Category.objects.get(code=code), title=f"{code} 事件", grid=grid
        )
        return case

    def at(when: datetime, case: Case) -> Case:
        clock.set(when)
        case.refresh_from_db()
        return case

    def sweep(case: Case) -> None:
        """The sweeper, a minute after the case's deadline."""
        case.refresh_from_db()
        clock.set(case.due_at + timedelta(minutes=1))
        services.escalate_if_overdue(case.pk)

    photo = make_photo
    cases = {}

    # A: resolved on the spot in half an hour; the resident is very satisfied.
    a = cases["A"] = report("0101", g1, grid1, march(2, 9))
    services.self_resolve_case(
        at(march(2, 9, 30), a), actor=grid1, result="已清理", photos=[photo()]
    )
    services.callback_case(at(march(3, 9), a), actor=grid1, satisfaction=5)

    # B: accepted and resolved at the grid, fails verification once, closed after 24 h.
    b = cases["B"] = report("0101", g1, grid1, march(2, 10))
    services.accept_case(at(march(2, 10, 10), b), actor=grid1)
    services.resolve_case(at(march(2, 11), b), actor=grid1, result="已处理")
    services.verify_case(
        at(march(2, 13), b), actor=grid1, passed=False, note="未清理干净", photos=[photo()]
    )
    services.resolve_case(at(march(3, 9), b), actor=grid1, result="已彻底清理")
    services.verify_case(at(march(3, 10), b), actor=grid1, passed=True, photos=[photo()])
    services.callback_case(at(march(3, 11), b), actor=grid1, satisfaction=3)

    # C: grid2 misses the accept deadline, the sweeper escalates it to the community, which
    # closes it 7 h after the report.
    c = cases["C"] = report("0101", g2, grid2, march(3, 9))
    sweep(c)
    services.accept_case(at(march(3, 11, 30), c), actor=community)
    services.resolve_case(at(march(3, 15), c), actor=community, result="已处理")
    services.verify_case(at(march(3, 16), c), actor=grid2, passed=True, photos=[photo()])

    # D: starts at the community, escalated by hand to the street, which misses its deadline;
    # the district misses its own: overdue and urged, still open.
    d = cases["D"] = report("0201", g2, grid2, march(4, 9))
    services.escalate_case(at(march(4, 9, 30), d), actor=community, reason="需街道协调")
    sweep(d)
    sweep(d)
    clock.advance(hours=1)
    services.urge_case(at(clock.now, d), actor=users["supervisor"], reason="尽快处理")

    # E: the community misses its deadline; the street accepts and suspends it (挂账).
    e = cases["E"] = report("0501", g1, grid1, march(5, 9))
    sweep(e)
    services.accept_case(at(clock.advance(minutes=5), e), actor=street)
    services.suspend_case(at(clock.advance(minutes=5), e), actor=street, reason="待施工季节")

    # F: a duplicate, not registered.
    f = cases["F"] = report("0101", g1, grid1, march(5, 10))
    services.reject_case(at(march(5, 10, 5), f), actor=grid1, reason="重复上报")

    # G: resolved on the spot, rated 1 and reopened (重办), closed 72 h 20 min after the report.
    g = cases["G"] = report("0101", g1, grid1, march(6, 9))
    services.self_resolve_case(
        at(march(6, 9, 20), g), actor=grid1, result="已清理", photos=[photo()]
    )
    services.callback_case(
        at(march(6, 10), g), actor=grid1, satisfaction=1, reopen_if_unsatisfied=True
    )
    services.resolve_case(at(march(9, 9), g), actor=grid1, result="重新清理")
    services.verify_case(at(march(9, 9, 20), g), actor=grid1, passed=True, photos=[photo()])

    # H: starts at the district; the lead department refuses (退单), the second dispatch fails
    # verification (返工), the third is flagged overdue before it reports done; closed at the
    # district 48 h after the report.
    h = cases["H"] = report("0802", g2, grid2, march(10, 9))
    services.accept_case(at(march(10, 9, 30), h), actor=district)
    services.dispatch_case(
        at(march(10, 10), h), actor=district, lead=transport, cooperating=[construction]
    )
    clock.set(march(10, 10, 30))
    services.sign_dispatch(h.dispatches.get(department=construction), actor=users["construction"])
    clock.set(march(10, 11))
    services.refuse_dispatch(
        h.dispatches.get(department=transport), actor=users["transport"], reason="非本部门职责"
    )
    services.dispatch_case(at(march(10, 14), h), actor=district, lead=construction)

    def lead() -> Dispatch:
        return h.dispatches.filter(role=Dispatch.Role.LEAD).order_by("-pk").first()

    clock.set(march(11, 9))
    services.sign_dispatch(lead(), actor=users["construction"])
    clock.set(march(11, 15))
    services.report_dispatch_done(lead(), actor=users["construction"], result="已迁移")
    services.verify_case(
        at(march(11, 16), h), actor=grid2, passed=False, note="未完成", photos=[photo()]
    )
    services.dispatch_case(
        at(march(11, 17), h), actor=district, lead=construction, due_at=march(11, 18)
    )
    clock.set(march(11, 17, 30))
    services.sign_dispatch(lead(), actor=users["construction"])
    clock.set(march(11, 17, 40))
    services.request_extension(
        lead(), actor=users["construction"], until=march(13, 18), reason="材料未到"
    )
    clock.set(march(12, 8))
    services.flag_dispatch_if_overdue(lead().pk)
    clock.set(march(12, 8, 30))
    services.report_dispatch_done(lead(), actor=users["construction"], result="已完成")
    services.verify_case(at(march(12, 9), h), actor=grid2, passed=True, photos=[photo()])
    services.callback_case(at(march(12, 10), h), actor=grid2, satisfaction=4)

    # K: escalated by grid1, returned down by the community; waiting at the grid.
    k = cases["K"] = report("0101", g1, grid1, march(11, 9))
    services.escalate_case(at(march(11, 9, 10), k), actor=grid1, reason="需社区协调")
    services.return_case(at(march(11, 9, 20), k), actor=community, reason="网格可处理")

    # I: elsewhere in the street, waiting. J: reported in February, closed in March.
    cases["I"] = report("0101", other_grid, street, march(5, 9))
    j = cases["J"] = report("0101", g1, grid1, datetime(2026, 2, 27, 9, tzinfo=SHANGHAI))
    services.self_resolve_case(at(march(2, 8), j), actor=grid1, result="已清理", photos=[photo()])
    for case in cases.values():
        case.refresh_from_db()
    return cases


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, march(1, 8))


@pytest.fixture
def history(clock, home_grids, other_community):
    """The fixed history, built; its cases by letter."""
    return fixed_history(clock, home_grids, other_community.children.order_by("code").first())


def busy_district(clock: Clock, *, cases: int = 120, seed: int = 6) -> None:
    """A month of cases all over the district (March 2026), deterministic for a seed: most
    closed at the level they started at, some escalated, rejected, left open or overdue, with
    callbacks — enough for the dashboards to show what they are for. Every step is taken by
    the superuser `admin` (who may take any), except the sweeper's."""
    rng = random.Random(seed)
    admin = get_user_model().objects.get(username="admin")
    grids = list(Area.objects.filter(level=Area.Level.GRID).order_by("code"))
    categories = list(
        Category.objects.filter(
            code__in=["0101", "0103", "0201", "0204", "0502", "0504", "0601", "0901", "1101"]
        )
    )
    for number in range(cases):
        clock.set(march(1 + number * 30 // cases, 8 + rng.randrange(9), rng.randrange(60)))
        grid = rng.choice(grids)
        case, _created = services.report_case(
            reporter=admin, category=rng.choice(categories), title="巡查发现", grid=grid,
            lng=grid.centroid_lng + rng.uniform(-0.4, 0.4) * (grid.max_lng - grid.min_lng),
            lat=grid.centroid_lat + rng.uniform(-0.4, 0.4) * (grid.max_lat - grid.min_lat),
        )  # fmt: skip
        fate = rng.random()
        clock.advance(minutes=rng.randrange(10, 300))
        if fate < 0.05:
            services.reject_case(case, actor=admin, reason="重复上报")
            continue
        if fate < 0.15:
            continue  # still waiting
        if fate < 0.25:
            case.refresh_from_db()
            while case.status == Case.Status.REPORTED and case.due_at is not None:
                clock.set(case.due_at + timedelta(minutes=1))
                services.escalate_if_overdue(case.pk)
                case.refresh_from_db()
            continue  # overdue at the district, or moved up and waiting
        if fate < 0.4:
            services.escalate_case(case, actor=admin, reason="需上级协调")
            case.refresh_from_db()
        services.accept_case(case, actor=admin)
        clock.advance(hours=rng.randrange(1, 60))
        services.resolve_case(case, actor=admin, result="已处理")
        clock.advance(hours=rng.randrange(1, 8))
        services.verify_case(case, actor=admin, passed=True, photos=[make_photo()])
        if rng.random() < 0.7:
            clock.advance(hours=2)
            services.callback_case(case, actor=admin, satisfaction=rng.choice([2, 3, 4, 4, 5, 5]))
