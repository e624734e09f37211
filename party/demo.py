"""Party building of the demo district, so `make run` shows every party page with data:

- the tree: 中共广州市黄埔区委员会 (district) → each street's 党工委 → each community's 党委
  → a 党支部 in each grid (two 党小组 in the first grid of 黄埔花园社区), and a 机关党委 of
  区交通运输局;
- members: the registry's residents whose political status (GB/T 4762) says 中共党员 or
  中共预备党员, each in the branch of the grid they live in (floating residents as 流动党员),
  with a committee for every branch;
- linked households: in each grid between half and nine in ten of its households, spread over
  its members up to the configured number each; visits to a third of them in the last two
  months, a few planned for the coming days in the first grid;
- activities: 三会一课 and volunteer service of every branch over the last six months.

Everything is written through party/services.py (as the system), so the history rows are
real. Run after the registry is seeded; a district that already has its tree is left alone.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from grid.demo import DISTRICT_CODE, HOME_COMMUNITY
from grid.models import Area, Department, Person
from party import selectors, services
from party.models import PARTY_MEMBER, PROBATIONARY_MEMBER, Activity, Member, Organisation

K = Organisation.Kind
DISTRICT_COMMITTEE = "中共广州市黄埔区委员会"
COVERAGE_TARGET = (0.55, 0.9)  # the share of a grid's households linked, drawn per grid
VISITED_SHARE = 1 / 3
# Bounds per grid, so that a demo of a million persons loads its party building in minutes.
MEMBERS_PER_GRID = 60
LINKS_PER_GRID = 300

MEETINGS = [
    (Activity.Kind.BRANCH_ASSEMBLY, "支部党员大会", Decimal("2")),
    (Activity.Kind.COMMITTEE_MEETING, "支委会", Decimal("1.5")),
    (Activity.Kind.PARTY_LECTURE, "专题党课", Decimal("2")),
]
VOLUNTEERING = [
    "社区环境清洁",
    "关爱独居老人",
    "文明交通劝导",
    "垃圾分类宣传",
    "防诈骗宣传进楼栋",
    "义诊义剪",
]
VISIT_NOTES = [
    "家中情况正常，宣传了垃圾分类。",
    "老人身体较好，提醒按时服药。",
    "反映楼道灯不亮，已告知物业。",
    "了解就业需求，推荐了社区招聘会。",
    "宣传防诈骗知识，留下联系方式。",
]


def _joined_on(rng: random.Random, person: Person, probationary: bool, today: date) -> date:
    if probationary:
        return today - timedelta(days=rng.randint(30, 330))
    adult = (person.birth_date or date(1980, 1, 1)) + timedelta(days=18 * 366)
    latest = max(adult, today - timedelta(days=400))
    return adult + timedelta(days=rng.randint(0, (latest - adult).days))


def _tree(district: Area) -> dict[int, Organisation]:
    """The organisations; returns the branch of each grid by grid id."""
    top = services.create_organisation(
        actor=None, kind=K.COMMITTEE, name=DISTRICT_COMMITTEE, area=district
    )
    transport = Department.objects.filter(code=f"{DISTRICT_CODE}-JT").first()
    if transport is not None:
        services.create_organisation(
            actor=None, kind=K.COMMITTEE, name=f"{transport.name}机关党委", parent=top,
            department=transport,
        )  # fmt: skip
    branches = {}
    for street in district.children.order_by("code"):
        street_committee = services.create_organisation(
            actor=None, kind=K.COMMITTEE, name=f"{street.name}党工委", parent=top, area=street
        )
        for community in street.children.order_by("code"):
            community_committee = services.create_organisation(
                actor=None, kind=K.COMMITTEE, name=f"{community.name}党委",
                parent=street_committee, area=community,
            )  # fmt: skip
            for grid in community.children.order_by("code"):
                branches[grid.pk] = services.create_organisation(
                    actor=None, kind=K.BRANCH, name=f"{grid.name}党支部",
                    parent=community_committee, area=grid,
                )  # fmt: skip
    return branches


def _members(rng, branches, today) -> dict[int, list[Member]]:
    """Admit the registry's party members to their grid's branch, at most MEMBERS_PER_GRID in
    each (a million-person demo stays quick to load); by grid id."""
    candidates = (
        Person.objects.filter(
            status=Person.Status.LIVING,
            political_status__in=(PARTY_MEMBER, PROBATIONARY_MEMBER),
            birth_date__lte=today - timedelta(days=19 * 366),
        )
        .exclude(party_member__isnull=False)
        .order_by("id")
    )
    by_grid: dict[int, list[Member]] = {}
    for grid_id, branch in branches.items():
        for person in candidates.filter(grid_id=grid_id)[:MEMBERS_PER_GRID]:
            probationary = person.political_status == PROBATIONARY_MEMBER
            if probationary:
                status = Member.Status.PROBATIONARY
            elif person.population_type == Person.PopulationType.FLOATING:
                status = Member.Status.MOBILE
            else:
                status = Member.Status.FULL
            member = services.admit_member(
                actor=None,
                person=person,
                organisation=branch,
                status=status,
                joined_on=_joined_on(rng, person, probationary, today),
            )
            member.person = person
            by_grid.setdefault(grid_id, []).append(member)
    return by_grid


def _groups(home_grid: Area, branch: Organisation, members: list[Member]) -> None:
    """Two 党小组 in the branch of 黄埔花园社区's first grid, each with a third of its members."""
    groups = [
        services.create_organisation(
            actor=None, kind=K.GROUP, name=name, parent=branch, area=home_grid
        )
        for name in ("第一党小组", "第二党小组")
    ]
    for index, member in enumerate(members):
        if index % 3 < 2:
            services.transfer_member(
                member, actor=None, to=groups[index % 3], on=member.joined_on, note="划分党小组"
            )


