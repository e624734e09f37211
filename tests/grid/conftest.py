"""Registry fixtures: a small, fully linked registry in the two demo grids of grid1 and grid2,
built through grid/registry.py so its history and audit rows are real."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from grid import idnumbers, registry


@pytest.fixture
def admin_user(demo):
    return get_user_model().objects.get(username="admin")


def resident_id(birth: date, sequence: int) -> str:
    """A valid resident ID number of 黄埔区 (440112)."""
    return idnumbers.make_resident_id("440112", birth, sequence)


@pytest.fixture
def family(home_grids, admin_user):
    """In grid1's grid: building 1 (6 floors, 2 units), room 1-301 with household H-0001 of three:
    陈建华 (head, male, 1970), 林美玲 (spouse, female, 1972), 陈小明 (son, 2005). Returns a dict."""
    grid = home_grids[0]
    building = registry.create_building(
        actor=admin_user, grid=grid, number="1", address="黄埔花园1栋", floors=6, units=2,
        lng=grid.centroid_lng, lat=grid.centroid_lat,
    )  # fmt: skip
    house = registry.create_house(
        actor=admin_user, building=building, unit=1, floor=3, number="301"
    )
    household = registry.create_household(actor=admin_user, number="H-0001", house=house)
    head = registry.register_person(
        actor=admin_user, household=household, relation="02", name="陈建华",
        id_number=resident_id(date(1970, 5, 1), 11), phone="13812345678", ethnicity="01",
        on=date(2020, 1, 1),
    )  # fmt: skip
    spouse = registry.register_person(
        actor=admin_user, household=household, relation="10", name="林美玲",
        id_number=resident_id(date(1972, 8, 9), 22), phone="13987654321", on=date(2020, 1, 1),
    )  # fmt: skip
    son = registry.register_person(
        actor=admin_user, household=household, relation="20", name="陈小明",
        id_number=resident_id(date(2005, 3, 3), 31), on=date(2020, 1, 1),
    )  # fmt: skip
    household.refresh_from_db()
    return {"building": building, "house": house, "household": household,
            "head": head, "spouse": spouse, "son": son}  # fmt: skip


@pytest.fixture
def neighbour(home_grids, admin_user):
    """In grid2's grid: one person, 黄丽, alone in household H-0002, building 2 room 1-101."""
    grid = home_grids[1]
    building = registry.create_building(
        actor=admin_user, grid=grid, number="2", address="黄埔花园2栋", floors=3, units=1
    )
    house = registry.create_house(
        actor=admin_user, building=building, unit=1, floor=1, number="101"
    )
    household = registry.create_household(actor=admin_user, number="H-0002", house=house)
    person = registry.register_person(
        actor=admin_user, household=household, relation="02", name="黄丽",
        id_number=resident_id(date(1950, 2, 2), 42), phone="13700001111", on=date(2019, 6, 1),
    )  # fmt: skip
    return {"building": building, "house": house, "household": household, "person": person}
