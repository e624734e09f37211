"""The demo population: the generator (deterministic, valid ID numbers, consistent households)
and the bulk loader (the same rows as the registry services, topping up instead of
duplicating)."""

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from grid import codes, idnumbers, population, registry
from grid.models import (
    AuditEntry,
    Building,
    House,
    Household,
    LifeEvent,
    Membership,
    Person,
    Residence,
)
from grid.population import GridInfo, PopulationGenerator
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)
GRID = GridInfo(
    code="44011200100201",
    name="茅岗社区第1网格",
    community="茅岗社区",
    min_lng=113.40,
    min_lat=23.05,
    max_lng=113.42,
    max_lat=23.07,
)
OTHER_GRID = GridInfo(code="44011200100202", name="茅岗社区第2网格", community="茅岗社区")
RELATION_CODES = {entry.code for entry in codes.RELATION_TO_HEAD}


def plan(seed=1, grid=GRID, taken=(), **size):
    return PopulationGenerator(seed, today=TODAY, taken_ids=taken).plan_grid(
        grid, **(size or {"households": 150})
    )


def households_of(grid_plan):
    return [household for _b, _h, household in grid_plan.households()]


def test_the_same_seed_plans_the_same_population():
    assert plan(seed=7) == plan(seed=7)


def test_another_seed_plans_another_population():
    first, second = plan(seed=7), plan(seed=8)

    assert [p.id_number for p in first.persons()] != [p.id_number for p in second.persons()]


def test_a_persons_target_is_met_exactly():
    grid_plan = plan(persons=37)

    assert len(list(grid_plan.persons())) == 37


def test_a_households_target_is_met_exactly():
    assert len(households_of(plan(households=23))) == 23


def test_every_id_number_is_valid_and_matches_birth_date_and_sex():
    persons = list(plan(households=300).persons())

    for person in persons:
        assert idnumbers.validate_id(person.id_type, person.id_number, today=TODAY)
        if person.id_type == idnumbers.IdType.RESIDENT:
            resident = idnumbers.validate_resident_id(person.id_number, today=TODAY)
            assert (resident.birth_date, resident.sex) == (person.birth_date, person.sex)
    assert {p.id_type for p in persons} == {"resident", "passport"}


def test_id_numbers_are_unique_across_grids_and_avoid_numbers_already_taken():
    taken = [p.id_number for p in plan(seed=3).persons()]
    generator = PopulationGenerator(3, today=TODAY, taken_ids=taken)

    made = [
        p.id_number
        for grid in (GRID, OTHER_GRID)
        for p in generator.plan_grid(grid, households=150).persons()
    ]

    assert len(set(made)) == len(made)
    assert not set(made) & set(taken)


def test_most_people_come_from_the_district_and_guangdong_and_some_from_other_provinces():
    regions = Counter(
        p.id_number[:2] if p.id_number[:6] != "440112" else "home"
        for p in plan(households=400).persons()
        if p.id_type == idnumbers.IdType.RESIDENT
    )

    assert regions.most_common(1)[0][0] == "home"
    assert regions["44"] > 0
    assert len(regions) > 5


def test_residents_have_chinese_names_of_a_known_surname_and_one_or_two_given_characters():
    surnames = set(population.GUANGDONG_SURNAMES.items) | set(population.NATIONAL_SURNAMES.items)

    for person in plan(households=300).persons():
        if person.id_type != idnumbers.IdType.RESIDENT:
            continue
        surname = person.name[:2] if person.name[:2] in surnames else person.name[:1]
        assert surname in surnames, person.name
        assert 1 <= len(person.name) - len(surname) <= 2, person.name
        assert all("\u4e00" <= char <= "\u9fff" for char in person.name), person.name


def test_every_household_has_one_head_first_and_one_to_six_members():
    for household in households_of(plan(households=300)):
        relations = [p.relation for p in household.members]
        assert relations.count("02") == 1
        assert relations[0] == "02"
        assert 1 <= len(relations) <= 6
        assert set(relations) <= RELATION_CODES


def test_children_are_younger_than_their_parents_and_parents_older_than_the_head():
    for household in households_of(plan(households=300)):
        by_relation = {}
        for person in household.members:
            by_relation.setdefault(person.relation, []).append(person.birth_date)
        couple = by_relation["02"] + by_relation.get("10", [])
        children = by_relation.get("20", []) + by_relation.get("30", [])
        grandchildren = [
            birth for code in ("41", "42", "43", "44") for birth in by_relation.get(code, [])
        ]
        for child in children:
            assert child > max(couple), household
        for grandchild in grandchildren:
            assert grandchild > max(couple + children + by_relation.get("38", [])), household
        for parent in by_relation.get("51", []) + by_relation.get("52", []):
            assert parent < by_relation["02"][0], household
        for parent in by_relation.get("55", []) + by_relation.get("56", []):
            assert parent < by_relation["10"][0], household