def _committee(rng, branch: Organisation, members: list[Member], today: date) -> None:
    full = [m for m in members if m.status == Member.Status.FULL]
    if not full:
        return
    chosen = rng.sample(full, min(len(full), 5))
    services.appoint_committee(
        branch, actor=None, secretary=chosen[0], deputies=chosen[1:2], committee=chosen[2:],
        on=today - timedelta(days=rng.randint(200, 800)),
    )  # fmt: skip


def _links(rng, grid_id: int, members: list[Member], today: date, first_grid: bool) -> None:
    households = list(
        selectors.occupied_households()
        .filter(grid_id=grid_id)
        .exclude(pk__in=selectors.current_links().values("household_id"))
        .order_by("id")
    )
    if not members or not households:
        return
    rng.shuffle(households)
    wanted = min(round(len(households) * rng.uniform(*COVERAGE_TARGET)), LINKS_PER_GRID)
    capacity = {m.pk: services.households_per_member() for m in members}
    order = [m for m in members if m.person.status == Person.Status.LIVING]
    links = []
    for index, household in enumerate(households[:wanted]):
        member = order[index % len(order)]
        if capacity[member.pk] == 0:
            break
        capacity[member.pk] -= 1
        started = today - timedelta(days=rng.randint(60, 700))
        links.append(
            services.link_household(actor=None, member=member, household=household, on=started)
        )
    now = timezone.now()
    for link in rng.sample(links, round(len(links) * VISITED_SHARE)):
        services.record_visit(
            actor=None, link=link, notes=rng.choice(VISIT_NOTES),
            visited_at=now - timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 8)),
        )  # fmt: skip
    if first_grid:
        for link in links[:5]:
            services.plan_visit(
                actor=None, link=link, planned_on=today + timedelta(days=rng.randint(0, 6))
            )


def _activities(rng, branch: Organisation, members: list[Member], today: date) -> None:
    living = [m for m in members if m.person.status == Person.Status.LIVING]
    if not living:
        return
    for months_ago in range(6):
        day = today - timedelta(days=30 * months_ago + rng.randint(0, 20))
        kind, title, hours = MEETINGS[months_ago % len(MEETINGS)]
        attendees = rng.sample(living, max(1, round(len(living) * 0.8)))
        services.record_activity(
            actor=None, organisation=branch, kind=kind, title=f"{day.month}月{title}",
            held_on=day, hours=hours, attendees=attendees,
        )  # fmt: skip
        volunteer_day = today - timedelta(days=30 * months_ago + rng.randint(0, 25))
        services.record_activity(
            actor=None, organisation=branch, kind=Activity.Kind.VOLUNTEER,
            title=rng.choice(VOLUNTEERING), held_on=volunteer_day,
            hours=Decimal(rng.choice(["1.5", "2", "3", "4"])),
            attendees=rng.sample(living, min(len(living), rng.randint(3, 10))),
            location=branch.area.name,
        )  # fmt: skip


@transaction.atomic
def build_party(*, seed: int = 0, today: date | None = None) -> int:
    """The demo district's party building; returns the number of members admitted (0 when the
    tree exists already)."""
    district = Area.objects.filter(code=DISTRICT_CODE).first()
    if district is None or Organisation.objects.filter(name=DISTRICT_COMMITTEE).exists():
        return 0
    rng = random.Random(seed)
    today = today or timezone.localdate()
    branches = _tree(district)
    members = _members(rng, branches, today)
    home = district.children.get(children__name=HOME_COMMUNITY).children.get(name=HOME_COMMUNITY)
    first_grid = home.children.order_by("code").first()
    for grid_id, branch in branches.items():
        grid_members = members.get(grid_id, [])
        _committee(rng, branch, grid_members, today)
        _links(rng, grid_id, grid_members, today, first_grid=grid_id == first_grid.pk)
        _activities(rng, branch, grid_members, today)
    if first_grid.pk in members:
        _groups(first_grid, branches[first_grid.pk], members[first_grid.pk])
    return sum(len(m) for m in members.values())
