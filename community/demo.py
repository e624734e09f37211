"""The demo district's community services: a default catalogue (loaded by seed_demo, edited by
administrators afterwards), visit plans for the care tags, and a believable stretch of
activity (requests in every state, some overdue; care visits, some overdue) so every page has
something to show. Looked up by code first, so running it twice changes nothing.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from community import services, workflow
from community.models import CareVisit, Service, ServiceRequest, VisitPlan, VisitSchedule
from grid.demo import DISTRICT_CODE, HOME_COMMUNITY
from grid.models import Area, CareTag, Department, Person

# (code, name, English name, owning bureau suffix or "" for the community, documents,
#  working days, can be done at home)
CATALOGUE = [
    (
        "id_card",
        "证件代办（身份证、户口）",
        "ID card and household register errands",
        "GA",
        "户口簿\n本人近期照片\n旧身份证（换领时）",
        10,
        True,
    ),
    ("social_insurance", "社保业务代办", "Social insurance errands", "", "身份证\n社保卡", 5, True),
    (
        "medical_insurance",
        "医保业务代办",
        "Medical insurance errands",
        "",
        "身份证\n医保卡\n医疗票据（报销时）",
        5,
        True,
    ),
    (
        "elderly_allowance",
        "高龄津贴申领",
        "Old-age allowance application",
        "MZ",
        "身份证\n户口簿\n银行卡",
        10,
        True,
    ),
    (
        "pension_certification",
        "养老资格认证",
        "Pension eligibility certification",
        "",
        "身份证",
        3,
        True,
    ),
    (
        "disability_card",
        "残疾人证办理",
        "Disability card application",
        "MZ",
        "身份证\n户口簿\n近期免冠照片\n医院诊断证明",
        20,
        False,
    ),
    (
        "residence_permit",
        "居住证办理",
        "Residence permit",
        "GA",
        "身份证\n租赁合同或房产证明\n近期照片",
        15,
        False,
    ),
    ("legal_advice", "法律咨询", "Legal advice", "", "相关合同或材料（如有）", 5, False),
    ("housekeeping_referral", "家政服务转介", "Housekeeping referral", "", "", 3, True),
    (
        "meal_referral",
        "助餐服务转介",
        "Meal service referral",
        "",
        "身份证\n高龄或困难证明（如有）",
        3,
        True,
    ),
    (
        "subsistence_allowance",
        "低保申请",
        "Minimum living allowance application",
        "MZ",
        "身份证\n户口簿\n家庭收入证明\n银行卡",
        20,
        False,
    ),
]

# Visit every N days, by care tag code.
VISIT_PLANS = {
    "elderly_alone": 7,
    "empty_nest": 14,
    "disabled": 30,
    "low_income": 30,
    "extreme_poverty": 14,
    "left_behind_child": 14,
    "key_youth": 30,
    "mental_disorder": 7,
    "community_correction": 30,
}


@transaction.atomic
def build_catalogue() -> int:
    """The default catalogue and visit plans; returns how many services exist."""
    for position, (code, name, name_en, bureau, documents, days, at_home) in enumerate(CATALOGUE):
        department = (
            Department.objects.filter(code=f"{DISTRICT_CODE}-{bureau}").first() if bureau else None
        )
        Service.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "department": department,
                "documents": documents,
                "time_limit_days": days,
                "at_home": at_home,
                "position": position,
            },
        )
    for tag in CareTag.objects.filter(code__in=VISIT_PLANS):
        VisitPlan.objects.get_or_create(
            care_tag=tag, defaults={"every_days": VISIT_PLANS[tag.code]}
        )
    return Service.objects.count()


FINDINGS = [
    "身体状况良好，生活能自理，家中整洁。",
    "老人反映近期腿脚不便，需要代办业务。",
    "家中燃气软管老化，已提醒更换。",
    "独自在家，情绪稳定，子女每周来电。",
    "反映楼道灯不亮，夜间出行不便。",
    "低保材料需年审，已告知所需材料。",
]
NEEDS = [
    "行动不便，希望上门办理。",
    "需要协助准备材料。",
    "子女在外地，请社区帮忙代办。",
    "",
]


@transaction.atomic
def build_activity(*, seed: int = 1, requests: int = 60) -> dict[str, int]:
    """Requests and visits over the last 45 days in the home community (only when there are
    none yet): schedules for every tagged person, visits for most of them, requests in every
    state with some overdue. All or nothing. Returns what was made."""
    if ServiceRequest.objects.exists() or CareVisit.objects.exists():
        return {"requests": 0, "visits": 0}
    rng = random.Random(seed)
    community = Area.objects.filter(name=HOME_COMMUNITY, level=Area.Level.COMMUNITY).first()
    if community is None or not Service.objects.exists():
        return {"requests": 0, "visits": 0}
    users = get_user_model().objects
    grid_workers = {
        grid.pk: users.filter(posts__role="grid_worker", posts__area=grid).first()
        for grid in community.children.all()
    }
    staff = users.filter(username="community").first()
    now = timezone.now()
    today = timezone.localdate()
    services.refresh_schedules(today=today)
    # Elsewhere in the district the schedules are spread over their intervals, as if visits had
    # been going on for a while: a few are overdue, most are due later.
    elsewhere = VisitSchedule.objects.exclude(grid__path__startswith=community.path)
    for schedule in elsewhere.only("pk", "every_days"):
        offset = rng.randint(-3, schedule.every_days - 1)
        VisitSchedule.objects.filter(pk=schedule.pk).update(
            next_visit_on=today + timedelta(days=offset)
        )
    visits = _visits(rng, community, grid_workers, staff, now, today)
    made = _requests(rng, community, grid_workers, staff, now, requests)
    return {"requests": made, "visits": visits}


def _visits(rng, community, grid_workers, staff, now, today) -> int:
    made = 0
    schedules = list(
        VisitSchedule.objects.filter(grid__path__startswith=community.path)
        .select_related("person__house__building", "person__grid")
        .order_by("id")
    )
    for schedule in schedules:
        visitor = grid_workers.get(schedule.grid_id) or staff
        if visitor is None:
            continue
        roll = rng.random()
        if roll < 0.2:
            # Never visited yet: due today, or (set below) overdue for a while.
            if roll < 0.1:
                VisitSchedule.objects.filter(pk=schedule.pk).update(
                    next_visit_on=today - timedelta(days=rng.randint(1, 10))
                )
            continue
        # A visit some days back; the next date follows from it, so some are overdue now.
        days_ago = rng.randint(0, min(schedule.every_days + 5, 29))
        at = now - timedelta(days=days_ago, hours=rng.randint(0, 6))
        building = schedule.person.house.building if schedule.person.house_id else None
        lng = lat = None
        if building is not None and building.lng is not None:
            lng = building.lng + rng.uniform(-0.0005, 0.0005)
            lat = building.lat + rng.uniform(-0.0005, 0.0005)
        with transaction.atomic():
            services.record_visit(
                actor=visitor,
                person=schedule.person,
                findings=rng.choice(FINDINGS),
                visited_at=at,
                lng=lng,
                lat=lat,
            )
        made += 1
    return made


def _requests(rng, community, grid_workers, staff, now, count) -> int:
    catalogue = list(Service.objects.filter(is_active=True))
    persons = list(
        Person.objects.filter(
            grid__path__startswith=community.path, status=Person.Status.LIVING
        ).order_by("id")[:2000]
    )
    if not persons or staff is None:
        return 0
    made = 0
    for _i in range(count):
        person = rng.choice(persons)
        recorder = grid_workers.get(person.grid_id) or staff
        received = now - timedelta(days=rng.uniform(0, 45))
        with transaction.atomic():
            request, _created = services.record_request(
                actor=recorder,
                service=rng.choice(catalogue),
                person=person,
                description=rng.choice(NEEDS),
                channel=rng.choice(
                    [ServiceRequest.Channel.FIELD] * 3 + [ServiceRequest.Channel.OFFICE]
                ),
                now=received,
            )
            _advance(rng, request, staff, received, now)
        made += 1
    return made


def _advance(rng, request, staff, received, now) -> None:
    """Take a request down a likely path, at believable times before `now`."""
    roll = rng.random()
    if roll < 0.15:
        return  # still waiting (overdue if received long ago; the sweeper flags it)
    accepted = min(received + timedelta(hours=rng.uniform(1, 30)), now)
    if roll < 0.22:
        workflow.apply(
            request,
            "decline",
            actor=staff,
            now=accepted,
            reason="不符合办理条件，已向居民解释。",
            decline_reason="不符合办理条件，已向居民解释。",
        )
        return
    workflow.apply(request, "accept", actor=staff, now=accepted, assignee=staff)
    if roll < 0.4:
        return  # being handled
    late = rng.random() < 0.2
    span = request.due_at - received
    done_at = received + span * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.2, 0.95))
    if done_at > now:
        return
    satisfaction = rng.choice([5, 5, 5, 4, 4, 3, None])
    workflow.apply(
        request,
        "complete",
        actor=staff,
        now=done_at,
        reason="已办结，材料已交居民。",
        result="已办结，材料已交居民。",
        satisfaction=satisfaction,
        is_overdue=late,
    )
