"""Objections of the demo district, so `make run` shows the objection pages, the record panels
and the dashboard's count with data: grid1's worker (王秀英) has raised two open objections in
her grid of 黄埔花园社区 — a resident who moved away, and a household's wrong registered
address — for the community (刘芳) to resolve. Raised through datagov/objections.py like any
other; run after the registry is seeded. A district that has objections already is left alone,
and so is a registry with no residents (`seed_demo --persons 0`)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from datagov import objections
from datagov.models import Objection
from grid.demo import HOME_COMMUNITY
from grid.models import Area, Household, Person


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
