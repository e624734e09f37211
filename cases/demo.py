"""The category table (事件分类) and sample routing rules of the demo district.

Codes: two digits for a main class (大类), four for a subclass (小类). Each subclass says where
a case starts, whether a grid worker may resolve it on the spot, its time limits in working
hours per level (where they differ from cases/routing.DEFAULT_LIMITS) and the departments a
dispatcher is offered first. Built by looking up codes, so running it twice changes nothing.
"""

import io
import random
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from cases import notifications, services, workflow
from cases.models import Case, Category, RoutingRule
from grid.demo import HOME_COMMUNITY
from grid.models import Area, Department

G, C, S, D = Area.Level.GRID, Area.Level.COMMUNITY, Area.Level.STREET, Area.Level.DISTRICT
FAST = {"4": {"accept": 1, "handle": 7}, "3": {"accept": 2, "handle": 7}}

# (code, name, English name, start level, grid may self-resolve, lead suffix, cooperating, limits)
TABLE = [
    ("01", "市容环境", "City appearance", [
        ("0101", "暴露垃圾", "Exposed rubbish", G, True, "CG", [], {}),
        ("0102", "积存垃圾渣土", "Accumulated rubbish and muck", G, False, "CG", [], {}),
        ("0103", "道路不洁", "Dirty road", G, True, "CG", [], {}),
        ("0104", "乱涂乱画", "Graffiti", G, True, "CG", [], {}),
    ]),
    ("02", "街面秩序", "Street order", [
        ("0201", "占道经营", "Street vending on the road", C, False, "CG", [], {}),
        ("0202", "无照游商", "Unlicensed hawkers", C, False, "CG", [], {}),
        ("0203", "乱堆物料", "Materials piled in public space", G, True, "CG", [], {}),
        ("0204", "机动车乱停放", "Illegal parking", C, False, "JJ", [], {}),
    ]),
    ("03", "施工管理", "Construction", [
        ("0301", "违法建设", "Illegal construction", S, False, "CG", ["JS"], {}),
        ("0302", "施工扰民", "Construction disturbing residents", C, False, "JS", [], {}),
        ("0303", "施工废弃料", "Construction waste", C, False, "JS", ["CG"], {}),
    ]),
    ("04", "宣传广告", "Advertising", [
        ("0401", "违规户外广告", "Unauthorised outdoor advertising", C, False, "CG", [], {}),
        ("0402", "非法小广告", "Illegal small posters", G, True, "CG", [], {}),
    ]),
    ("05", "市政设施", "Municipal facilities", [
        ("0501", "公交站点设置不合理", "Badly placed bus stop", C, False, "JT",
         ["JS", "NY", "JJ"], {}),
        ("0502", "道路破损", "Damaged road", C, False, "JS", [], {}),
        ("0503", "井盖缺失", "Missing manhole cover", G, False, "JS", ["CG"], FAST),
        ("0504", "路灯故障", "Broken street light", C, False, "JS", [], {}),
        ("0505", "园林绿化损坏", "Damaged greenery", G, False, "NY", [], {}),
    ]),
    ("06", "矛盾纠纷", "Disputes", [
        ("0601", "邻里纠纷", "Neighbour dispute", G, True, "", [], {}),
        ("0602", "家庭纠纷", "Family dispute", G, True, "", [], {}),
        ("0603", "劳资纠纷", "Wage dispute", S, False, "", [], {}),
        ("0604", "物业纠纷", "Property management dispute", C, False, "JS", [], {}),
    ]),
    ("07", "治安隐患", "Public security", [
        ("0701", "治安隐患", "Public security hazard", C, False, "GA", [], {}),
        ("0702", "涉黄赌毒线索", "Lead on pornography, gambling or drugs", S, False, "GA", [], {}),
    ]),
    ("08", "安全生产", "Work safety", [
        ("0801", "安全生产隐患", "Work safety hazard", S, False, "", [], {}),
        ("0802", "危险化学品隐患", "Hazardous chemicals", D, False, "", ["GA"], FAST),
    ]),
    ("09", "消防隐患", "Fire hazards", [
        ("0901", "消防通道堵塞", "Blocked fire lane", G, True, "", [], FAST),
        ("0902", "电动车违规充电", "Unsafe e-bike charging", G, True, "", [], {}),
        ("0903", "消防设施损坏", "Damaged fire equipment", C, False, "", [], {}),
    ]),
    ("10", "民生诉求", "Residents' requests", [
        ("1001", "上门代办", "Errands for residents at home", G, True, "", [], {}),
        ("1002", "困难群众救助", "Help for people in hardship", C, False, "MZ", [], {}),
        ("1003", "供水供电问题", "Water or power supply problem", C, False, "JS", [], {}),
    ]),
    ("11", "环境保护", "Environment", [
        ("1101", "噪声扰民", "Noise", C, False, "CG", [], {}),
        ("1102", "油烟污染", "Cooking fumes", C, False, "CG", [], {}),
        ("1103", "污水直排", "Sewage discharge", S, False, "CG", ["JS"], {}),
    ]),
    ("12", "特殊人群服务", "Services for special groups", [
        ("1201", "特殊人群走访", "Visit to a person needing care", G, True, "MZ", [], {}),
        ("1202", "严重精神障碍患者异常", "Person with severe mental disorder in crisis", C, False,
         "GA", ["MZ"], FAST),
    ]),
]  # fmt: skip

