"""A scripted day for the workbench tests (tests/cases/test_workbench.py, tests/browser/
test_workbench.py): cases filed, accepted, urged, resolved, escalated and dispatched through the
services, with deadlines set where each tile needs them, and what each post's tiles must then
show (EXPECTED).

Every case is filed in grid1's grid except `elsewhere`, in a grid of another street: it counts
for the district's supervisor only."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from cases import notifications, rollups, services
from cases.console.queues import local_day_start
from cases.models import Case, CaseEvent, Category, Dispatch
from grid.models import Area, Department
from tests.cases.conftest import make_photo

# Post role → tile key → count, after play(). Tiles not named here show 0.
EXPECTED = {
    "grid_worker": {"to_accept": 1, "overdue": 1, "due_today": 1, "urged": 1, "to_verify": 1},
    "community_staff": {"to_accept": 1},
    "street_staff": {"to_accept": 1},
    "district_dispatcher": {"overdue": 1, "extensions": 1},
    "department_staff": {"to_sign": 1, "dispatch_overdue": 1, "dispatch_open": 2},
    "supervisor": {"area_overdue": 2, "area_urged": 1, "area_to_accept": 4},
}
# The figures of the week (from the rollups) that play() makes certain.
EXPECTED_WEEK = {"grid1": {"week_received": 9}, "supervisor": {"week_received": 10}}


def later_today(now):
    """A moment still today (local) and after `now`: half-way to midnight."""
    midnight = local_day_start(timezone.localdate(now) + timedelta(days=1))
    return now + (midnight - now) / 2


def play(home_grids, elsewhere_grid) -> dict[str, Case]:
    users = {u.username: u for u in get_user_model().objects.all()}
    grid = home_grids[0]
    transport = Department.objects.get(name="区交通运输局")
    construction = Department.objects.get(name="区住房和城乡建设局")

    def report(code: str, title: str, *, by="grid1", where: Area = grid) -> Case:
        case, _created = services.report_case(
            reporter=users[by],
            category=Category.objects.get(code=code),
            title=title,
            lng=where.centroid_lng,
            lat=where.centroid_lat,
            grid=where,
        )
        return case

    def fresh(case: Case) -> Case:
        case.refresh_from_db()
        return case

    cases = {}
    # The grid: one to accept, one overdue, one due today, one urged, one to verify.
    cases["to_accept"] = report("0101", "垃圾桶满溢待受理")
    for key, title in [("overdue", "积存垃圾超期"), ("due_today", "道路不洁今日到期"),
                       ("urged", "乱涂乱画被督办"), ("to_verify", "暴露垃圾待核查")]:  # fmt: skip
        case = report("0101", title)
        services.accept_case(case, actor=users["grid1"])
        cases[key] = fresh(case)
    services.urge_case(cases["urged"], actor=users["supervisor"], reason="群众反映强烈")
    services.resolve_case(
        fresh(cases["to_verify"]), actor=users["grid1"], result="已清理", photos=[make_photo()]
    )
    # The community, the street: a bus-stop case each, waiting for acceptance.
    cases["community"] = report("0501", "公交站点待社区受理")
    cases["street"] = report("0501", "公交站点待街道受理")
    services.escalate_case(cases["street"], actor=users["community"], reason="需街道协调")
    # The district: two dispatched; the second signed, extension asked, then overdue.
    for key in ("dispatched", "late_dispatch"):
        case = report("0501", "公交站点设置不合理" if key == "dispatched" else "公交站台迁移")
        services.escalate_case(case, actor=users["community"], reason="需街道协调")
        services.escalate_case(fresh(case), actor=users["street"], reason="涉及区直部门")
        services.accept_case(fresh(case), actor=users["district"])
        lead, cooperating = (transport, [construction]) if key == "dispatched" else (transport, [])
        services.dispatch_case(
            fresh(case), actor=users["district"], lead=lead, cooperating=cooperating
        )
        cases[key] = fresh(case)
    late = cases["late_dispatch"].dispatches.get()
    services.sign_dispatch(late, actor=users["transport"])
    late.refresh_from_db()
    services.request_extension(
        late,
        actor=users["transport"],
        until=late.due_at + timedelta(days=5),
        reason="需协调公交公司",
    )
    # Elsewhere in the district: only the supervisor's figures count it.
    cases["elsewhere"] = report("0101", "他街道暴露垃圾", by="admin", where=elsewhere_grid)

    # The deadlines each tile needs (the demo's calendar would put them anywhere in the day).
    now = timezone.now()
    far = now + timedelta(days=10)
    Case.objects.filter(pk__in=[c.pk for c in cases.values()]).update(due_at=far)
    Case.objects.filter(pk=cases["overdue"].pk).update(due_at=now - timedelta(hours=1))
    Case.objects.filter(pk=cases["due_today"].pk).update(due_at=later_today(now))
    Dispatch.objects.filter(case__in=list(cases.values())).update(due_at=far)
    Dispatch.objects.filter(pk=late.pk).update(due_at=now - timedelta(hours=1))

    # What the worker and the fold do after each commit, done here at once.
    notifications.notify_many(CaseEvent.objects.values_list("pk", flat=True))
    rollups.fold_if_pending()
    return {key: fresh(case) for key, case in cases.items()}


def elsewhere_grid_of(other_street) -> Area:
    return Area.objects.filter(path__startswith=other_street.path, level=Area.Level.GRID).order_by(
        "code"
    )[0]
