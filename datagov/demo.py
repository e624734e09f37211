"""The demo district's data governance, so `make run` shows its pages with data (both run by
`seed_demo` after the registry is seeded; each idempotent):

- objections: grid1's worker (王秀英) has raised two open objections in her grid of 黄埔花园社区
  — a resident who moved away, and a household's wrong registered address — for the community
  (刘芳) to resolve. Raised through datagov/objections.py like any other. A district that has
  objections already is left alone, and so is a registry with no residents
  (`seed_demo --persons 0`);
- sharing: one request of the transport bureau (区交通运输局) for the households of 黄埔花园社区,
  waiting for the community's decision, so the story of issue 16 starts from its first step.
  Made only when the bureau has no request yet."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from datagov import objections, sharing
from datagov.models import Dataset, Objection, SharingRequest
from grid.demo import DISTRICT_CODE, HOME_COMMUNITY
from grid.models import Area, Department, Household, Person

PURPOSE = "公交站点优化调研：核对社区住户分布，评估公交站点设置与老年人出行需求"


@transaction.atomic
def build_objections() -> int:
    """The demo's open objections; returns how many were raised (0 when there were some)."""
    if Objection.objects.exists():
        return 0
    worker = get_user_model().objects.filter(username="grid1").first()
    community = Area.objects.filter(name=HOME_COMMUNITY, level=Area.Level.COMMUNITY).first()
    if worker is None or community is None:
        return 0
    grid = community.children.order_by("code").first()
    living = Person.objects.filter(grid=grid, status=Person.Status.LIVING).order_by("id")
    person = living.exclude(household__head_id=None).exclude(relation_to_head="02").first()
    household = Household.objects.filter(grid=grid).exclude(
        pk=getattr(person, "household_id", None)
    )
    household = household.order_by("id").first()
    raised = 0
    if person is not None:
        objections.raise_objection(
            actor=worker,
            record=person,
            kind=Objection.Kind.MOVED_AWAY,
            fields=["current_address"],
            text="走访时邻居反映此人已于上月搬离，去向外区，请核实后办理迁出。",
        )
        raised += 1
    if household is not None:
        objections.raise_objection(
            actor=worker,
            record=household,
            kind=Objection.Kind.WRONG_ADDRESS,
            fields=["registered_address"],
            text="户口簿上的户籍地址与登记不一致，门牌号应核对。",
        )
        raised += 1
    return raised


def build_sharing() -> SharingRequest | None:
    """The pending request (made once); None when the demo lacks the bureau or its login."""
    department = Department.objects.filter(code=f"{DISTRICT_CODE}-JT").first()
    actor = get_user_model().objects.filter(username="transport").first()
    community = Area.objects.filter(name=HOME_COMMUNITY, level=Area.Level.COMMUNITY).first()
    dataset = Dataset.objects.filter(key="grid.household").first()
    if None in (department, actor, community, dataset):
        return None
    existing = SharingRequest.objects.filter(department=department).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    return sharing.submit(
        actor=actor,
        dataset=dataset,
        field_names=["number", "kind", "registered_address", "house"],
        purpose=PURPOSE,
        area=community,
        starts_on=today,
        ends_on=today + timedelta(days=60),
        department=department,
    )