# (category code, urgency, start level or None, alert every level, time factor)
RULES = [
    ("0503", "urgent", C, True, Decimal("0.5")),
    ("0701", "emergency", D, True, Decimal("0.25")),
    ("0901", "emergency", S, True, Decimal("0.25")),
    ("1202", "emergency", S, True, Decimal("0.25")),
]


@transaction.atomic
def build_categories(district: Area) -> None:
    departments = {d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(area=district)}
    for code, name, name_en, children in TABLE:
        parent, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
        for sub, sub_name, sub_en, start, self_resolve, lead, cooperating, limits in children:
            category, created = Category.objects.get_or_create(
                code=sub,
                defaults={
                    "name": sub_name,
                    "name_en": sub_en,
                    "parent": parent,
                    "start_level": start,
                    "grid_may_self_resolve": self_resolve,
                    "time_limits": limits,
                    "lead_department": departments.get(lead),
                },
            )
            if created:
                category.cooperating_departments.set([departments[c] for c in cooperating])
    for code, urgency, start, alert_all, factor in RULES:
        RoutingRule.objects.get_or_create(
            category=Category.objects.get(code=code),
            urgency=urgency,
            area=None,
            defaults={"start_level": start, "notify_all_levels": alert_all, "time_factor": factor},
        )


# A recent history for the demo: what `make run` shows on the dashboards, the wall screen and
# the queues on first start. Demo only: it moves Django's clock (timezone.now) while it files, so
# that every case, event, deadline and rollup carries the day it happened.

HISTORY_CATEGORIES = ["0101", "0103", "0201", "0204", "0502", "0504", "0601", "0901", "1101"]
HISTORY_DESCRIPTIONS = {
    "0101": "小区门口垃圾桶满溢，周边散落生活垃圾",
    "0103": "人行道上有积水和泥沙，行人不便",
    "0201": "早市摊贩占用人行道经营",
    "0204": "路口有车辆长时间违停，影响通行",
    "0502": "人行道砖块松动破损，老人易绊倒",
    "0504": "路灯夜间不亮，路段漆黑",
    "0601": "楼上楼下因漏水发生争执",
    "0901": "楼道堆放杂物，堵塞消防通道",
    "1101": "夜间施工噪声扰民",
}


def _history_photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 150, 110)).save(buffer, format="JPEG")
    return SimpleUploadedFile("site.jpg", buffer.getvalue(), content_type="image/jpeg")


class _Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


def build_history(*, cases: int = 300, days: int = 60, seed: int = 7) -> int:
    """File `cases` cases over the last `days` days across the district and take each down a
    likely path — most solved at the level they start at, some escalated or dispatched to a
    department, a few rejected, left waiting or let run past their deadlines, most closed
    ones called back — through the services, as the superuser `admin` (who may take any
    step). Deterministic for a seed; does nothing when the district already has cases.
    Returns how many it filed."""
    if cases <= 0 or Case.objects.exists():
        return 0
    rng = random.Random(seed)
    admin = get_user_model().objects.get(username="admin")
    grids = list(Area.objects.filter(level=Area.Level.GRID).exclude(centroid_lng=None))
    categories = list(Category.objects.filter(code__in=HISTORY_CATEGORIES).order_by("code"))
    departments = list(Department.objects.filter(is_active=True).order_by("code"))
    end = timezone.now()
    start = end - timedelta(days=days)
    clock = _Clock(start)
    with mock.patch.object(timezone, "now", clock), _notified_at_the_end():
        for number in range(cases):
            clock.now = (
                start + (end - start) * number / cases + timedelta(minutes=rng.randrange(-90, 90))
            )
            _one_case(rng, clock, min(clock.now, end), end, admin, grids, categories, departments)
    return cases


@contextmanager
def _notified_at_the_end():
    """The steps' notifications written as a set once the block is done, rather than a message
    per step: a first `make run` would leave hundreds of messages queued ahead of the worker's
    heartbeat and of the cases filed meanwhile."""
    with workflow.batch(send=False) as events:
        yield
    for start in range(0, len(events), 500):
        notifications.notify_many(events[start : start + 500])


