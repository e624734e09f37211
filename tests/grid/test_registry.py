"""The registry services: person validation, each life event and the history it leaves, the
keyed ID index, and the append-only audit log."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from grid import registry
from grid.models import AuditEntry, Household, LifeEvent, Membership, Person, Residence
from tests.grid.conftest import resident_id

pytestmark = pytest.mark.django_db


def _current(model, person):
    return model.objects.get(person=person, ended_on__isnull=True)


def test_birth_date_and_sex_come_from_the_resident_id_number(family):
    head, spouse = family["head"], family["spouse"]

    assert (head.birth_date, head.sex) == (date(1970, 5, 1), "1")
    assert (spouse.birth_date, spouse.sex) == (date(1972, 8, 9), "2")


def test_a_typed_birth_date_or_sex_cannot_contradict_the_id_number(family, admin_user):
    person = registry.register_person(
        actor=admin_user,
        household=family["household"],
        relation="30",
        name="陈小红",
        id_number=resident_id(date(2008, 1, 1), 42),
        sex="1",
        birth_date=date(1999, 9, 9),
    )

    assert (person.birth_date, person.sex) == (date(2008, 1, 1), "2")


@pytest.mark.parametrize(
    ("number", "code_word"),
    [
        ("4401121970050100", "18 characters"),
        ("44011219700501001A", "digits"),
        ("00011219700501001X", "province"),
        ("44011219701301001X", "not a real date"),
        ("440112" + "20990101" + "0011", "future"),
    ],
)
def test_each_kind_of_bad_id_number_is_refused_with_its_reason(family, number, code_word):
    from django.utils.translation import override

    with override("en"), pytest.raises(ValidationError) as caught:
        registry.clean_person({"name": "某人", "id_number": number})

    assert list(caught.value.message_dict) == ["id_number"]
    assert code_word in caught.value.message_dict["id_number"][0]


def test_a_wrong_check_digit_is_refused(family):
    good = resident_id(date(1990, 1, 1), 5)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    with pytest.raises(ValidationError) as caught:
        registry.clean_person({"name": "某人", "id_number": bad})

    assert list(caught.value.message_dict) == ["id_number"]


def test_every_bad_field_is_reported_at_once(family):
    with pytest.raises(ValidationError) as caught:
        registry.clean_person(
            {"name": "", "sex": "", "ethnicity": "77", "phone": "call me", "population_type": "x"}
        )

    assert set(caught.value.message_dict) == {
        "name",
        "sex",
        "ethnicity",
        "phone",
        "population_type",
    }


def test_an_id_number_is_unique_among_the_living(family, admin_user):
    with pytest.raises(ValidationError) as caught:
        registry.register_person(
            actor=admin_user,
            household=family["household"],
            relation="99",
            name="冒名者",
            id_number=family["head"].id_number.lower(),
        )

    assert list(caught.value.message_dict) == ["id_number"]
    assert Person.objects.filter(name="冒名者").count() == 0


def test_the_database_also_refuses_two_living_people_with_one_number(family):
    head = family["head"]

    with pytest.raises(IntegrityError):
        Person.objects.create(
            name="复制", sex="1", grid=head.grid, id_number=head.id_number, id_digest=head.id_digest
        )


def test_the_number_of_someone_who_moved_out_may_live_here_again(family, admin_user):
    registry.move_out(family["son"], actor=admin_user, on=date(2024, 1, 1))

    again = registry.register_person(
        actor=admin_user,
        household=family["household"],
        relation="20",
        name="陈小明",
        id_number=family["son"].id_number,
    )

    assert again.status == Person.Status.LIVING


def test_exact_id_lookup_goes_through_the_keyed_digest(family, settings):
    head = family["head"]

    assert list(registry.find_by_id_number(head.id_number)) == [head]
    assert head.id_digest != head.id_number
    assert head.id_number not in head.id_digest
    settings.REGISTRY_HMAC_KEY = "another key"
    assert list(registry.find_by_id_number(head.id_number)) == []


def test_the_digest_has_one_plain_index_beside_the_unique_one_among_the_living():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Person._meta.db_table)

    on_digest = {
        name: info["unique"]
        for name, info in constraints.items()
        if info["index"] and info["columns"] == ["id_digest"]
    }
    assert on_digest == {"person_id_digest_idx": False, "person_unique_id_among_living": True}


def test_moving_in_records_residence_membership_event_and_audit(family):
    head = family["head"]

    assert _current(Residence, head).house == family["house"]
    assert _current(Membership, head).relation == "02"
    assert family["household"].head == head
    assert [e.kind for e in head.events.all()] == [LifeEvent.Kind.MOVE_IN]
    entry = AuditEntry.objects.get(model="Person", object_id=head.pk, action="create")
    assert head.id_number not in entry.fields + entry.detail


def test_moving_out_closes_the_history_and_keeps_it(family, admin_user):
    son = family["son"]

    registry.move_out(son, actor=admin_user, on=date(2025, 9, 1), note="外出读书")

    son.refresh_from_db()
    assert son.status == Person.Status.MOVED_OUT
    assert (son.house, son.household) == (None, None)
    membership = Membership.objects.get(person=son)
    residence = Residence.objects.get(person=son)
    assert membership.ended_on == residence.ended_on == date(2025, 9, 1)
    assert [e.kind for e in son.events.all()] == ["move_in", "move_out"]


def test_a_person_who_moved_out_cannot_move_out_again(family, admin_user):
    registry.move_out(family["son"], actor=admin_user)

    with pytest.raises(ValidationError):
        registry.move_out(family["son"], actor=admin_user)


def test_moving_back_in_reopens_the_same_record(family, neighbour, admin_user):
    son = family["son"]
    registry.move_out(son, actor=admin_user, on=date(2024, 1, 1))

    registry.move_back_in(
        son, actor=admin_user, household=neighbour["household"], relation="99", on=date(2025, 1, 1)
    )

    son.refresh_from_db()
    assert son.status == Person.Status.LIVING
    assert son.grid == neighbour["house"].grid
    assert Membership.objects.filter(person=son).count() == 2
    assert _current(Membership, son).household == neighbour["household"]


def test_moving_to_another_household_moves_house_and_grid_too(family, neighbour, admin_user):
    son = family["son"]

    registry.move_to_household(
        son, neighbour["household"], actor=admin_user, relation="99", on=date(2025, 5, 5)
    )

    son.refresh_from_db()
    assert (son.household, son.house, son.grid) == (
        neighbour["household"],
        neighbour["house"],
        neighbour["house"].grid,
    )
    old = Membership.objects.get(person=son, household=family["household"])
    assert old.ended_on == date(2025, 5, 5)
    assert Residence.objects.filter(person=son).count() == 2
    assert son.events.last().kind == LifeEvent.Kind.CHANGE_HOUSEHOLD


def test_changing_the_head_keeps_the_old_relations_in_history(family, admin_user):
    household, head, spouse = family["household"], family["head"], family["spouse"]

    registry.change_head(
        household, spouse, actor=admin_user, former_head_relation="10", on=date(2025, 1, 1)
    )

    household.refresh_from_db()
    assert household.head == spouse
    assert _current(Membership, spouse).relation == "02"
    assert _current(Membership, head).relation == "10"
    assert list(
        Membership.objects.filter(person=head)
        .order_by("started_on")
        .values_list("relation", flat=True)
    ) == ["02", "10"]


def test_the_new_head_must_be_a_member(family, neighbour, admin_user):
    with pytest.raises(ValidationError) as caught:
        registry.change_head(family["household"], neighbour["person"], actor=admin_user)

    assert list(caught.value.message_dict) == ["head"]


def test_a_household_cannot_get_a_second_head(family, admin_user):
    with pytest.raises(ValidationError) as caught:
        registry.register_person(
            actor=admin_user, household=family["household"], relation="02", name="二号户主", sex="1"
        )

    assert list(caught.value.message_dict) == ["relation"]


def test_a_death_ends_the_history_keeps_where_they_lived_and_leaves_the_household_headless(
    family, admin_user
):
    head = family["head"]

    registry.record_death(head, actor=admin_user, on=date(2025, 2, 2))

    head.refresh_from_db()
    death = head.events.last()
    assert (head.status, head.house, head.household, head.relation_to_head) == (
        Person.Status.DECEASED,
        None,
        None,
        "",
    )
    assert Household.objects.get(pk=family["household"].pk).head is None
    assert Membership.objects.get(person=head).ended_on == date(2025, 2, 2)
    assert Residence.objects.get(person=head).ended_on == date(2025, 2, 2)
    assert (death.kind, death.household, death.house) == (
        LifeEvent.Kind.DEATH,
        family["household"],
        family["house"],
    )
    assert AuditEntry.objects.filter(object_id=head.pk, detail="death").count() == 1


def test_a_birth_adds_a_child_to_the_household(family, admin_user):
    child = registry.register_birth(
        actor=admin_user,
        household=family["household"],
        relation="30",
        name="陈小雨",
        sex="2",
        on=date(2025, 6, 1),
    )

    assert child.birth_date == date(2025, 6, 1)
    assert child.house == family["house"]
    assert child.events.get().kind == LifeEvent.Kind.BIRTH


def test_updating_details_records_which_fields_changed(family, admin_user):
    head = family["head"]

    registry.update_person(head, actor=admin_user, occupation="司机", phone="13800000000")

    entry = AuditEntry.objects.filter(action="change", object_id=head.pk).latest("id")
    assert entry.fields == "occupation,phone"
    assert "13800000000" not in entry.fields + entry.detail


def test_masking_shows_only_the_ends(family):
    head = family["head"]

    shown = registry.masked(head)

    assert shown["id_number"] == head.id_number[:6] + "********" + head.id_number[-4:]
    assert shown["phone"] == "138****5678"


def test_revealing_is_audited_without_the_values(family, admin_user):
    full = registry.reveal(family["head"], actor=admin_user, purpose="visit", reason="核实身份")

    assert full["id_number"] == family["head"].id_number
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.fields == "id_number,phone,other_phone"
    assert entry.detail == "visit: 核实身份"


def test_audit_entries_cannot_be_changed_or_deleted(family):
    entry = AuditEntry.objects.first()

    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_a_house_must_fit_its_building(family, admin_user):
    with pytest.raises(ValidationError) as caught:
        registry.create_house(
            actor=admin_user, building=family["building"], unit=3, floor=9, number="901"
        )

    assert set(caught.value.message_dict) == {"unit", "floor"}