def test_spouses_are_of_the_other_sex_and_married():
    for household in households_of(plan(households=300)):
        head, *others = household.members
        for spouse in (p for p in others if p.relation == "10"):
            assert spouse.sex != head.sex
            assert spouse.marital_status == head.marital_status == "20"


def test_no_birthday_crowds_the_id_numbers_of_a_region():
    """The ID number has 500 sequence numbers per region, day of birth and sex: a generator
    that sends many people to one birthday runs out of numbers as the district grows (it did,
    importing a second million: every spouse drawn younger than 20 was born on one day, three
    times as many as on any other)."""
    spouses = Counter(
        person.birth_date
        for household in households_of(plan(persons=20_000))
        for person in household.members
        if person.relation == "10"
    )
    (_day, most), (_next_day, next_most) = spouses.most_common(2)
    assert most <= next_most + 2


def test_nobody_moves_in_before_being_born_and_births_are_after_the_move_in():
    for household in households_of(plan(households=300)):
        assert not household.members[0].born_here
        for person in household.members:
            assert person.birth_date <= person.since <= TODAY
            if person.born_here:
                assert person.since == person.birth_date


def test_every_planned_person_passes_the_registry_validation(home_grids):
    for person in plan(households=60).persons():
        registry.clean_person(person.fields(), today=TODAY)


def test_elderly_living_alone_are_tagged_so():
    alone = [h.members[0] for h in households_of(plan(households=400)) if len(h.members) == 1]

    tagged = [p for p in alone if "elderly_alone" in p.care_tags]

    assert tagged
    assert all(TODAY.year - p.birth_date.year >= 60 for p in tagged)


def test_self_occupied_houses_are_owned_by_their_head_and_leftover_houses_are_vacant():
    grid_plan = plan(households=40)

    for building in grid_plan.buildings:
        for house in building.houses:
            if house.household is None:
                assert house.use in ("vacant", "business", "other")
            elif house.use == "self_occupied":
                assert house.owner_name == house.household.members[0].name


# The loader


def write_with_services(grid, grid_plan):
    """The plan written one call at a time through grid/registry.py."""
    for b in grid_plan.buildings:
        building = registry.create_building(
            actor=None, grid=grid, number=b.number, name=b.name, address=b.address,
            floors=b.floors, units=b.units, lng=b.lng, lat=b.lat,
        )  # fmt: skip
        for h in b.houses:
            house = registry.create_house(
                actor=None, building=building, unit=h.unit, floor=h.floor, number=h.number,
                floor_area=h.floor_area, use=h.use, owner_name=h.owner_name,
                owner_phone=h.owner_phone,
            )  # fmt: skip
            if h.household is None:
                continue
            household = registry.create_household(
                actor=None, number=h.household.number, house=house, kind=h.household.kind,
                registered_address=h.household.registered_address,
            )  # fmt: skip
            for p in h.household.members:
                register = registry.register_birth if p.born_here else registry.register_person
                register(
                    actor=None, household=household, relation=p.relation, on=p.since,
                    care_tags=registry.care_tags_by_code(list(p.care_tags)), **p.fields(),
                )  # fmt: skip


def snapshot(grid) -> dict:
    """Every registry row of a grid, with ids replaced by what they point at."""
    person_fields = [
        f.attname
        for f in Person._meta.concrete_fields
        if f.name not in ("id", "created_at", "updated_at", "grid", "house", "household")
    ]
    in_grid = {"person__grid": grid}
    rows = {
        "buildings": Building.objects.filter(grid=grid).values_list(
            "number", "name", "address", "floors", "units", "lng", "lat"
        ),
        "houses": House.objects.filter(grid=grid).values_list(
            "building__number",
            "unit",
            "floor",
            "number",
            "floor_area",
            "use",
            "owner_name",
            "owner_phone",
        ),  # fmt: skip
        "households": Household.objects.filter(grid=grid).values_list(
            "number",
            "kind",
            "registered_address",
            "house__building__number",
            "house__number",
            "head__id_number",
        ),  # fmt: skip
        "persons": Person.objects.filter(grid=grid).values_list(
            *person_fields,
            "grid__code",
            "house__building__number",
            "house__number",
            "household__number",
        ),  # fmt: skip
        "care_tags": Person.care_tags.through.objects.filter(**in_grid).values_list(
            "person__id_number", "caretag__code"
        ),
        "memberships": Membership.objects.filter(**in_grid).values_list(
            "person__id_number", "household__number", "relation", "started_on", "ended_on"
        ),
        "residences": Residence.objects.filter(**in_grid).values_list(
            "person__id_number",
            "house__building__number",
            "house__number",
            "started_on",
            "ended_on",
        ),  # fmt: skip
        "events": LifeEvent.objects.filter(**in_grid).values_list(
            "person__id_number",
            "kind",
            "occurred_on",
            "household__number",
            "house__number",
            "note",
            "actor",
        ),  # fmt: skip
    }
    return {name: sorted(values, key=repr) for name, values in rows.items()}