def _one_case(rng, clock, filed, end, admin, grids, categories, departments) -> None:
    def advance(**delta) -> bool:
        """Move the clock on; False when that would pass the present (the case stays open)."""
        clock.now += timedelta(**delta)
        return clock.now < end

    clock.now = filed
    grid, category = rng.choice(grids), rng.choice(categories)
    case, _created = services.report_case(
        reporter=admin,
        category=category,
        title=category.name,
        description=HISTORY_DESCRIPTIONS.get(category.code, ""),
        grid=grid,
        # Within the grid's box (the demo grids are rectangles): a point must lie in its grid.
        lng=grid.centroid_lng + rng.uniform(-0.4, 0.4) * (grid.max_lng - grid.min_lng),
        lat=grid.centroid_lat + rng.uniform(-0.4, 0.4) * (grid.max_lat - grid.min_lat),
    )
    fate = rng.random()
    if not advance(minutes=rng.randrange(10, 240)):
        return
    if fate < 0.05:
        services.reject_case(case, actor=admin, reason="经核实不属于受理范围")
        return
    if fate < 0.12:
        return  # still waiting to be accepted (the sweeper moves it up once it is late)
    if fate < 0.3 and category.grid_may_self_resolve and case.level == Area.Level.GRID:
        services.self_resolve_case(
            case, actor=admin, result="网格员现场处置完毕", photos=[_history_photo()]
        )
        _call_back(rng, clock, end, case, admin)
        return
    if fate < 0.45:
        services.escalate_case(case, actor=admin, reason="需上级协调处理")
        case.refresh_from_db()
        if fate >= 0.38 and case.level > Area.Level.STREET:
            services.escalate_case(case, actor=admin, reason="社区协调不了，报街道")
            case.refresh_from_db()
        if not advance(minutes=rng.randrange(30, 600)):
            return
    elif fate < 0.55:
        while case.level > Area.Level.DISTRICT:
            services.escalate_case(case, actor=admin, reason="涉及多个部门，需区级派遣")
            case.refresh_from_db()
    services.accept_case(case, actor=admin)
    case.refresh_from_db()
    if not advance(hours=rng.randrange(1, 48)):
        return
    if case.level == Area.Level.DISTRICT:
        lead = category.lead_department or rng.choice(departments)
        services.dispatch_case(case, actor=admin, lead=lead, instructions="请按期办结并反馈")
        dispatch = case.dispatches.get(department=lead)
        if not advance(hours=rng.randrange(1, 24)):
            return
        services.sign_dispatch(dispatch, actor=admin)
        dispatch.refresh_from_db()
        if not advance(hours=rng.randrange(4, 120)):
            return
        services.report_dispatch_done(dispatch, actor=admin, result="已按要求处置完毕")
    else:
        services.resolve_case(case, actor=admin, result="已协调处置完毕")
    case.refresh_from_db()
    if not advance(hours=rng.randrange(1, 24)):
        return
    passed = rng.random() < 0.9
    services.verify_case(
        case,
        actor=admin,
        passed=passed,
        note="" if passed else "现场仍未整改到位",
        photos=[_history_photo()],
    )
    if passed:
        case.refresh_from_db()
        _call_back(rng, clock, end, case, admin)


# Work the departments still have in hand when the demo starts (the history's dispatches are all
# answered by then): the bus-stop story of DOMAIN.md, at the district, sent to the transport
# bureau with construction cooperating — once waiting to be signed, once signed.
OPEN_DISPATCHES = [
    ("0501", "地铁站出口公交站点离路口太近，候车乘客挤占非机动车道", False),
    ("0501", "公交站台遮阳棚破损，雨天候车无处避雨，站点需迁移改造", True),
]


def build_open_dispatches() -> int:
    """Leave the OPEN_DISPATCHES cases with their departments, filed now in a grid of the home
    community through the services as `admin`, so the department logins' inboxes have work on
    first start. Call it once, with a fresh history (seed_demo does). Returns how many it filed."""
    admin = get_user_model().objects.get(username="admin")
    district = Area.objects.get(level=Area.Level.DISTRICT)
    departments = {d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(area=district)}
    grid = (
        Area.objects.filter(level=Area.Level.GRID, parent__name=HOME_COMMUNITY)
        .exclude(centroid_lng=None)
        .order_by("code")
        .first()
    )
    for code, description, signed in OPEN_DISPATCHES:
        category = Category.objects.get(code=code)
        case, _created = services.report_case(
            reporter=admin,
            category=category,
            title=category.name,
            description=description,
            grid=grid,
            lng=grid.centroid_lng,
            lat=grid.centroid_lat,
        )
        while case.level > Area.Level.DISTRICT:
            services.escalate_case(case, actor=admin, reason="涉及多个部门，需区级派遣")
            case.refresh_from_db()
        services.accept_case(case, actor=admin)
        case.refresh_from_db()
        lead = category.lead_department
        services.dispatch_case(
            case,
            actor=admin,
            lead=lead,
            cooperating=[departments["JS"]],
            instructions="请现场查勘，牵头提出站点调整方案",
        )
        if signed:
            services.sign_dispatch(case.dispatches.get(department=lead), actor=admin)
    return len(OPEN_DISPATCHES)


def _call_back(rng, clock, end, case, admin) -> None:
    clock.now += timedelta(hours=rng.randrange(2, 48))
    if clock.now < end and rng.random() < 0.7:
        case.refresh_from_db()
        services.callback_case(case, actor=admin, satisfaction=rng.choice([3, 4, 4, 5, 5, 5]))
