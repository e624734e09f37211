"""The category table (事件分类) and sample routing rules of the demo district.

Codes: two digits for a main class (大类), four for a subclass (小类). Each subclass says where
a case starts, whether a grid worker may resolve it on the spot, its time limits in working
hours per level (where they differ from cases/routing.DEFAULT_LIMITS) and the departments a
dispatcher is offered first. Built by looking up codes, so running it twice changes nothing.
"""

from decimal import Decimal

from django.db import transaction

from cases.models import Category, RoutingRule
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