def test_the_bulk_loader_writes_the_rows_the_registry_services_would(home_grids):
    grid = home_grids[2]
    grid_plan = PopulationGenerator(5, today=TODAY).plan_grid(GridInfo.of(grid), households=30)
    with transaction.atomic():
        write_with_services(grid, grid_plan)
        expected = snapshot(grid)
        transaction.set_rollback(True)
    audit_before = AuditEntry.objects.count()

    population.write_grid(grid, grid_plan)

    assert snapshot(grid) == expected
    assert len(expected["persons"]) == len(list(grid_plan.persons()))
    assert {event[1] for event in expected["events"]} == {"move_in", "birth"}
    # The services audit each person created; the loader audits the load once.
    assert AuditEntry.objects.count() == audit_before + 1
    assert AuditEntry.objects.latest("id").action == AuditEntry.Action.IMPORT


def test_seeded_people_have_a_head_a_current_membership_and_residence_and_are_found_by_id(
    home_grids,
):
    grid = home_grids[3]
    population.write_grid(
        grid, PopulationGenerator(9, today=TODAY).plan_grid(GridInfo.of(grid), persons=60)
    )
    persons = list(Person.objects.filter(grid=grid).select_related("household"))

    assert len(persons) == 60
    for person in persons:
        assert person.household.head.relation_to_head == "02"
        membership = Membership.objects.get(person=person, ended_on__isnull=True)
        assert (membership.household_id, membership.relation) == (
            person.household_id,
            person.relation_to_head,
        )
        assert Residence.objects.get(person=person, ended_on__isnull=True).house_id == (
            person.house_id
        )
        assert list(registry.find_by_id_number(person.id_number)) == [person]


def test_persons_are_spread_over_every_demo_grid_to_the_exact_total(demo):
    call_command("seed_demo", persons=300, password=DEMO_PASSWORD, force=True, stdout=StringIO())

    grids = population.demo_grids()
    per_grid = Counter(
        Person.objects.filter(grid__in=grids, status="living").values_list("grid_id", flat=True)
    )
    assert sum(per_grid.values()) == 300
    assert set(per_grid.values()) <= {3, 4}
    assert len(per_grid) == len(grids)


def test_seeding_again_adds_nobody(demo):
    call_command("seed_demo", persons=300, password=DEMO_PASSWORD, force=True, stdout=StringIO())
    out = StringIO()

    call_command("seed_demo", persons=300, password=DEMO_PASSWORD, force=True, stdout=out)

    assert Person.objects.count() == 300
    assert "added 0 persons in 0 households" in out.getvalue()


def test_the_default_size_fills_the_home_community_more_and_is_not_loaded_twice(
    demo, home_grids, monkeypatch
):
    monkeypatch.setattr(population, "HOME_GRID_HOUSEHOLDS", 4)
    monkeypatch.setattr(population, "OTHER_GRID_HOUSEHOLDS", 1)
    call_command("seed_demo", password=DEMO_PASSWORD, force=True, stdout=StringIO())
    households = Household.objects.count()

    call_command("seed_demo", password=DEMO_PASSWORD, force=True, stdout=StringIO())

    grid_count = len(population.demo_grids())
    assert households == 4 * 4 + (grid_count - 4) * 1
    assert Household.objects.count() == households
    assert Household.objects.filter(grid=home_grids[0]).count() == 4


def test_more_persons_top_up_what_is_there(demo):
    call_command("seed_demo", persons=100, password=DEMO_PASSWORD, force=True, stdout=StringIO())
    first = set(Person.objects.values_list("pk", flat=True))

    call_command("seed_demo", persons=250, password=DEMO_PASSWORD, force=True, stdout=StringIO())

    assert Person.objects.count() == 250
    assert first < set(Person.objects.values_list("pk", flat=True))
    assert Person.objects.values("id_digest").distinct().count() == 250


def test_a_negative_number_of_persons_is_refused(demo):
    with pytest.raises(CommandError, match="--persons"):
        call_command("seed_demo", persons=-1, force=True, stdout=StringIO())


@pytest.mark.parametrize(
    ("total", "counts", "adds"),
    [
        (10, [0, 0, 0], [4, 3, 3]),
        (12, [6, 0, 1, 0], [0, 2, 1, 2]),
        (10, [20, 0], [0, 0]),
    ],
)
def test_a_top_up_is_spread_to_reach_the_exact_total(total, counts, adds):
    assert population._spread(total, counts) == adds


def registry_schema() -> dict:
    with connection.cursor() as cursor:
        return {
            model._meta.db_table: connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
            for model in population.REGISTRY_MODELS
        }


def test_a_large_load_leaves_every_index_and_key_as_it_found_them(demo, monkeypatch):
    monkeypatch.setattr(population, "BULK_LOAD_PERSONS", 100)
    before = registry_schema()

    added = population.seed_population(persons=300)

    assert registry_schema() == before
    assert added.persons == Person.objects.count() == 300
    assert Household.objects.filter(head__isnull=True).count() == 0
    person = Person.objects.order_by("pk").last()
    assert list(registry.find_by_id_number(person.id_number)) == [person]
